//! `run` options seen from inside the container: user, workdir, env, hostname, volumes
//! (rw and ro), a read-only rootfs, capabilities, /etc/hosts and /etc/hostname.

mod common;

use common::{logs, TestEngine};
use six_engine::RunRequest;

#[test]
fn options_are_visible_inside() {
    let mut t = TestEngine::new();
    let host_dir = t.root.path().join("vol");
    std::fs::create_dir(&host_dir).unwrap();
    std::fs::write(host_dir.join("f"), "from-host\n").unwrap();
    std::fs::set_permissions(
        &host_dir,
        std::os::unix::fs::PermissionsExt::from_mode(0o777),
    )
    .unwrap();
    let script = "id -u; id -g; pwd; hostname; cat /etc/hostname; echo $KEY1 $KEY2; cat /vol/f; echo x > /vol/new; \
                  touch /rofs 2>/dev/null || echo rootfs-ro; echo y > /ro/f 2>/dev/null || echo vol-ro; \
                  grep -c localhost /etc/hosts; grep CapEff /proc/self/status";
    let req = RunRequest {
        user: Some("1000:1000".into()),
        workdir: Some("/tmp".into()),
        env: vec![
            "KEY1=value1".parse().unwrap(),
            "KEY2=value2".parse().unwrap(),
        ],
        hostname: Some("myhost".into()),
        volumes: vec![
            format!("{}:/vol", host_dir.display()).parse().unwrap(),
            format!("{}:/ro:ro", host_dir.display()).parse().unwrap(),
        ],
        read_only: true,
        ..TestEngine::req(&["sh", "-c", script])
    };
    let out = t.engine().run(req).unwrap();
    t.track(&out.id);
    let text = logs(t.engine(), &out.id);
    assert_eq!(out.exit_code, Some(0), "{text}");
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(
        &lines[..10],
        [
            "1000",
            "1000",
            "/tmp",
            "myhost",
            "myhost",
            "value1 value2",
            "from-host",
            "rootfs-ro",
            "vol-ro",
            "2"
        ],
        "{text}"
    );
    // A non-root user has no effective capabilities.
    assert_eq!(lines[10], "CapEff:\t0000000000000000", "{text}");
    assert_eq!(
        std::fs::read_to_string(host_dir.join("new")).unwrap(),
        "x\n"
    );
    let v = t.engine().inspect(&out.id).unwrap();
    assert_eq!(v["Mounts"][1]["Mode"], "ro");
    assert_eq!(v["Config"]["User"], "1000:1000");
    t.finish();
}

#[test]
fn root_has_dockers_capabilities_and_cap_drop_works() {
    let mut t = TestEngine::new();
    let caps = |add: &[&str], drop: &[&str]| {
        let req = RunRequest {
            cap_add: add.iter().map(|s| s.to_string()).collect(),
            cap_drop: drop.iter().map(|s| s.to_string()).collect(),
            ..TestEngine::req(&["sh", "-c", "grep CapBnd /proc/self/status"])
        };
        let out = t.engine().run(req).unwrap();
        let text = logs(t.engine(), &out.id);
        (
            out.id,
            text.trim().trim_start_matches("CapBnd:").trim().to_owned(),
        )
    };
    // Docker's 14 default capabilities: 0x00000000a80425fb.
    let (a, default) = caps(&[], &[]);
    assert_eq!(default, "00000000a80425fb");
    let (b, dropped) = caps(&[], &["ALL"]);
    assert_eq!(dropped, "0000000000000000");
    let (c, added) = caps(&["NET_ADMIN"], &["CHOWN"]);
    assert_eq!(
        u64::from_str_radix(&added, 16).unwrap(),
        0xa80425fb & !1 | (1 << 12)
    );
    let (d, all) = caps(&["ALL"], &[]);
    let host: String = std::fs::read_to_string("/proc/self/status")
        .unwrap()
        .lines()
        .find_map(|l| l.strip_prefix("CapBnd:"))
        .unwrap()
        .trim()
        .to_owned();
    assert_eq!(all, host, "ALL is everything the host still has");
    for id in [a, b, c, d] {
        t.track(&id);
    }
    t.finish();
}
