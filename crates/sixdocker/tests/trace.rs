//! `--trace` (issue 15): one `run -m 100m -p 127.0.0.1:PORT:80 --network N` shows every kind
//! of kernel step of every process involved, each with its time and source line; the JSON
//! form parses; `stop` shows the monitor's clean-up; and neither `--trace` nor `--debug` puts
//! a byte into the container's output or log. Subnets 10.211.40-41.0/24 are this file's.

mod common;

use common::{free_port, unique_name, Sandbox};
use six_testkit::registry::TestRegistry;

/// A line's source location: `crates/<crate>/src/<file>.rs:<line>` at its end.
fn source_of(line: &str) -> Option<&str> {
    let at = line.rfind("  crates/")?;
    let loc = &line[at + 2..];
    let (file, number) = loc.rsplit_once(':')?;
    let ok = file.ends_with(".rs")
        && file.contains("/src/")
        && !number.is_empty()
        && number.chars().all(|c| c.is_ascii_digit());
    ok.then_some(loc)
}

/// The trace lines of one kind (the column after `role[pid]`).
fn of_kind<'a>(lines: &[&'a str], kind: &str) -> Vec<&'a str> {
    lines
        .iter()
        .copied()
        .filter(|l| l.split_whitespace().nth(3) == Some(kind))
        .collect()
}

/// The container's log holds exactly what its `sh -c 'echo out; echo err >&2'` wrote.
#[track_caller]
fn assert_log_is_the_containers_own(sb: &Sandbox, name: &str) {
    let logs = sb.run(["logs", name]);
    assert_eq!(logs.ok(), "out\n");
    assert_eq!(logs.stderr, "err\n");
}

/// Some line of `kind` contains every one of `needles`.
#[track_caller]
fn assert_step(lines: &[&str], kind: &str, needles: &[&str]) {
    let found = of_kind(lines, kind);
    assert!(
        found.iter().any(|l| needles.iter().all(|n| l.contains(n))),
        "no {kind} step with {needles:?} among {} lines:\n{}",
        found.len(),
        found.join("\n")
    );
}

