//! What every sixdocker integration test shares: a [`Sandbox`] (its own `--root` and
//! `--runroot` in a temp dir, cleaned and checked for leftovers on drop), a way to run the
//! real binary, and a pseudo-terminal driver for `-ti`.
//!
//! The tests run as root against the real kernel. Network traffic goes only to loopback
//! and to the addresses of containers a test made itself.
#![allow(dead_code)]

pub mod api;
pub mod build;
pub mod fake_registry;
pub mod image_config;
pub mod pty;
pub mod seed;

use std::ffi::OsStr;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

#[allow(unused_imports)] // not every test file names things
pub use six_testkit::unique_name;

pub const BIN: &str = env!("CARGO_BIN_EXE_sixdocker");

/// How long one CLI command may take before the test gives up on it.
pub const COMMAND_DEADLINE: Duration = Duration::from_secs(180);

/// Reads a pipe to its end on a thread; the bytes arrive on the returned channel.
fn drain(mut pipe: impl std::io::Read + Send + 'static) -> std::sync::mpsc::Receiver<Vec<u8>> {
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let mut buf = Vec::new();
        let _ = pipe.read_to_end(&mut buf);
        let _ = tx.send(buf);
    });
    rx
}

/// Runs `cmd` to completion, bounded: a command that does not finish within
/// [`COMMAND_DEADLINE`] is killed and fails the test, and so does output that stays open
/// after it exited (a process it left behind holding its stdout or stderr). `stdin`: fed to
/// it, then closed (None: its stdin as set, else the test's).
pub fn run_bounded(mut cmd: Command, stdin: Option<&str>) -> Ran {
    let shown = format!("{cmd:?}");
    if stdin.is_some() {
        cmd.stdin(Stdio::piped());
    }
    let mut child = cmd
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("running {shown}: {e}"));
    if let (Some(text), Some(mut input)) = (stdin, child.stdin.take()) {
        use std::io::Write;
        // A command that does not read it all closes the pipe: not a failure here.
        let _ = input.write_all(text.as_bytes());
    }
    let stdout = drain(child.stdout.take().unwrap());
    let stderr = drain(child.stderr.take().unwrap());
    let until = Instant::now() + COMMAND_DEADLINE;
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if Instant::now() > until {
            let _ = child.kill();
            let _ = child.wait();
            panic!("{shown} did not finish within {COMMAND_DEADLINE:?}");
        }
        std::thread::sleep(Duration::from_millis(5));
    };
    let pipe_deadline = Duration::from_secs(10);
    let stdout = stdout
        .recv_timeout(pipe_deadline)
        .unwrap_or_else(|_| panic!("{shown} exited but its stdout stayed open: a process kept it"));
    let stderr = stderr
        .recv_timeout(pipe_deadline)
        .unwrap_or_else(|_| panic!("{shown} exited but its stderr stayed open: a process kept it"));
    Ran {
        code: status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&stdout).into_owned(),
        stderr: String::from_utf8_lossy(&stderr).into_owned(),
    }
}

/// One test's private store. On drop: `rm -f` every container, remove every network but
/// the default, then check that nothing is left (mounts under the temp dir, cgroups and
/// processes of its containers), unmount and delete the dirs, and fail the test if anything
/// had been left.
pub struct Sandbox {
    pub dir: tempfile::TempDir,
    /// Full IDs of every container the test's store ever listed (for the leak checks).
    seen_ids: std::cell::RefCell<Vec<String>>,
    /// A small tmpfs on the store (`--root`), for tests that fill the disk; unmounted once
    /// every container is gone.
    small_root: Option<six_testkit::SmallTmpfs>,
    /// The network namespace every command runs in (None: the test's own).
    netns: Option<std::fs::File>,
    /// Environment every command gets.
    env: Vec<(String, String)>,
}

/// What one command did.
#[derive(Debug)]
pub struct Ran {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Ran {
    /// Asserts success and returns stdout.
    #[track_caller]
    pub fn ok(&self) -> &str {
        assert_eq!(self.code, 0, "expected success, got {self:?}");
        &self.stdout
    }

