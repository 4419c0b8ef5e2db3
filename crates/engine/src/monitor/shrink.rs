//! Keeping the monitor small: after the container starts, the monitor gives back the pages
//! of code and constants it used once to start it, its free heap and the stack below its
//! current frame, and keeps the kernel from mapping 64 KiB of code around every page its poll
//! loop touches. It never changes what the monitor does, only what stays resident.

use std::os::fd::{AsRawFd, FromRawFd, OwnedFd, RawFd};
use std::sync::OnceLock;

/// For the monitor's life: every allocation of 16 KiB or more gets a mapping of its own
/// (glibc's `M_MMAP_THRESHOLD`), zeroed by the kernel page by page as it is touched. So the
/// poll loop's 32 KiB receive buffer and a slow client's queue cost only the pages they use,
/// and go back to the system whole when freed, instead of being zero-filled in the heap.
pub(super) fn map_large_allocations() {
    // SAFETY: mallopt only sets a parameter of glibc's allocator.
    unsafe { libc::mallopt(libc::M_MMAP_THRESHOLD, 16 * 1024) };
}

/// Drops the monitor's page-table entries for read-only file mappings that hold no private
/// (copied-on-write) page: program code and constants the CLI inherited through the fork and
/// the runtime used to start the container. The pages stay in the page cache and fault back
/// in cheaply if used again, so the monitor's resident set is what its poll loop touches.
/// Freed heap goes back to the system too, and so do the stack pages below the caller's frame.
pub(super) fn shed_code_pages() {
    let no_fault_around = no_fault_around_fd();
    let Ok(smaps) = std::fs::read_to_string("/proc/self/smaps") else {
        return;
    };
    let mut current: Option<(usize, usize)> = None;
    let mut stack: Option<(usize, usize)> = None;
    for line in smaps.lines() {
        let mut fields = line.split_whitespace();
        let Some(first) = fields.next() else { continue };
        if let Some((start, end)) = first.split_once('-').filter(|_| !first.ends_with(':')) {
            let perms = fields.next().unwrap_or_default();
            let path = fields.nth(3).unwrap_or_default();
            let range = (
                usize::from_str_radix(start, 16),
                usize::from_str_radix(end, 16),
            );
            if let ("[stack]", (Ok(s), Ok(e))) = (path, &range) {
                stack = Some((*s, *e));
            }
            current = match range {
                (Ok(s), Ok(e))
                    if perms.starts_with('r')
                        && !perms.contains('w')
                        && perms.ends_with('p')
                        && path.starts_with('/') =>
                {
                    Some((s, e))
                }
                _ => None,
            };
        } else if first == "Anonymous:" {
            if let (Some((start, end)), Some("0")) = (current.take(), fields.next()) {
                // SAFETY: one of our own read-only file mappings with no private page: dropping
                // its pages loses nothing (they refault from the file).
                unsafe {
                    libc::madvise(start as *mut libc::c_void, end - start, libc::MADV_DONTNEED)
                };
                // No read-ahead when a page must come from disk again.
                // SAFETY: only changes the read-ahead policy of our own mapping.
                unsafe {
                    libc::madvise(start as *mut libc::c_void, end - start, libc::MADV_RANDOM)
                };
                // MADV_RANDOM does not stop "fault-around" (each fault maps up to 64 KiB of
                // cached neighbours: the relay path alone then costs ~300 KiB); this does.
                if let Some(uffd) = no_fault_around {
                    register_write_protect(uffd, start, end - start);
                }
            }
        }
    }
    drop(smaps);
    if let Some((start, end)) = stack {
        shed_stack_below_here(start, end);
    }
    // SAFETY: malloc_trim only returns free heap memory to the kernel.
    unsafe { libc::malloc_trim(0) };
}

