//! Networks under bad luck and bad input, through the CLI: `network create` killed at each
//! step of its work leaves nothing half-made. Every network uses a subnet 10.211.X.0/24 of
//! its own; no traffic is sent anywhere.

mod common;

use std::path::Path;
use std::process::Stdio;
use std::time::{Duration, Instant};

use common::{unique_name, Sandbox};

/// The state letter of process `pid` (R, S, T, Z ...), None once it is gone.
fn process_state(pid: u32) -> Option<char> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    stat.rsplit_once(')')?.1.trim_start().chars().next()
}

/// Temp files `*.tmp<pid>` in `dir`.
fn temp_files_of(dir: &Path, pid: u32) -> Vec<String> {
    std::fs::read_dir(dir)
        .map(|entries| {
            entries
                .flatten()
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .filter(|name| name.ends_with(&format!(".tmp{pid}")))
                .collect()
        })
        .unwrap_or_default()
}

/// `network create` SIGKILLed at each step (paused there by the library's test hook) leaves
/// either no network and its subnet free for another store, or the whole network with its
/// subnet reserved (another store is refused it); no temp file stays after the next command.
#[test]
fn network_create_killed_at_any_step_leaves_nothing_half_made() {
    let sb = Sandbox::new();
    let other = Sandbox::new();
    // the default network exists: the steps paused at below are the new network's own
    sb.sh("network ls").ok();
    let subnet = "10.211.12.0/24";
    let net = unique_name("k");
    let steps = [
        ("writing subnets".to_string(), false),
        ("subnet reserved".to_string(), false),
        (format!("writing {net}.json"), false),
        ("network created".to_string(), true),
    ];
    for (step, made) in steps {
        let mut child = sb
            .command(["network", "create", "--subnet", subnet, &net])
            .env("SIX_NETWORK_TEST_PAUSE_AT", &step)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("running sixdocker");
        let pid = child.id();
        let deadline = Instant::now() + Duration::from_secs(60);
        while process_state(pid) != Some('T') {
            if let Some(status) = child.try_wait().unwrap() {
                panic!("network create ended ({status}) before pausing at {step:?}");
            }
            assert!(Instant::now() < deadline, "never paused at {step:?}");
            std::thread::sleep(Duration::from_millis(10));
        }
        child.kill().unwrap();
        child.wait().unwrap();

        let exists = sb.run(["network", "inspect", &net]).code == 0;
        assert_eq!(exists, made, "killed at {step:?}: network exists: {exists}");
        let theirs = unique_name("o");
        let taken = other.run(["network", "create", "--subnet", subnet, &theirs]);
        if made {
            assert!(
                taken.code != 0 && taken.stderr.contains(subnet),
                "killed at {step:?}: the whole network's subnet was free for another store: {taken:?}"
            );
            sb.run(["network", "rm", &net]).ok();
        } else {
            taken.ok();
            other.run(["network", "rm", &theirs]).ok();
        }
        let left: Vec<String> = [
            sb.root().join("network/networks"),
            Path::new("/run/six-network").to_path_buf(),
        ]
        .iter()
        .flat_map(|dir| temp_files_of(dir, pid))
        .collect();
        assert!(
            left.is_empty(),
            "killed at {step:?}: temp files left: {left:?}"
        );
    }
}
