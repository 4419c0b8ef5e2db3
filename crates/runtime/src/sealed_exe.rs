//! CVE-2019-5736: no process that enters a container may have the host's runtime binary as
//! its `/proc/self/exe`.
//!
//! The container's init and every exec'd process are clones of the calling program, so until
//! their `execve` their `/proc/self/exe` is the caller's binary — and a `#!/proc/self/exe`
//! script (however its line is spelled) makes the kernel run that binary again, inside the
//! container, where any process may open `/proc/PID/exe` and write the host's binary once it
//! stops executing. Checking the program before `execve` cannot close this: the file can
//! change in between. As runc 1.2 does, the program instead re-executes itself once, before it
//! creates or enters a container, from a *sealed* view of its own binary:
//!
//! - preferred: the binary opened through a private, detached, lower-only overlayfs mount
//!   (`fsopen`/`fsmount`). Nobody can write through it (no upper layer, mounted read-only) or
//!   unwrap it to the host inode, and the page cache stays shared with the host binary, so
//!   it costs no copy and no memory per process;
//! - otherwise (no overlayfs, no `CAP_SYS_ADMIN`): a copy in a memfd sealed against writes.
//!
//! [`reexec_sealed`] does this at the top of `main` (the process must be single-threaded);
//! [`check`] is what `create` and `exec` call before they clone into a container: they refuse
//! to run from an unsealed binary unless the program said, with [`permit_unsealed`], that its
//! binary is no host binary worth protecting (test programs).

use std::ffi::CString;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd, RawFd};
use std::os::unix::ffi::{OsStrExt, OsStringExt};
use std::path::Path;
use std::sync::atomic::{AtomicBool, AtomicI32, Ordering};
use std::sync::OnceLock;

/// Set across the re-exec so that a second failure to seal is an error, not a loop.
const MARKER: &str = "_SIX_SEALED_EXE";
/// The empty directory overlayfs needs as its second, bottom layer (a lower-only overlay needs
/// two). `~` cannot appear in a container ID, so it never meets a container's state.
const EMPTY_LOWER: &str = ".exe-seal~";
const OVERLAYFS_SUPER_MAGIC: i64 = 0x794c_7630;

/// Why the program could not run from a sealed binary.
#[derive(Debug, thiserror::Error)]
#[error("sealing the runtime's own binary (CVE-2019-5736): {0}")]
pub struct SealError(String);

/// Set by [`permit_unsealed`]: a property of the whole process, as its binary is.
static PERMIT_UNSEALED: AtomicBool = AtomicBool::new(false);

/// Lets this process create and enter containers from an unsealed binary. Only for programs
/// whose binary nobody else runs (test binaries): a container could overwrite it.
pub fn permit_unsealed() {
    PERMIT_UNSEALED.store(true, Ordering::Relaxed);
}

/// Ok when this process may clone into a container: it runs from a sealed binary, or
/// [`permit_unsealed`] was called.
pub fn check() -> Result<(), SealError> {
    static SEALED: OnceLock<bool> = OnceLock::new();
    if PERMIT_UNSEALED.load(Ordering::Relaxed) || *SEALED.get_or_init(is_sealed) {
        return Ok(());
    }
    Err(SealError(
        "refusing to start a container process from the unsealed host binary (call \
         six_runtime::sealed_exe::reexec_sealed at the top of main)"
            .into(),
    ))
}

