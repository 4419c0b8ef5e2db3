//! `run` through the Engine API as root: exit codes, detached containers and their logs,
//! stop, rm, --rm. Each test proves it left no mount, cgroup or process behind.

mod common;

use std::time::Duration;

use common::{eventually, logs, TestEngine};
use six_engine::{Error, RunRequest};

#[test]
fn foreground_run_returns_the_exit_code() {
    let mut t = TestEngine::new();
    let out = t
        .engine()
        .run(TestEngine::req(&["sh", "-c", "exit 3"]))
        .unwrap();
    assert_eq!(out.exit_code, Some(3));
    t.track(&out.id);
    let v = t.engine().inspect(&out.id).unwrap();
    assert_eq!(v["State"]["Status"], "exited");
    assert_eq!(v["State"]["ExitCode"], 3);
    let out = t.engine().run(TestEngine::req(&["true"])).unwrap();
    assert_eq!(out.exit_code, Some(0));
    t.finish();
}

#[test]
fn a_missing_command_is_127_and_leaves_nothing() {
    let t = TestEngine::new();
    let req = RunRequest {
        name: Some("web".parse().unwrap()),
        ..TestEngine::req(&["nginx", "-g", "daemon off;"])
    };
    let err = t.engine().run(req).unwrap_err();
    assert_eq!(err.to_string(), "nginx: not found in image busybox");
    assert_eq!(err.exit_code(), 127);
    assert!(t.engine().list(true).unwrap().is_empty());
    let left = six_testkit::container_records(t.root.path());
    assert!(left.is_empty(), "{left:?}");
    // The name is free again.
    let again = RunRequest {
        name: Some("web".parse().unwrap()),
        ..TestEngine::req(&["true"])
    };
    assert_eq!(t.engine().run(again).unwrap().exit_code, Some(0));
    t.finish();
}

#[test]
fn auto_remove_leaves_no_record() {
    let t = TestEngine::new();
    let req = RunRequest {
        auto_remove: true,
        ..TestEngine::req(&["true"])
    };
    let out = t.engine().run(req).unwrap();
    assert_eq!(out.exit_code, Some(0));
    assert!(matches!(
        t.engine().inspect(&out.id),
        Err(Error::NoSuchContainer(_))
    ));
    t.finish();
}

#[test]
fn detached_logs_stop_and_rm() {
    let mut t = TestEngine::new();
    let req = RunRequest {
        detach: true,
        name: Some("mycontainer".parse().unwrap()),
        ..TestEngine::req(&["sh", "-c", "echo hello; echo oops >&2; exec sleep 1000"])
    };
    let out = t.engine().run(req).unwrap();
    assert_eq!(out.exit_code, None);
    t.track(&out.id);
    let e = t.engine();
    eventually(Duration::from_secs(20), || {
        logs(e, "mycontainer").contains("oops").then_some(())
    });
    let text = logs(e, "mycontainer");
    assert!(text.contains("hello\n"), "{text}");
    let ps = e.list(false).unwrap();
    assert_eq!(ps.len(), 1);
    assert!(ps[0].status.starts_with("Up "), "{}", ps[0].status);
    assert_eq!(ps[0].names, "mycontainer");
    let err = e.remove("mycontainer", false).unwrap_err();
    assert!(matches!(err, Error::Running { .. }), "{err}");
    // sleep as PID 1 ignores SIGTERM: stop kills it after the timeout.
    e.stop("mycontainer", Some(Duration::from_millis(300)))
        .unwrap();
    let v = e.inspect(&out.id[..12]).unwrap();
    assert_eq!(v["State"]["ExitCode"], 137);
    assert_eq!(v["State"]["Running"], false);
    let ps = e.list(true).unwrap();
    assert!(
        ps[0].status.starts_with("Exited (137) "),
        "{}",
        ps[0].status
    );
    e.remove("mycontainer", false).unwrap();
    assert!(e.list(true).unwrap().is_empty());
    t.finish();
}
