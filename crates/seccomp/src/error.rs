//! The one error type of this crate: one line naming the bad value and what was expected.
//! `Install` carries only a number so that reporting a failed install allocates nothing.

pub type Result<T, E = Error> = std::result::Result<T, E>;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("seccomp profile: {0}")]
    Parse(String),

    #[error("seccomp: {what} is not supported: {why}")]
    Unsupported { what: String, why: &'static str },

    #[error(
        "seccomp: syscall {syscall}: argument index {index} is out of range (expected 0 to 5)"
    )]
    ArgIndex { syscall: String, index: usize },

    #[error("seccomp: syscall {syscall}: errnoRet {errno} is only valid with SCMP_ACT_ERRNO or SCMP_ACT_TRACE, not {action}")]
    ErrnoWithoutErrnoAction {
        syscall: String,
        errno: u32,
        action: String,
    },

    #[error("seccomp: errnoRet {0} is out of range (expected 0 to 65535)")]
    ErrnoRange(u32),

    #[error("seccomp: the compiled filter has {insns} instructions, more than the kernel's limit of 4096")]
    TooLarge { insns: usize },

    #[error("seccomp: cached filter bytes are invalid: {0}")]
    BadBytes(&'static str),

    #[error("seccomp: installing the filter failed: {}", install_reason(*.errno))]
    Install { errno: i32 },

    /// A use of SCMP_ACT_NOTIFY that cannot work (the text says which, in runc's words).
    #[error("seccomp: {0}")]
    Notify(&'static str),

    #[error("seccomp: TSYNC: thread {tid} could not be synchronized to the new filter")]
    Tsync { tid: i64 },

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
