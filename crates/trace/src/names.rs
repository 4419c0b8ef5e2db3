//! Kernel numbers as their names, for a step's text: clone and namespace flags
//! (`CLONE_NEWPID|CLONE_NEWNS`), mount flags (`MS_BIND|MS_REC`), umount and mount-attribute
//! flags, errnos. Each is a `Display` wrapper that writes without allocating, so the child
//! after clone can use them.

use std::fmt::{self, Write as _};

/// A bit set shown as `NAME|NAME|0x…` (the bits without a name in hex), or `0`.
#[derive(Clone, Copy)]
pub struct Flags {
    value: u64,
    table: &'static [(u64, &'static str)],
}

impl fmt::Display for Flags {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut left = self.value;
        let mut first = true;
        for &(bit, name) in self.table {
            if bit != 0 && left & bit == bit {
                if !first {
                    f.write_str("|")?;
                }
                f.write_str(name)?;
                first = false;
                left &= !bit;
            }
        }
        if left != 0 {
            if !first {
                f.write_str("|")?;
            }
            write!(f, "{left:#x}")?;
        } else if first {
            f.write_str("0")?;
        }
        Ok(())
    }
}

const CLONE: &[(u64, &str)] = &[
    (0x0002_0000, "CLONE_NEWNS"),
    (0x0200_0000, "CLONE_NEWCGROUP"),
    (0x0400_0000, "CLONE_NEWUTS"),
    (0x0800_0000, "CLONE_NEWIPC"),
    (0x1000_0000, "CLONE_NEWUSER"),
    (0x2000_0000, "CLONE_NEWPID"),
    (0x4000_0000, "CLONE_NEWNET"),
    (0x0000_0080, "CLONE_NEWTIME"),
    (0x2_0000_0000, "CLONE_INTO_CGROUP"),
    (0x0000_1000, "CLONE_PIDFD"),
    (0x0000_0100, "CLONE_VM"),
    (0x0000_4000, "CLONE_VFORK"),
    (0x0000_8000, "CLONE_PARENT"),
    (0x0000_0200, "CLONE_FS"),
    (0x0000_0400, "CLONE_FILES"),
    (0x0000_0800, "CLONE_SIGHAND"),
    (0x0001_0000, "CLONE_THREAD"),
    (0x0004_0000, "CLONE_SYSVSEM"),
];

/// `clone`/`unshare`/`setns` flags by name (`CLONE_NEWPID|CLONE_NEWNS`).
pub fn clone_flags(value: u64) -> Flags {
    Flags {
        value,
        table: CLONE,
    }
}

const MS: &[(u64, &str)] = &[
    (1, "MS_RDONLY"),
    (2, "MS_NOSUID"),
    (4, "MS_NODEV"),
    (8, "MS_NOEXEC"),
    (16, "MS_SYNCHRONOUS"),
    (32, "MS_REMOUNT"),
    (64, "MS_MANDLOCK"),
    (128, "MS_DIRSYNC"),
    (256, "MS_NOSYMFOLLOW"),
    (1024, "MS_NOATIME"),
    (2048, "MS_NODIRATIME"),
    (4096, "MS_BIND"),
    (8192, "MS_MOVE"),
    (16384, "MS_REC"),
    (32768, "MS_SILENT"),
    (1 << 16, "MS_POSIXACL"),
    (1 << 17, "MS_UNBINDABLE"),
    (1 << 18, "MS_PRIVATE"),
    (1 << 19, "MS_SLAVE"),
    (1 << 20, "MS_SHARED"),
    (1 << 21, "MS_RELATIME"),
    (1 << 23, "MS_I_VERSION"),
    (1 << 24, "MS_STRICTATIME"),
    (1 << 25, "MS_LAZYTIME"),
];

/// `mount(2)` flags by name (`MS_BIND|MS_REC`).
pub fn mount_flags(value: u64) -> Flags {
    Flags { value, table: MS }
}

const MNT: &[(u64, &str)] = &[
    (1, "MNT_FORCE"),
    (2, "MNT_DETACH"),
    (4, "MNT_EXPIRE"),
    (8, "UMOUNT_NOFOLLOW"),
];

/// `umount2(2)` flags by name.
pub fn umount_flags(value: u64) -> Flags {
    Flags { value, table: MNT }
}

