//! The runtime's one door to six-seccomp: the spec's filter is compiled in the parent (so a bad
//! profile fails before any clone) and installed in the child right before execve (or before
//! the capability drop when no_new_privs is off: then loading it needs CAP_SYS_ADMIN).
//!
//! It never builds BPF itself.

use oci_spec::runtime::LinuxSeccomp;

pub use six_seccomp::Program;

pub fn compile(s: &LinuxSeccomp) -> Result<Program, String> {
    if s.listener_path().is_some() {
        return Err(
            "linux.seccomp.listenerPath (seccomp user notification) is not supported".into(),
        );
    }
    six_seccomp::compile(s).map_err(|e| format!("seccomp: {e}"))
}
