//! `run` flags as a Docker user types them (issue 11, "Run flags"), checked against dockerd
//! 20.10: `--add-host`, `--dns`, `--dns-search`, `--dns-option`, `-l/--label` and
//! `--label-file`, `--stop-signal`, `--stop-timeout`, `--ulimit`, `--shm-size`,
//! `--security-opt`, `--privileged`, `--cgroup-parent`, `--pid`/`--uts`/`--ipc host`,
//! `--init`.

mod common;

use common::{unique_name, Sandbox};

const LONG: std::time::Duration = std::time::Duration::from_secs(60);

/// `run --rm ARGS... busybox sh -c SCRIPT`: its output.
fn run_sh(sb: &Sandbox, flags: &[&str], script: &str) -> String {
    let mut args = vec!["run", "--rm"];
    args.extend_from_slice(flags);
    args.extend(["busybox", "sh", "-c", script]);
    sb.run(&args).ok().to_owned()
}

#[test]
fn add_host_lines_come_after_localhost_on_every_network_mode() {
    let sb = Sandbox::new();
    let net = unique_name("n");
    sb.run(["network", "create", "--subnet", "10.211.50.0/24", &net])
        .ok();
    let other = unique_name("o");
    sb.sleeper_on(&net, &other);
    let flags = ["--add-host", "loop:127.0.0.1", "--add-host", "v6:::1"];
    for network in [net.as_str(), "bridge", "none"] {
        let mut with = vec!["--network", network];
        with.extend_from_slice(&flags);
        let hosts = run_sh(
            &sb,
            &with,
            "cat /etc/hosts; ping -c 1 -W 5 loop >/dev/null && echo resolved",
        );
        let extra = "ff02::2\tip6-allrouters\n127.0.0.1\tloop\n::1\tv6\n";
        assert!(hosts.contains(extra), "--network {network}: {hosts}");
        assert!(hosts.contains("resolved"), "--network {network}: {hosts}");
        if network == net {
            // the containers' lines follow, and stay when the file is rewritten
            assert!(hosts.contains(&format!("\t{other} ")), "{hosts}");
        }
    }
    // host-gateway: the default network's gateway
    let gateway = sb.run(["network", "inspect", "bridge"]);
    let v: serde_json::Value = serde_json::from_str(gateway.ok()).unwrap();
    let gateway = v[0]["IPAM"]["Config"][0]["Gateway"]
        .as_str()
        .unwrap()
        .to_owned();
    let hosts = run_sh(&sb, &["--add-host", "host:host-gateway"], "cat /etc/hosts");
    assert!(hosts.contains(&format!("{gateway}\thost\n")), "{hosts}");
}

#[test]
fn dns_flags_replace_the_hosts_resolver_settings() {
    let sb = Sandbox::new();
    let resolv = run_sh(
        &sb,
        &[
            "--dns",
            "9.9.9.9",
            "--dns",
            "2001:db8::53",
            "--dns-search",
            "example.com",
            "--dns-search",
            "corp",
            "--dns-option",
            "ndots:2",
        ],
        "cat /etc/resolv.conf",
    );
    assert_eq!(
        resolv,
        "search example.com corp\nnameserver 9.9.9.9\nnameserver 2001:db8::53\noptions ndots:2\n"
    );
    // "." is no search domain at all; the name servers stay the host's
    let resolv = run_sh(
        &sb,
        &["--network", "none", "--dns-search", "."],
        "cat /etc/resolv.conf",
    );
    assert!(!resolv.contains("search"), "{resolv}");
    assert!(resolv.contains("nameserver "), "{resolv}");
    let name = unique_name("dns");
    sb.run([
        "create",
        "--name",
        &name,
        "--add-host",
        "a:1.1.1.1",
        "--dns",
        "8.8.4.4",
        "--dns-search",
        "x.org",
        "--dns-option",
        "ndots:1",
        "busybox",
    ])
    .ok();
    let host = &sb.inspect(&name)["HostConfig"];
    assert_eq!(host["ExtraHosts"], serde_json::json!(["a:1.1.1.1"]));
    assert_eq!(host["Dns"], serde_json::json!(["8.8.4.4"]));
    assert_eq!(host["DnsSearch"], serde_json::json!(["x.org"]));
    assert_eq!(host["DnsOptions"], serde_json::json!(["ndots:1"]));
}

