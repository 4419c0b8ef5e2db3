//! The rule on mounts over /proc applies to where a destination leads inside the rootfs:
//! symlinks in the image (absolute, relative, chains) cannot carry a mount onto /proc or
//! below it, whether they are there before the mount or swapped in while it is made.

use std::path::{Path, PathBuf};

use nix::errno::Errno;
use nix::mount::{MntFlags, MsFlags};
use nix::sys::stat::{Mode, SFlag};

use super::{spec, ROOT};
use crate::*;

fn bind_at(destination: &str) -> oci_spec::runtime::Spec {
    spec(serde_json::json!({"mounts": [
        {"destination": destination, "type": "bind", "source": "/x", "options": ["rbind"]}
    ]}))
}

/// The image's links, as the recording syscall follows them (`<root>/<link> -> target`).
fn image() -> RecordingSyscall {
    RecordingSyscall::new()
        .with_path("/x", FileKind::Dir)
        .with_path(format!("{ROOT}/proc"), FileKind::Dir)
        .with_path(format!("{ROOT}/proc/sys"), FileKind::Dir)
        .with_symlink(format!("{ROOT}/evilsys"), "/proc/sys")
        .with_symlink(format!("{ROOT}/evilproc"), "/proc")
        .with_symlink(format!("{ROOT}/rel"), "proc/sys")
        .with_symlink(format!("{ROOT}/d/up"), "../proc/sys")
        .with_symlink(format!("{ROOT}/chain"), "/evilsys")
        .with_symlink(format!("{ROOT}/meminfo"), "/proc/meminfo")
}

#[test]
fn a_symlink_cannot_carry_a_mount_onto_proc() {
    let cases = [
        ("/evilsys", "/proc/sys"),
        ("/evilproc", "/proc"),
        ("/evilproc/sys/kernel", "/proc/sys/kernel"),
        ("/rel", "/proc/sys"),
        ("/d/up", "/proc/sys"),
        ("/chain", "/proc/sys"),
        ("/chain/../../evilproc", "/proc"),
    ];
    for (destination, leads_to) in cases {
        let s = bind_at(destination);
        let sys = image();
        let e = prepare(&RootfsPlan::new(&s, Path::new(ROOT)), &sys).unwrap_err();
        let want = format!(
            "mount {destination} (type bind): refused: it leads to {leads_to} inside the rootfs, and "
        );
        assert!(e.to_string().starts_with(&want), "{destination}: {e}");
        assert_eq!(
            sys.mounts().len(),
            2,
            "{destination}: mounted after the root bind"
        );
        let created = sys
            .calls()
            .into_iter()
            .any(|c| matches!(c, Call::Create { .. }));
        assert!(!created, "{destination}: a mount point was created");
    }
}

#[test]
fn links_to_allowed_places_still_work() {
    for destination in ["/meminfo", "/d/data", "/evilproc/../data"] {
        let s = bind_at(destination);
        let sys = image();
        prepare(&RootfsPlan::new(&s, Path::new(ROOT)), &sys)
            .unwrap_or_else(|e| panic!("{destination}: {e}"));
        assert_eq!(sys.mounts().len(), 3, "{destination}");
    }
}

/// A rootfs that changes between the check and the open (a container sharing a volume
/// swaps a directory for a symlink): `resolve_in_root` still sees the plain path.
struct SwappedAfterCheck(RecordingSyscall);

impl Syscall for SwappedAfterCheck {
    fn resolve_in_root(&self, _root: &Path, path: &Path) -> Result<PathBuf, Errno> {
        Ok(path.to_path_buf())
    }
    fn open_in_root(&self, root: &Path, path: &Path, create: Create) -> Result<Target, Errno> {
        self.0.open_in_root(root, path, create)
    }
    fn mount(
        &self,
        source: Option<&Path>,
        target: &Path,
        fstype: Option<&str>,
        flags: MsFlags,
        data: Option<&str>,
    ) -> Result<(), Errno> {
        self.0.mount(source, target, fstype, flags, data)
    }
    fn umount2(&self, target: &Path, flags: MntFlags) -> Result<(), Errno> {
        self.0.umount2(target, flags)
    }
    fn move_mount(&self, from: &Path, to: &Path) -> Result<(), Errno> {
        self.0.move_mount(from, to)
    }
    fn mount_setattr(&self, target: &Path, attrs: crate::MountAttrs) -> Result<(), Errno> {
        self.0.mount_setattr(target, attrs)
    }
    fn pivot_root(&self, new_root: &Path, put_old: &Path) -> Result<(), Errno> {
        self.0.pivot_root(new_root, put_old)
    }
    fn chroot(&self, path: &Path) -> Result<(), Errno> {
        self.0.chroot(path)
    }
    fn chdir(&self, path: &Path) -> Result<(), Errno> {
        self.0.chdir(path)
    }
    fn open_dir(&self, path: &Path) -> Result<Target, Errno> {
        self.0.open_dir(path)
    }
    fn fchdir(&self, dir: &Target) -> Result<(), Errno> {
        self.0.fchdir(dir)
    }
    fn kind(&self, path: &Path) -> Result<FileKind, Errno> {
        self.0.kind(path)
    }
    fn mount_flags(&self, path: &Path) -> Result<MsFlags, Errno> {
        self.0.mount_flags(path)
    }
    fn mknod(&self, path: &Path, kind: SFlag, perm: Mode, dev: u64) -> Result<(), Errno> {
        self.0.mknod(path, kind, perm, dev)
    }
    fn chmod(&self, path: &Path, mode: Mode) -> Result<(), Errno> {
        self.0.chmod(path, mode)
    }
    fn lchown(&self, path: &Path, uid: u32, gid: u32) -> Result<(), Errno> {
        self.0.lchown(path, uid, gid)
    }
    fn symlink(&self, target: &Path, link: &Path) -> Result<(), Errno> {
        self.0.symlink(target, link)
    }
    fn unlink(&self, path: &Path) -> Result<(), Errno> {
        self.0.unlink(path)
    }
    fn copy_up(&self, covered: &Target, onto: &Target) -> Result<(), Errno> {
        self.0.copy_up(covered, onto)
    }
    fn mountinfo(&self) -> Result<String, Errno> {
        self.0.mountinfo()
    }
    fn canonicalize(&self, path: &Path) -> Result<PathBuf, Errno> {
        self.0.canonicalize(path)
    }
}

#[test]
fn a_symlink_swapped_in_after_the_check_is_caught_on_the_opened_target() {
    let s = bind_at("/evilsys");
    let sys = SwappedAfterCheck(image());
    let e = prepare(&RootfsPlan::new(&s, Path::new(ROOT)), &sys).unwrap_err();
    assert!(
        e.to_string()
            .contains("refused: it leads to /proc/sys inside the rootfs"),
        "{e}"
    );
    assert_eq!(sys.0.mounts().len(), 2, "mounted after the root bind");
}
