//! Keeping the monitor small: after the container starts, the monitor gives back the pages
//! of code and constants it inherited from the CLI and used once, and its free heap.

/// Drops the monitor's page-table entries for read-only file mappings that hold no private
/// (copied-on-write) page: program code and constants the CLI inherited through the fork and
/// the runtime used to start the container. The pages stay in the page cache and fault back
/// in cheaply if used again, so the monitor's resident set is what its poll loop touches.
/// Freed heap goes back to the system too.
pub(super) fn shed_code_pages() {
    let Ok(smaps) = std::fs::read_to_string("/proc/self/smaps") else {
        return;
    };
    let mut current: Option<(usize, usize)> = None;
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
                // Fault back one page at a time, not the kernel's 64 KiB "fault-around".
                // SAFETY: only changes the read-ahead policy of our own mapping.
                unsafe {
                    libc::madvise(start as *mut libc::c_void, end - start, libc::MADV_RANDOM)
                };
            }
        }
    }
    // SAFETY: malloc_trim only returns free heap memory to the kernel.
    unsafe { libc::malloc_trim(0) };
}