#[test]
fn bad_name_resolution_flags_are_refused_with_125() {
    let sb = Sandbox::new();
    for (flag, value, needle) in [
        ("--add-host", "bad", "invalid add-host \"bad\""),
        ("--add-host", "foo:x", "\"x\" is not an IP address"),
        ("--dns", "foo", "invalid DNS server \"foo\""),
        ("--dns-search=-x", "", "invalid DNS search domain \"-x\""),
        ("--dns-option", "a b", "invalid DNS option \"a b\""),
    ] {
        let mut args = vec!["run", "--rm", flag];
        if !value.is_empty() {
            args.push(value);
        }
        args.extend(["busybox", "true"]);
        sb.run(&args).fails(125, needle);
    }
    assert!(sb.container_ids().is_empty(), "nothing made");
}

#[test]
fn labels_from_flags_and_files_with_later_ones_winning() {
    let sb = Sandbox::new();
    let file = common::host_path(&sb, "labels");
    std::fs::write(&file, "# the team\n\nteam=core\nx=from-file\n").unwrap();
    let name = unique_name("lbl");
    sb.run([
        "create",
        "--name",
        &name,
        "-l",
        "x=from-flag",
        "--label",
        "bare",
        "--label-file",
        file.to_str().unwrap(),
        "busybox",
    ])
    .ok();
    assert_eq!(
        sb.inspect(&name)["Config"]["Labels"],
        serde_json::json!({"bare": "", "team": "core", "x": "from-flag"})
    );
    let listed = sb.run(["ps", "-a", "-q", "--filter", "label=team=core"]);
    assert_eq!(listed.ok().trim(), &sb.id_of(&name)[..12]);
    sb.run(["run", "--rm", "-l", "=x", "busybox", "true"])
        .fails(125, "invalid label \"=x\"");
    sb.run([
        "run",
        "--rm",
        "--label-file",
        "/nonexistent/labels",
        "busybox",
        "true",
    ])
    .fails(125, "invalid label file \"/nonexistent/labels\"");
}

#[test]
fn stop_uses_the_stop_signal_and_the_stop_timeout() {
    let sb = Sandbox::new();
    let name = unique_name("stopsig");
    let script = "trap 'echo got-usr1; exit 9' USR1; trap 'echo got-hup' HUP; echo ready; \
                  while true; do sleep 0.1; done";
    sb.run([
        "run",
        "-d",
        "--name",
        &name,
        "--network",
        "none",
        "--stop-signal",
        "USR1",
        "--stop-timeout",
        "1",
        "busybox",
        "sh",
        "-c",
        script,
    ])
    .ok();
    sb.wait_for_log(&name, "ready");
    let config = &sb.inspect(&name)["Config"];
    assert_eq!(
        (&config["StopSignal"], &config["StopTimeout"]),
        (&"SIGUSR1".into(), &1.into())
    );
    // paused, another signal waits (Docker thaws for the stop signal and SIGKILL only)
    sb.run(["pause", &name]).ok();
    sb.run(["kill", "-s", "HUP", &name]).ok();
    assert_eq!(sb.inspect(&name)["State"]["Status"], "paused");
    // stop sends USR1 (and thaws): its trap ends it with 9, long before any SIGKILL
    sb.run(["stop", &name]).ok();
    let logs = sb.run(["logs", &name]);
    assert!(logs.ok().contains("got-hup\ngot-usr1"), "{logs:?}");
    assert_eq!(sb.inspect(&name)["State"]["ExitCode"], 9);

    // --stop-timeout: stop without -t kills after it; -t still wins
    let deaf = unique_name("deaf");
    sb.run([
        "run",
        "-d",
        "--name",
        &deaf,
        "--network",
        "none",
        "--stop-timeout",
        "1",
        "busybox",
        "sh",
        "-c",
        "trap '' TERM; echo ready; while true; do sleep 0.1; done",
    ])
    .ok();
    sb.wait_for_log(&deaf, "ready");
    let began = std::time::Instant::now();
    sb.run(["stop", &deaf]).ok();
    let took = began.elapsed();
    assert!(took >= std::time::Duration::from_secs(1), "{took:?}");
    assert!(
        took < std::time::Duration::from_secs(5),
        "not the 10 s default: {took:?}"
    );
    assert_eq!(sb.inspect(&deaf)["State"]["ExitCode"], 137);
    sb.run(["start", &deaf]).ok();
    sb.wait_for_log(&deaf, "ready\nready");
    let began = std::time::Instant::now();
    sb.run(["stop", "-t", "0", &deaf]).ok();
    assert!(began.elapsed() < std::time::Duration::from_secs(1));
    sb.run(["run", "--rm", "--stop-signal", "FOO", "busybox", "true"])
        .fails(125, "invalid signal \"FOO\"");
}

