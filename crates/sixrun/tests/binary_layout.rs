//! sixrun is linked position-dependent (crates/sixrun/build.rs): the data the loader would
//! otherwise relocate at every start (~350 kB in a release build: vtables, string tables) stays
//! clean pages of the file, shared, instead of private memory of each sixrun process
//! (bench/sixrun-rss.sh: peak RSS of `create` 6.1 -> 5.3 MB), and the start skips the
//! relocations.

mod common;

/// The ELF header's `e_type` of `path`: 2 for an executable at a fixed address, 3 for a
/// position-independent one.
fn elf_type(path: &str) -> u16 {
    let bytes = std::fs::read(path).unwrap();
    assert_eq!(&bytes[..4], b"\x7fELF", "{path} is no ELF file");
    u16::from_le_bytes([bytes[16], bytes[17]])
}

/// How many relative relocations (applied by the loader at every start) `path` has.
fn relative_relocations(path: &str) -> usize {
    let out = std::process::Command::new("readelf")
        .args(["--relocs", "--wide", path])
        .output()
        .expect("readelf (binutils) runs");
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter(|l| l.contains("R_X86_64_RELATIVE") || l.contains("R_AARCH64_RELATIVE"))
        .count()
}

#[test]
fn sixrun_is_linked_at_a_fixed_address_with_nothing_to_relocate() {
    assert_eq!(
        elf_type(common::SIXRUN),
        2,
        "{} is position-independent: its relocated data is private memory of every sixrun",
        common::SIXRUN
    );
    assert_eq!(relative_relocations(common::SIXRUN), 0);
}

/// The types of `path`'s ELF program headers (64-bit little-endian ELF).
fn program_header_types(path: &str) -> Vec<u32> {
    let bytes = std::fs::read(path).unwrap();
    let u16_at = |at: usize| u16::from_le_bytes([bytes[at], bytes[at + 1]]) as usize;
    let phoff = u64::from_le_bytes(bytes[0x20..0x28].try_into().unwrap()) as usize;
    let (size, count) = (u16_at(0x36), u16_at(0x38));
    (0..count)
        .map(|i| {
            let at = phoff + i * size;
            u32::from_le_bytes(bytes[at..at + 4].try_into().unwrap())
        })
        .collect()
}

/// sixrun is linked statically against glibc (crates/sixrun/build.rs): no ld.so, libc.so and
/// libgcc_s.so to map and relocate at each start (bench/sixrun-rss.sh: peak RSS −0.8 to
/// −1.0 MB). No PT_INTERP (3) and no PT_DYNAMIC (2): nothing is loaded beside the binary.
#[test]
fn sixrun_is_linked_statically() {
    const PT_DYNAMIC: u32 = 2;
    const PT_INTERP: u32 = 3;
    let types = program_header_types(common::SIXRUN);
    assert!(
        !types.is_empty(),
        "{} has no program headers",
        common::SIXRUN
    );
    assert!(
        !types.contains(&PT_INTERP) && !types.contains(&PT_DYNAMIC),
        "{} is linked dynamically (program header types {types:?})",
        common::SIXRUN
    );
}