#[test]
fn one_run_shows_every_kind_of_step_with_times_and_sources() {
    let sb = Sandbox::new();
    let net = unique_name("tn");
    sb.sh(&format!("network create --subnet 10.211.40.0/24 {net}"))
        .ok();
    let name = unique_name("tr");
    let port = free_port();
    let publish = format!("127.0.0.1:{port}:80");
    let ran = sb.run([
        "--trace",
        "run",
        "--name",
        &name,
        "-m",
        "100m",
        "-p",
        &publish,
        "--network",
        &net,
        "-e",
        "TRACE_SECRET=do-not-print-me",
        "busybox",
        "sh",
        "-c",
        "echo out; echo err >&2",
    ]);
    assert_eq!(ran.code, 0, "{ran:?}");
    // The container's stdout is exactly its own; the trace is on the CLI's stderr.
    assert_eq!(ran.stdout, "out\n", "{ran:?}");
    let trace: Vec<&str> = ran
        .stderr
        .lines()
        .filter(|l| *l != "err" && !l.starts_with("summary:"))
        .collect();
    assert!(trace.len() > 50, "{}", ran.stderr);
    for l in &trace {
        let time = l.split_whitespace().next().unwrap_or_default();
        assert!(
            time.parse::<f64>().is_ok() && l.split_whitespace().nth(1) == Some("ms"),
            "no elapsed time: {l}"
        );
        assert!(source_of(l).is_some(), "no source location: {l}");
    }
    let text = ran.stderr.as_str();
    for role in ["cli[", "monitor[", "init["] {
        assert!(
            text.contains(role),
            "no step of the {role}…] process:\n{text}"
        );
    }
    // The container is made in new namespaces, decoded.
    let clone = [
        "CLONE_NEWPID",
        "CLONE_NEWNS",
        "CLONE_NEWNET",
        "crates/runtime/src/create.rs:",
    ];
    assert_step(&trace, "clone", &clone);
    // The overlay rootfs with its layers, upper and work dirs; the init's own mounts.
    let overlay = ["type overlay", "lowerdir=", "upperdir=", "workdir="];
    assert_step(&trace, "mount", &overlay);
    assert_step(&trace, "mount", &["init[", "proc on ", "type proc"]);
    assert_step(&trace, "pivot_root", &["pivot_root(new_root"]);
    assert_step(
        &trace,
        "umount",
        &["MNT_DETACH", "crates/rootfs/src/pivot.rs:"],
    );
    assert_step(&trace, "device", &["/dev/null", "1:3"]);
    assert_step(&trace, "masked", &["/proc/"]);
    assert_step(&trace, "readonly", &["/proc/"]);
    // The memory limit as written into the cgroup: v1 or v2.
    let v1 = of_kind(&trace, "cgroup")
        .iter()
        .any(|l| l.contains("memory.limit_in_bytes = 104857600"));
    if !v1 {
        assert_step(&trace, "cgroup", &["memory.max = 104857600"]);
    }
    assert_step(&trace, "caps", &["Bounding = ", "dropped", "CAP_SYS_ADMIN"]);
    assert_step(
        &trace,
        "seccomp",
        &["syscalls", "default action SCMP_ACT_ERRNO"],
    );
    assert_step(&trace, "rlimit", &["RLIMIT_"]);
    assert_step(&trace, "user", &["setresuid 0"]);
    assert_step(&trace, "user", &["setresgid 0"]);
    // Network: the veth pair made in the container's namespace, its address and route, the
    // bridge, and the published port's firewall rule.
    assert_step(&trace, "netlink", &["veth pair", "net:["]);
    assert_step(&trace, "netlink", &["RTM_NEWADDR 10.211.40."]);
    assert_step(&trace, "netlink", &["RTM_NEWROUTE default via 10.211.40.1"]);
    assert_step(&trace, "netlink", &["RTM_NEWLINK bridge"]);
    // The DNAT rule of the published port, in the firewall backend's own words.
    let dnat = |l: &&str| l.contains(&port.to_string()) && l.to_lowercase().contains("dnat");
    let firewall = of_kind(&trace, "firewall");
    assert!(firewall.iter().any(dnat), "{firewall:?}");
    // The execve: argv, and the environment's names only.
    let argv = r#"argv ["sh", "-c", "echo out; echo err >&2"]"#;
    assert_step(&trace, "execve", &["init[", argv, "TRACE_SECRET"]);
    assert!(
        !text.contains("do-not-print-me"),
        "an environment value was printed:\n{text}"
    );
    let summary = text.lines().find(|l| l.starts_with("summary:"));
    let summary = summary.unwrap_or_else(|| panic!("no summary:\n{text}"));
    for phase in [
        "image",
        "rootfs",
        "cgroups",
        "namespaces",
        "network",
        "exec",
    ] {
        assert!(summary.contains(&format!("{phase} ")), "{summary}");
    }
    // The container's log holds its own output only.
    assert_log_is_the_containers_own(&sb, &name);

    // A foreground `run --rm`: the monitor's clean-up at the end reaches the CLI too, even
    // when the container is gone before the CLI has handed the monitor its trace socket.
    let ran = sb.run([
        "--trace",
        "run",
        "--rm",
        "--network",
        &net,
        "busybox",
        "true",
    ]);
    assert_eq!(ran.code, 0, "{ran:?}");
    let lines: Vec<&str> = ran.stderr.lines().collect();
    assert_step(&lines, "umount", &["monitor[", "the container's rootfs"]);
    assert_step(&lines, "cgroup_dir", &["monitor[", "rmdir"]);

    // `stop` of a running one: the monitor's signal and clean-up reach the stopping CLI.
    // Both traces name the monitor by its own pid (it is forked twice: not the
    // intermediate's).
    let name = unique_name("tr");
    let detached = sb.run([
        "--trace",
        "run",
        "-d",
        "--name",
        &name,
        "-p",
        &publish,
        "--network",
        &net,
        "busybox",
        "sleep",
        "600",
    ]);
    assert_eq!(detached.code, 0, "{detached:?}");
    let state = sb
        .root()
        .join("containers")
        .join(sb.id_of(&name))
        .join("state.json");
    let state: serde_json::Value = serde_json::from_slice(&std::fs::read(&state).unwrap()).unwrap();
    let monitor = format!("monitor[{}]", state["monitor"]["pid"].as_i64().unwrap());
    // A detached exec: its keeper (forked twice too) named by its own pid, the parent of
    // the exec'd process.
    let exec = sb.run(["--trace", "exec", "-d", &name, "sleep", "600"]);
    assert_eq!(exec.code, 0, "{exec:?}");
    let pid_of = |role: &str| -> Vec<i32> {
        let lines = exec.stderr.lines();
        let named = lines.filter_map(|l| l.split_whitespace().nth(2)?.strip_prefix(role));
        named
            .filter_map(|n| n.trim_end_matches(']').parse().ok())
            .collect()
    };
    let (execd, keepers) = (pid_of("exec["), pid_of("keeper["));
    let status = std::fs::read_to_string(format!("/proc/{}/status", execd[0])).unwrap();
    let ppid = status.lines().find_map(|l| l.strip_prefix("PPid:"));
    let keeper: i32 = ppid.unwrap().trim().parse().unwrap();
    assert!(
        !keepers.is_empty() && keepers.iter().all(|k| *k == keeper),
        "{keeper}: {exec:?}"
    );
    let stop = sb.run(["--trace", "stop", "-t", "0", &name]);
    assert_eq!(stop.code, 0, "{stop:?}");
    for trace in [&detached.stderr, &stop.stderr] {
        let steps = trace.lines().filter(|l| l.contains(" monitor["));
        let named: Vec<&str> = steps.filter_map(|l| l.split_whitespace().nth(2)).collect();
        assert!(!named.is_empty(), "{trace}");
        assert!(
            named.iter().all(|n| *n == monitor),
            "not all {monitor}: {named:?}"
        );
    }
    let lines: Vec<&str> = stop.stderr.lines().collect();
    assert_step(&lines, "signal", &["monitor[", "SIGKILL"]);
    assert_step(&lines, "cgroup_dir", &["monitor[", "rmdir"]);
    let removed = |l: &&str| l.contains("removed:") || l.contains("delete rule");
    let firewall = of_kind(&lines, "firewall");
    assert!(firewall.iter().any(removed), "{firewall:?}");
    assert_step(&lines, "umount", &["monitor[", "the container's rootfs"]);
}

