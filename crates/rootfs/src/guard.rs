//! Which mount destinations are refused for safety, judged on where the destination leads
//! inside the rootfs (every symlink followed), never on how the spec spells it: with
//! `/evilsys -> /proc/sys` in the image, a mount at `/evilsys` is a mount over /proc/sys
//! (CVE-2019-19921).
//!
//! It owns the rule only; `mounts.rs` applies it before creating a mount point and again on
//! the descriptor it mounts onto, and the engine applies it to `-v` destinations early, for
//! a clear error before anything starts.

use std::path::{Component, Path, PathBuf};

/// Below /proc only the files lxcfs provides may be mounted over (runc's rule after
/// CVE-2019-19921): anything else could hide what `maskedPaths` and `readonlyPaths`
/// protect. /proc itself takes a proc mount, or a bind of the host's /proc.
pub const PROC_FILES_ALLOWED: &[&str] = &[
    "/proc/cpuinfo",
    "/proc/diskstats",
    "/proc/meminfo",
    "/proc/stat",
    "/proc/swaps",
    "/proc/uptime",
    "/proc/loadavg",
    "/proc/slabinfo",
    "/proc/net/dev",
    "/proc/sys/kernel/ns_last_pid",
];

/// Why a mount of type `fstype` from `source` at `destination` (as the spec spells it) may
/// not go at `inside` (where `destination` leads inside the rootfs with every symlink
/// followed, as `Syscall::resolve_in_root` gives it), or None when it may. The reason reads
/// after "refused: ".
///
/// - proc and sysfs go only on ordinary directories, never through a symlink (runc's rule:
///   a procfs moved elsewhere would escape the checks below and `maskedPaths`).
/// - At /proc only a proc mount, or a bind of the host's /proc.
/// - Below /proc only the files lxcfs provides ([`PROC_FILES_ALLOWED`]), named as such: the
///   walk may pass procfs's own links (`/proc/net -> self/net`), never the image's.
pub fn mount_refusal(
    destination: &Path,
    inside: &Path,
    fstype: &str,
    source: Option<&Path>,
) -> Option<String> {
    let (destination, inside) = (lexical_clean(destination), lexical_clean(inside));
    // `sysfs (rbind of the host's /sys ...)` too.
    let kernel_fs = fstype == "proc" || fstype.starts_with("sysfs");
    if kernel_fs && inside != destination {
        return Some(format!(
            "{fstype} goes only on an ordinary directory, not through a symlink"
        ));
    }
    if inside == Path::new("/proc") {
        let is_proc = fstype == "proc" || source == Some(Path::new("/proc"));
        return (!is_proc).then(|| "only a proc mount (or a bind of /proc) may go at /proc".into());
    }
    let allowed = |p: &Path| PROC_FILES_ALLOWED.iter().any(|a| p == Path::new(a));
    let lxcfs_file =
        allowed(&inside) || (allowed(&destination) && through_procfs_link(&destination, &inside));
    (inside.starts_with("/proc") && !lxcfs_file).then(|| {
        "below /proc only the files lxcfs provides (/proc/cpuinfo, /proc/meminfo, /proc/stat, ...) may be mounted over".to_owned()
    })
}

/// Whether `inside` is `destination` reached through procfs's own links to a process
/// directory (`/proc/net/dev` -> `/proc/<pid>/net/dev`, or `.../task/<tid>/net/dev`).
fn through_procfs_link(destination: &Path, inside: &Path) -> bool {
    let (Ok(rest), Ok(inside)) = (
        destination.strip_prefix("/proc"),
        inside.strip_prefix("/proc"),
    ) else {
        return false;
    };
    let is_id = |c: Option<Component>| matches!(c, Some(Component::Normal(n)) if n.to_str().is_some_and(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit())));
    let mut c = inside.components();
    if !is_id(c.next()) {
        return false;
    }
    let after_pid = c.as_path();
    if after_pid == rest {
        return true;
    }
    let mut t = after_pid.components();
    t.next() == Some(Component::Normal("task".as_ref())) && is_id(t.next()) && t.as_path() == rest
}

/// `path` made absolute with `.` and `..` applied lexically (never above `/`).
pub(crate) fn lexical_clean(path: &Path) -> PathBuf {
    let mut clean = PathBuf::from("/");
    for c in path.components() {
        match c {
            Component::Normal(n) => clean.push(n),
            Component::ParentDir => {
                clean.pop();
            }
            _ => {}
        }
    }
    clean
}

#[cfg(test)]
mod tests {
    use super::*;

    fn refused(at: &str, fstype: &str, source: &str) -> bool {
        let at = Path::new(at);
        mount_refusal(at, at, fstype, Some(Path::new(source))).is_some()
    }

    #[test]
    fn proc_takes_only_proc_and_below_it_only_the_lxcfs_files() {
        assert!(!refused("/proc", "proc", "proc"));
        assert!(!refused("/proc", "bind", "/proc"));
        assert!(refused("/proc", "bind", "/tmp/x"));
        assert!(refused("/proc/sys", "bind", "/tmp/x"));
        assert!(refused("/proc/sys/../kcore", "bind", "/x"));
        assert!(!refused("/proc/meminfo", "bind", "/x"));
        assert!(!refused("/procfoo", "bind", "/x"));
        assert!(!refused("/data", "bind", "/x"));
    }

    #[test]
    fn the_rule_applies_where_the_destination_leads() {
        let p = Path::new;
        let bind = |d: &str, inside: &str| mount_refusal(p(d), p(inside), "bind", Some(p("/x")));
        assert!(bind("/evilsys", "/proc/sys").is_some());
        assert!(bind("/evilproc", "/proc").is_some());
        assert!(
            bind("/evil", "/proc/meminfo").is_none(),
            "an lxcfs file is an lxcfs file"
        );
        assert!(
            bind("/evil", "/proc/1/net/dev").is_some(),
            "the image's link into procfs"
        );
        assert!(
            bind("/proc/net/dev", "/proc/1/net/dev").is_none(),
            "procfs's own link"
        );
        assert!(bind("/proc/net/dev", "/proc/1/task/1/net/dev").is_none());
        assert!(bind("/proc/meminfo", "/proc/sys").is_some());
        assert!(bind("/proc/net/dev", "/proc/1/sys").is_some());
        assert!(bind("/proc/net/dev", "/proc/x/net/dev").is_some());
    }

    #[test]
    fn proc_and_sysfs_never_go_through_a_symlink() {
        let p = Path::new;
        let e = mount_refusal(p("/proc"), p("/x"), "proc", Some(p("proc"))).unwrap();
        assert!(e.contains("not through a symlink"), "{e}");
        assert!(mount_refusal(p("/sys"), p("/elsewhere"), "sysfs", None).is_some());
        assert!(mount_refusal(p("/sys"), p("/sys"), "sysfs", None).is_none());
    }
}
