//! Resource limits are real: a 200M allocation under `-m 100m` is OOM-killed (137), and cpu
//! shares, cpuset and `--cpus` show in the container's own cgroup files.

mod common;

use common::{logs, TestEngine};
use six_engine::RunRequest;

#[test]
fn memory_limit_oom_kills_with_137() {
    let mut t = TestEngine::new();
    let req = RunRequest {
        memory: Some("100m".parse().unwrap()),
        ..TestEngine::req(&["dd", "if=/dev/zero", "of=/dev/null", "bs=200M", "count=1"])
    };
    let out = t.engine().run(req).unwrap();
    t.track(&out.id);
    assert_eq!(out.exit_code, Some(137));
    let v = t.engine().inspect(&out.id).unwrap();
    assert_eq!(v["HostConfig"]["Memory"], 100 << 20);
    assert_eq!(v["State"]["ExitCode"], 137);
    assert_eq!(v["State"]["OOMKilled"], true);
    t.finish();
}

#[test]
fn cpu_settings_are_visible_inside() {
    let mut t = TestEngine::new();
    let script = "cat /sys/fs/cgroup/cpu/cpu.shares /sys/fs/cgroup/cpu/cpu.cfs_quota_us /sys/fs/cgroup/cpuset/cpuset.cpus /sys/fs/cgroup/memory/memory.limit_in_bytes";
    let req = RunRequest {
        cpu_shares: Some(512),
        cpus: Some("0.5".parse().unwrap()),
        cpuset_cpus: Some("0".parse().unwrap()),
        memory: Some("64m".parse().unwrap()),
        ..TestEngine::req(&["sh", "-c", script])
    };
    let out = t.engine().run(req).unwrap();
    t.track(&out.id);
    let text = logs(t.engine(), &out.id);
    assert_eq!(out.exit_code, Some(0), "{text}");
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(
        lines,
        ["512", "50000", "0", &(64u64 << 20).to_string()],
        "{text}"
    );
    t.finish();
}

#[test]
fn bad_cpuset_is_refused_before_anything_is_made() {
    let t = TestEngine::new();
    let req = RunRequest {
        cpuset_cpus: Some("0-63".parse().unwrap()),
        ..TestEngine::req(&["true"])
    };
    let err = t.engine().run(req).unwrap_err();
    assert!(err.to_string().contains("not available"), "{err}");
    assert_eq!(err.exit_code(), 125);
    assert!(t.engine().list(true).unwrap().is_empty());
    let conflicting = RunRequest {
        auto_remove: true,
        restart: "always".parse().unwrap(),
        ..TestEngine::req(&["true"])
    };
    let err = t.engine().run(conflicting).unwrap_err();
    assert!(
        err.to_string().contains("--restart always and --rm"),
        "{err}"
    );
    let ports_without_network = RunRequest {
        ports: vec!["80".parse().unwrap()],
        ..TestEngine::req(&["true"])
    };
    assert!(t
        .engine()
        .run(ports_without_network)
        .unwrap_err()
        .to_string()
        .contains("need a network"));
    assert!(t.engine().list(true).unwrap().is_empty());
    t.finish();
}
