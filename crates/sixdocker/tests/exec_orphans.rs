//! `exec` whose CLI is killed, and `exec -d`: the exec'd process is reaped when it ends (by
//! its keeper), so no zombie is left in the container, whatever the host's init does with
//! orphans (this VM's init reaps none: an orphan would stay a zombie forever).

mod common;

use std::process::Stdio;
use std::time::{Duration, Instant};

use common::*;

#[test]
fn killed_exec_clis_and_detached_execs_leave_no_zombie_in_the_container() {
    let sb = Sandbox::new();
    let name = unique_name("z");
    sb.run(["run", "-d", "--name", &name, "busybox", "sleep", "600"])
        .ok();
    let mut cli = sb
        .command(["exec", &name, "sh", "-c", "touch /started; exec sleep 1"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(10);
    while sb.run(["exec", &name, "test", "-e", "/started"]).code != 0 {
        assert!(
            Instant::now() < deadline,
            "the exec'd process never started"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    cli.kill().unwrap();
    cli.wait().unwrap();
    sb.run(["exec", "-d", &name, "sleep", "1"]).ok();

    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let ps = sb.run(["exec", &name, "ps", "-o", "pid,stat,args"]);
        let table = ps.ok();
        let zombies: Vec<&str> = table
            .lines()
            .skip(1)
            .filter(|l| {
                l.split_whitespace()
                    .nth(1)
                    .is_some_and(|s| s.starts_with('Z'))
            })
            .collect();
        if !table.contains("sleep 1") {
            assert!(zombies.is_empty(), "zombies in the container:\n{table}");
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the exec'd sleeps never ended:\n{table}"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    sb.run(["rm", "-f", &name]).ok();
}
