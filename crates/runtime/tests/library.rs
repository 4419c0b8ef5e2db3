//! six-runtime used as a library, as the engine does: stdio handed in as fds, the init and
//! exec'd processes are children of the caller (waitpid works), state and cgroup removed.

use std::io::Read;
use std::os::fd::{AsRawFd, OwnedFd};

use six_runtime::{CreateOptions, ExecOptions, Nesting, Runtime, Status};
use six_testkit::{cgroups_named, mounts_containing, require_root, unique_name, Bundle};

/// The tests wait for children (one of them for any child): one at a time.
static SERIAL: std::sync::Mutex<()> = std::sync::Mutex::new(());

fn serial() -> std::sync::MutexGuard<'static, ()> {
    SERIAL.lock().unwrap_or_else(|e| e.into_inner())
}

fn pipe() -> (OwnedFd, OwnedFd) {
    nix::unistd::pipe().unwrap()
}

fn wait(pid: i32) -> i32 {
    let mut status = 0;
    assert_eq!(
        // SAFETY: waitpid on our own child, into a local status.
        unsafe { libc::waitpid(pid, &mut status, 0) },
        pid,
        "the process must be our child"
    );
    libc::WEXITSTATUS(status)
}

fn read_all(fd: OwnedFd) -> String {
    let mut s = String::new();
    std::fs::File::from(fd).read_to_string(&mut s).unwrap();
    s
}

#[test]
fn create_with_stdio_fds_start_wait_and_delete() {
    require_root();
    let _one = serial();
    let root = tempfile::tempdir().unwrap();
    let rt = test_runtime(root.path());
    let b = Bundle::busybox(&["sh", "-c", "echo out; echo err >&2; exit 7"]).unwrap();
    let id = unique_name("lib");
    let (out_r, out_w) = pipe();
    let (err_r, err_w) = pipe();
    let null = std::fs::File::open("/dev/null").unwrap();
    let c = rt
        .create(
            &id,
            CreateOptions {
                bundle: b.path().to_path_buf(),
                stdio: Some([null.as_raw_fd(), out_w.as_raw_fd(), err_w.as_raw_fd()]),
                ..Default::default()
            },
        )
        .unwrap();
    drop((out_w, err_w));
    assert_eq!(c.status(), Status::Created);
    let pid = c.pid().unwrap();
    c.start().unwrap();
    assert_eq!(wait(pid), 7);
    assert_eq!(read_all(out_r), "out\n");
    assert_eq!(read_all(err_r), "err\n");
    let c = rt.load(&id).unwrap();
    assert_eq!(c.status(), Status::Stopped);
    c.delete(false).unwrap();
    assert!(!root.path().join(&id).exists());
    assert!(cgroups_named(&id).is_empty());
    assert!(mounts_containing(b.path().to_str().unwrap()).is_empty());
}

#[test]
fn exec_gives_a_child_of_the_caller() {
    require_root();
    let _one = serial();
    let root = tempfile::tempdir().unwrap();
    let rt = test_runtime(root.path());
    let b = Bundle::busybox(&["sleep", "1000"]).unwrap();
    let id = unique_name("lib");
    let c = rt
        .create(
            &id,
            CreateOptions {
                bundle: b.path().to_path_buf(),
                ..Default::default()
            },
        )
        .unwrap();
    let init = c.pid().unwrap();
    c.start().unwrap();
    let (r, w) = pipe();
    let mut process = c.spec().process().clone().unwrap();
    process.set_args(Some(vec![
        "sh".into(),
        "-c".into(),
        "cat /proc/1/comm; exit 3".into(),
    ]));
    let null = std::fs::File::open("/dev/null").unwrap();
    let pid = c
        .exec(ExecOptions {
            process,
            stdio: Some([null.as_raw_fd(), w.as_raw_fd(), w.as_raw_fd()]),
            ..Default::default()
        })
        .unwrap();
    drop(w);
    assert_eq!(wait(pid), 3);
    assert_eq!(read_all(r), "sleep\n");
    c.delete(true).unwrap();
    assert_eq!(wait(init), 0, "killed init reaped by us");
    assert!(cgroups_named(&id).is_empty());
}

