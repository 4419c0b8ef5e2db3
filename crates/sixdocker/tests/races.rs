//! Races through the real `sixdocker`: `rm -f X` while `run --rm --name X` starts, runs or
//! finishes (and two `rm -f` at once) always exits 0 with nothing on stderr, and leaves no
//! container, mount or process; the container is gone, whoever removed it (Docker's rule).

mod common;

use std::process::Stdio;
use std::time::{Duration, Instant};

use common::{detached_args, unique_name, Sandbox};

/// Waits (bounded) for a `sixdocker` child; its exit code.
fn wait_child(child: &mut std::process::Child, what: &str) -> i32 {
    let until = Instant::now() + Duration::from_secs(60);
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            return status.code().unwrap_or(-1);
        }
        if Instant::now() > until {
            let _ = child.kill();
            let _ = child.wait();
            panic!("{what} did not finish");
        }
        std::thread::sleep(Duration::from_millis(5));
    }
}

#[test]
fn rm_f_racing_run_rm_always_succeeds() {
    let sb = Sandbox::new();
    // Lifetimes and delays spread over the whole life of the container: before its record
    // exists, while it is created, started, running, ending and being removed by its --rm.
    let lifetimes = ["true", "0.02", "0.05"];
    for round in 0..36u64 {
        let name = unique_name("race");
        let life = lifetimes[round as usize % lifetimes.len()];
        let cmd: Vec<&str> = match life {
            "true" => vec!["true"],
            secs => vec!["sleep", secs],
        };
        let mut run = sb
            .command([
                "run",
                "--rm",
                "--network",
                "none",
                "--name",
                &name,
                "busybox",
            ])
            .args(&cmd)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        std::thread::sleep(Duration::from_millis((round * 7) % 90));
        let rm = sb.run(["rm", "-f", &name]);
        assert_eq!(
            (rm.code, rm.stderr.as_str()),
            (0, ""),
            "round {round} ({life}): {rm:?}"
        );
        let code = wait_child(&mut run, "run --rm");
        assert!(
            [0, 125, 137].contains(&code),
            "round {round}: run exited {code}"
        );
        assert!(
            sb.container_ids().is_empty(),
            "round {round}: a container is left"
        );
    }
}

#[test]
fn two_rm_f_at_once_both_succeed() {
    let sb = Sandbox::new();
    for round in 0..8 {
        let name = unique_name("twice");
        sb.run(detached_args(&name, &["sleep", "60"])).ok();
        let rms: Vec<_> = (0..2)
            .map(|_| {
                sb.command(["rm", "-f", &name])
                    .stdout(Stdio::null())
                    .stderr(Stdio::piped())
                    .spawn()
                    .unwrap()
            })
            .collect();
        for rm in rms {
            let out = rm.wait_with_output().unwrap();
            let err = String::from_utf8_lossy(&out.stderr);
            assert!(
                out.status.success() && err.is_empty(),
                "round {round}: {err}"
            );
        }
        assert!(sb.container_ids().is_empty(), "round {round}: left");
    }
}

#[test]
fn rm_f_of_nothing_succeeds_quietly_and_plain_rm_does_not() {
    let sb = Sandbox::new();
    let out = sb.run(["rm", "-f", "no-such-container"]);
    assert_eq!(
        (out.code, out.stdout.as_str(), out.stderr.as_str()),
        (0, "", "")
    );
    sb.run(["rm", "no-such-container"])
        .fails(1, "no such container: no-such-container");
}
