//! The original sixDocker's command lines (issue 4), typed as a user would, with `sixdocker`
//! for `./sixDocker`. Interactive ones run on a pseudo-terminal.

mod common;

use std::time::Duration;

use common::pty::Terminal;
use common::{unique_name, Sandbox};

const LONG: Duration = Duration::from_secs(60);

/// `run -ti --name mycontainer -- /bin/sh`: a shell on the terminal, its window size, and
/// its exit code coming back.
#[test]
fn run_ti_shell_on_a_terminal() {
    let sb = Sandbox::new();
    let name = unique_name("ti");
    let mut term = Terminal::spawn(
        sb.command(["run", "-ti", "--name", &name, "--", "/bin/sh"]),
        33,
        97,
    );
    term.type_text("stty size; echo tty=$(tty)\r");
    term.expect("33 97", LONG);
    term.expect("tty=/dev/", LONG);
    // A resize reaches the container (asked again until the SIGWINCH has been relayed).
    term.resize(41, 101);
    let until = std::time::Instant::now() + LONG;
    while !term.screen().contains("41 101") {
        assert!(
            std::time::Instant::now() < until,
            "no resize: {}",
            term.screen()
        );
        term.type_text("stty size\r");
        std::thread::sleep(Duration::from_millis(200));
    }
    term.type_text("exit 3\r");
    assert_eq!(term.wait(LONG), 3, "screen: {}", term.screen());
    assert!(sb.ps_row(&name).unwrap().contains("Exited (3)"));
}

/// `exec -it` on a terminal: a shell with the terminal's size and its exit code.
#[test]
fn exec_it_on_a_terminal() {
    let sb = Sandbox::new();
    let name = unique_name("xit");
    sb.run(["run", "-d", "--name", &name, "busybox", "sleep", "600"])
        .ok();
    let mut term = Terminal::spawn(sb.command(["exec", "-it", &name, "sh"]), 27, 91);
    term.type_text("stty size; tty\r");
    term.expect("27 91", LONG);
    term.expect("/dev/pts/", LONG);
    term.type_text("exit 6\r");
    assert_eq!(term.wait(LONG), 6, "screen: {}", term.screen());
}

/// `run -d --name mycontainer -- top`, then `ps`, `logs`, `exec`, `stop`, `rm`.
#[test]
fn detached_top_ps_logs_exec_stop_rm() {
    let sb = Sandbox::new();
    let name = unique_name("top");
    let id = sb
        .sh(&format!("run -d --name {name} -- top"))
        .ok()
        .trim()
        .to_owned();
    assert_eq!(id.len(), 64, "run -d prints the full id: {id}");

    let ps = sb.sh("ps");
    let row = ps
        .ok()
        .lines()
        .find(|l| l.ends_with(&name))
        .expect("ps lists it")
        .to_owned();
    assert!(row.starts_with(&id[..12]), "{row}");
    assert!(row.contains("\"top\"") && row.contains("Up "), "{row}");
    assert!(
        ps.stdout.starts_with("CONTAINER ID   IMAGE"),
        "{}",
        ps.stdout
    );

    sb.wait_for("top's output in the log", LONG, || {
        sb.sh(&format!("logs {name}"))
            .ok()
            .contains("PID")
            .then_some(())
    });

    // The original's exec line gave a shell at a terminal; `exec` now follows Docker's
    // rules (issue 11: a terminal only with -t, stdin only with -i), so it takes -it.
    let mut term = Terminal::spawn(sb.command(["exec", "-it", &name, "/bin/sh"]), 24, 80);
    term.type_text("echo inside-$((6*7)); exit 4\r");
    term.expect("inside-42", LONG);
    assert_eq!(term.wait(LONG), 4);

    assert_eq!(sb.sh(&format!("stop {name}")).ok().trim(), name);
    let row = sb.ps_row(&name).unwrap();
    assert!(
        row.contains("Exited (137)") || row.contains("Exited (143)"),
        "{row}"
    );
    assert_eq!(sb.sh(&format!("rm {name}")).ok().trim(), name);
    assert!(sb.ps_row(&name).is_none());
}

