//! What a container's process finds around it, as under Docker (issue 11, "Fix"): `HOME`
//! from the user's passwd entry in the image (run, `-u`, exec, `exec -u`), the supplementary
//! groups of the user from the image's /etc/group, the default `PATH`, `HOSTNAME`, `TERM`
//! only with a terminal — and `exec` allocates a terminal only with `-t`, even when its own
//! stdin is one. Expected values were taken from Docker 20.10 on the same image.

mod common;

use std::time::Duration;

use common::pty::Terminal;
use common::{unique_name, Sandbox};

const LONG: Duration = Duration::from_secs(60);

/// Appended to the busybox image's files by [`image_with_groups`].
const GROUPS_SETUP: &str = "echo wheel:x:10:user >> /etc/group; \
    echo audio:x:29:user,root >> /etc/group; echo svc:x:999: >> /etc/group; \
    echo svc:x:999:999:svc:/var/svc:/bin/false >> /etc/passwd";

/// An image whose /etc/group lists `user` in wheel and audio and `root` in audio, with a
/// user `svc` (home /var/svc): made with run + commit, as a user would.
fn image_with_groups(sb: &Sandbox) -> String {
    let image = unique_name("groups");
    sb.image_from_script(&image, GROUPS_SETUP);
    image
}

/// `id` and `$HOME` of `run -u USER` (no -u when empty).
fn id_and_home(sb: &Sandbox, image: &str, user: &str) -> String {
    let mut args = vec!["run", "--rm", "--network", "none"];
    if !user.is_empty() {
        args.extend(["-u", user]);
    }
    args.extend([image, "sh", "-c", "id; echo HOME=$HOME"]);
    sb.run(args).ok().to_owned()
}

#[test]
fn users_get_their_home_and_groups_from_the_image() {
    let sb = Sandbox::new();
    let image = image_with_groups(&sb);
    let cases = [
        (
            "",
            "uid=0(root) gid=0(root) groups=0(root),29(audio)\nHOME=/root\n",
        ),
        (
            "root",
            "uid=0(root) gid=0(root) groups=0(root),29(audio)\nHOME=/root\n",
        ),
        (
            "user",
            "uid=1000(user) gid=1000(user) groups=10(wheel),29(audio),1000(user)\nHOME=/home/user\n",
        ),
        (
            "1000",
            "uid=1000(user) gid=1000(user) groups=10(wheel),29(audio),1000(user)\nHOME=/home/user\n",
        ),
        // an explicit group replaces the primary one and adds no others
        (
            "user:wheel",
            "uid=1000(user) gid=10(wheel) groups=10(wheel)\nHOME=/home/user\n",
        ),
        (
            "1000:29",
            "uid=1000(user) gid=29(audio) groups=29(audio)\nHOME=/home/user\n",
        ),
        (
            "svc",
            "uid=999(svc) gid=999(svc) groups=999(svc)\nHOME=/var/svc\n",
        ),
        // no passwd entry: gid 0 and HOME=/
        ("4321", "uid=4321 gid=0(root) groups=0(root)\nHOME=/\n"),
    ];
    for (user, want) in cases {
        assert_eq!(id_and_home(&sb, &image, user), want, "-u {user:?}");
    }
    // a HOME given with -e is kept
    let out = sb.run([
        "run",
        "--rm",
        "--network",
        "none",
        "-e",
        "HOME=/given",
        &image,
        "sh",
        "-c",
        "echo $HOME",
    ]);
    assert_eq!(out.ok(), "/given\n");
}

/// The output of `sixdocker ARGS` (an `env`), its lines sorted.
fn env_of(sb: &Sandbox, args: &[&str]) -> String {
    let out = sb.run(args);
    let mut lines: Vec<&str> = out.ok().lines().collect();
    lines.sort_unstable();
    lines.join("\n")
}