/// For a program's `main`, before it parses its arguments (so that the re-executed process
/// alone pays for parsing): the command word of `args` (argv without `argv[0]`) and the value
/// of the global flag `dir_flag`, reading only the flags before the command word.
/// `value_flags` are the global flags that take the next argument as their value (both
/// `--flag value` and `--flag=value` are understood).
pub fn prescan<'a>(
    args: &'a [std::ffi::OsString],
    value_flags: &[&str],
    dir_flag: &str,
) -> (Option<&'a str>, Option<&'a std::ffi::OsStr>) {
    let mut dir = None;
    let mut i = 0;
    while i < args.len() {
        let arg = args[i].as_bytes();
        if !arg.starts_with(b"-") || arg == b"-" {
            return (args[i].to_str(), dir);
        }
        if arg == b"--" {
            return (args.get(i + 1).and_then(|a| a.to_str()), dir);
        }
        let (name, inline) = match arg.iter().position(|&b| b == b'=') {
            Some(eq) => (
                &arg[..eq],
                Some(std::ffi::OsStr::from_bytes(&arg[eq + 1..])),
            ),
            None => (arg, None),
        };
        let takes_value = value_flags.iter().any(|f| f.as_bytes() == name);
        let value = match (inline, takes_value) {
            (Some(v), _) => Some(v),
            (None, true) => {
                i += 1;
                args.get(i).map(|a| a.as_os_str())
            }
            (None, false) => None,
        };
        if name == dir_flag.as_bytes() {
            dir = value.or(dir);
        }
        i += 1;
    }
    (None, dir)
}

/// Whether this process runs from a sealed binary: a read-only overlayfs file or a memfd
/// sealed against writes.
pub fn is_sealed() -> bool {
    let Ok(exe) = open("/proc/self/exe", libc::O_RDONLY) else {
        return false;
    };
    exe_fd_is_sealed(exe.as_raw_fd())
}

fn exe_fd_is_sealed(fd: RawFd) -> bool {
    // SAFETY: fcntl on a valid fd.
    let seals = unsafe { libc::fcntl(fd, libc::F_GET_SEALS) };
    let want = libc::F_SEAL_WRITE | libc::F_SEAL_SHRINK | libc::F_SEAL_GROW | libc::F_SEAL_SEAL;
    if seals >= 0 && seals & want == want {
        return true;
    }
    // SAFETY: zeroed statfs is a valid out-buffer.
    let mut st: libc::statfs = unsafe { std::mem::zeroed() };
    // SAFETY: fstatfs on a valid fd into our buffer.
    if unsafe { libc::fstatfs(fd, &mut st) } != 0 {
        return false;
    }
    if st.f_type as i64 != OVERLAYFS_SUPER_MAGIC {
        return false;
    }
    // SAFETY: zeroed statvfs is a valid out-buffer.
    let mut vfs: libc::statvfs = unsafe { std::mem::zeroed() };
    // SAFETY: fstatvfs on a valid fd into our buffer.
    unsafe { libc::fstatvfs(fd, &mut vfs) == 0 && vfs.f_flag & libc::ST_RDONLY != 0 }
}

/// Re-executes this program, with the same arguments and environment, from a sealed view of
/// its binary, unless it already runs from one; returns only then (or with an error).
/// `scratch` is a directory of the caller's (its state root) where an empty directory may be
/// made for overlayfs. Call it before any thread is started and before any fd meant for a
/// container is opened without `O_CLOEXEC` by this program.
pub fn reexec_sealed(scratch: &Path) -> Result<(), SealError> {
    let marker = std::env::var_os(MARKER);
    let reexecuted = marker.is_some();
    if let Some(helper) = marker {
        std::env::remove_var(MARKER);
        reap_at_exit(&helper);
    }
    if is_sealed() {
        return Ok(());
    }
    if reexecuted {
        return Err(SealError(
            "re-executed from a sealed copy but /proc/self/exe is still the host binary".into(),
        ));
    }
    let exe = std::fs::read_link("/proc/self/exe")
        .map_err(|e| SealError(format!("reading /proc/self/exe: {e}")))?;
    let sealed = close_mount_elsewhere(sealed_view(&exe, scratch)?);
    let args: Vec<CString> = std::env::args_os()
        .map(|a| CString::new(a.into_vec()))
        .collect::<Result<_, _>>()
        .map_err(|_| SealError("an argument contains a NUL byte".into()))?;
    let mut argv: Vec<*const libc::c_char> = args.iter().map(|a| a.as_ptr()).collect();
    argv.push(std::ptr::null());
    // The helper's pid (0: none), for the sealed process to reap (`reap_at_exit`).
    std::env::set_var(MARKER, HELPER.load(Ordering::Relaxed).to_string());
    six_trace::step!(
        six_trace::Kind::Exec,
        "execveat of the sealed view of {}, same arguments",
        exe.display()
    );
    six_trace::hand_on();
    extern "C" {
        static environ: *const *const libc::c_char;
    }
    // SAFETY: execveat with a valid fd, an empty NUL-terminated path, a NULL-terminated argv
    // of live C strings and the process environment. It returns only on failure.
    unsafe {
        libc::syscall(
            libc::SYS_execveat,
            sealed.as_raw_fd(),
            c"".as_ptr(),
            argv.as_ptr(),
            environ,
            libc::AT_EMPTY_PATH,
        )
    };
    let err = std::io::Error::last_os_error();
    std::env::remove_var(MARKER);
    Err(SealError(format!(
        "executing the sealed copy of {}: {err}",
        exe.display()
    )))
}

