//! The one error type of this crate. Every message is one line that names the file and
//! the value; what the kernel said is the error's `source` (an `io::Error`), which the
//! message does not repeat: a program prints the chain once ("…: Device or resource busy
//! (os error 16)"). It never retries or logs.

use std::io;
use std::path::PathBuf;

pub type Result<T, E = Error> = std::result::Result<T, E>;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The kernel refused a write to a cgroup control file.
    #[error("{file}: cannot set {value} for {}", dir.display())]
    Write {
        file: String,
        value: String,
        dir: PathBuf,
        source: io::Error,
    },

    #[error("reading {}", path.display())]
    Read { path: PathBuf, source: io::Error },

    #[error("{}: unexpected content {content:?}: expected {expected}", path.display())]
    Parse {
        path: PathBuf,
        content: String,
        expected: &'static str,
    },

    #[error("creating cgroup {}", path.display())]
    Create { path: PathBuf, source: io::Error },

    #[error("removing cgroup {}", path.display())]
    Remove { path: PathBuf, source: io::Error },

    /// The calling process could not move itself into a cgroup (`path`: the file written).
    #[error("joining cgroup {}", path.display())]
    Join { path: PathBuf, source: io::Error },

    #[error("no cgroup filesystem is mounted (looked in /proc/self/mountinfo)")]
    NoHierarchy,

    #[error("invalid cgroupsPath {path:?}: {reason}")]
    BadPath { path: String, reason: &'static str },

    /// A sub-cgroup (`exec --cgroup [<controller>:]<path>`) that cannot be one.
    #[error("sub-cgroup {value:?} {reason}")]
    SubCgroup { value: String, reason: &'static str },

    #[error("{what} is not supported {context}")]
    Unsupported { what: String, context: &'static str },

    /// The kernel took the write but keeps another value (it clamps cpu.shares to its range).
    #[error("{file}: cannot set {value}: the {bound} allowed is {kept}")]
    OutOfRange {
        file: &'static str,
        value: String,
        bound: &'static str,
        kept: String,
    },

    #[error("invalid value for {what}: {value}: {expected}")]
    BadValue {
        what: &'static str,
        value: String,
        expected: &'static str,
    },

    /// A device rule (`index` in the list given) that cannot be applied as written.
    #[error("device rule {index} (linux.resources.devices[{index}]): {reason}")]
    BadDeviceRule { index: usize, reason: String },

    /// After the writes, a v1 devices cgroup allows something other than the rules say.
    #[error("{}: devices.list shows {shows:?} after the writes, expected {expected:?}", dir.display())]
    DevicesMismatch {
        dir: PathBuf,
        shows: String,
        expected: String,
    },

    #[error("timed out after {waited_ms} ms waiting for {} to become {state}", dir.display())]
    Timeout {
        dir: PathBuf,
        state: &'static str,
        waited_ms: u64,
    },

    /// Setting up or reading an OOM notification (`step`: "creating an eventfd", "watching").
    #[error("OOM notification: {step} for {}", path.display())]
    OomWatch {
        step: &'static str,
        path: PathBuf,
        source: io::Error,
    },

    #[error("{step} the cgroup v2 device filter for {}", dir.display())]
    DeviceFilter {
        step: &'static str,
        dir: PathBuf,
        source: io::Error,
    },
}

/// The kernel's words for an I/O error, without Rust's "(os error N)" suffix:
/// "Device or resource busy".
pub fn errno_text(e: &io::Error) -> String {
    match e.raw_os_error() {
        Some(code) => {
            // SAFETY: strerror returns a pointer to a static or thread-local string.
            let p = unsafe { libc::strerror(code) };
            if p.is_null() {
                return e.to_string();
            }
            // SAFETY: p is a valid NUL-terminated C string (checked non-null above).
            unsafe { std::ffi::CStr::from_ptr(p) }
                .to_string_lossy()
                .into_owned()
        }
        None => e.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn write_error_names_file_value_and_dir_and_keeps_the_errno_as_its_source() {
        let e = Error::Write {
            file: "memory.limit_in_bytes".into(),
            value: "4096".into(),
            dir: "/sys/fs/cgroup/memory/x".into(),
            source: io::Error::from_raw_os_error(libc::EBUSY),
        };
        assert_eq!(
            e.to_string(),
            "memory.limit_in_bytes: cannot set 4096 for /sys/fs/cgroup/memory/x"
        );
        let source = std::error::Error::source(&e).expect("the errno is the source");
        assert_eq!(source.to_string(), "Device or resource busy (os error 16)");
    }
}
