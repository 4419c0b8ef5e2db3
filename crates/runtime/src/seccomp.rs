//! The runtime's one door to six-seccomp: compile the spec's filter in the parent, install it
//! in the child right before execve.
//!
//! Until six-seccomp lands in the tree, a spec with `linux.seccomp` is refused with a clear
//! error rather than run unfiltered.

use oci_spec::runtime::LinuxSeccomp;

/// A compiled filter.
pub struct Program(());

pub fn compile(_s: &LinuxSeccomp) -> Result<Program, String> {
    Err("linux.seccomp is not supported by this build yet (six-seccomp is not integrated)".into())
}

impl Program {
    pub fn install(&self) -> Result<(), String> {
        Err("seccomp is not supported by this build yet".into())
    }
}
