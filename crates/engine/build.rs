//! Builds `init/sixinit.rs`, the init `run --init` puts in containers, as a static
//! executable (it must run in any image) with the rustc cargo uses, and passes its FNV-1a
//! hash to the crate (`SIXINIT_HASH`: the name it is installed under). The engine embeds it.
//!
//! Also passes `LISTING_FORMAT`: the hash of the files that define what the listing cache
//! (`src/listing.rs`) stores, so a build whose records differ in any way never takes another
//! build's cache entries.

use std::path::PathBuf;
use std::process::Command;

fn main() {
    let source = "init/sixinit.rs";
    println!("cargo:rerun-if-changed={source}");
    let out = PathBuf::from(std::env::var("OUT_DIR").expect("cargo sets OUT_DIR")).join("sixinit");
    let rustc = std::env::var("RUSTC").unwrap_or_else(|_| "rustc".to_owned());
    let mut build = Command::new(rustc);
    build.args([
        "--edition",
        "2021",
        "--crate-name",
        "sixinit",
        "-C",
        "opt-level=s",
        "-C",
        "panic=abort",
        "-C",
        "target-feature=+crt-static",
        "-C",
        "strip=symbols",
    ]);
    if let Ok(target) = std::env::var("TARGET") {
        build.args(["--target", &target]);
    }
    let status = build
        .arg(source)
        .arg("-o")
        .arg(&out)
        .status()
        .expect("running rustc for sixinit");
    assert!(status.success(), "building {source} failed");
    let bytes = std::fs::read(&out).expect("reading the built sixinit");
    println!("cargo:rustc-env=SIXINIT_HASH={:016x}", fnv1a(&bytes));

    let mut cached = Vec::new();
    for file in [
        "src/listing.rs",
        "src/record.rs",
        "src/mount_points.rs",
        "src/types/network.rs",
    ] {
        println!("cargo:rerun-if-changed={file}");
        cached.extend(std::fs::read(file).expect("reading a source of the listing cache"));
    }
    println!("cargo:rustc-env=LISTING_FORMAT={:016x}", fnv1a(&cached));
}

fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325u64, |h, b| {
        (h ^ u64::from(*b)).wrapping_mul(0x0000_0100_0000_01b3)
    })
}
