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

/// `(name, address, size)` of `path`'s section `name` (readelf's section headers).
fn section(path: &str, name: &str) -> Option<(u64, u64)> {
    let out = std::process::Command::new("readelf")
        .args(["--section-headers", "--wide", path])
        .output()
        .expect("readelf (binutils) runs");
    String::from_utf8_lossy(&out.stdout).lines().find_map(|l| {
        let l = l.split_once(']')?.1;
        let fields: Vec<&str> = l.split_whitespace().collect();
        (fields.first() == Some(&name)).then(|| {
            let hex = |s: &str| u64::from_str_radix(s, 16).unwrap();
            (hex(fields[2]), hex(fields[4]))
        })
    })
}

/// `path`'s code symbols (`nm`'s t/T/w/W/i), name and address, sorted by name.
fn code_symbols(path: &str) -> Vec<(String, u64)> {
    let out = std::process::Command::new("nm")
        .args(["--defined-only", path])
        .output()
        .expect("nm (binutils) runs");
    let mut symbols: Vec<(String, u64)> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter_map(|l| {
            let mut fields = l.split_whitespace();
            let address = u64::from_str_radix(fields.next()?, 16).ok()?;
            let kind = fields.next()?;
            let name = fields.next()?;
            matches!(kind, "t" | "T" | "w" | "W" | "i").then(|| (name.to_owned(), address))
        })
        .collect();
    symbols.sort();
    symbols
}

/// Whether `name` matches `pattern`, whose only wildcard is `*` (as in hot-text.txt).
fn glob(pattern: &str, name: &str) -> bool {
    let mut parts = pattern.split('*');
    let first = parts.next().unwrap_or("");
    let Some(mut rest) = name.strip_prefix(first) else {
        return false;
    };
    let parts: Vec<&str> = parts.collect();
    for (i, part) in parts.iter().enumerate() {
        if i + 1 == parts.len() {
            return rest.ends_with(part);
        }
        match rest.find(part) {
            Some(at) => rest = &rest[at + part.len()..],
            None => return false,
        }
    }
    rest.is_empty()
}

/// The symbol patterns of hot-text.txt's Rust sections (`*(.text.<symbol>
/// .text.unlikely.<symbol>)`: one section per function, named after it).
fn hot_symbol_patterns() -> Vec<String> {
    let list = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/hot-text.txt"))
        .expect("reading crates/sixrun/hot-text.txt");
    list.lines()
        .filter_map(|l| l.strip_prefix("*(")?.split_whitespace().next())
        .filter_map(|s| s.strip_prefix(".text."))
        .map(str::to_owned)
        .collect()
}

/// The code a container's lifecycle runs comes first in the text, together
/// (crates/sixrun/hot-text.txt, which build.rs places in `.text.sixrun_hot`; made by
/// scripts/sixrun-hot-text.sh): so the kernel's fault-around, which maps 64 KiB around each
/// code fault, maps mostly code the command runs (bench/sixrun-rss.sh: peak RSS of
/// `create`/`state`/`start`/`delete` 4.1-4.6 MB -> 1.8-2.3 MB, docs/performance.md). Every
/// function a listed pattern names must sit in that section; most patterns must still name
/// one (a list gone stale, or lost, fails here).
#[test]
fn the_code_a_lifecycle_runs_is_placed_first_and_together() {
    let path = common::SIXRUN;
    let (hot_start, hot_size) = section(path, ".text.sixrun_hot").unwrap_or_else(|| {
        panic!("{path} has no .text.sixrun_hot section: the hot code is not ordered")
    });
    let (text_start, _) = section(path, ".text").expect("a .text section");
    assert!(
        hot_size > 0 && hot_start + hot_size <= text_start,
        "{path}: .text.sixrun_hot ({hot_start:#x}, {hot_size:#x} bytes) is not before .text ({text_start:#x})"
    );
    // What ran in a lifecycle was ~1.2 MB (a release build); a pattern that matched every
    // instantiation of a generic would grow it far beyond.
    assert!(
        hot_size < 3 << 20,
        "{path}: .text.sixrun_hot is {hot_size} bytes: a pattern of hot-text.txt matches too much"
    );
    let symbols = code_symbols(path);
    let patterns = hot_symbol_patterns();
    assert!(
        patterns.len() > 500,
        "hot-text.txt names {} Rust sections",
        patterns.len()
    );
    let mut matched = 0;
    for pattern in &patterns {
        let prefix = pattern.split('*').next().unwrap_or("");
        let from = symbols.partition_point(|(name, _)| name.as_str() < prefix);
        let mut any = false;
        for (name, address) in symbols[from..]
            .iter()
            .take_while(|(name, _)| name.starts_with(prefix))
            .filter(|(name, _)| glob(pattern, name))
        {
            any = true;
            assert!(
                (hot_start..hot_start + hot_size).contains(address),
                "{path}: {name} (at {address:#x}, matched by hot-text.txt's {pattern}) is \
                 outside .text.sixrun_hot ({hot_start:#x}, {hot_size:#x} bytes)"
            );
        }
        matched += usize::from(any);
    }
    // `cargo build --release -p sixrun` names all of them (the traced build); a build with
    // another feature set (`cargo test`, the whole workspace) hashes generics' instantiations
    // otherwise (71% named) and a debug build also inlines differently (63%).
    assert!(
        matched * 2 >= patterns.len(),
        "{path}: only {matched} of hot-text.txt's {} Rust patterns name a function: \
         regenerate the list (scripts/sixrun-hot-text.sh)",
        patterns.len()
    );
}
