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
