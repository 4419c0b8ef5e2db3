//! The rest of the lifecycle through the Engine API: restart, kill with a signal the
//! container handles, logs --follow until the end, export, network connect/disconnect,
//! and bad input (unknown container, ambiguous prefix, name in use).

mod common;

use std::time::Duration;

use common::{eventually, logs, TestEngine};
use six_engine::{Error, LogOptions, RunRequest};

#[test]
fn restart_kill_and_follow() {
    let mut t = TestEngine::new();
    let script = "trap 'echo got-usr1' USR1; trap 'echo bye; exit 7' TERM; echo up; while true; do sleep 0.1; done";
    let req = RunRequest {
        detach: true,
        name: Some("lc".parse().unwrap()),
        ..TestEngine::req(&["sh", "-c", script])
    };
    let out = t.engine().run(req).unwrap();
    t.track(&out.id);
    let e = t.engine();
    eventually(Duration::from_secs(20), || {
        logs(e, "lc").contains("up").then_some(())
    });
    e.kill("lc", "USR1".parse().unwrap()).unwrap();
    eventually(Duration::from_secs(20), || {
        logs(e, "lc").contains("got-usr1").then_some(())
    });
    e.restart("lc", Some(Duration::from_secs(5))).unwrap();
    assert_eq!(e.inspect("lc").unwrap()["State"]["Running"], true);
    t.track(&out.id);
    let e = t.engine();
    eventually(Duration::from_secs(20), || {
        (logs(e, "lc").matches("up").count() == 2).then_some(())
    });
    // logs -f returns once the container ends.
    let follower = {
        let root = t.root.path().to_owned();
        let runroot = t.runroot.path().to_owned();
        std::thread::spawn(move || {
            let e = six_engine::Engine::open(TestEngine::options(&root, &runroot)).unwrap();
            let mut out = Vec::new();
            e.logs(
                "lc",
                &LogOptions {
                    follow: true,
                    ..Default::default()
                },
                &mut out,
                &mut Vec::new(),
            )
            .unwrap();
            String::from_utf8(out).unwrap()
        })
    };
    e.stop("lc", Some(Duration::from_secs(5))).unwrap();
    assert_eq!(e.wait("lc").unwrap(), 7);
    let followed = follower.join().unwrap();
    assert!(followed.ends_with("bye\n"), "{followed}");
    assert!(matches!(
        e.kill("lc", "KILL".parse().unwrap()),
        Err(Error::NotRunning { .. })
    ));
    t.finish();
}

/// `stop` and `kill` write nothing before the signal (a full disk cannot stop them); the
/// monitor learns from the message itself that the user stopped the container, so a restart
/// policy does not bring it back. A signal that is not a stop does not count as one.
#[test]
fn stop_and_kill_keep_a_restart_always_container_stopped() {
    let mut t = TestEngine::new();
    let req = |name: &str| RunRequest {
        detach: true,
        name: Some(name.parse().unwrap()),
        restart: "always".parse().unwrap(),
        ..TestEngine::req(&[
            "sh",
            "-c",
            "trap 'exit 3' USR1; echo trapped; while true; do sleep 0.1; done",
        ])
    };
    for (name, how) in [("ras", "stop"), ("rak", "kill")] {
        let out = t.engine().run(req(name)).unwrap();
        t.track(&out.id);
        let e = t.engine();
        if how == "kill" {
            // USR1 makes it exit on its own: the policy restarts it. (Sent once the trap is
            // set: the shell is pid 1, which ignores a signal it has no handler for.)
            eventually(Duration::from_secs(20), || {
                logs(e, &out.id).contains("trapped").then_some(())
            });
            e.kill(name, "USR1".parse().unwrap()).unwrap();
            eventually(Duration::from_secs(20), || {
                let v = e.inspect(name).unwrap();
                (v["RestartCount"] == 1 && v["State"]["Running"] == true).then_some(())
            });
            t.track(&out.id);
            t.engine().kill(name, "KILL".parse().unwrap()).unwrap();
        } else {
            e.stop(name, Some(Duration::from_secs(1))).unwrap();
        }
        let e = t.engine();
        std::thread::sleep(Duration::from_millis(500));
        let v = e.inspect(name).unwrap();
        assert_eq!(v["State"]["Status"], "exited", "{name}: {v}");
        assert_eq!(v["State"]["ExitCode"], 137, "{name}: {v}");
    }
    t.finish();
}

#[test]
fn export_writes_the_filesystem() {
    let mut t = TestEngine::new();
    let out = t
        .engine()
        .run(TestEngine::req(&["sh", "-c", "echo exported > /marker"]))
        .unwrap();
    t.track(&out.id);
    let mut tar = Vec::new();
    t.engine().export(&out.id, &mut tar).unwrap();
    let text = String::from_utf8_lossy(&tar);
    assert!(text.contains("marker") && text.contains("exported\n"));
    assert!(text.contains("bin/busybox"));
    t.finish();
}

#[test]
fn connect_and_disconnect() {
    let mut t = TestEngine::new();
    t.used_network = true;
    let net = six_testkit::unique_name("sxc");
    t.engine()
        .networks()
        .unwrap()
        .create(six_network::NetworkSpec::bridge(&net))
        .unwrap();
    let req = RunRequest {
        detach: true,
        network: six_engine::types::NetworkMode::Bridge,
        ..TestEngine::req(&["sleep", "1000"])
    };
    let out = t.engine().run(req).unwrap();
    t.track(&out.id);
    let e = t.engine();
    e.connect(&net, &out.id).unwrap();
    let v = e.inspect(&out.id).unwrap();
    assert!(
        v["NetworkSettings"]["Networks"][&net]["IPAddress"]
            .as_str()
            .is_some_and(|ip| !ip.is_empty()),
        "{v}"
    );
    assert!(e.connect(&net, &out.id).is_err());
    e.disconnect(&net, &out.id).unwrap();
    assert!(e
        .networks()
        .unwrap()
        .inspect(&net)
        .unwrap()
        .endpoints
        .is_empty());
    e.connect(&net, &out.id).unwrap();
    // Removing the container detaches it too.
    e.remove(&out.id, true).unwrap();
    assert!(e
        .networks()
        .unwrap()
        .inspect(&net)
        .unwrap()
        .endpoints
        .is_empty());
    e.networks().unwrap().remove(&net).unwrap();
    t.finish();
}

#[test]
fn bad_names_and_ids() {
    let t = TestEngine::new();
    let e = t.engine();
    assert_eq!(
        e.inspect("nope").unwrap_err().to_string(),
        "no such container: nope"
    );
    let a = e
        .create(RunRequest {
            name: Some("same".parse().unwrap()),
            ..TestEngine::req(&["true"])
        })
        .unwrap();
    let err = e
        .create(RunRequest {
            name: Some("same".parse().unwrap()),
            ..TestEngine::req(&["true"])
        })
        .unwrap_err();
    assert!(err.to_string().contains("already in use"), "{err}");
    let mut more = vec![a];
    // With 17 containers, some pair shares its first hex digit: that prefix is ambiguous.
    for _ in 0..16 {
        more.push(e.create(TestEngine::req(&["true"])).unwrap());
    }
    let shared = (0..16u8)
        .map(|d| format!("{d:x}"))
        .find(|p| more.iter().filter(|id| id.starts_with(p.as_str())).count() > 1)
        .unwrap();
    assert!(matches!(
        e.inspect(&shared),
        Err(Error::AmbiguousPrefix { .. })
    ));
    assert_eq!(e.resolve(&more[1][..12]).unwrap(), more[1]);
    t.finish();
}