    /// Asserts a failure with `code` and exactly one line on stderr that contains `needle`.
    #[track_caller]
    pub fn fails(&self, code: i32, needle: &str) {
        assert_eq!(self.code, code, "wrong exit code: {self:?}");
        let lines: Vec<&str> = self.stderr.lines().collect();
        assert_eq!(lines.len(), 1, "expected one line on stderr: {self:?}");
        assert!(lines[0].starts_with("sixdocker: "), "{self:?}");
        assert!(lines[0].contains(needle), "expected {needle:?} in {self:?}");
    }
}

impl Sandbox {
    pub fn new() -> Sandbox {
        six_testkit::require_root();
        let dir = tempfile::Builder::new()
            .prefix("sixdocker-t-")
            .tempdir()
            .unwrap();
        std::fs::create_dir_all(dir.path().join("images")).unwrap();
        Sandbox {
            dir,
            seen_ids: Default::default(),
            small_root: None,
            netns: None,
            env: Vec::new(),
        }
    }

    /// Runs every command (the cleanup's too) in the network namespace `netns`, which must
    /// outlive the sandbox.
    pub fn in_netns(mut self, netns: &six_testkit::OwnNetns) -> Sandbox {
        self.netns = Some(
            netns
                .file()
                .try_clone()
                .expect("a copy of the namespace fd"),
        );
        self
    }

    /// Sets `key`=`value` in every command's environment.
    pub fn with_env(mut self, key: &str, value: &str) -> Sandbox {
        self.env.push((key.to_owned(), value.to_owned()));
        self
    }

    /// A sandbox whose store (`--root`) is a tmpfs of `bytes` of its own, so that a test can
    /// fill it without touching any other filesystem.
    pub fn with_small_root(bytes: u64) -> Sandbox {
        let mut sb = Sandbox::new();
        let disk = six_testkit::SmallTmpfs::mount(&sb.root(), bytes).expect("mounting a tmpfs");
        sb.small_root = Some(disk);
        sb
    }

    pub fn root(&self) -> PathBuf {
        self.dir.path().join("root")
    }

    pub fn runroot(&self) -> PathBuf {
        self.dir.path().join("run")
    }

    /// The image import folder (SIXDOCKER_IMAGE_DIR) of this sandbox.
    pub fn image_dir(&self) -> PathBuf {
        self.dir.path().join("images")
    }

    /// The original sixDocker's image folder of this sandbox (SIXDOCKER_ORIGINAL_IMAGE_DIR,
    /// in place of the host's /var/run/sixDocker/images).
    pub fn original_image_dir(&self) -> PathBuf {
        self.dir.path().join("original-images")
    }

    /// `sixdocker --root R --runroot S ARGS...` as a Command, stdin closed.
    pub fn command<I, S>(&self, args: I) -> Command
    where
        I: IntoIterator<Item = S>,
        S: AsRef<OsStr>,
    {
        let mut c = Command::new(BIN);
        c.arg("--root")
            .arg(self.root())
            .arg("--runroot")
            .arg(self.runroot());
        c.args(args)
            .env("SIXDOCKER_IMAGE_DIR", self.image_dir())
            .env("SIXDOCKER_ORIGINAL_IMAGE_DIR", self.original_image_dir())
            .envs(self.env.iter().map(|(k, v)| (k, v)))
            .stdin(Stdio::null());
        if let Some(netns) = &self.netns {
            use std::os::fd::AsRawFd;
            use std::os::unix::process::CommandExt;
            let fd = netns.as_raw_fd();
            // SAFETY: setns is async-signal-safe; the fd stays open until the exec.
            unsafe {
                c.pre_exec(move || {
                    if libc::setns(fd, libc::CLONE_NEWNET) == 0 {
                        Ok(())
                    } else {
                        Err(std::io::Error::last_os_error())
                    }
                });
            }
        }
        c
    }

    /// Runs `sixdocker` with `line` split on spaces (no quoting: use [`Sandbox::run`] for that).
    pub fn sh(&self, line: &str) -> Ran {
        self.run(line.split(' ').filter(|a| !a.is_empty()))
    }