#[test]
fn ulimits_and_shm_size_reach_the_process() {
    let sb = Sandbox::new();
    let out = run_sh(
        &sb,
        &[
            "--network",
            "none",
            "--ulimit",
            "nofile=1024:2048",
            "--ulimit",
            "nproc=100",
            "--ulimit",
            "core=-1",
            "--shm-size",
            "128m",
        ],
        "ulimit -n; ulimit -Hn; ulimit -u; ulimit -c; df -k /dev/shm | tail -n 1",
    );
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines[..4], ["1024", "2048", "100", "unlimited"], "{out}");
    assert!(
        lines[4].split_whitespace().nth(1) == Some("131072"),
        "128 MiB: {out}"
    );
    // the default /dev/shm is 64 MiB
    let df = run_sh(&sb, &["--network", "none"], "df -k /dev/shm | tail -n 1");
    assert_eq!(df.split_whitespace().nth(1), Some("65536"), "{df}");
    let name = unique_name("ulim");
    sb.run([
        "create",
        "--name",
        &name,
        "--ulimit",
        "nofile=1024:2048",
        "--shm-size",
        "128m",
        "busybox",
    ])
    .ok();
    let host = &sb.inspect(&name)["HostConfig"];
    assert_eq!(
        host["Ulimits"],
        serde_json::json!([{"Name": "nofile", "Hard": 2048, "Soft": 1024}])
    );
    assert_eq!(host["ShmSize"], 128u64 << 20);
    for (flag, value, needle) in [
        ("--ulimit", "foo=1", "unknown ulimit type \"foo\""),
        ("--ulimit", "nofile=2048:1024", "2048 > 1024"),
        ("--shm-size", "x", "invalid memory size \"x\""),
    ] {
        sb.run(["run", "--rm", flag, value, "busybox", "true"])
            .fails(125, needle);
    }
}

/// A line of /proc/self/status inside a container run with `flags`: "NoNewPrivs:\t1".
fn status_line(sb: &Sandbox, flags: &[&str], key: &str) -> String {
    let mut with = vec!["--network", "none"];
    with.extend_from_slice(flags);
    let out = run_sh(sb, &with, &format!("grep '^{key}:' /proc/self/status"));
    out.trim().to_owned()
}

