//! Build facts for `sixrun --version`: the compiler (`SIXRUN_RUSTC`, as runc's `go:` line)
//! and the git commit (`SIXRUN_COMMIT`: from the environment when the builder sets it, else
//! `git rev-parse HEAD` when the source is a git checkout; empty when neither is known, and
//! then `--version` leaves the line out, as runc built without a commit does).
//!
//! It also links `sixrun` position-dependent (`-no-pie`) on Linux, as crates/sixdocker/build.rs
//! explains: ~350 kB of data needs no relocation at each start, so it stays clean pages of the
//! file instead of private memory of every sixrun process (and its start skips ~18,000
//! relocations).

use std::process::Command;

fn output(cmd: &str, args: &[&str]) -> Option<String> {
    let out = Command::new(cmd).args(args).output().ok()?;
    out.status
        .success()
        .then(|| String::from_utf8_lossy(&out.stdout).trim().to_owned())
        .filter(|s| !s.is_empty())
}

fn main() {
    if std::env::var("TARGET")
        .unwrap_or_default()
        .contains("-linux-")
    {
        println!("cargo:rustc-link-arg-bins=-no-pie");
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