    /// Runs `sixdocker ARGS` to completion, bounded: a command that does not finish within
    /// [`COMMAND_DEADLINE`] is killed and fails the test, and so does output that stays open
    /// after the CLI exited (a process it left behind holding its stdout or stderr).
    pub fn run<I, S>(&self, args: I) -> Ran
    where
        I: IntoIterator<Item = S>,
        S: AsRef<OsStr>,
    {
        self.run_with(&[], args)
    }

    /// [`Sandbox::run`] with extra environment variables.
    pub fn run_with<I, S>(&self, env: &[(&str, &OsStr)], args: I) -> Ran
    where
        I: IntoIterator<Item = S>,
        S: AsRef<OsStr>,
    {
        let mut cmd = self.command(args);
        cmd.envs(env.iter().copied());
        let ran = run_bounded(cmd, None);
        self.remember_ids();
        ran
    }

    /// `sixdocker ARGS` with `env` set and `stdin` fed (a prompt's answer, a password).
    pub fn run_with_stdin(&self, env: &[(&str, &OsStr)], args: &[&str], stdin: &str) -> Ran {
        use std::io::Write;
        let mut child = self
            .command(args)
            .envs(env.iter().copied())
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("running sixdocker");
        let mut input = child.stdin.take().expect("stdin");
        // A command that does not read it all closes the pipe: not a failure here.
        let _ = input.write_all(stdin.as_bytes());
        drop(input);
        let out = child.wait_with_output().expect("waiting for sixdocker");
        self.remember_ids();
        Ran {
            code: out.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        }
    }

    /// Full IDs of all containers, remembered for the leak checks.
    pub fn container_ids(&self) -> Vec<String> {
        let out = self
            .command(["ps", "-a", "-q", "--no-trunc"])
            .output()
            .expect("running sixdocker ps");
        let ids: Vec<String> = String::from_utf8_lossy(&out.stdout)
            .lines()
            .map(str::to_owned)
            .collect();
        let mut seen = self.seen_ids.borrow_mut();
        for id in &ids {
            if !seen.contains(id) {
                seen.push(id.clone());
            }
        }
        ids
    }

    fn remember_ids(&self) {
        let _ = self.container_ids();
    }

    /// The full ID of a container by name (via inspect).
    pub fn id_of(&self, name: &str) -> String {
        self.inspect(name)["Id"]
            .as_str()
            .expect("inspect has an Id")
            .to_owned()
    }

    /// `inspect NAME`'s one object, or None if there is no such container (yet).
    pub fn try_inspect(&self, name: &str) -> Option<serde_json::Value> {
        let out = self.run(["inspect", name]);
        if out.code != 0 {
            return None;
        }
        let v: serde_json::Value = serde_json::from_str(&out.stdout).expect("inspect prints JSON");
        Some(v[0].clone())
    }

    /// `inspect NAME`'s one object.
    pub fn inspect(&self, name: &str) -> serde_json::Value {
        let out = self.run(["inspect", name]);
        let v: serde_json::Value = serde_json::from_str(out.ok()).expect("inspect prints JSON");
        v[0].clone()
    }

    /// The name of the volume container `name` has at `destination` (from inspect's Mounts).
    pub fn volume_at(&self, name: &str, destination: &str) -> String {
        let doc = self.inspect(name);
        let mounts = doc["Mounts"].as_array().expect("inspect has Mounts");
        let m = mounts
            .iter()
            .find(|m| m["Destination"] == destination)
            .unwrap_or_else(|| panic!("no mount at {destination} in {mounts:?}"));
        m["Name"].as_str().expect("a volume has a Name").to_owned()
    }