#[test]
fn security_opts_no_new_privileges_and_seccomp_profiles() {
    let sb = Sandbox::new();
    let nnp = |flags: &[&str]| status_line(&sb, flags, "NoNewPrivs");
    assert_eq!(nnp(&[]), "NoNewPrivs:\t0");
    assert_eq!(
        nnp(&["--security-opt", "no-new-privileges"]),
        "NoNewPrivs:\t1"
    );
    assert_eq!(
        nnp(&["--security-opt", "no-new-privileges=true"]),
        "NoNewPrivs:\t1"
    );
    assert_eq!(
        nnp(&["--security-opt", "no-new-privileges:false"]),
        "NoNewPrivs:\t0"
    );
    let seccomp = |flags: &[&str]| status_line(&sb, flags, "Seccomp");
    assert_eq!(seccomp(&[]), "Seccomp:\t2");
    assert_eq!(
        seccomp(&["--security-opt", "seccomp=unconfined"]),
        "Seccomp:\t0"
    );
    // a profile of one's own, in Docker's format
    let profile = common::host_path(&sb, "profile.json");
    std::fs::write(
        &profile,
        r#"{"defaultAction":"SCMP_ACT_ALLOW","syscalls":[{"names":["mkdir","mkdirat"],"action":"SCMP_ACT_ERRNO"}]}"#,
    )
    .unwrap();
    let opt = format!("seccomp={}", profile.display());
    let out = run_sh(
        &sb,
        &["--network", "none", "--security-opt", &opt],
        "mkdir /x 2>&1; touch /y && echo touched",
    );
    assert!(
        out.contains("Operation not permitted") && out.contains("touched"),
        "{out}"
    );
    // --cap-add opens the default profile's syscalls for that capability (Docker's rule)
    let out = run_sh(
        &sb,
        &["--network", "none", "--cap-add", "SYS_ADMIN"],
        "mkdir /tmp/m && mount -t tmpfs none /tmp/m && echo mounted",
    );
    assert_eq!(out, "mounted\n");
    let name = unique_name("secopt");
    sb.run([
        "create",
        "--name",
        &name,
        "--security-opt",
        "no-new-privileges",
        "--security-opt",
        &opt,
        "busybox",
    ])
    .ok();
    let opts = &sb.inspect(&name)["HostConfig"]["SecurityOpt"];
    assert_eq!(opts[0], "no-new-privileges");
    assert!(
        opts[1]
            .as_str()
            .unwrap()
            .starts_with("seccomp={\"defaultAction\""),
        "{opts}"
    );
    let bad_json = common::host_path(&sb, "bad.json");
    std::fs::write(&bad_json, "nojson").unwrap();
    let bad = format!("seccomp={}", bad_json.display());
    for (value, needle) in [
        ("foo", "invalid security option \"foo\""),
        (
            "seccomp=/nonexistent.json",
            "opening seccomp profile (/nonexistent.json) failed",
        ),
        (bad.as_str(), "is not JSON"),
        ("no-new-privileges=maybe", "takes true or false"),
    ] {
        sb.run(["run", "--rm", "--security-opt", value, "busybox", "true"])
            .fails(125, needle);
    }
}

#[test]
fn privileged_gives_capabilities_devices_and_no_filter() {
    let sb = Sandbox::new();
    let probe = "grep -c . /proc/self/status >/dev/null; \
                 grep '^Seccomp:' /proc/self/status; grep ' /sys ' /proc/mounts | cut -d' ' -f4 | cut -d, -f1; \
                 [ -c /proc/keys ] && echo keys-masked || echo keys-open; \
                 ls /dev | wc -l; \
                 mkdir /tmp/m && mount -t tmpfs none /tmp/m 2>/dev/null && echo mount-ok || echo mount-refused";
    let plain = run_sh(&sb, &["--network", "none"], probe);
    let lines: Vec<&str> = plain.lines().collect();
    assert_eq!(lines[0], "Seccomp:\t2", "{plain}");
    assert_eq!(lines[1], "ro");
    assert_eq!(lines[2], "keys-masked");
    assert_eq!(lines[4], "mount-refused");
    let few: usize = lines[3].trim().parse().unwrap();

    let privileged = run_sh(&sb, &["--network", "none", "--privileged"], probe);
    let lines: Vec<&str> = privileged.lines().collect();
    assert_eq!(lines[0], "Seccomp:\t0", "{privileged}");
    assert_eq!(lines[1], "rw");
    assert_eq!(lines[2], "keys-open");
    assert_eq!(lines[4], "mount-ok");
    let many: usize = lines[3].trim().parse().unwrap();
    assert!(many > few, "the host's devices: {many} vs {few}");
    // every capability the host has, whatever --cap-drop says
    let caps = |flags: &[&str]| {
        let mut with = vec!["--network", "none"];
        with.extend_from_slice(flags);
        run_sh(&sb, &with, "grep '^CapEff:' /proc/self/status")
    };
    let host_bounding = std::fs::read_to_string("/proc/self/status")
        .unwrap()
        .lines()
        .find_map(|l| l.strip_prefix("CapBnd:").map(|v| v.trim().to_owned()))
        .unwrap();
    assert_eq!(
        caps(&["--privileged", "--cap-drop", "ALL"]),
        format!("CapEff:\t{host_bounding}\n")
    );
    let name = unique_name("priv");
    sb.run(["create", "--name", &name, "--privileged", "busybox"])
        .ok();
    assert_eq!(sb.inspect(&name)["HostConfig"]["Privileged"], true);
}