/// A sealed view of a binary: the file to `execveat`, and the fd of the private, detached
/// overlay mount it was opened through (None for a memfd copy). Closing the mount's last fd
/// unmounts it, and that `close` waits for an RCU grace period (see
/// `close_mount_elsewhere`): give it to a process nobody waits for.
#[derive(Debug)]
pub struct SealedView {
    /// The binary (O_PATH through the overlay, or a sealed memfd).
    pub exe: OwnedFd,
    /// The overlay's mount.
    pub mount: Option<OwnedFd>,
}

/// The sealed binary's fd, once the mount's fd is closed, by a helper process if one can be
/// forked. Closing the last fd of a detached mount unmounts it, and the kernel then waits for
/// an RCU grace period before the `close` returns (`namespace_unlock`: 2.1 ms median here,
/// up to 4, issue 17). The binary stays readable through `exe` either way (an open file keeps
/// its mount); only who pays the wait changes. The helper holds a copy of the mount's fd and
/// nothing else, waits until we have closed ours (the end of a pipe), and exits: its exit is
/// the last close. It stays our child: the sealed process reaps it when it exits (or a wait
/// for any child does before; see `reap_at_exit`). Between fork and `_exit` it makes only
/// async-signal-safe system calls.
fn close_mount_elsewhere(view: SealedView) -> OwnedFd {
    let Some(mount) = view.mount else {
        return view.exe;
    };
    if let Some(pid) = hand_over_mount(mount) {
        HELPER.store(pid, Ordering::Relaxed);
        six_trace::step!(
            six_trace::Kind::Mount,
            "the seal's mount fd handed to helper pid {pid}, whose exit unmounts it (the RCU \
             grace period off this path)"
        );
    }
    view.exe
}

/// The pid of the helper [`close_mount_elsewhere`] forked (0: none yet).
static HELPER: AtomicI32 = AtomicI32::new(0);

/// The helper the host binary forked before it re-executed this process (pid, start time).
static HELPER_TO_REAP: OnceLock<(i32, u64)> = OnceLock::new();

/// In the sealed process: reaps the helper whose pid the host binary left in [`MARKER`] when
/// this process exits (its grace period long over by then). Not reaped, it would be orphaned
/// to an init that may never reap it (this VM's does not). Its start time is kept, so that a
/// pid reaped meanwhile by a wait for any child (`sixrun run`) and reused is not waited for.
fn reap_at_exit(marker: &std::ffi::OsStr) {
    let Some(pid) = marker.to_str().and_then(|m| m.parse::<i32>().ok()) else {
        return;
    };
    // SAFETY: getpid has no preconditions.
    let me = unsafe { libc::getpid() };
    let Some(stat) = six_sys::proc::stat(pid).filter(|s| pid > 0 && s.ppid == me) else {
        return;
    };
    if HELPER_TO_REAP.set((pid, stat.start_time)).is_err() {
        return;
    }
    extern "C" fn reap() {
        let Some(&(pid, start)) = HELPER_TO_REAP.get() else {
            return;
        };
        if six_sys::proc::stat(pid).is_some_and(|s| s.start_time == start) {
            // SAFETY: waiting for our own child.
            unsafe { libc::waitpid(pid, std::ptr::null_mut(), 0) };
        }
    }
    // SAFETY: registers a handler that only reads /proc and waits for a child.
    unsafe { libc::atexit(reap) };
}

