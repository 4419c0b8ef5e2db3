//! Links `sixdocker` as a position-dependent executable (`-no-pie`) on Linux.
//!
//! Each running container keeps one process of this binary, its monitor. As a PIE, the
//! dynamic loader relocates ~28,000 pointers in the binary's read-only-after-relocation data
//! (vtables, string tables) at every start: ~530 kB that each monitor then holds as private,
//! dirty memory. Linked at a fixed address, those pages need no relocation and stay clean
//! pages of the file, shared by every process that maps it (and every start skips the
//! relocation work). The libraries, heap, stack and mmaps stay randomised; only the
//! executable's own image is at a fixed address, as in Docker's per-container monitor
//! (Debian 12 ships containerd-shim-runc-v2, containerd and runc position-dependent too).
//! Only the final link changes: the crates are compiled as usual.

fn main() {
    let target = std::env::var("TARGET").unwrap_or_default();
    if target.contains("-linux-") {
        println!("cargo:rustc-link-arg-bins=-no-pie");
    }
    println!("cargo:rerun-if-changed=build.rs");
}
