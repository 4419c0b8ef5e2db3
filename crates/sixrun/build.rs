//! Build facts for `sixrun --version`: the compiler (`SIXRUN_RUSTC`, as runc's `go:` line)
//! and the git commit (`SIXRUN_COMMIT`: from the environment when the builder sets it, else
//! `git rev-parse HEAD` when the source is a git checkout; empty when neither is known, and
//! then `--version` leaves the line out, as runc built without a commit does).
//!
//! It also links `sixrun` position-dependent (`-no-pie`) on Linux, as crates/sixdocker/build.rs
//! explains: ~350 kB of data needs no relocation at each start, so it stays clean pages of the
//! file instead of private memory of every sixrun process (and its start skips ~18,000
//! relocations).
//!
//! And on glibc targets it links `sixrun` statically (issue 17, docs/performance.md "Memory of
//! a sixrun process"): only the parts of libc it calls are in the binary, no ld.so, libc.so
//! and libgcc_s.so to map and relocate at each start (peak RSS −1 MB). Cargo has no per-binary
//! `-C target-feature=+crt-static`, and that flag for the whole workspace would make
//! `sixdocker` static too (which resolves names through NSS). So the final link of the bins
//! alone gets `-static`, and the libraries rustc names for a dynamic link (`-lgcc_s -lutil
//! -lrt -lpthread -lm -ldl -lc`, after a `-Bdynamic`) are answered from a directory searched
//! first, where each `lib<name>.so` is a linker script naming the static archive
//! (`INPUT(-l:libc.a)`; libgcc_s by libgcc_eh.a, the unwinder `+crt-static` links). The result
//! is the link `+crt-static` makes; libc.a comes with libc6-dev, which gcc needs anyway. sixrun
//! calls nothing that needs glibc's NSS or dlopen at run time (no getpwnam, getaddrinfo:
//! users are read from the container's own /etc/passwd), which a static glibc cannot load.
//! GNU ld reads archives once, in order, so libc's script is a GROUP with libgcc's archives
//! (libc.a calls `__multf3`, `__gcc_personality_v0`); lld does not mind either way.
//!
//! And it places the code a container's lifecycle runs first in the text, together
//! (`hot-text.txt`, made by scripts/sixrun-hot-text.sh from an exact trace; issue 17,
//! docs/performance.md "The code a lifecycle runs, traced exactly and placed first"): the
//! kernel maps 64 KiB of code around each code fault, so code spread over the whole text mapped
//! nearly all of it (peak RSS of `state` 3.9 MB -> 1.9 MB). The list names input sections by
//! patterns that survive a rebuild; they go into an output section `.text.sixrun_hot` that a
//! linker script (`INSERT BEFORE .text`, given with `-T`: the default layout stays) puts
//! before `.text`. A pattern that matches nothing is harmless; new code lands in `.text`.
//! `SIXRUN_LINK_MAP=path` also writes the linker's map there (the script reads it).

use std::process::Command;

fn output(cmd: &str, args: &[&str]) -> Option<String> {
    let out = Command::new(cmd).args(args).output().ok()?;
    out.status
        .success()
        .then(|| String::from_utf8_lossy(&out.stdout).trim().to_owned())
        .filter(|s| !s.is_empty())
}

/// The libraries rustc names in a dynamic glibc link, and the static archives that stand for
/// each (the `-l:` form names a file, so the script does not find itself again).
const STATIC_ARCHIVES: [(&str, &str); 7] = [
    ("gcc_s", "-l:libgcc_eh.a -l:libgcc.a"),
    ("util", "-l:libutil.a"),
    ("rt", "-l:librt.a"),
    ("pthread", "-l:libpthread.a"),
    ("m", "-l:libm.a"),
    ("dl", "-l:libdl.a"),
    // A group with libgcc: libc.a calls libgcc's soft-float and unwinding helpers (`__multf3`,
    // `__gcc_personality_v0`), and GNU ld reads archives once, in order (lld does not mind).
    ("c", "-l:libc.a -l:libgcc.a -l:libgcc_eh.a"),
];

