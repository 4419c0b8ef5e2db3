//! How the sixdocker binary is linked (crates/sixdocker/build.rs): at a fixed address, so
//! that the data the loader would relocate stays clean shared pages of the file (each running
//! container keeps one process of it, its monitor), and without `libgcc_s.so`, whose loading
//! and CPU probing every start would pay (the unwinder comes from libgcc's static archive).

mod common;

/// What `readelf` prints for `path` with `flag`.
fn readelf(flag: &str, path: &str) -> String {
    let out = std::process::Command::new("readelf")
        .args([flag, "--wide", path])
        .output()
        .expect("readelf (binutils) runs");
    assert!(out.status.success(), "readelf {flag} {path}: {out:?}");
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[test]
fn sixdocker_is_linked_at_a_fixed_address_without_libgcc_s() {
    let header = readelf("--file-header", common::BIN);
    assert!(
        header
            .lines()
            .any(|l| l.contains("Type:") && l.contains("EXEC")),
        "{} is position-independent: {header}",
        common::BIN
    );
    let dynamic = readelf("--dynamic", common::BIN);
    let needed: Vec<&str> = dynamic.lines().filter(|l| l.contains("(NEEDED)")).collect();
    assert!(
        needed.iter().any(|l| l.contains("libc.so")),
        "glibc stays dynamic (NSS): {needed:?}"
    );
    assert!(
        !needed.iter().any(|l| l.contains("libgcc_s")),
        "{} loads libgcc_s.so: {needed:?}",
        common::BIN
    );
}