/// `run -ti -m 100m --name test -- stress ...`: there is no stress in busybox (127), and the
/// same limit with dd writing a 200M block is OOM-killed: exit 137, "Exited (137)".
#[test]
fn memory_limit_is_real() {
    let sb = Sandbox::new();
    let name = unique_name("mem");
    let mut term = Terminal::spawn(
        sb.command([
            "run",
            "-ti",
            "-m",
            "100m",
            "--name",
            &name,
            "--",
            "stress",
            "--vm-bytes",
            "200m",
            "--vm-keep",
            "-m",
            "1",
        ]),
        24,
        80,
    );
    assert_eq!(term.wait(LONG), 127, "{}", term.screen());
    assert!(
        term.screen()
            .contains("sixdocker: stress: not found in image busybox"),
        "{}",
        term.screen()
    );
    assert!(
        sb.ps_row(&name).is_none(),
        "nothing is left of a command that was not found"
    );

    let r = sb.run([
        "run",
        "-m",
        "100m",
        "--name",
        &name,
        "--",
        "dd",
        "if=/dev/zero",
        "of=/dev/null",
        "bs=200M",
        "count=1",
    ]);
    assert_eq!(r.code, 137, "{r:?}");
    assert!(sb.ps_row(&name).unwrap().contains("Exited (137)"));
    assert_eq!(
        sb.inspect(&name)["State"]["OOMKilled"],
        true,
        "inspect says why"
    );
    assert_eq!(sb.inspect(&name)["HostConfig"]["Memory"], 104857600);
}

/// `run -ti -cpushare 512 --name test -- /bin/sh`: cpu.shares of the container's cgroup.
#[test]
fn cpushare_512() {
    let sb = Sandbox::new();
    let name = unique_name("cpu");
    let mut term = Terminal::spawn(
        sb.command([
            "run",
            "-ti",
            "-cpushare",
            "512",
            "--name",
            &name,
            "--",
            "/bin/sh",
        ]),
        24,
        80,
    );
    term.type_text("echo re\"\"ady\r");
    term.expect("ready", LONG);
    let id = sb.id_of(&name);
    assert_eq!(cgroup_file(&id, "cpu.shares").as_deref(), Some("512"));
    term.type_text("cat /sys/fs/cgroup/cpu,cpuacct/cpu.shares /sys/fs/cgroup/cpu/cpu.shares 2>/dev/null | head -1; exit\r");
    assert_eq!(term.wait(LONG), 0);
    assert!(term.screen().contains("512"), "{}", term.screen());
}

/// `run -ti -cpuset 0,1 --name test -- /bin/sh`: the container may use CPUs 0 and 1 only.
#[test]
fn cpuset_0_1() {
    let sb = Sandbox::new();
    let name = unique_name("cps");
    let cpus = if std::thread::available_parallelism().unwrap().get() >= 2 {
        "0,1"
    } else {
        "0"
    };
    let mut term = Terminal::spawn(
        sb.command([
            "run", "-ti", "-cpuset", cpus, "--name", &name, "--", "/bin/sh",
        ]),
        24,
        80,
    );
    term.type_text("grep Cpus_allowed_list /proc/self/status; exit\r");
    assert_eq!(term.wait(LONG), 0);
    let expected = if cpus == "0,1" { "0-1" } else { "0" };
    assert!(
        term.screen()
            .contains(&format!("Cpus_allowed_list:\t{expected}")),
        "{}",
        term.screen()
    );
}

/// `run -ti -v /host/path:/container/path:rw --name test -- /bin/sh`: a write inside shows on
/// the host.
#[test]
fn volume_rw() {
    let sb = Sandbox::new();
    let name = unique_name("vol");
    let host = sb.dir.path().join("host-path");
    std::fs::create_dir(&host).unwrap();
    let spec = format!("{}:/container/path:rw", host.display());
    let mut term = Terminal::spawn(
        sb.command(["run", "-ti", "-v", &spec, "--name", &name, "--", "/bin/sh"]),
        24,
        80,
    );
    term.type_text("echo written-inside > /container/path/f; exit\r");
    assert_eq!(term.wait(LONG), 0, "{}", term.screen());
    assert_eq!(
        std::fs::read_to_string(host.join("f")).unwrap(),
        "written-inside\n"
    );
}