/// Links the bins statically against glibc (see the module doc).
fn link_static() {
    let out = std::env::var_os("OUT_DIR").expect("cargo sets OUT_DIR for build scripts");
    let dir = std::path::Path::new(&out).join("static-link");
    std::fs::create_dir_all(&dir).expect("creating OUT_DIR/static-link");
    for (name, archives) in STATIC_ARCHIVES {
        let command = if name == "c" { "GROUP" } else { "INPUT" };
        let script = format!("/* sixrun's static link: -l{name} */\n{command}({archives})\n");
        std::fs::write(dir.join(format!("lib{name}.so")), script).expect("writing a link script");
    }
    println!("cargo:rustc-link-arg-bins=-static");
    println!("cargo:rustc-link-arg-bins=-L{}", dir.display());
}

/// The checked-in list of the code a container's lifecycle runs (see the module doc).
const HOT_TEXT: &str = "hot-text.txt";

/// Places the sections `hot-text.txt` names first, in its order, in an output section of their
/// own just before `.text` (see the module doc). Blank lines and `#` comments are skipped;
/// every other line is an input section description (`*(.text._ZN…17h*)`,
/// `*libc.a:memmove-evex-unaligned-erms.o(.text.evex)`).
fn order_hot_text() {
    println!("cargo:rerun-if-changed={HOT_TEXT}");
    let list = std::fs::read_to_string(HOT_TEXT).expect("reading crates/sixrun/hot-text.txt");
    let patterns: Vec<&str> = list
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .collect();
    if patterns.is_empty() {
        return;
    }
    let mut script = String::from(
        "/* sixrun's hot code first: generated by build.rs from hot-text.txt */\nSECTIONS\n{\n  \
         .text.sixrun_hot :\n  {\n",
    );
    for pattern in patterns {
        script.push_str("    ");
        script.push_str(pattern);
        script.push('\n');
    }
    script.push_str("  }\n}\nINSERT BEFORE .text;\n");
    let out = std::env::var_os("OUT_DIR").expect("cargo sets OUT_DIR for build scripts");
    let path = std::path::Path::new(&out).join("hot-text.ld");
    std::fs::write(&path, script).expect("writing OUT_DIR/hot-text.ld");
    println!("cargo:rustc-link-arg-bins=-Wl,-T,{}", path.display());
}

fn main() {
    let target = std::env::var("TARGET").unwrap_or_default();
    if target.contains("-linux-") {
        println!("cargo:rustc-link-arg-bins=-no-pie");
        order_hot_text();
    }
    // scripts/sixrun-hot-text.sh: the linker's map of the link, to find each function's
    // input section.
    println!("cargo:rerun-if-env-changed=SIXRUN_LINK_MAP");
    if let Some(map) = std::env::var_os("SIXRUN_LINK_MAP") {
        println!(
            "cargo:rustc-link-arg-bins=-Wl,-Map={}",
            map.to_string_lossy()
        );
    }
    if target.contains("-linux-gnu") {
        link_static();
    }
    let rustc = std::env::var("RUSTC").unwrap_or_else(|_| "rustc".into());
    let version = output(&rustc, &["--version"]).unwrap_or_else(|| "rustc (unknown)".into());
    println!("cargo:rustc-env=SIXRUN_RUSTC={version}");

    println!("cargo:rerun-if-env-changed=SIXRUN_COMMIT");
    let commit = std::env::var("SIXRUN_COMMIT")
        .ok()
        .or_else(|| output("git", &["rev-parse", "HEAD"]))
        .unwrap_or_default();
    println!("cargo:rustc-env=SIXRUN_COMMIT={commit}");
    // A new commit changes HEAD or the ref it names (or packed-refs): build again then.
    // (Only files that exist: cargo would rebuild every time for a missing one.)
    let mut watched = vec!["HEAD".to_owned(), "packed-refs".to_owned()];
    watched.extend(output("git", &["symbolic-ref", "-q", "HEAD"]));
    for path in watched {
        if let Some(p) = output("git", &["rev-parse", "--git-path", &path]) {
            if std::path::Path::new(&p).exists() {
                println!("cargo:rerun-if-changed={p}");
            }
        }
    }
    println!("cargo:rerun-if-changed=build.rs");
}