const MOUNT_ATTR: &[(u64, &str)] = &[
    (0x1, "MOUNT_ATTR_RDONLY"),
    (0x2, "MOUNT_ATTR_NOSUID"),
    (0x4, "MOUNT_ATTR_NODEV"),
    (0x8, "MOUNT_ATTR_NOEXEC"),
    (0x10, "MOUNT_ATTR_NOATIME"),
    (0x20, "MOUNT_ATTR_STRICTATIME"),
    (0x80, "MOUNT_ATTR_NODIRATIME"),
    (0x10_0000, "MOUNT_ATTR_IDMAP"),
    (0x20_0000, "MOUNT_ATTR_NOSYMFOLLOW"),
];

/// `mount_setattr(2)` attributes by name.
pub fn mount_attrs(value: u64) -> Flags {
    Flags {
        value,
        table: MOUNT_ATTR,
    }
}

/// A signal by its name (`SIGTERM`), or its number (real-time signals, 0).
pub fn signal_name(sig: i32) -> impl fmt::Display {
    SignalName(sig)
}

struct SignalName(i32);

impl fmt::Display for SignalName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match nix::sys::signal::Signal::try_from(self.0) {
            Ok(s) => f.write_str(s.as_str()),
            Err(_) if self.0 == 0 => f.write_str("0"),
            Err(_) => write!(f, "signal {}", self.0),
        }
    }
}

/// An errno by its name (`EPERM`), as the kernel's headers spell it.
pub fn errno_name(errno: i32) -> impl fmt::Display {
    ErrnoName(errno)
}

struct ErrnoName(i32);

impl fmt::Display for ErrnoName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match nix::errno::Errno::from_raw(self.0) {
            nix::errno::Errno::UnknownErrno => write!(f, "errno {}", self.0),
            e => write!(f, "{e:?}"),
        }
    }
}

/// What an open fd names, as `/proc/self/fd/N` reads (`pid:[4026531836]`, a path), or
/// `fd N` when it cannot be read. Reads into a stack buffer: no allocation.
pub fn fd_target(fd: std::os::fd::RawFd) -> impl fmt::Display {
    FdTarget(fd)
}

struct FdTarget(std::os::fd::RawFd);

impl fmt::Display for FdTarget {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let link = proc_self_path("fd", self.0);
        let mut target = [0u8; 1024];
        // SAFETY: link is NUL-terminated (its text is far shorter than the buffer) and
        // target a live buffer of its length.
        let n = unsafe {
            libc::readlink(
                link.as_ptr().cast(),
                target.as_mut_ptr().cast(),
                target.len(),
            )
        };
        if n <= 0 {
            return write!(f, "fd {}", self.0);
        }
        let shown = &target[..n as usize];
        write!(f, "{}", Lossy(shown))
    }
}

/// The process a pidfd refers to, as `pid N` (from `/proc/self/fdinfo/FD`, read into a
/// stack buffer: no allocation), or `pidfd FD` when it cannot be read.
pub fn pidfd_pid(fd: std::os::fd::RawFd) -> impl fmt::Display {
    PidfdPid(fd)
}

struct PidfdPid(std::os::fd::RawFd);

impl fmt::Display for PidfdPid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let path = proc_self_path("fdinfo", self.0);
        let mut text = [0u8; 512];
        // SAFETY: open of a NUL-terminated path, read into a live buffer, close of our fd.
        let n = unsafe {
            let fd = libc::open(path.as_ptr().cast(), libc::O_RDONLY | libc::O_CLOEXEC);
            if fd < 0 {
                -1
            } else {
                let n = libc::read(fd, text.as_mut_ptr().cast(), text.len());
                libc::close(fd);
                n
            }
        };
        let text = &text[..n.max(0) as usize];
        let pid = text
            .split(|b| *b == b'\n')
            .find_map(|l| l.strip_prefix(b"Pid:"))
            .map(|v| v.trim_ascii());
        match pid {
            Some(pid) if !pid.is_empty() => write!(f, "pid {}", Lossy(pid)),
            _ => write!(f, "pidfd {}", self.0),
        }
    }
}

