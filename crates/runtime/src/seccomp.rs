//! The runtime's one door to six-seccomp: the spec's filter is compiled in the parent (so a bad
//! profile fails before any clone) and installed in the child right before execve (or before
//! the capability drop when no_new_privs is off: then loading it needs CAP_SYS_ADMIN).
//!
//! Compiled programs are cached under `<state root>/.seccomp/<sha256 of compiler and profile>`
//! (Podman's default profile: ~270 µs to compile, ~30 µs to hash and load). The key includes
//! `six_seccomp::compiler_id()` (crate version, compiler revision, syscall tables), so after
//! an upgrade that fixes a table or the compiler no container gets an old program. The cache
//! is only a speed-up: anything unreadable there is recompiled and rewritten atomically.
//!
//! It never builds BPF itself.

use std::path::Path;

use oci_spec::runtime::LinuxSeccomp;
use sha2::{Digest, Sha256};

pub use six_seccomp::Program;

/// The cache's folder under the state root (never a container: it has no state.json).
pub const CACHE_DIR: &str = ".seccomp";

pub fn compile(s: &LinuxSeccomp, cache_dir: Option<&Path>) -> Result<Program, String> {
    compile_with(s, cache_dir, &six_seccomp::compiler_id())
}

fn compile_with(
    s: &LinuxSeccomp,
    cache_dir: Option<&Path>,
    compiler_id: &str,
) -> Result<Program, String> {
    let _span = tracing::debug_span!("seccomp").entered();
    let Some(dir) = cache_dir else {
        return six_seccomp::compile(s).map_err(|e| format!("seccomp: {e}"));
    };
    let profile = serde_json::to_vec(s).map_err(|e| format!("seccomp: {e}"))?;
    let key = Sha256::new()
        .chain_update(compiler_id.as_bytes())
        .chain_update([0])
        .chain_update(&profile)
        .finalize();
    let path = dir.join(hex(&key));
    if let Ok(bytes) = std::fs::read(&path) {
        if let Ok(p) = Program::from_bytes(&bytes) {
            return Ok(p);
        }
    }
    let program = six_seccomp::compile(s).map_err(|e| format!("seccomp: {e}"))?;
    // Best effort: a cache we cannot write only costs the next create a compile.
    if std::fs::create_dir_all(dir).is_ok() {
        let _ = six_sys::atomic::write(&path, &program.to_bytes(), six_sys::atomic::Durable::No);
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
        let entry = only_entry(dir.path());
        std::fs::write(&entry, b"garbage").unwrap();
        assert_eq!(compile(&s, Some(dir.path())).unwrap(), first);
    }

    fn only_entry(dir: &Path) -> std::path::PathBuf {
        let entries: Vec<_> = std::fs::read_dir(dir).unwrap().collect();
        assert_eq!(entries.len(), 1);
        entries.into_iter().next().unwrap().unwrap().path()
    }

    /// Another compiler (a new version, revision or table) never reads an old entry.
    #[test]
    fn a_new_compiler_id_misses_the_old_entries() {
        let dir = tempfile::tempdir().unwrap();
        let s = six_seccomp::docker_default();
        let fresh = compile_with(&s, Some(dir.path()), "old").unwrap();
        // Plant a different (valid) program under the old key, as an old compiler's output.
        let entry = only_entry(dir.path());
        let allow_all: LinuxSeccomp =
            serde_json::from_str(r#"{"defaultAction": "SCMP_ACT_ALLOW"}"#).unwrap();
        let planted = six_seccomp::compile(&allow_all).unwrap();
        assert_ne!(planted, fresh);
        std::fs::write(&entry, planted.to_bytes()).unwrap();
        assert_eq!(
            compile_with(&s, Some(dir.path()), "old").unwrap(),
            planted,
            "the same compiler uses its cache"
        );
        assert_eq!(compile_with(&s, Some(dir.path()), "new").unwrap(), fresh);
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 2);
        // The real key names the real compiler: it is neither of these.
        assert_eq!(compile(&s, Some(dir.path())).unwrap(), fresh);
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 3);
    }
}