/// Closes our fd of `mount`, after forking a helper that holds a copy of it until then (see
/// [`close_mount_elsewhere`]). The helper's pid, or None when it could not be forked (the
/// mount was closed here).
fn hand_over_mount(mount: OwnedFd) -> Option<i32> {
    let mut ends = [-1; 2];
    // SAFETY: pipe2 into a 2-int array.
    if unsafe { libc::pipe2(ends.as_mut_ptr(), libc::O_CLOEXEC) } != 0 {
        return None; // `mount` closes here, and we wait
    }
    // SAFETY: fresh fds.
    let (read_end, write_end) =
        unsafe { (OwnedFd::from_raw_fd(ends[0]), OwnedFd::from_raw_fd(ends[1])) };
    // SAFETY: the child runs only `hold_until_closed`: async-signal-safe system calls and
    // _exit, so it may be forked from any process (reexec_sealed's is single-threaded).
    let pid = match unsafe { libc::fork() } {
        0 => hold_until_closed(mount.as_raw_fd(), read_end.as_raw_fd()),
        -1 => None,
        pid => Some(pid),
    };
    drop(mount);
    drop(read_end);
    drop(write_end);
    pid
}

/// The helper of [`close_mount_elsewhere`]: every fd but `mount` and `read_end` closed, then
/// a wait for the pipe's end, then `_exit` (which closes `mount`).
fn hold_until_closed(mount: RawFd, read_end: RawFd) -> ! {
    let (low, high) = (mount.min(read_end), mount.max(read_end));
    let close_range = |first: RawFd, last: libc::c_uint| {
        // SAFETY: close_range on fds of our own.
        unsafe { libc::syscall(libc::SYS_close_range, first as libc::c_uint, last, 0) };
    };
    if low > 0 {
        close_range(0, (low - 1) as libc::c_uint);
    }
    if high > low + 1 {
        close_range(low + 1, (high - 1) as libc::c_uint);
    }
    close_range(high + 1, libc::c_uint::MAX);
    let mut byte = 0u8;
    // SAFETY: read into a 1-byte buffer, then _exit; no allocation, no lock.
    unsafe {
        while libc::read(read_end, (&mut byte as *mut u8).cast(), 1) < 0
            && *libc::__errno_location() == libc::EINTR
        {}
        libc::_exit(0)
    }
}

/// A sealed view of the binary `exe`, for `execveat(fd, "", …, AT_EMPTY_PATH)`: opened
/// (O_PATH) through a private read-only overlayfs of its directory, or else a sealed memfd
/// copy. `scratch`: a directory of the caller's where overlayfs's empty layer may be made.
/// For a program that does not run sealed itself but execs one that enters containers (a
/// container's monitor), so that the program need not re-execute itself first. The caller
/// disposes of the mount's fd: the engine hands it to the monitor, which holds it until it
/// exits, so no command waits for the grace period its close costs.
pub fn sealed_view(exe: &Path, scratch: &Path) -> Result<SealedView, SealError> {
    match six_trace::call(
        six_trace::Kind::Mount,
        || overlay_view(exe, scratch),
        |d| {
            let (dir, empty) = (exe.parent().unwrap_or(exe), scratch.join(EMPTY_LOWER));
            let name = exe.file_name().unwrap_or_default().to_string_lossy();
            std::fmt::Write::write_fmt(
                d,
                format_args!(
                    "the runtime's own binary sealed (CVE-2019-5736): fsopen overlay \
                     lowerdir={}:{}, fsmount MOUNT_ATTR_RDONLY|MOUNT_ATTR_NOSUID|MOUNT_ATTR_NODEV \
                     (detached), {name} opened O_PATH in it",
                    dir.display(),
                    empty.display()
                ),
            )
        },
    ) {
        Ok(view) => Ok(view),
        Err(overlay) => six_trace::call(
            six_trace::Kind::File,
            || memfd_copy(exe),
            |d| {
                let exe = exe.display();
                std::fmt::Write::write_fmt(d, format_args!("memfd copy of {exe}, sealed"))
            },
        )
        .map(|exe| SealedView { exe, mount: None })
        .map_err(|memfd| SealError(format!("overlayfs: {overlay}; memfd: {memfd}"))),
    }
}