/// Gives back the pages of the main thread's stack (`start..end`) below this frame: the start
/// of a container goes deep (and a forked monitor inherits the CLI's deepest use), the poll
/// loop does not. Everything below the stack pointer is dead; the pages fault back in as
/// zeroes when a later call reaches them. Two pages below this frame are kept (the calls made
/// from here, the signal frame the kernel may push).
#[inline(never)]
fn shed_stack_below_here(start: usize, end: usize) {
    const PAGE: usize = 4096;
    let marker = 0u8;
    let here = std::hint::black_box(&marker) as *const u8 as usize;
    if !(start..end).contains(&here) {
        return; // not on the main thread's stack
    }
    let keep_from = (here & !(PAGE - 1)).saturating_sub(2 * PAGE);
    if keep_from > start {
        // SAFETY: anonymous stack memory below the stack pointer holds no live data; it
        // reads as zeroes when touched again.
        unsafe {
            libc::madvise(
                start as *mut libc::c_void,
                keep_from - start,
                libc::MADV_DONTNEED,
            )
        };
    }
}

/// A userfaultfd in asynchronous write-protect mode (Linux 6.7+), opened once and kept for the
/// monitor's life (closing it would undo the registrations). The kernel maps no neighbours
/// on a read fault in a range registered with it (`uffd_disable_fault_around`); nothing is
/// ever write-protected, so no fault waits on anyone and nothing reads this fd. None when
/// the kernel refuses: the monitor then only uses more memory.
fn no_fault_around_fd() -> Option<RawFd> {
    static UFFD: OnceLock<Option<OwnedFd>> = OnceLock::new();
    UFFD.get_or_init(open_write_protect_async)
        .as_ref()
        .map(|fd| fd.as_raw_fd())
}

const UFFD_API: u64 = 0xAA;
const UFFD_USER_MODE_ONLY: libc::c_int = 1;
const UFFD_FEATURE_WP_ASYNC: u64 = 1 << 15;
const UFFDIO_REGISTER_MODE_WP: u64 = 1 << 1;
/// _IOWR(0xAA, 0x3F, struct uffdio_api) and _IOWR(0xAA, 0x00, struct uffdio_register).
const UFFDIO_API_IOCTL: libc::c_ulong = 0xC018_AA3F;
const UFFDIO_REGISTER_IOCTL: libc::c_ulong = 0xC020_AA00;

#[repr(C)]
struct UffdioApi {
    api: u64,
    features: u64,
    ioctls: u64,
}

#[repr(C)]
struct UffdioRegister {
    start: u64,
    len: u64,
    mode: u64,
    ioctls: u64,
}

fn open_write_protect_async() -> Option<OwnedFd> {
    let flags = libc::O_CLOEXEC | libc::O_NONBLOCK | UFFD_USER_MODE_ONLY;
    // SAFETY: a plain syscall returning a new fd or -1.
    let fd = unsafe { libc::syscall(libc::SYS_userfaultfd, flags) };
    if fd < 0 {
        return None;
    }
    // SAFETY: the kernel just gave us this fd; nobody else owns it.
    let fd = unsafe { OwnedFd::from_raw_fd(fd as RawFd) };
    let mut api = UffdioApi {
        api: UFFD_API,
        features: UFFD_FEATURE_WP_ASYNC,
        ioctls: 0,
    };
    // SAFETY: UFFDIO_API with a struct of the size the ioctl number encodes.
    let rc = unsafe { libc::ioctl(fd.as_raw_fd(), UFFDIO_API_IOCTL as _, &mut api) };
    (rc == 0).then_some(fd)
}

/// Registers one read-only mapping; a refusal only leaves fault-around on for it.
fn register_write_protect(uffd: RawFd, start: usize, len: usize) {
    let mut reg = UffdioRegister {
        start: start as u64,
        len: len as u64,
        mode: UFFDIO_REGISTER_MODE_WP,
        ioctls: 0,
    };
    // SAFETY: UFFDIO_REGISTER with a struct of the size the ioctl number encodes, on a range
    // of our own mappings.
    unsafe { libc::ioctl(uffd, UFFDIO_REGISTER_IOCTL as _, &mut reg) };
}