#[test]
fn a_failed_create_leaves_no_child_behind() {
    require_root();
    let _one = serial();
    let root = tempfile::tempdir().unwrap();
    let rt = test_runtime(root.path());
    let b = Bundle::busybox(&["/not/there"]).unwrap();
    let id = unique_name("lib");
    let e = rt
        .create(
            &id,
            CreateOptions {
                bundle: b.path().to_path_buf(),
                ..Default::default()
            },
        )
        .err()
        .unwrap();
    assert!(e.to_string().contains("/not/there"), "{e}");
    // SAFETY: waitpid for any child, non-blocking: there must be none left.
    let r = unsafe { libc::waitpid(-1, std::ptr::null_mut(), libc::WNOHANG) };
    assert!(r <= 0, "a child is left: {r}");
    assert!(!root.path().join(&id).exists());
    assert!(cgroups_named(&id).is_empty());
}

#[test]
fn purge_removes_a_container_whose_state_was_lost() {
    // As after a crash that lost the state root (a tmpfs after reboot, a killed caller): the
    // init still runs in its cgroup, and purge must end it and remove the cgroup.
    require_root();
    let _one = serial();
    let root = tempfile::tempdir().unwrap();
    let rt = test_runtime(root.path());
    let b = Bundle::busybox(&["sleep", "1000"]).unwrap();
    let id = unique_name("purge");
    let c = rt
        .create(
            &id,
            CreateOptions {
                bundle: b.path().to_path_buf(),
                ..Default::default()
            },
        )
        .unwrap();
    let pid = c.pid().unwrap();
    c.start().unwrap();
    std::fs::remove_dir_all(root.path().join(&id)).unwrap();
    assert!(!cgroups_named(&id).is_empty());
    rt.purge(&id).unwrap();
    wait(pid); // killed by purge (it was our child: reap it)
    assert!(cgroups_named(&id).is_empty(), "cgroup left");
    // A recorded one is deleted by force, and purging nothing is fine.
    let c = rt
        .create(
            &id,
            CreateOptions {
                bundle: b.path().to_path_buf(),
                ..Default::default()
            },
        )
        .unwrap();
    let pid = c.pid().unwrap();
    rt.purge(&id).unwrap();
    wait(pid);
    assert!(!root.path().join(&id).exists());
    rt.purge(&id).unwrap();
    assert!(cgroups_named(&id).is_empty());
    assert!(mounts_containing(b.path().to_str().unwrap()).is_empty());
}

#[test]
fn force_delete_with_an_unreaped_exec_child_fails_instead_of_hanging() {
    // The init of a pid namespace finishes dying only once every process in it is reaped:
    // a caller that deletes before reaping its exec'd child gets an error, not a hang.
    require_root();
    let _one = serial();
    let root = tempfile::tempdir().unwrap();
    let rt = test_runtime(root.path());
    let b = Bundle::busybox(&["sleep", "1000"]).unwrap();
    let id = unique_name("lib");
    let c = rt
        .create(
            &id,
            CreateOptions {
                bundle: b.path().to_path_buf(),
                ..Default::default()
            },
        )
        .unwrap();
    let init = c.pid().unwrap();
    c.start().unwrap();
    let mut process = c.spec().process().clone().unwrap();
    process.set_args(Some(vec!["sleep".into(), "1000".into()]));
    let exec_pid = c
        .exec(ExecOptions {
            process,
            ..Default::default()
        })
        .unwrap();
    let e = c.delete(true).unwrap_err().to_string();
    assert!(e.contains("did not exit"), "{e}");
    wait(exec_pid); // killed by the delete; reaping it lets the init finish dying
    c.delete(true).unwrap();
    wait(init);
    assert!(cgroups_named(&id).is_empty());
    assert!(mounts_containing(&root.path().to_string_lossy()).is_empty());
}

/// A runtime for this test binary, which may start containers unsealed (no host runs it) and
/// from the harness's threads (its tests take turns: SERIAL). Its containers nest below the
/// test's own cgroup (runc's placement of a relative path is beside it on pure cgroup v2).
fn test_runtime(root: &std::path::Path) -> Runtime {
    six_runtime::sealed_exe::permit_unsealed();
    six_runtime::permit_threads();
    Runtime::new(root).with_cgroup_nesting(Nesting::below_own())
}