/// Removes the cgroups named `.0` (the parents `--cgroup-parent` made: the runtime removes
/// only the container's own) when the test ends, passed or not.
struct RemoveCgroupsNamed(String);

impl Drop for RemoveCgroupsNamed {
    fn drop(&mut self) {
        let mut dirs = six_testkit::cgroups_named(&self.0);
        dirs.sort_by_key(|d| std::cmp::Reverse(d.components().count()));
        for d in dirs {
            let _ = std::fs::remove_dir(d);
        }
    }
}

#[test]
fn cgroup_parent_puts_the_containers_cgroup_below_it() {
    let parent = unique_name("cgp");
    let _remove = RemoveCgroupsNamed(parent.clone());
    let sb = Sandbox::new();
    let name = unique_name("cgc");
    sb.run([
        "run",
        "-d",
        "--name",
        &name,
        "--network",
        "none",
        "--cgroup-parent",
        &parent,
        "busybox",
        "sleep",
        "600",
    ])
    .ok();
    let id = sb.id_of(&name);
    let cgroups = sb.run(["exec", &name, "cat", "/proc/self/cgroup"]);
    let want = format!("/{parent}/{id}");
    assert!(
        cgroups.ok().lines().all(|l| l.ends_with(&want)),
        "every hierarchy: {cgroups:?}"
    );
    assert_eq!(
        sb.inspect(&name)["HostConfig"]["CgroupParent"],
        parent.as_str()
    );
    // limits still apply there
    sb.run(["update", "--pids-limit", "7", &name]).ok();
    let dirs = six_testkit::cgroups_named(&id);
    assert!(
        dirs.iter()
            .any(|d| d.parent().is_some_and(|p| p.ends_with(&parent))
                && std::fs::read_to_string(d.join("pids.max")).is_ok_and(|v| v.trim() == "7")),
        "{dirs:?}"
    );
    for bad in ["../x", "a//b", "x.slice"] {
        sb.run(["run", "--rm", "--cgroup-parent", bad, "busybox", "true"])
            .fails(125, &format!("--cgroup-parent {bad:?}"));
    }
}

#[test]
fn pid_uts_and_ipc_host_share_the_hosts_namespaces() {
    let sb = Sandbox::new();
    let own = |ns: &str| {
        std::fs::read_link(format!("/proc/self/ns/{ns}"))
            .unwrap()
            .display()
            .to_string()
    };
    let inside = |flags: &[&str], ns: &str| {
        let mut with = vec!["--network", "none"];
        with.extend_from_slice(flags);
        run_sh(&sb, &with, &format!("readlink /proc/self/ns/{ns}"))
            .trim()
            .to_owned()
    };
    for (flag, ns) in [("--pid", "pid"), ("--uts", "uts"), ("--ipc", "ipc")] {
        assert_ne!(inside(&[], ns), own(ns), "{ns}: one of its own by default");
        assert_eq!(inside(&[flag, "host"], ns), own(ns), "{flag} host");
    }
    // the host's PIDs: the shell is not PID 1 there
    let pid = run_sh(&sb, &["--network", "none", "--pid", "host"], "echo $$");
    assert_ne!(pid.trim(), "1");
    // the host's name, which -h may not change
    let host = nix::unistd::gethostname()
        .unwrap()
        .to_string_lossy()
        .into_owned();
    let name = run_sh(&sb, &["--network", "none", "--uts", "host"], "hostname");
    assert_eq!(name.trim(), host);
    sb.run(["run", "--rm", "--uts", "host", "-h", "x", "busybox", "true"])
        .fails(125, "conflicting options: hostname and the UTS mode");
    // the host's /dev/shm and no mqueue of its own
    let shm = run_sh(
        &sb,
        &["--network", "none", "--ipc", "host"],
        "grep -c ' /dev/mqueue ' /proc/mounts; grep ' /dev/shm ' /proc/mounts | cut -d' ' -f3",
    );
    assert_eq!(shm, "0\ntmpfs\n");
    // another container's: see shared_namespaces.rs; UTS has no such mode (Docker's)
    sb.run(["run", "--rm", "--uts", "container:x", "busybox", "true"])
        .fails(125, "invalid UTS mode \"container:x\"");
    let name = unique_name("ns");
    sb.run([
        "create", "--name", &name, "--pid", "host", "--uts", "host", "--ipc", "host", "busybox",
    ])
    .ok();
    let host_config = &sb.inspect(&name)["HostConfig"];
    assert_eq!(
        (
            &host_config["PidMode"],
            &host_config["UTSMode"],
            &host_config["IpcMode"]
        ),
        (&"host".into(), &"host".into(), &"host".into())
    );
}

