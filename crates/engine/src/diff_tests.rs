//! Unit tests of `diff`'s reading of an upper dir (root: whiteouts are device nodes and the
//! opaque mark a trusted xattr).

use super::*;
use std::os::unix::fs::symlink;

fn whiteout(p: &Path) {
    nix::sys::stat::mknod(
        p,
        nix::sys::stat::SFlag::S_IFCHR,
        nix::sys::stat::Mode::empty(),
        0,
    )
    .unwrap();
}

fn opaque(p: &Path) {
    use std::os::unix::ffi::OsStrExt;
    let path = std::ffi::CString::new(p.as_os_str().as_bytes()).unwrap();
    // SAFETY: valid C strings and a one-byte value.
    let r = unsafe {
        libc::lsetxattr(
            path.as_ptr(),
            c"trusted.overlay.opaque".as_ptr(),
            b"y".as_ptr().cast(),
            1,
            0,
        )
    };
    assert_eq!(r, 0, "{}", std::io::Error::last_os_error());
}

fn lines(upper: &Path, lowers: &[PathBuf]) -> Vec<String> {
    changes(upper, lowers)
        .unwrap()
        .iter()
        .map(|c| c.to_string())
        .collect()
}

#[test]
fn adds_changes_deletes_and_opaque_directories_read_as_docker_reads_them() {
    six_testkit::require_root();
    let t = tempfile::tempdir().unwrap();
    let (lower, upper) = (t.path().join("lower"), t.path().join("upper"));
    for d in ["bin", "etc", "tmp", "var/data", "gone/sub", "keep"] {
        std::fs::create_dir_all(lower.join(d)).unwrap();
    }
    for f in [
        "bin/ls",
        "etc/passwd",
        "etc/group",
        "var/data/hello",
        "gone/sub/f",
    ] {
        std::fs::write(lower.join(f), "lower").unwrap();
    }
    // What the runtime makes for every container: never a change.
    std::fs::create_dir_all(upper.join("etc")).unwrap();
    for f in ["etc/hosts", "etc/hostname", "etc/resolv.conf"] {
        std::fs::write(upper.join(f), "").unwrap();
    }
    std::fs::create_dir_all(upper.join("proc")).unwrap();
    assert_eq!(
        lines(&upper, std::slice::from_ref(&lower)),
        Vec::<String>::new()
    );

    std::fs::write(upper.join("etc/passwd"), "changed").unwrap();
    std::fs::create_dir_all(upper.join("bin")).unwrap();
    whiteout(&upper.join("bin/ls"));
    std::fs::create_dir_all(upper.join("tmp")).unwrap();
    std::fs::write(upper.join("tmp/new"), "x").unwrap();
    std::fs::create_dir_all(upper.join("root/a/b")).unwrap();
    symlink("/x", upper.join("lnk")).unwrap();
    std::fs::create_dir_all(upper.join("gone")).unwrap();
    opaque(&upper.join("gone"));
    std::fs::write(upper.join("gone/fresh"), "y").unwrap();
    std::fs::create_dir_all(upper.join("var")).unwrap();
    whiteout(&upper.join("var/data"));
    // A directory only copied up (same time and mode as below) is not itself a change.
    std::fs::create_dir_all(upper.join("keep")).unwrap();
    let m = std::fs::metadata(lower.join("keep")).unwrap();
    let t_keep = nix::sys::time::TimeSpec::new(m.mtime(), m.mtime_nsec());
    nix::sys::stat::utimensat(
        nix::fcntl::AT_FDCWD,
        &upper.join("keep"),
        &t_keep,
        &t_keep,
        nix::sys::stat::UtimensatFlags::NoFollowSymlink,
    )
    .unwrap();
    std::fs::write(upper.join("tmp/new"), "x").unwrap();
    let got = lines(&upper, std::slice::from_ref(&lower));
    let want = [
        "C /bin",
        "D /bin/ls",
        "C /etc",
        "C /etc/passwd",
        "D /gone",
        "A /gone/fresh",
        "A /lnk",
        "A /root",
        "A /root/a",
        "A /root/a/b",
        "C /tmp",
        "A /tmp/new",
        "C /var",
        "D /var/data",
    ];
    assert_eq!(got, want);
}

#[test]
fn what_a_layer_above_deleted_is_new_again() {
    six_testkit::require_root();
    let t = tempfile::tempdir().unwrap();
    let (bottom, top, upper) = (t.path().join("b"), t.path().join("t"), t.path().join("u"));
    std::fs::create_dir_all(bottom.join("d")).unwrap();
    std::fs::write(bottom.join("d/f"), "").unwrap();
    std::fs::create_dir_all(&top).unwrap();
    whiteout(&top.join("d"));
    std::fs::create_dir_all(upper.join("d")).unwrap();
    std::fs::write(upper.join("d/f"), "").unwrap();
    assert_eq!(lines(&upper, &[top, bottom]), ["A /d", "A /d/f"]);
}