/// `exe` opened (O_PATH) through a private lower-only overlayfs of its own directory.
fn overlay_view(exe: &Path, scratch: &Path) -> Result<SealedView, String> {
    let (Some(dir), Some(name)) = (exe.parent(), exe.file_name()) else {
        return Err(format!("{} has no directory", exe.display()));
    };
    let empty = scratch.join(EMPTY_LOWER);
    match std::fs::create_dir_all(&empty) {
        Ok(()) => {}
        Err(e) => return Err(format!("creating {}: {e}", empty.display())),
    }
    // SAFETY: fsopen with a static C string.
    let ctx = unsafe {
        libc::syscall(
            libc::SYS_fsopen,
            c"overlay".as_ptr(),
            libc::c_uint::from(FSOPEN_CLOEXEC),
        )
    };
    if ctx < 0 {
        return Err(format!("fsopen: {}", std::io::Error::last_os_error()));
    }
    // SAFETY: a fresh fd.
    let ctx = unsafe { OwnedFd::from_raw_fd(ctx as RawFd) };
    // The binary's directory on top, so that nothing in the empty layer can mask it.
    let lower = [escape_lowerdir(dir), escape_lowerdir(&empty)].join(&b':');
    fsconfig_string(&ctx, "lowerdir", &lower)?;
    // Opportunistic (Linux 4.17+): no xino warnings when the layers are on two filesystems.
    let _ = fsconfig_string(&ctx, "xino", b"off");
    // SAFETY: fsconfig CMD_CREATE on our fs context.
    if unsafe {
        libc::syscall(
            libc::SYS_fsconfig,
            ctx.as_raw_fd(),
            FSCONFIG_CMD_CREATE,
            std::ptr::null::<libc::c_char>(),
            std::ptr::null::<libc::c_void>(),
            0,
        )
    } != 0
    {
        return Err(format!(
            "creating an overlay of {}: {}",
            dir.display(),
            std::io::Error::last_os_error()
        ));
    }
    // SAFETY: fsmount of our configured context; the mount is detached (in no namespace).
    let mnt = unsafe {
        libc::syscall(
            libc::SYS_fsmount,
            ctx.as_raw_fd(),
            FSMOUNT_CLOEXEC,
            MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV,
        )
    };
    if mnt < 0 {
        return Err(format!("fsmount: {}", std::io::Error::last_os_error()));
    }
    // SAFETY: a fresh fd.
    let mnt = unsafe { OwnedFd::from_raw_fd(mnt as RawFd) };
    let cname = CString::new(name.as_bytes()).map_err(|_| "NUL in the binary's name")?;
    // SAFETY: openat relative to our mount fd with a valid C string.
    let fd = unsafe {
        libc::openat(
            mnt.as_raw_fd(),
            cname.as_ptr(),
            libc::O_PATH | libc::O_NOFOLLOW | libc::O_CLOEXEC,
        )
    };
    if fd < 0 {
        return Err(format!(
            "opening {} in its overlay: {}",
            name.to_string_lossy(),
            std::io::Error::last_os_error()
        ));
    }
    Ok(SealedView {
        // SAFETY: a fresh fd.
        exe: unsafe { OwnedFd::from_raw_fd(fd) },
        mount: Some(mnt),
    })
}