#[test]
fn json_lines_parse_and_logs_stay_clean_under_trace_and_debug() {
    let sb = Sandbox::new();
    let net = unique_name("tn");
    sb.sh(&format!("network create --subnet 10.211.41.0/24 {net}"))
        .ok();
    let name = unique_name("tj");
    let ran = sb.run([
        "--trace=json",
        "--debug",
        "run",
        "--name",
        &name,
        "--network",
        &net,
        "busybox",
        "sh",
        "-c",
        "echo out; echo err >&2",
    ]);
    assert_eq!(ran.code, 0, "{ran:?}");
    assert_eq!(ran.stdout, "out\n", "{ran:?}");
    let objects: Vec<serde_json::Value> = ran
        .stderr
        .lines()
        .filter(|l| l.starts_with('{'))
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("not JSON: {l}: {e}")))
        .collect();
    let steps: Vec<&serde_json::Value> = objects.iter().filter(|o| o["kind"].is_string()).collect();
    assert!(steps.len() > 50, "{}", ran.stderr);
    for s in &steps {
        assert!(s["t_ms"].is_f64(), "{s}");
        assert!(s["pid"].is_i64(), "{s}");
        let source = s["source"].as_str().unwrap_or_default();
        assert!(
            source.starts_with("crates/") && source.contains(".rs:"),
            "{s}"
        );
    }
    assert!(
        steps
            .iter()
            .any(|s| s["kind"] == "execve" && s["process"] == "init" && s["phase"] == "exec"),
        "{}",
        ran.stderr
    );
    let summary = objects
        .iter()
        .find_map(|o| o.get("summary"))
        .unwrap_or_else(|| panic!("no summary in {}", ran.stderr));
    assert!(
        summary["namespaces_ms"].as_f64().unwrap() > 0.0,
        "{summary}"
    );
    assert!(summary["total_ms"].as_f64().unwrap() > 0.0, "{summary}");
    // --debug and --trace both printed, and the container's log has only its own output.
    assert!(ran.stderr.contains("DEBUG"), "{}", ran.stderr);
    assert_log_is_the_containers_own(&sb, &name);

    // Detached, with both: the log is still the container's own.
    let name = unique_name("tj");
    sb.run([
        "--trace",
        "--debug",
        "run",
        "-d",
        "--name",
        &name,
        "--network",
        &net,
        "busybox",
        "sh",
        "-c",
        "echo out; echo err >&2",
    ])
    .ok();
    let waited = sb.run(["wait", &name]);
    assert_eq!(waited.ok().trim(), "0");
    assert_log_is_the_containers_own(&sb, &name);
    // `commit` says what it made of the upper dir.
    let image = unique_name("timg");
    let committed = sb.run(["--trace", "commit", &name, &image]);
    assert_eq!(committed.code, 0, "{committed:?}");
    let lines: Vec<&str> = committed.stderr.lines().collect();
    assert_step(&lines, "image", &["one new layer from ", "/upper"]);
}

#[test]
fn pull_traces_the_manifest_each_layer_and_the_image() {
    let reg = TestRegistry::start().unwrap();
    let seeder = Sandbox::new();
    common::seed::seed(&seeder, &reg.domain(), "t/traced:1", None);
    let sb = Sandbox::new();
    let r = format!("{}/t/traced:1", reg.domain());
    let out = sb.run(["--trace", "pull", &r]);
    assert_eq!(out.code, 0, "{out:?}");
    let lines: Vec<&str> = out.stderr.lines().collect();
    assert_step(
        &lines,
        "image",
        &["GET /v2/t/traced/manifests/1 from 127.0.0.1:"],
    );
    assert_step(
        &lines,
        "image",
        &["layer sha256:", "bytes)", "unpacked as sha256:"],
    );
    assert_step(&lines, "image", &["recorded as ", "t/traced:1"]);
    let summary = lines.iter().find(|l| l.starts_with("summary: image "));
    assert!(summary.is_some(), "{}", out.stderr);
}
