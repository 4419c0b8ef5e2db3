//! Finding the program to exec as execvp would (the container's PATH, inside its root), with
//! runc's error texts.
//!
//! It only looks at files; it never execs. (It does not guard against CVE-2019-5736: a check
//! of the file before execve is a race and misses `#!` spellings the kernel accepts; the
//! process runs from a sealed binary instead, see `sealed_exe.rs`.)

use std::ffi::CString;
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};

use crate::process::ProcessPlan;

/// Finds the program as execvp would, using the container's PATH, and checks it is a regular
/// executable file.
pub fn find_program(plan: &ProcessPlan) -> Result<CString, String> {
    let arg0 = Path::new(std::ffi::OsStr::from_bytes(plan.args[0].as_bytes()));
    let candidates: Vec<PathBuf> = if arg0.as_os_str().as_bytes().contains(&b'/') {
        vec![arg0.to_path_buf()]
    } else {
        plan.path_var
            .split(':')
            .filter(|d| !d.is_empty())
            .map(|d| Path::new(d).join(arg0))
            .collect()
    };
    // Error texts as runc's (Go's exec.LookPath): Podman maps them to exit codes 126/127.
    let mut last = format!("exec: {arg0:?}: executable file not found in $PATH");
    for c in candidates {
        let meta = match std::fs::metadata(&c) {
            Ok(m) => m,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound && candidates_are_path(arg0) => {
                continue
            }
            Err(e) => {
                last = format!("exec: {arg0:?}: stat {}: {}", c.display(), io_text(&e));
                continue;
            }
        };
        if !meta.is_file() {
            last = format!(
                "exec: {arg0:?}: {} is not a regular file: permission denied",
                c.display()
            );
            continue;
        }
        let cpath = CString::new(c.as_os_str().as_bytes())
            .map_err(|_| format!("{c:?} contains a NUL byte"))?;
        // SAFETY: access with a valid C string.
        if unsafe { libc::access(cpath.as_ptr(), libc::X_OK) } != 0 {
            last = format!("exec: {arg0:?}: permission denied");
            continue;
        }
        return Ok(cpath);
    }
    Err(last)
}

/// A bare program name is looked up in $PATH (a missing candidate is skipped).
fn candidates_are_path(arg0: &Path) -> bool {
    !arg0.as_os_str().as_bytes().contains(&b'/')
}

/// An io::Error as Go prints it: "no such file or directory", without "(os error N)".
fn io_text(e: &std::io::Error) -> String {
    let t = e.to_string();
    let t = t.split(" (os error").next().unwrap_or(&t).to_owned();
    let mut chars = t.chars();
    match chars.next() {
        Some(f) => f.to_lowercase().collect::<String>() + chars.as_str(),
        None => t,
    }
}