/// A sealed memfd holding a copy of `exe`.
fn memfd_copy(exe: &Path) -> Result<OwnedFd, String> {
    let src = std::fs::File::open(exe).map_err(|e| format!("opening {}: {e}", exe.display()))?;
    let flags = libc::MFD_CLOEXEC | libc::MFD_ALLOW_SEALING;
    // MFD_EXEC (Linux 6.3+) keeps vm.memfd_noexec from refusing; older kernels reject the flag.
    let mut fd = memfd_create(flags | MFD_EXEC);
    if fd < 0 {
        fd = memfd_create(flags);
    }
    if fd < 0 {
        return Err(format!("memfd_create: {}", std::io::Error::last_os_error()));
    }
    // SAFETY: a fresh fd.
    let memfd = unsafe { OwnedFd::from_raw_fd(fd) };
    let mut dst = std::fs::File::from(memfd);
    std::io::copy(&mut &src, &mut dst).map_err(|e| format!("copying the binary: {e}"))?;
    let seals = libc::F_SEAL_SEAL | libc::F_SEAL_SHRINK | libc::F_SEAL_GROW | libc::F_SEAL_WRITE;
    // SAFETY: fcntl on our memfd.
    if unsafe { libc::fcntl(dst.as_raw_fd(), libc::F_ADD_SEALS, seals) } != 0 {
        return Err(format!("sealing: {}", std::io::Error::last_os_error()));
    }
    Ok(OwnedFd::from(dst))
}

fn memfd_create(flags: libc::c_uint) -> RawFd {
    // SAFETY: memfd_create with a static name.
    unsafe { libc::memfd_create(c"sixrun-sealed-exe".as_ptr(), flags) }
}

const FSOPEN_CLOEXEC: u32 = 0x1;
const FSCONFIG_SET_STRING: libc::c_uint = 1;
const FSCONFIG_CMD_CREATE: libc::c_uint = 6;
const FSMOUNT_CLOEXEC: libc::c_uint = 0x1;
const MOUNT_ATTR_RDONLY: libc::c_uint = 0x1;
const MOUNT_ATTR_NOSUID: libc::c_uint = 0x2;
const MOUNT_ATTR_NODEV: libc::c_uint = 0x4;
const MFD_EXEC: libc::c_uint = 0x10;

fn fsconfig_string(ctx: &OwnedFd, key: &str, value: &[u8]) -> Result<(), String> {
    let k = CString::new(key).map_err(|_| "NUL in key")?;
    let v = CString::new(value).map_err(|_| format!("NUL in the value of {key}"))?;
    // SAFETY: fsconfig SET_STRING with valid C strings on our fs context.
    if unsafe {
        libc::syscall(
            libc::SYS_fsconfig,
            ctx.as_raw_fd(),
            FSCONFIG_SET_STRING,
            k.as_ptr(),
            v.as_ptr(),
            0,
        )
    } != 0
    {
        return Err(format!(
            "{key}={}: {}",
            String::from_utf8_lossy(value),
            std::io::Error::last_os_error()
        ));
    }
    Ok(())
}

/// A path as one overlayfs `lowerdir` entry: `\` and `:` escaped with `\`.
fn escape_lowerdir(path: &Path) -> Vec<u8> {
    let mut out = Vec::new();
    for &b in path.as_os_str().as_bytes() {
        if b == b'\\' || b == b':' {
            out.push(b'\\');
        }
        out.push(b);
    }
    out
}