/// A path to show: a `/proc/self/fd/N` magic link (a mount target held open) as what it
/// leads to, else as it is.
pub fn path(p: &std::path::Path) -> impl fmt::Display + '_ {
    ShownPath(p)
}

struct ShownPath<'a>(&'a std::path::Path);

impl fmt::Display for ShownPath<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        use std::os::unix::ffi::OsStrExt;
        let bytes = self.0.as_os_str().as_bytes();
        if let Some(n) = bytes.strip_prefix(b"/proc/self/fd/") {
            let digits = n.iter().take_while(|b| b.is_ascii_digit()).count();
            let fd = std::str::from_utf8(&n[..digits])
                .ok()
                .and_then(|n| n.parse().ok());
            if let Some(fd) = fd {
                FdTarget(fd).fmt(f)?;
                return Lossy(&n[digits..]).fmt(f);
            }
        }
        write!(f, "{}", self.0.display())
    }
}

/// Bytes as text without allocating: valid UTF-8 as it is, else each bad byte as `\xNN`.
struct Lossy<'a>(&'a [u8]);

impl fmt::Display for Lossy<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for chunk in self.0.utf8_chunks() {
            f.write_str(chunk.valid())?;
            for b in chunk.invalid() {
                write!(f, "\\x{b:02x}")?;
            }
        }
        Ok(())
    }
}

/// `/proc/self/<dir>/<fd>` as a NUL-terminated string in a stack buffer.
fn proc_self_path(dir: &str, fd: std::os::fd::RawFd) -> [u8; 48] {
    let mut path = [0u8; 48];
    let mut w = ByteWriter {
        buf: &mut path[..47],
        len: 0,
    };
    let _ = fmt::Write::write_fmt(&mut w, format_args!("/proc/self/{dir}/{fd}"));
    path
}

/// A `fmt::Write` into a fixed byte buffer (what does not fit is dropped).
struct ByteWriter<'a> {
    buf: &'a mut [u8],
    len: usize,
}

impl fmt::Write for ByteWriter<'_> {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        let n = s.len().min(self.buf.len() - self.len);
        self.buf[self.len..self.len + n].copy_from_slice(&s.as_bytes()[..n]);
        self.len += n;
        Ok(())
    }
}

/// Bytes as a quoted string (`"a b"`, quotes, backslashes and control characters escaped),
/// without allocating.
pub fn quoted(b: &[u8]) -> impl fmt::Display + '_ {
    Quoted(b)
}

struct Quoted<'a>(&'a [u8]);

impl fmt::Display for Quoted<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("\"")?;
        for chunk in self.0.utf8_chunks() {
            for c in chunk.valid().chars() {
                match c {
                    '"' | '\\' => write!(f, "\\{c}")?,
                    c if c.is_control() => write!(f, "{}", c.escape_default())?,
                    c => f.write_char(c)?,
                }
            }
            for b in chunk.invalid() {
                write!(f, "\\x{b:02x}")?;
            }
        }
        f.write_str("\"")
    }
}

/// Bytes (a C string, an argument) as text, without allocating.
pub fn bytes(b: &[u8]) -> impl fmt::Display + '_ {
    Lossy(b)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flags_read_as_names() {
        assert_eq!(
            clone_flags(0x2000_0000 | 0x0002_0000 | 0x11).to_string(),
            "CLONE_NEWNS|CLONE_NEWPID|0x11"
        );
        assert_eq!(clone_flags(0).to_string(), "0");
        assert_eq!(mount_flags(4096 | 16384).to_string(), "MS_BIND|MS_REC");
        assert_eq!(umount_flags(2).to_string(), "MNT_DETACH");
        assert_eq!(errno_name(libc::EPERM).to_string(), "EPERM");
        let f = std::fs::File::open("/").unwrap();
        let fd = std::os::fd::AsRawFd::as_raw_fd(&f);
        assert_eq!(fd_target(fd).to_string(), "/");
        let magic = format!("/proc/self/fd/{fd}");
        assert_eq!(path(std::path::Path::new(&magic)).to_string(), "/");
        assert_eq!(path(std::path::Path::new("/etc")).to_string(), "/etc");
        assert_eq!(bytes(b"a\xffb").to_string(), "a\\xffb");
        assert_eq!(quoted(b"say \"hi\"\n").to_string(), r#""say \"hi\"\n""#);
    }
}
