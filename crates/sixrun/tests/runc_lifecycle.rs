//! The container lifecycle where runc 1.1.5's behaviour is what clients rely on: hooks, the
//! default spec, kill, ps, list, checkpoint/restore.
//!
//! Each test also passes with `RUNC=runc` (the runtime under test is `common::runtime_binary`).

mod common;

use common::*;

#[test]
fn create_container_hooks_run_in_the_rootfs() {
    let s = Sixrun::under_test();
    let out = tempfile::tempdir().unwrap();
    let o = out.path().to_str().unwrap().to_owned();
    let b = bundle(&["true"], |c| {
        c["hooks"] = serde_json::json!({
            "createContainer": [{"path": "/bin/sh", "args": ["sh", "-c", format!("pwd -P > {o}/cwd")]}],
        });
    });
    let id = s.new_id("hookcwd");
    s.create(&id, &b);
    let rootfs = std::fs::canonicalize(b.rootfs()).unwrap();
    assert_eq!(
        std::fs::read_to_string(out.path().join("cwd")).unwrap(),
        format!("{}\n", rootfs.display())
    );
    s.ok(&["delete", "--force", &id]);
    s.assert_gone(&id, None, b.path());
}

/// `spec --bundle DIR` with `bin`; the config.json it wrote.
fn spec_text(bin: &std::path::Path) -> String {
    let dir = tempfile::tempdir().unwrap();
    let out = std::process::Command::new(bin)
        .args(["spec", "--bundle"])
        .arg(dir.path())
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    std::fs::read_to_string(dir.path().join("config.json")).unwrap()
}

#[test]
fn spec_writes_what_runc_writes() {
    // Debian's runc 1.1.5 (.ci/run installs it) is the reference.
    let runc = std::process::Command::new("runc").arg("--version").output();
    let runc_version = stdout(&runc.expect("runc is installed (.ci/run installs it)"));
    assert!(runc_version.contains("runc version 1.1."), "{runc_version}");
    let ours = spec_text(&runtime_binary());
    assert_eq!(ours, spec_text(std::path::Path::new("runc")));
    // No cgroup namespace except on a pure cgroup v2 host, as runc.
    let v: serde_json::Value = serde_json::from_str(&ours).unwrap();
    let cgroup_ns = v["linux"]["namespaces"]
        .as_array()
        .unwrap()
        .iter()
        .any(|n| n["type"] == "cgroup");
    let pure_v2 = std::path::Path::new("/sys/fs/cgroup/cgroup.controllers").exists();
    assert_eq!(cgroup_ns, pure_v2, "{ours}");
}

#[test]
fn the_default_spec_with_a_cgroup_namespace_added_runs() {
    // Adding a cgroup namespace to `spec`'s output on cgroup v1 (the old sixrun spec had one,
    // so the result listed it twice and was refused).
    let s = Sixrun::under_test();
    let b = bundle(&["true"], |_| {});
    std::fs::remove_file(b.path().join("config.json")).unwrap();
    s.ok(&["spec", "--bundle", b.path().to_str().unwrap()]);
    let path = b.path().join("config.json");
    let mut c: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    // runc refuses a namespace listed twice: on pure cgroup v2 its spec has this one already.
    if !std::path::Path::new("/sys/fs/cgroup/cgroup.controllers").exists() {
        c["linux"]["namespaces"]
            .as_array_mut()
            .unwrap()
            .push(serde_json::json!({"type": "cgroup"}));
    }
    c["process"]["terminal"] = false.into();
    c["process"]["args"] = serde_json::json!(["sh", "-c", "readlink /proc/self/ns/cgroup"]);
    std::fs::write(&path, c.to_string()).unwrap();
    let id = s.new_id("specns");
    let out = s.ok(&["run", "--bundle", b.path().to_str().unwrap(), &id]);
    let host = std::fs::read_link("/proc/self/ns/cgroup").unwrap();
    assert!(out.starts_with("cgroup:["), "{out}");
    assert_ne!(
        out.trim(),
        host.to_str().unwrap(),
        "no new cgroup namespace"
    );
    s.assert_gone(&id, None, b.path());
}