#[test]
fn run_and_exec_environments_are_dockers() {
    let sb = Sandbox::new();
    let plain = unique_name("env");
    let tty = unique_name("envt");
    sb.run(common::detached_args(&plain, &["sleep", "600"]))
        .ok();
    sb.run([
        "run",
        "-d",
        "-t",
        "--network",
        "none",
        "--name",
        &tty,
        "-e",
        "FOO=1",
        "busybox",
        "sleep",
        "600",
    ])
    .ok();
    let id = |name: &str| sb.id_of(name)[..12].to_owned();
    let path = "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
    // exec: HOME as the exec's user; TERM follows the exec's own -t, not the container's
    assert_eq!(
        env_of(&sb, &["exec", &plain, "env"]),
        format!("HOME=/root\nHOSTNAME={}\n{path}", id(&plain))
    );
    assert_eq!(
        env_of(&sb, &["exec", "-t", &plain, "env"]).replace('\r', ""),
        format!("HOME=/root\nHOSTNAME={}\n{path}\nTERM=xterm", id(&plain))
    );
    assert_eq!(
        env_of(&sb, &["exec", &tty, "env"]),
        format!("FOO=1\nHOME=/root\nHOSTNAME={}\n{path}", id(&tty))
    );
    assert_eq!(
        env_of(&sb, &["exec", "-u", "user", &plain, "env"]),
        format!("HOME=/home/user\nHOSTNAME={}\n{path}", id(&plain))
    );
    assert_eq!(
        sb.run(["exec", "-u", "user", &plain, "id"]).ok(),
        "uid=1000(user) gid=1000(user) groups=1000(user)\n"
    );
    // run: the same defaults for the container's own process
    assert_eq!(
        env_of(
            &sb,
            &[
                "run",
                "--rm",
                "--network",
                "none",
                "--hostname",
                "h1",
                "busybox",
                "env"
            ]
        ),
        format!("HOME=/root\nHOSTNAME=h1\n{path}")
    );
}

/// `exec` without -t gives no terminal even when its own stdin is one (Docker's rule; the
/// original sixDocker gave a shell there, which put `\r\n` and echoed input in redirected
/// output).
#[test]
fn exec_without_t_allocates_no_terminal_at_a_terminal() {
    let sb = Sandbox::new();
    let name = unique_name("notty");
    sb.run(common::detached_args(&name, &["sleep", "600"])).ok();
    let mut term = Terminal::spawn(
        sb.command(["exec", &name, "sh", "-c", "tty; echo stdin-$(cat | wc -c)"]),
        24,
        80,
    );
    // no -i either: stdin is empty, not the terminal
    assert_eq!(term.wait(LONG), 0, "screen: {}", term.screen());
    let screen = term.screen();
    assert!(screen.contains("not a tty"), "{screen}");
    assert!(screen.contains("stdin-0"), "{screen}");
    // with -t it has one
    let mut term = Terminal::spawn(sb.command(["exec", "-t", &name, "tty"]), 24, 80);
    assert_eq!(term.wait(LONG), 0, "screen: {}", term.screen());
    assert!(term.screen().contains("/dev/pts/"), "{}", term.screen());
}

/// `--group-add`: more groups, after the user's own, for the container's process and its
/// execs (values from Docker 20.10 on the same image).
#[test]
fn group_add_adds_groups_from_the_image() {
    let sb = Sandbox::new();
    let image = image_with_groups(&sb);
    let id = |flags: &[&str]| {
        let mut args = vec!["run", "--rm", "--network", "none"];
        args.extend_from_slice(flags);
        args.extend([image.as_str(), "id"]);
        sb.run(&args).ok().to_owned()
    };
    assert_eq!(
        id(&[
            "--group-add",
            "audio",
            "--group-add",
            "4242",
            "-u",
            "user:wheel"
        ]),
        "uid=1000(user) gid=10(wheel) groups=10(wheel),29(audio),4242\n"
    );
    assert_eq!(
        id(&["--group-add", "wheel"]),
        "uid=0(root) gid=0(root) groups=0(root),10(wheel),29(audio)\n"
    );
    let name = unique_name("grpadd");
    sb.run([
        "run",
        "-d",
        "--network",
        "none",
        "--name",
        &name,
        "--group-add",
        "wheel",
        &image,
        "sleep",
        "600",
    ])
    .ok();
    assert_eq!(
        sb.run(["exec", "-u", "svc", &name, "id"]).ok(),
        "uid=999(svc) gid=999(svc) groups=10(wheel),999(svc)\n"
    );
    assert_eq!(
        sb.inspect(&name)["HostConfig"]["GroupAdd"],
        serde_json::json!(["wheel"])
    );
    sb.run(["run", "--rm", "--group-add", "nosuch", &image, "id"])
        .fails(125, "unable to find group nosuch");
}
