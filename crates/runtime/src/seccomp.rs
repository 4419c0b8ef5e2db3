//! The runtime's one door to six-seccomp: the spec's filter is compiled in the parent (so a bad
//! profile fails before any clone) and installed in the child right before execve (or before
//! the capability drop when no_new_privs is off: then loading it needs CAP_SYS_ADMIN).
//!
//! Compiled programs are cached under `<state root>/.seccomp/<sha256 of the profile>`
//! (Podman's default profile: ~270 µs to compile, ~30 µs to hash and load). The cache is
//! only a speed-up: anything unreadable there is recompiled and rewritten atomically.
//!
//! It never builds BPF itself.

use std::path::Path;

use oci_spec::runtime::LinuxSeccomp;
use sha2::{Digest, Sha256};

pub use six_seccomp::Program;

/// The cache's folder under the state root (never a container: it has no state.json).
pub const CACHE_DIR: &str = ".seccomp";

pub fn compile(s: &LinuxSeccomp, cache_dir: Option<&Path>) -> Result<Program, String> {
    let _span = tracing::debug_span!("seccomp").entered();
    if s.listener_path().is_some() {
        return Err(
            "linux.seccomp.listenerPath (seccomp user notification) is not supported".into(),
        );
    }
    let Some(dir) = cache_dir else {
        return six_seccomp::compile(s).map_err(|e| format!("seccomp: {e}"));
    };
    let key = serde_json::to_vec(s).map_err(|e| format!("seccomp: {e}"))?;
    let path = dir.join(hex(&Sha256::digest(&key)));
    if let Ok(bytes) = std::fs::read(&path) {
        if let Ok(p) = Program::from_bytes(&bytes) {
            return Ok(p);
        }
    }
    let program = six_seccomp::compile(s).map_err(|e| format!("seccomp: {e}"))?;
    // Best effort: a cache we cannot write only costs the next create a compile.
    let tmp = path.with_extension(format!("tmp{}", std::process::id()));
    if std::fs::create_dir_all(dir).is_ok() && std::fs::write(&tmp, program.to_bytes()).is_ok() {
        let _ = std::fs::rename(&tmp, &path);
    }
    Ok(program)
}

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_cached_program_equals_a_fresh_one() {
        let dir = tempfile::tempdir().unwrap();
        let s = six_seccomp::docker_default();
        let first = compile(&s, Some(dir.path())).unwrap();
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
        let second = compile(&s, Some(dir.path())).unwrap();
        assert_eq!(first, second);
        // A damaged entry is recompiled, not trusted.
        let entry = std::fs::read_dir(dir.path())
            .unwrap()
            .next()
            .unwrap()
            .unwrap()
            .path();
        std::fs::write(&entry, b"garbage").unwrap();
        assert_eq!(compile(&s, Some(dir.path())).unwrap(), first);
    }
}
