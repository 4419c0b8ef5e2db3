//! Networks under bad luck and bad input, through the CLI: `network create` killed at each
//! step of its work leaves nothing half-made; subnets that are not for hosts or too small
//! are refused; `-p` on an address that is not this host's says so. Every network uses a
//! subnet 10.211.X.0/24 of its own; no traffic leaves the test's own containers.

mod common;

use std::path::Path;
use std::process::Stdio;
use std::time::{Duration, Instant};

use common::{free_port, unique_name, Sandbox};

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

/// `network create --subnet` refuses multicast, reserved, this-network, link-local,
/// loopback and broadcast ranges and a /32 (no room for a container besides the gateway),
/// each with one line naming the value and why; a /31 holds the gateway and one container
/// (RFC 3021, as Docker allows).
#[test]
fn subnets_not_for_hosts_or_too_small_are_refused() {
    let sb = Sandbox::new();
    let net = unique_name("n");
    for (subnet, why) in [
        ("224.0.0.0/24", "multicast"),
        ("240.0.0.0/24", "reserved"),
        ("0.0.0.0/8", "this network"),
        ("169.254.0.0/16", "link-local"),
        ("127.0.0.0/16", "loopback"),
        ("255.255.255.252/30", "broadcast"),
        ("10.211.15.0/32", "only the gateway"),
    ] {
        let out = sb.run(["network", "create", "--subnet", subnet, &net]);
        out.fails(125, subnet);
        assert!(out.stderr.contains(why), "{subnet}: {out:?}");
    }
    assert!(!sb.sh("network ls").ok().contains(&net), "nothing made");

    sb.run(["network", "create", "--subnet", "10.211.15.0/31", &net])
        .ok();
    let inside = sb.run([
        "run",
        "--rm",
        "--network",
        &net,
        "busybox",
        "ip",
        "-4",
        "addr",
        "show",
        "eth0",
    ]);
    assert!(inside.ok().contains("inet 10.211.15.1/31"), "{inside:?}");
    sb.run(["network", "rm", &net]).ok();
}

/// `-p IP:HOSTPORT:CPORT` with an IP that is not this host's says so (checked against the
/// host's addresses before any bind; nothing is sent anywhere), and leaves no container.
#[test]
fn publishing_on_an_address_not_of_this_host_says_so() {
    let sb = Sandbox::new();
    let mapping = format!("8.8.8.8:{}:80", free_port());
    let out = sb.run(["run", "--rm", "-p", &mapping, "busybox", "true"]);
    out.fails(
        125,
        &format!("-p {mapping}: 8.8.8.8 is not an address of this host"),
    );
    assert!(sb.container_ids().is_empty(), "a container was left");
}
