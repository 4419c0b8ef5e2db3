//! Compiles an OCI seccomp section into a classic BPF program and installs it.
//!
//! [`compile`] turns `linux.seccomp` into a [`Program`] with our own generator (no
//! libseccomp): arch check, syscall-number search, argument conditions on full 64-bit
//! values. A program is plain bytes ([`Program::to_bytes`]), so a profile is compiled once
//! and cached; [`Program::install`] only makes the seccomp(2) call and allocates nothing,
//! because it runs in the container's init right before execve. [`docker_default`] is
//! Docker's default profile. This crate never sets no_new_privs: the caller does.
//!
//! The syscall tables are generated from the kernel's own tables
//! (scripts/gen-seccomp-tables.py); [`compiler_id`] names the compiler and the tables, so a
//! cache of compiled programs can key on it.
//!
//! ```no_run
//! let program = six_seccomp::compile(&six_seccomp::docker_default())?;
//! let cached = program.to_bytes();
//! six_seccomp::Program::from_bytes(&cached)?.install()?;
//! # Ok::<(), six_seccomp::Error>(())
//! ```

#![deny(missing_docs)]

mod arch;
mod bpf;
mod compile;
mod docker;
mod docker_format;
mod error;
mod features;
#[cfg(test)]
mod interp;
#[cfg(test)]
mod libseccomp_tests;
mod tables;

pub use bpf::{Insn, MAX_INSNS};
pub use docker::{docker_default, docker_profile, DOCKER_DEFAULT_CAPS};
pub use docker_format::parse_docker_profile;
pub use error::{Error, Result};
pub use features::{archs, ACTIONS, FLAGS, OPERATORS};

use oci_spec::runtime::LinuxSeccomp;

/// Compiles `linux.seccomp` into a BPF program.
pub fn compile(s: &LinuxSeccomp) -> Result<Program> {
    let _span = tracing::debug_span!("seccomp_compile").entered();
    compile::compile(s)
}

/// The syscall names in `s` that no table has, on any architecture (x86_64, x32, i386,
/// aarch64, arm): misspelt, or newer than the tables. [`compile`] skips their rules, as
/// libseccomp does, and reports them in one `tracing` warning; a caller may print them too.
pub fn unknown_syscalls(s: &LinuxSeccomp) -> Vec<String> {
    compile::unknown_names(s)
}

/// Bump this when a change to the compiler changes the program some profile compiles to (a
/// fix, a new layout): [`compiler_id`] changes with it, and so do cache keys built on it.
const COMPILER_REVISION: u32 = 4;

/// Names this compiler: crate version, its revision (`COMPILER_REVISION`), the kernel release of the
/// syscall tables and a fingerprint of their contents. A cache of compiled programs keys on
/// it, so an upgrade that fixes a table or the compiler never reuses an old program.
pub fn compiler_id() -> String {
    format!(
        "six-seccomp {} r{} linux-{} tables-{:016x}",
        env!("CARGO_PKG_VERSION"),
        COMPILER_REVISION,
        tables::KERNEL,
        arch::TABLES_FINGERPRINT
    )
}

/// Parses a `linux.seccomp` JSON object, with one-line errors that name the bad value
/// ("unknown variant `SCMP_ACT_FOO`, expected one of ... at line 1 column 30").
pub fn parse_profile(json: &str) -> Result<LinuxSeccomp> {
    serde_json::from_str(json).map_err(|e| Error::Parse(e.to_string()))
}

/// A compiled filter: classic BPF instructions and the seccomp(2) flags to install it with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Program {
    insns: Vec<Insn>,
    flags: u32,
}

/// Header of [`Program::to_bytes`]: magic with a format version.
const MAGIC: &[u8; 8] = b"SIXSCMP1";
const HEADER_LEN: usize = 8 + 4 + 4 + 4;
const KNOWN_FLAGS: u32 = compile::FLAG_TSYNC
    | compile::FLAG_LOG
    | compile::FLAG_SPEC_ALLOW
    | compile::FLAG_NEW_LISTENER
    | compile::FLAG_TSYNC_ESRCH;

impl Program {
    pub(crate) fn new(insns: Vec<Insn>, flags: u32) -> Program {
        Program { insns, flags }
    }

    /// The program's instructions, in order.
    pub fn instructions(&self) -> &[Insn] {
        &self.insns
    }

    /// SECCOMP_FILTER_FLAG_* bits passed to seccomp(2).
    pub fn flags(&self) -> u32 {
        self.flags
    }