    /// Polls `what` until it returns Some or the deadline passes.
    pub fn wait_for<T>(
        &self,
        what: &str,
        deadline: Duration,
        mut f: impl FnMut() -> Option<T>,
    ) -> T {
        let until = Instant::now() + deadline;
        loop {
            if let Some(v) = f() {
                return v;
            }
            assert!(Instant::now() < until, "timed out waiting for {what}");
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// Waits until `logs NAME` shows `word`: how a test knows a container's shell has set its
    /// traps (a signal sent before would meet the default action, or be ignored by a pid 1).
    pub fn wait_for_log(&self, name: &str, word: &str) {
        self.wait_for(
            &format!("{word:?} in the logs of {name}"),
            Duration::from_secs(60),
            || {
                let out = self.command(["logs", name]).output().ok()?;
                String::from_utf8_lossy(&out.stdout)
                    .contains(word)
                    .then_some(())
            },
        );
    }

    /// The `ps -a` row of a container, by name.
    pub fn ps_row(&self, name: &str) -> Option<String> {
        let out = self.run(["ps", "-a"]);
        out.ok()
            .lines()
            .find(|l| l.trim_end().ends_with(name))
            .map(str::to_owned)
    }

    /// Makes image `image`: busybox after `sh -c script` (run, commit, rm; as a user would).
    pub fn image_from_script(&self, image: &str, script: &str) {
        let maker = unique_name("mk");
        self.run([
            "run",
            "--network",
            "none",
            "--name",
            &maker,
            "busybox",
            "sh",
            "-c",
            script,
        ])
        .ok();
        self.run(["commit", &maker, image]).ok();
        self.run(["rm", &maker]).ok();
    }

    /// `run -d --name NAME --network NETWORK busybox sleep 1000`.
    pub fn sleeper_on(&self, network: &str, name: &str) {
        self.run([
            "run",
            "-d",
            "--name",
            name,
            "--network",
            network,
            "busybox",
            "sleep",
            "1000",
        ])
        .ok();
    }

    /// The Linux bridges of this store's networks.
    fn bridges(&self) -> Vec<String> {
        let Ok(out) = self.command(["network", "ls"]).output() else {
            return vec![];
        };
        let names: Vec<String> = String::from_utf8_lossy(&out.stdout)
            .lines()
            .skip(1)
            .filter_map(|l| l.split_whitespace().nth(1).map(str::to_owned))
            .collect();
        let Ok(out) = self.command(["network", "inspect"]).args(&names).output() else {
            return vec![];
        };
        let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap_or_default();
        v.as_array()
            .map(|a| {
                a.iter()
                    .filter_map(|n| n["bridge"].as_str().map(str::to_owned))
                    .collect()
            })
            .unwrap_or_default()
    }

    fn cleanup(&mut self) -> Vec<String> {
        let mut leftovers = Vec::new();
        for id in self.container_ids() {
            let r = self.run(["rm", "-f", &id]);
            if r.code != 0 {
                leftovers.push(format!("rm -f {id} failed: {}", r.stderr.trim()));
            }
        }
        // Every network (the default one too) with its bridge and firewall chains.
        let bridges = self.bridges();
        let r = self.run(["system", "reset", "-f"]);
        if r.code != 0 {
            leftovers.push(format!("system reset -f failed: {}", r.stderr.trim()));
        }
        for bridge in bridges {
            if Path::new("/sys/class/net").join(&bridge).exists() {
                leftovers.push(format!("bridge {bridge} left"));
            }
        }
        if let Some(disk) = self.small_root.take() {
            if let Err(e) = disk.unmount() {
                leftovers.push(format!("the store's tmpfs could not be unmounted: {e}"));
            }
        }
        let dir = self.dir.path().to_string_lossy().into_owned();
        let pids = processes_mentioning(&dir, &self.seen_ids.borrow());
        if !pids.is_empty() {
            leftovers.push(format!("processes left: {pids:?}"));
            for pid in pids {
                // Only processes of this sandbox's containers or monitors (found above).
                let _ = nix::sys::signal::kill(
                    nix::unistd::Pid::from_raw(pid),
                    nix::sys::signal::Signal::SIGKILL,
                );
            }
        }
        let mounts = six_testkit::mounts_containing(&dir);
        if !mounts.is_empty() {
            leftovers.push(format!("mounts left: {mounts:?}"));
            for m in mounts.iter().rev() {
                let _ = nix::mount::umount2(m.as_str(), nix::mount::MntFlags::MNT_DETACH);
            }
        }
        for id in self.seen_ids.borrow().iter() {
            let cgroups = six_testkit::cgroups_named(&id[..12]);
            if !cgroups.is_empty() {
                leftovers.push(format!("cgroups left: {cgroups:?}"));
                for c in cgroups {
                    let _ = std::fs::remove_dir(c);
                }
            }
        }
        leftovers
    }
}

impl Drop for Sandbox {
    fn drop(&mut self) {
        let leftovers = self.cleanup();
        if leftovers.is_empty() {
            return;
        }
        let report = leftovers.join("\n");
        if std::thread::panicking() {
            eprintln!("after the failure, the sandbox also found:\n{report}");
        } else {
            panic!("the test left things behind:\n{report}");
        }
    }
}

/// PIDs (not ours) whose command line mentions `dir` or whose cgroup mentions a container ID.
pub fn processes_mentioning(dir: &str, ids: &[String]) -> Vec<i32> {
    let me = std::process::id() as i32;
    let mut pids = Vec::new();
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return pids;
    };
    for e in entries.flatten() {
        let Some(pid) = e.file_name().to_str().and_then(|s| s.parse::<i32>().ok()) else {
            continue;
        };
        if pid == me {
            continue;
        }
        let cmdline = std::fs::read(e.path().join("cmdline")).unwrap_or_default();
        let cmdline = String::from_utf8_lossy(&cmdline);
        let cgroup = std::fs::read_to_string(e.path().join("cgroup")).unwrap_or_default();
        if cmdline.contains(dir) || ids.iter().any(|id| cgroup.contains(&id[..12])) {
            pids.push(pid);
        }
    }
    pids
}

/// `run -d --network none --name NAME busybox CMD...`: a detached container without a network.
pub fn detached_args<'a>(name: &'a str, cmd: &[&'a str]) -> Vec<&'a str> {
    let mut args = vec!["run", "-d", "--network", "none", "--name", name, "busybox"];
    args.extend_from_slice(cmd);
    args
}

/// A free TCP port on 127.0.0.1 (bound and released; good enough for a test's own use).
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// An HTTP GET to `ip`:`port`: the whole response, or None. Only for loopback and the
/// addresses of the test's own containers.
pub fn http_get(ip: &str, port: u16, path: &str) -> Option<String> {
    use std::io::{Read, Write};
    let ip: std::net::IpAddr = ip.parse().ok()?;
    let private = matches!(ip, std::net::IpAddr::V4(v4) if v4.is_private());
    assert!(
        ip.is_loopback() || private,
        "tests talk only to loopback and their own containers, not {ip}"
    );
    let mut s = std::net::TcpStream::connect_timeout(
        &std::net::SocketAddr::new(ip, port),
        Duration::from_secs(2),
    )
    .ok()?;
    s.set_read_timeout(Some(Duration::from_secs(5))).ok()?;
    write!(s, "GET {path} HTTP/1.0\r\nHost: localhost\r\n\r\n").ok()?;
    let mut response = String::new();
    s.read_to_string(&mut response).ok()?;
    response.starts_with("HTTP/").then_some(response)
}

/// Puts nginx.tar (made by scripts/make-nginx-image.sh once, kept in cargo's target tmp dir)
/// into the sandbox's image import folder, so `-image nginx` imports it on first use.
pub fn make_nginx_image(sb: &Sandbox) {
    static BUILT: std::sync::OnceLock<PathBuf> = std::sync::OnceLock::new();
    let tar = BUILT.get_or_init(|| {
        let tar = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("sixdocker-nginx.tar");
        if tar.exists() {
            return tar;
        }
        // Built under a name of our own and renamed: test binaries may race to build it.
        let partial = tar.with_extension(format!("tar.{}", std::process::id()));
        let script =
            Path::new(env!("CARGO_MANIFEST_DIR")).join("../../scripts/make-nginx-image.sh");
        let status = Command::new("bash")
            .arg(&script)
            .arg(&partial)
            .status()
            .expect("running make-nginx-image.sh");
        assert!(status.success(), "{} failed", script.display());
        std::fs::rename(&partial, &tar).unwrap();
        tar
    });
    std::fs::copy(tar, sb.image_dir().join("nginx.tar")).expect("copying nginx.tar");
}

/// The path of a file inside the test's temp dir, for host-side files.
pub fn host_path(sandbox: &Sandbox, name: &str) -> PathBuf {
    sandbox.dir.path().join(name)
}

/// Whether `path` exists (convenience for asserts).
pub fn exists(path: &Path) -> bool {
    path.exists()
}
