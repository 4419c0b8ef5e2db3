//! The one error type of this crate. Every message is one line that names the file and
//! the value; what the kernel said is the error's `source` (an `io::Error`), which the
//! message does not repeat: a program prints the chain once ("…: Device or resource busy
//! (os error 16)"). It never retries or logs.

use std::io;
use std::path::PathBuf;

/// This crate's results.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Why a cgroup could not be made, limited, joined, read or removed.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The kernel refused a write to a cgroup control file.
    #[error("{file}: cannot set {value} for {}", dir.display())]
    Write {
        /// The control file ("memory.max").
        file: String,
        /// The value written.
        value: String,
        /// The cgroup directory.
        dir: PathBuf,
        /// The kernel's error.
        source: io::Error,
    },

    /// A control file could not be read.
    #[error("reading {}", path.display())]
    Read {
        /// The file.
        path: PathBuf,
        /// The system's error.
        source: io::Error,
    },

    /// A control file holds something this crate does not understand.
    #[error("{}: unexpected content {content:?}: expected {expected}", path.display())]
    Parse {
        /// The file.
        path: PathBuf,
        /// What it holds.
        content: String,
        /// What was expected ("a number").
        expected: &'static str,
    },

    /// A cgroup directory could not be made.
    #[error("creating cgroup {}", path.display())]
    Create {
        /// The directory.
        path: PathBuf,
        /// The system's error.
        source: io::Error,
    },

    /// A cgroup directory could not be removed (still busy after the retries).
    #[error("removing cgroup {}", path.display())]
    Remove {
        /// The directory.
        path: PathBuf,
        /// The system's error.
        source: io::Error,
    },

    /// The calling process could not move itself into a cgroup (`path`: the file written).
    #[error("joining cgroup {}", path.display())]
    Join {
        /// The `tasks` or `cgroup.procs` file written.
        path: PathBuf,
        /// The kernel's error.
        source: io::Error,
    },

    /// No cgroup file system is mounted.
    #[error("no cgroup filesystem is mounted (looked in /proc/self/mountinfo)")]
    NoHierarchy,

    /// A `linux.cgroupsPath` that cannot be used (`..`, the systemd form...).
    #[error("invalid cgroupsPath {path:?}: {reason}")]
    BadPath {
        /// The path given.
        path: String,
        /// Why it is refused.
        reason: &'static str,
    },

    /// A sub-cgroup (`exec --cgroup [<controller>:]<path>`) that cannot be one.
    #[error("sub-cgroup {value:?} {reason}")]
    SubCgroup {
        /// The value given.
        value: String,
        /// Why it is refused.
        reason: &'static str,
    },

    /// A resource this host's cgroups cannot apply.
    #[error("{what} is not supported {context}")]
    Unsupported {
        /// The resource ("memory.kernel").
        what: String,
        /// Where, or why not ("on cgroup v2").
        context: &'static str,
    },

    /// The kernel took the write but keeps another value (it clamps cpu.shares to its range).
    #[error("{file}: cannot set {value}: the {bound} allowed is {kept}")]
    OutOfRange {
        /// The control file.
        file: &'static str,
        /// The value written.
        value: String,
        /// "minimum" or "maximum".
        bound: &'static str,
        /// The value the kernel kept.
        kept: String,
    },

    /// A resource value outside what the spec allows.
    #[error("invalid value for {what}: {value}: {expected}")]
    BadValue {
        /// The resource ("cpu.weight").
        what: &'static str,
        /// The value given.
        value: String,
        /// What is allowed ("1-10000").
        expected: &'static str,
    },

    /// A device rule (`index` in the list given) that cannot be applied as written.
    #[error("device rule {index} (linux.resources.devices[{index}]): {reason}")]
    BadDeviceRule {
        /// Its index in `linux.resources.devices`.
        index: usize,
        /// What is wrong with it.
        reason: String,
    },

    /// After the writes, a v1 devices cgroup allows something other than the rules say.
    #[error("{}: devices.list shows {shows:?} after the writes, expected {expected:?}", dir.display())]
    DevicesMismatch {
        /// The devices cgroup directory.
        dir: PathBuf,
        /// What devices.list holds.
        shows: String,
        /// What the rules give.
        expected: String,
    },

    /// A freeze or thaw the kernel did not confirm in time.
    #[error("timed out after {waited_ms} ms waiting for {} to become {state}", dir.display())]
    Timeout {
        /// The cgroup directory.
        dir: PathBuf,
        /// The state waited for ("FROZEN").
        state: &'static str,
        /// How long it was waited for.
        waited_ms: u64,
    },

    /// Setting up or reading an OOM notification (`step`: "creating an eventfd", "watching").
    #[error("OOM notification: {step} for {}", path.display())]
    OomWatch {
        /// What was being done.
        step: &'static str,
        /// The control file watched.
        path: PathBuf,
        /// The system's error.
        source: io::Error,
    },

    /// Loading, attaching or detaching the cgroup v2 device filter (eBPF) failed.
    #[error("{step} the cgroup v2 device filter for {}", dir.display())]
    DeviceFilter {
        /// What was being done ("loading", "attaching").
        step: &'static str,
        /// The cgroup directory.
        dir: PathBuf,
        /// The kernel's error.
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