    /// Whether installing returns a notification fd (the profile has SCMP_ACT_NOTIFY rules).
    pub fn has_listener(&self) -> bool {
        self.flags & compile::FLAG_NEW_LISTENER != 0
    }

    /// Installs the filter on the calling thread (all threads with TSYNC). Needs
    /// no_new_privs or CAP_SYS_ADMIN. Returns the notification fd when
    /// [`Program::has_listener`]. Allocates nothing, also on failure.
    pub fn install(&self) -> Result<Option<std::os::fd::OwnedFd>> {
        const SECCOMP_SET_MODE_FILTER: libc::c_ulong = 1;
        let prog = libc::sock_fprog {
            len: self.insns.len() as libc::c_ushort,
            // Insn is #[repr(C)] with the fields of struct sock_filter, in order.
            filter: self.insns.as_ptr() as *mut libc::sock_filter,
        };
        // SAFETY: prog points at a live, correctly laid out instruction array; the kernel
        // copies it before returning.
        let rc = unsafe {
            libc::syscall(
                libc::SYS_seccomp,
                SECCOMP_SET_MODE_FILTER,
                libc::c_ulong::from(self.flags),
                &prog as *const libc::sock_fprog,
            )
        };
        match rc {
            0 => Ok(None),
            // SAFETY: with NEW_LISTENER the kernel returns a new fd, ours alone.
            fd if fd > 0 && self.has_listener() => Ok(Some(unsafe {
                std::os::fd::FromRawFd::from_raw_fd(fd as std::os::fd::RawFd)
            })),
            tid if tid > 0 => Err(Error::Tsync { tid }),
            _ => Err(Error::Install {
                errno: std::io::Error::last_os_error().raw_os_error().unwrap_or(0),
            }),
        }
    }

    /// A cacheable encoding: magic, AUDIT_ARCH of the host, flags, count, instructions
    /// (all little-endian).
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut b = Vec::with_capacity(HEADER_LEN + 8 * self.insns.len());
        b.extend_from_slice(MAGIC);
        b.extend_from_slice(&native_audit_arch().to_le_bytes());
        b.extend_from_slice(&self.flags.to_le_bytes());
        b.extend_from_slice(&(self.insns.len() as u32).to_le_bytes());
        for i in &self.insns {
            b.extend_from_slice(&i.code.to_le_bytes());
            b.push(i.jt);
            b.push(i.jf);
            b.extend_from_slice(&i.k.to_le_bytes());
        }
        b
    }

    /// Reads [`Program::to_bytes`] output back, checking that it was made for this host.
    pub fn from_bytes(b: &[u8]) -> Result<Program> {
        let word = |at: usize| u32::from_le_bytes([b[at], b[at + 1], b[at + 2], b[at + 3]]);
        if b.len() < HEADER_LEN || &b[..8] != MAGIC {
            return Err(Error::BadBytes(
                "not a six-seccomp program (wrong magic or too short)",
            ));
        }
        if word(8) != native_audit_arch() {
            return Err(Error::BadBytes("compiled for another architecture"));
        }
        let flags = word(12);
        if flags & !KNOWN_FLAGS != 0 {
            return Err(Error::BadBytes("unknown filter flags"));
        }
        let count = word(16) as usize;
        if count == 0 || count > MAX_INSNS || b.len() != HEADER_LEN + 8 * count {
            return Err(Error::BadBytes(
                "instruction count does not match the length",
            ));
        }
        let insns = Insn::decode_all(&b[HEADER_LEN..]);
        if insns.last().map(|i| i.code & 0x07) != Some(bpf::BPF_RET) {
            return Err(Error::BadBytes("the program does not end with a return"));
        }
        Ok(Program { insns, flags })
    }
}

fn native_audit_arch() -> u32 {
    arch::Target::native().map_or(0, |t| t.audit_arch())
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_compiler_id_names_version_revision_kernel_and_tables() {
        let id = super::compiler_id();
        assert!(id.contains(env!("CARGO_PKG_VERSION")), "{id}");
        assert!(
            id.contains(&format!("r{}", super::COMPILER_REVISION)),
            "{id}"
        );
        assert!(id.contains(super::tables::KERNEL), "{id}");
        assert!(
            id.ends_with(&format!("{:016x}", super::arch::TABLES_FINGERPRINT)),
            "{id}"
        );
    }
}
