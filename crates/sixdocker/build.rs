//! Links `sixdocker` as a position-dependent executable (`-no-pie`) on Linux, with the
//! unwinder from libgcc's static archive instead of `libgcc_s.so`.
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
//!
//! `libgcc_s.so` (which rustc names for the unwinder) costs every start a library to map and
//! relocate and its constructor's CPU probing (`__cpu_indicator_init`: CPUID instructions,
//! which trap to the hypervisor on a VM): a C program linked with it takes 1.5 ms of CPU
//! against 0.9 ms without, on the project's VM. The bins link `libgcc_eh.a` instead, as gcc's
//! `-static-libgcc` does: `-lgcc_s` is answered from a directory searched first, where
//! `libgcc_s.so` is a linker script naming the static archives. glibc stays dynamic
//! (sixdocker resolves registry names through NSS).

fn main() {
    let target = std::env::var("TARGET").unwrap_or_default();
    if target.contains("-linux-") {
        println!("cargo:rustc-link-arg-bins=-no-pie");
    }
    if target.contains("-linux-gnu") {
        let out = std::env::var_os("OUT_DIR").expect("cargo sets OUT_DIR for build scripts");
        let dir = std::path::Path::new(&out).join("static-libgcc");
        std::fs::create_dir_all(&dir).expect("creating OUT_DIR/static-libgcc");
        let script = "/* sixdocker's link: -lgcc_s from the static archives */\n\
                      INPUT(-l:libgcc_eh.a -l:libgcc.a)\n";
        std::fs::write(dir.join("libgcc_s.so"), script).expect("writing a link script");
        println!("cargo:rustc-link-arg-bins=-L{}", dir.display());
    }
    println!("cargo:rerun-if-changed=build.rs");
}
