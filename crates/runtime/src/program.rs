//! Finding the program to exec as execvp would (the container's PATH, inside its root), with
//! runc's error texts, and the CVE-2019-5736 guard: the container may not exec the runtime's
//! own binary, directly, through /proc/self/exe, or as a `#!` interpreter.
//!
//! It only looks at files; it never execs.

use std::ffi::CString;
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};

use crate::process::ProcessPlan;

/// (dev, inode) of the running binary.
pub fn own_exe() -> Option<(u64, u64)> {
    std::fs::metadata("/proc/self/exe")
        .ok()
        .map(|m| (m.dev(), m.ino()))
}

/// Finds the program as execvp would, using the container's PATH, and checks it is a regular
/// executable file that is not this runtime's binary.
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
        check_not_runtime(&c, plan.runtime_exe)?;
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

/// CVE-2019-5736: the container must not be able to exec the runtime's own binary (through
/// /proc/self/exe, directly or as a `#!` interpreter) — the resulting process would hold the
/// host binary open and could overwrite it later. Compares device and inode.
pub fn check_not_runtime(prog: &Path, runtime: Option<(u64, u64)>) -> Result<(), String> {
    let Some(rt) = runtime else { return Ok(()) };
    let mut cur = prog.to_path_buf();
    for _ in 0..5 {
        let Ok(m) = std::fs::metadata(&cur) else {
            return Ok(());
        };
        if (m.dev(), m.ino()) == rt {
            return Err(format!(
                "exec: {prog:?} is the container runtime's own binary (refused: CVE-2019-5736)"
            ));
        }
        // Follow a #! line to its interpreter, as the kernel would.
        let mut head = [0u8; 256];
        let n = match std::fs::File::open(&cur) {
            Ok(mut f) => std::io::Read::read(&mut f, &mut head).unwrap_or(0),
            Err(_) => 0,
        };
        if n < 3 || &head[..2] != b"#!" {
            return Ok(());
        }
        let line = head[2..n].split(|b| *b == b'\n').next().unwrap_or_default();
        let line = String::from_utf8_lossy(line);
        let Some(interp) = line.split_whitespace().next() else {
            return Ok(());
        };
        cur = PathBuf::from(interp);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_runtime_binary_is_refused_directly_and_as_interpreter() {
        let me = own_exe().unwrap();
        assert!(check_not_runtime(Path::new("/proc/self/exe"), Some(me)).is_err());
        let dir = tempfile::tempdir().unwrap();
        let script = dir.path().join("s");
        std::fs::write(&script, "#!/proc/self/exe\n").unwrap();
        assert!(check_not_runtime(&script, Some(me)).is_err());
        assert!(check_not_runtime(Path::new("/bin/sh"), Some(me)).is_ok());
    }
}
