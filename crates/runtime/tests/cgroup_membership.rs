//! Which cgroups the init and an exec'd process end up in, read from /proc/<pid>/cgroup on
//! the host: the container's own directory in every hierarchy (cgroup2 included), whether
//! the process joined by itself (six-cgroups' `JoinPlan`), was started there by clone3, or
//! was moved by the runtime (user namespace). Each test deletes its container and proves
//! its cgroups are gone.

use std::os::fd::AsRawFd;

use six_runtime::{Container, CreateOptions, ExecOptions, Nesting, Runtime};
use six_testkit::{cgroups_named, require_root, unique_name, Bundle, TestCgroupPath};

/// The tests wait for their children: one at a time.
static SERIAL: std::sync::Mutex<()> = std::sync::Mutex::new(());

fn serial() -> std::sync::MutexGuard<'static, ()> {
    SERIAL.lock().unwrap_or_else(|e| e.into_inner())
}

fn wait(pid: i32) {
    // SAFETY: waitpid on our own child.
    assert_eq!(unsafe { libc::waitpid(pid, std::ptr::null_mut(), 0) }, pid);
}

/// Deletes the container (killing its processes) on drop, even after a failed assertion.
struct Deleted(Option<Container>);

impl Drop for Deleted {
    fn drop(&mut self) {
        if let Some(c) = self.0.take() {
            let pid = c.pid();
            let _ = c.delete(true);
            if let Some(pid) = pid {
                wait(pid);
            }
        }
    }
}

/// Kills (by pid) and reaps an exec'd process on drop. Dropped before the container: its
/// init cannot finish dying while this child of ours, in its pid namespace, is unreaped.
struct Reaped(i32);

impl Drop for Reaped {
    fn drop(&mut self) {
        // SAFETY: kill and reap our own child, by pid.
        unsafe { libc::kill(self.0, libc::SIGKILL) };
        wait(self.0);
    }
}

/// Every line of /proc/<pid>/cgroup names `leaf` as the last component.
fn assert_in_every_hierarchy(pid: i32, leaf: &str, who: &str) {
    let text = std::fs::read_to_string(format!("/proc/{pid}/cgroup")).unwrap();
    assert!(text.lines().count() > 1, "{text}");
    for line in text.lines() {
        assert!(
            line.ends_with(&format!("/{leaf}")),
            "{who} (pid {pid}) outside its cgroup: {line}\n{text}"
        );
    }
}

fn create(rt: &Runtime, id: &str, b: &Bundle) -> Deleted {
    let c = rt
        .create(
            id,
            CreateOptions {
                bundle: b.path().to_path_buf(),
                ..Default::default()
            },
        )
        .unwrap();
    Deleted(Some(c))
}

#[test]
fn the_init_and_an_exec_process_join_every_hierarchy() {
    require_root();
    let _one = serial();
    let root = tempfile::tempdir().unwrap();
    let rt = test_runtime(root.path());
    let b = Bundle::busybox(&["sleep", "1000"]).unwrap();
    let id = unique_name("cgm");
    let leaf = id.clone();
    {
        let c = create(&rt, &id, &b);
        let c = c.0.as_ref().unwrap();
        assert_in_every_hierarchy(c.pid().unwrap(), &leaf, "the init");
        c.start().unwrap();
        let mut process = c.spec().process().clone().unwrap();
        process.set_args(Some(vec!["sleep".into(), "1000".into()]));
        let null = std::fs::File::open("/dev/null").unwrap();
        let fd = null.as_raw_fd();
        let exec = Reaped(
            c.exec(ExecOptions {
                process,
                stdio: Some([fd, fd, fd]),
                ..Default::default()
            })
            .unwrap(),
        );
        assert_in_every_hierarchy(exec.0, &leaf, "the exec'd process");
    }
    assert!(
        cgroups_named(&leaf).is_empty(),
        "{:?}",
        cgroups_named(&leaf)
    );
}

#[test]
fn an_init_in_a_user_namespace_is_moved_by_the_runtime() {
    require_root();
    let _one = serial();
    let root = tempfile::tempdir().unwrap();
    let rt = test_runtime(root.path());
    let mut b = Bundle::busybox(&["sleep", "1000"]).unwrap();
    b.config["linux"]["namespaces"]
        .as_array_mut()
        .unwrap()
        .push(serde_json::json!({"type": "user"}));
    let map = serde_json::json!([{"containerID": 0, "hostID": 100000, "size": 65536}]);
    b.config["linux"]["uidMappings"] = map.clone();
    b.config["linux"]["gidMappings"] = map;
    b.write_config().unwrap();
    let id = unique_name("cgu");
    let leaf = id.clone();
    {
        let c = create(&rt, &id, &b);
        assert_in_every_hierarchy(c.0.as_ref().unwrap().pid().unwrap(), &leaf, "the init");
    }
    assert!(
        cgroups_named(&leaf).is_empty(),
        "{:?}",
        cgroups_named(&leaf)
    );
}

/// A runtime for this test binary, which may start containers unsealed (no host runs it) and
/// from the harness's threads (its tests take turns: SERIAL). Its containers nest below the
/// test's own cgroup (runc's placement of a relative path is beside it on pure cgroup v2).
fn test_runtime(root: &std::path::Path) -> Runtime {
    six_runtime::sealed_exe::permit_unsealed();
    six_runtime::permit_threads();
    Runtime::new(root).with_cgroup_nesting(Nesting::below_own())
}

/// The OCI spec's and runc's rule, which kubelet relies on: an absolute linux.cgroupsPath is
/// the container's cgroup from the root of every hierarchy, not a path below the runtime's
/// own cgroup. The path lies below this test's own cgroup (the test's subtree).
#[test]
fn an_absolute_cgroups_path_is_exactly_where_the_container_is() {
    require_root();
    let _one = serial();
    let root = tempfile::tempdir().unwrap();
    six_runtime::sealed_exe::permit_unsealed();
    six_runtime::permit_threads();
    let rt = Runtime::new(root.path()); // runc's placement: the default
    let id = unique_name("cga");
    let base = TestCgroupPath::new(&id);
    let path = base.join("pod/c1");
    let mut b = Bundle::busybox(&["sleep", "1000"]).unwrap();
    b.config["linux"]["cgroupsPath"] = serde_json::json!(path);
    b.write_config().unwrap();
    {
        let c = create(&rt, &id, &b);
        let pid = c.0.as_ref().unwrap().pid().unwrap();
        let text = std::fs::read_to_string(format!("/proc/{pid}/cgroup")).unwrap();
        for line in text.lines() {
            assert!(
                line.ends_with(&format!(":{path}")),
                "the init is not at {path}: {line}\n{text}"
            );
        }
    }
    drop(base); // the runtime removed the container's cgroup; this, its parents
    assert!(cgroups_named(&id).is_empty(), "{:?}", cgroups_named(&id));
}