fn open(path: &str, flags: i32) -> std::io::Result<OwnedFd> {
    let c = CString::new(path)?;
    // SAFETY: open with a valid C string.
    let fd = unsafe { libc::open(c.as_ptr(), flags | libc::O_CLOEXEC) };
    if fd < 0 {
        return Err(std::io::Error::last_os_error());
    }
    // SAFETY: a fresh fd.
    Ok(unsafe { OwnedFd::from_raw_fd(fd) })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prescan_finds_the_command_and_the_directory_before_it() {
        let args = |s: &str| -> Vec<std::ffi::OsString> { s.split(' ').map(Into::into).collect() };
        let flags = ["--root", "--log"];
        let a = args("--root /r --debug --log /l create --root /x id");
        assert_eq!(
            prescan(&a, &flags, "--root"),
            (Some("create"), Some(std::ffi::OsStr::new("/r")))
        );
        let a = args("--log=/l --root=/s exec id ls --root z");
        assert_eq!(
            prescan(&a, &flags, "--root"),
            (Some("exec"), Some(std::ffi::OsStr::new("/s")))
        );
        let a = args("--debug state id");
        assert_eq!(prescan(&a, &flags, "--root"), (Some("state"), None));
        let a = args("--root");
        assert_eq!(prescan(&a, &flags, "--root"), (None, None));
    }

    #[test]
    fn lowerdir_entries_escape_colons_and_backslashes() {
        assert_eq!(
            escape_lowerdir(Path::new("/a:b\\c/d")),
            b"/a\\:b\\\\c/d".to_vec()
        );
    }

    #[test]
    fn a_test_binary_is_not_sealed_and_a_sealed_memfd_is() {
        assert!(!is_sealed());
        let exe = std::fs::read_link("/proc/self/exe").unwrap();
        let fd = memfd_copy(&exe).unwrap();
        assert!(exe_fd_is_sealed(fd.as_raw_fd()));
        let path = format!("/proc/self/fd/{}", fd.as_raw_fd());
        // Opening for writing works on a memfd; writing does not.
        let mut w = std::fs::OpenOptions::new().write(true).open(path).unwrap();
        let err = std::io::Write::write(&mut w, b"x").unwrap_err();
        assert_eq!(err.raw_os_error(), Some(libc::EPERM), "{err}");
    }

    #[test]
    fn the_overlay_view_is_read_only_and_sealed() {
        if !nix::unistd::geteuid().is_root() {
            return;
        }
        let scratch = tempfile::tempdir().unwrap();
        let exe = std::fs::read_link("/proc/self/exe").unwrap();
        let fd = overlay_view(&exe, scratch.path()).unwrap().exe;
        let path = format!("/proc/self/fd/{}", fd.as_raw_fd());
        let file = std::fs::File::open(&path).unwrap();
        assert!(exe_fd_is_sealed(file.as_raw_fd()));
        let err = std::fs::OpenOptions::new()
            .write(true)
            .open(&path)
            .unwrap_err();
        assert_eq!(err.raw_os_error(), Some(libc::EROFS), "{err}");
        // Same bytes as the host binary.
        assert_eq!(std::fs::read(&path).unwrap(), std::fs::read(&exe).unwrap());
    }

    #[test]
    fn the_binary_stays_readable_once_a_helper_closed_the_mount() {
        if !nix::unistd::geteuid().is_root() {
            return;
        }
        let scratch = tempfile::tempdir().unwrap();
        let exe = std::fs::read_link("/proc/self/exe").unwrap();
        let view = overlay_view(&exe, scratch.path()).unwrap();
        let mount = view.mount.expect("an overlay view has a mount");
        let pid = hand_over_mount(mount).expect("forking the helper");
        // Our fd of the mount is closed; the helper ends by itself once it sees that.
        let mut status = 0;
        // SAFETY: reaping our own child.
        assert_eq!(unsafe { libc::waitpid(pid, &mut status, 0) }, pid);
        assert!(libc::WIFEXITED(status) && libc::WEXITSTATUS(status) == 0);
        // The mount is gone from every process; the binary is still read through it.
        let path = format!("/proc/self/fd/{}", view.exe.as_raw_fd());
        let file = std::fs::File::open(&path).unwrap();
        assert!(exe_fd_is_sealed(file.as_raw_fd()));
        assert_eq!(std::fs::read(&path).unwrap(), std::fs::read(&exe).unwrap());
    }
}