/// The STAT column of `ps` in container `name`: a "Z" per zombie.
fn zombies(sb: &Sandbox, name: &str) -> usize {
    sb.run(["exec", name, "ps", "-o", "stat"])
        .ok()
        .lines()
        // `Z`, with `N` after it when the test runs under nice
        .filter(|l| l.trim().starts_with('Z'))
        .count()
}

#[test]
fn init_runs_as_pid_1_reaps_zombies_and_forwards_signals() {
    let sb = Sandbox::new();
    // PID 1 is the init, the command its child
    let out = run_sh(
        &sb,
        &["--network", "none", "--init"],
        "cat /proc/1/cmdline | tr '\\0' ' '; echo; echo $$",
    );
    assert_eq!(
        out,
        "/sbin/docker-init -- sh -c cat /proc/1/cmdline | tr '\\0' ' '; echo; echo $$ \n2\n"
    );
    // its exit code is the command's
    let code = sb.run([
        "run",
        "--rm",
        "--network",
        "none",
        "--init",
        "busybox",
        "sh",
        "-c",
        "exit 5",
    ]);
    assert_eq!(code.code, 5);
    // an orphan that exits is reaped (without --init, a PID 1 that never waits keeps it)
    let orphan = "sh -c 'sleep 0.1 &'; exec sleep 600";
    for (flags, name) in [
        (vec!["--init"], unique_name("reaped")),
        (vec![], unique_name("zombie")),
    ] {
        let mut args = vec!["run", "-d", "--network", "none", "--name", &name];
        args.extend(flags.iter());
        args.extend(["busybox", "sh", "-c", orphan]);
        sb.run(&args).ok();
        if flags.is_empty() {
            sb.wait_for("the zombie without --init", LONG, || {
                (zombies(&sb, &name) == 1).then_some(())
            });
        } else {
            // the orphan has ended once `sleep 600` is all there is besides the init
            sb.wait_for("the orphan's end", LONG, || {
                let ps = sb.run(["exec", &name, "ps", "-o", "comm"]);
                (ps.ok().matches("sleep").count() == 1).then_some(())
            });
            assert_eq!(zombies(&sb, &name), 0);
        }
    }
    // stop's SIGTERM reaches the command through the init
    let name = unique_name("initstop");
    sb.run([
        "run",
        "-d",
        "--network",
        "none",
        "--init",
        "--name",
        &name,
        "busybox",
        "sh",
        "-c",
        "trap 'echo got-term; exit 9' TERM; echo ready; sleep 600 & wait",
    ])
    .ok();
    sb.wait_for_log(&name, "ready");
    sb.run(["stop", "-t", "30", &name]).ok();
    assert!(sb.run(["logs", &name]).ok().contains("got-term"));
    let v = sb.inspect(&name);
    assert_eq!(v["State"]["ExitCode"], 9);
    assert_eq!(v["HostConfig"]["Init"], true);
    assert_eq!(v["Path"], "sh", "the command, not the init");
}
