//! The one error type of this crate: one line naming the bad value and what was expected.
//! `Install` carries only a number so that reporting a failed install allocates nothing.

/// This crate's results.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Why a profile could not be compiled, loaded from the cache or installed.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The profile is not valid JSON of the expected shape (the text says where).
    #[error("seccomp profile: {0}")]
    Parse(String),

    /// A profile feature this compiler does not implement.
    #[error("seccomp: {what} is not supported: {why}")]
    Unsupported {
        /// The feature, as the profile names it (an action, a flag, an operator...).
        what: String,
        /// Why it cannot be honoured.
        why: &'static str,
    },

    /// An argument condition on an index a syscall does not have (0 to 5).
    #[error(
        "seccomp: syscall {syscall}: argument index {index} is out of range (expected 0 to 5)"
    )]
    ArgIndex {
        /// The syscall whose rule has the argument condition.
        syscall: String,
        /// The argument index given.
        index: usize,
    },

    /// `errnoRet` on a rule whose action returns no errno.
    #[error("seccomp: syscall {syscall}: errnoRet {errno} is only valid with SCMP_ACT_ERRNO or SCMP_ACT_TRACE, not {action}")]
    ErrnoWithoutErrnoAction {
        /// The syscall of the rule.
        syscall: String,
        /// The `errnoRet` given.
        errno: u32,
        /// The rule's action.
        action: String,
    },

    /// An `errnoRet` (or default errno) the 16-bit return value cannot hold.
    #[error("seccomp: errnoRet {0} is out of range (expected 0 to 65535)")]
    ErrnoRange(u32),

    /// The compiled program is longer than the kernel accepts.
    #[error("seccomp: the compiled filter has {insns} instructions, more than the kernel's limit of 4096")]
    TooLarge {
        /// Its length.
        insns: usize,
    },

    /// A cached program whose bytes do not decode (it is compiled again).
    #[error("seccomp: cached filter bytes are invalid: {0}")]
    BadBytes(&'static str),

    /// The kernel refused the filter.
    #[error("seccomp: installing the filter failed: {}", install_reason(*.errno))]
    Install {
        /// What seccomp(2) returned.
        errno: i32,
    },

    /// A use of SCMP_ACT_NOTIFY that cannot work (the text says which, in runc's words).
    #[error("seccomp: {0}")]
    Notify(&'static str),

    /// `SECCOMP_FILTER_FLAG_TSYNC` failed on one thread of the process.
    #[error("seccomp: TSYNC: thread {tid} could not be synchronized to the new filter")]
    Tsync {
        /// The thread that could not take the filter.
        tid: i64,
    },

    /// A bug of this compiler (a jump too long, say); the text names it.
    #[error("seccomp: internal error: {0}")]
    Internal(&'static str),
}

fn install_reason(errno: i32) -> String {
    let text = std::io::Error::from_raw_os_error(errno).to_string();
    let text = text.split(" (os error").next().unwrap_or(&text).to_owned();
    match errno {
        libc::EACCES => format!("{text} (needs no_new_privs or CAP_SYS_ADMIN)"),
        libc::EINVAL => format!("{text} (a flag or action this kernel does not know?)"),
        _ => text,
    }
}