/// `commit -n mycontainer -t myimage`, `images`, and a run from the committed image.
#[test]
fn commit_n_t_then_images_and_run() {
    let sb = Sandbox::new();
    let name = unique_name("cm");
    let image = unique_name("myimage");
    sb.run([
        "run",
        "--name",
        &name,
        "--",
        "sh",
        "-c",
        "echo committed > /marker",
    ])
    .ok();
    let id = sb
        .sh(&format!("commit -n {name} -t {image}"))
        .ok()
        .trim()
        .to_owned();
    assert!(id.starts_with("sha256:") && id.len() == 71, "{id}");

    let images = sb.sh("images");
    assert!(
        images.ok().starts_with("REPOSITORY ") && images.stdout.contains(" TAG "),
        "{}",
        images.stdout
    );
    let row = images
        .stdout
        .lines()
        .find(|l| l.starts_with(&image))
        .expect("images lists it");
    assert!(row.contains("latest") && row.contains(&id[7..19]), "{row}");

    let out = sb.run(["run", "--rm", &image, "cat", "/marker"]);
    assert_eq!(out.ok(), "committed\n");
}

/// `run -d -e KEY1=value1 -e KEY2=value2 --name test -- /bin/sh`.
#[test]
fn env_flags() {
    let sb = Sandbox::new();
    let name = unique_name("env");
    sb.sh(&format!(
        "run -d -e KEY1=value1 -e KEY2=value2 --name {name} -- /bin/sh"
    ))
    .ok();
    let env = sb.inspect(&name)["Config"]["Env"].clone();
    let env: Vec<&str> = env
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|v| v.as_str())
        .collect();
    assert!(
        env.contains(&"KEY1=value1") && env.contains(&"KEY2=value2"),
        "{env:?}"
    );
    let out = sb.sh("run --rm -e KEY1=value1 -e KEY2=value2 -- env");
    assert!(out.ok().contains("KEY1=value1\n") && out.stdout.contains("KEY2=value2\n"));
}

/// `run -ti -image nginx --name web -- nginx -g 'daemon off;'`: nginx from the image that
/// scripts/make-nginx-image.sh made, answering on the container's own address; Ctrl-C ends it.
#[test]
fn image_nginx_on_a_terminal() {
    let sb = Sandbox::new();
    common::make_nginx_image(&sb);
    let name = unique_name("web");
    let mut term = Terminal::spawn(
        sb.command([
            "run",
            "-ti",
            "-image",
            "nginx",
            "--name",
            &name,
            "--",
            "nginx",
            "-g",
            "daemon off;",
        ]),
        24,
        80,
    );
    let ip = sb.wait_for("the container's address", LONG, || {
        let v = sb.try_inspect(&name)?;
        let ip = v["NetworkSettings"]["IPAddress"]
            .as_str()
            .unwrap_or_default()
            .to_owned();
        (!ip.is_empty()).then_some(ip)
    });
    let page = sb.wait_for("nginx to answer", LONG, || common::http_get(&ip, 80, "/"));
    assert!(
        page.contains("200") && page.to_lowercase().contains("nginx"),
        "{page}"
    );
    term.expect("\"GET / HTTP/1.0\" 200", LONG); // nginx's access log, on the terminal
                                                 // Ctrl-C reaches nginx, which shuts down (quickly and with status 0, as under Docker).
    term.type_text("\x03");
    let code = term.wait(LONG);
    assert_eq!(code, 0, "screen: {}", term.screen());
    assert!(sb.ps_row(&name).unwrap().contains("Exited (0)"));
}

/// The cgroup file `file` of the container `id` (any hierarchy), trimmed.
fn cgroup_file(id: &str, file: &str) -> Option<String> {
    six_testkit::cgroups_named(&id[..12])
        .into_iter()
        .find_map(|dir| std::fs::read_to_string(dir.join(file)).ok())
        .map(|s| s.trim().to_owned())
}
