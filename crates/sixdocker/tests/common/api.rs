//! A `sixdocker system service` of a test's own (its sandbox's store, environment and network
//! namespace, its own socket and DOCKER_CONFIG), driven by Docker's own clients (the docker
//! CLIs, docker-compose, docker-py) and by raw HTTP; stopped by PID on drop, before the
//! sandbox removes the containers and checks for leftovers.
#![allow(dead_code)]

use std::io::{Read, Write};
use std::os::unix::net::UnixStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use super::Sandbox;

/// Docker's CLIs on this machine: Debian's docker.io (20.10, `/usr/bin/docker`) and a newer
/// one in `/usr/local/bin` where installed. At least one must be.
pub fn clients() -> Vec<&'static str> {
    let found: Vec<&str> = ["/usr/bin/docker", "/usr/local/bin/docker"]
        .into_iter()
        .filter(|p| Path::new(p).exists())
        .collect();
    assert!(
        !found.is_empty(),
        "no docker CLI installed (apt-get install docker.io)"
    );
    found
}

/// A running `system service` on a socket of the sandbox; stopped (by PID) on drop.
pub struct Service {
    child: Child,
    pub socket: PathBuf,
    pub docker_config: PathBuf,
}

impl Service {
    pub fn start(sb: &Sandbox) -> Service {
        Service::start_with_env(sb, &[])
    }

    /// A service with `env` added to its environment; its stderr goes to
    /// [`Service::stderr_path`] (appended: a restarted service adds to it).
    pub fn start_with_env(sb: &Sandbox, env: &[(&str, &str)]) -> Service {
        let socket = sb.dir.path().join("docker.sock");
        let docker_config = sb.dir.path().join("docker-config");
        std::fs::create_dir_all(&docker_config).unwrap();
        let stderr = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(Service::stderr_path(sb))
            .unwrap();
        let child = sb
            .command(["system", "service", "--time", "0"])
            .arg(format!("unix://{}", socket.display()))
            .env("SIXDOCKER_NO_IP_FORWARD", "1")
            // The service's own credentials (none): clients send theirs.
            .env("DOCKER_CONFIG", sb.dir.path().join("service-docker-config"))
            .envs(env.iter().copied())
            .stderr(stderr)
            .spawn()
            .expect("starting the service");
        let service = Service {
            child,
            socket,
            docker_config,
        };
        let deadline = Instant::now() + Duration::from_secs(30);
        while UnixStream::connect(&service.socket).is_err() {
            assert!(Instant::now() < deadline, "the service never listened");
            std::thread::sleep(Duration::from_millis(20));
        }
        service
    }

    /// `docker -H unix://SOCK ARGS` → (exit code, stdout, stderr).
    pub fn docker(&self, args: &[&str]) -> (i32, String, String) {
        self.docker_with("docker", args, None)
    }

    /// The command line of `cli -H unix://SOCK ARGS` (for a terminal of the test's own).
    pub fn command(&self, cli: &str, args: &[&str]) -> Command {
        let mut cmd = Command::new(cli);
        cmd.env("DOCKER_CONFIG", &self.docker_config)
            .arg("-H")
            .arg(format!("unix://{}", self.socket.display()))
            .args(args);
        cmd
    }

    /// `cli -H unix://SOCK ARGS`, with `stdin` as its input (else none) → (exit code,
    /// stdout, stderr). Bounded in time: a client that hangs fails the test.
    pub fn docker_with(
        &self,
        cli: &str,
        args: &[&str],
        stdin: Option<&str>,
    ) -> (i32, String, String) {
        let mut cmd = self.command(cli, args);
        if stdin.is_none() {
            cmd.stdin(Stdio::null());
        }
        let ran = super::run_bounded(cmd, stdin);
        (ran.code, ran.stdout, ran.stderr)
    }

    #[track_caller]
    pub fn docker_ok(&self, args: &[&str]) -> String {
        let (code, out, err) = self.docker(args);
        assert_eq!(code, 0, "docker {args:?}: {out} {err}");
        out
    }

    /// `unix://SOCK`, for DOCKER_HOST.
    pub fn host(&self) -> String {
        format!("unix://{}", self.socket.display())
    }

    /// `docker -H unix://SOCK ARGS` with `stdin` (bytes: a tar) fed → (exit code, stdout,
    /// stderr).
    pub fn docker_in(&self, args: &[&str], stdin: Option<&[u8]>) -> (i32, String, String) {
        let mut cmd = self.command("docker", args);
        cmd.stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .stdin(match stdin {
                Some(_) => Stdio::piped(),
                None => Stdio::null(),
            });
        let mut child = cmd.spawn().expect("running docker");
        if let (Some(data), Some(mut input)) = (stdin, child.stdin.take()) {
            let data = data.to_vec();
            std::thread::spawn(move || {
                let _ = input.write_all(&data);
            });
        }
        let out = child.wait_with_output().expect("waiting for docker");
        text(&out)
    }

    /// `docker ARGS` that must fail with exit 1 and `needle` in its error.
    #[track_caller]
    pub fn docker_fails(&self, args: &[&str], needle: &str) {
        let (code, out, err) = self.docker(args);
        assert_eq!(code, 1, "docker {args:?} should fail: {out} {err}");
        assert!(err.contains(needle), "docker {args:?}: {needle:?} in {err}");
    }

    /// A client program (`docker-compose`, python3) with DOCKER_HOST and DOCKER_CONFIG set.
    pub fn client(&self, program: &str) -> Command {
        let mut c = Command::new(program);
        c.env("DOCKER_HOST", self.host())
            .env("DOCKER_CONFIG", &self.docker_config)
            .stdin(Stdio::null());
        c
    }

    /// `GET path`, the connection closed after the answer.
    pub fn get(&self, path: &str) -> String {
        self.raw(format!("GET {path} HTTP/1.1\r\nHost: d\r\nConnection: close\r\n\r\n").as_bytes())
    }

    /// One raw HTTP/1.1 request; the whole answer (the service closes after it).
    pub fn raw(&self, request: &[u8]) -> String {
        let mut s = UnixStream::connect(&self.socket).unwrap();
        s.set_read_timeout(Some(Duration::from_secs(30))).unwrap();
        // A body refused early may close the connection before all of it is written.
        let _ = s.write_all(request);
        let mut answer = Vec::new();
        let _ = s.read_to_end(&mut answer);
        String::from_utf8_lossy(&answer).into_owned()
    }
}

/// A POST of `body` to `path`, the connection closed after the answer.
pub fn post(path: &str, body: &[u8]) -> Vec<u8> {
    let mut req = format!(
        "POST {path} HTTP/1.1\r\nHost: d\r\nConnection: close\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n",
        body.len()
    )
    .into_bytes();
    req.extend_from_slice(body);
    req
}

/// The body of a raw HTTP answer (after the blank line), de-chunked if it was chunked.
pub fn body_of(answer: &str) -> String {
    let (head, body) = answer.split_once("\r\n\r\n").unwrap_or((answer, ""));
    if !head
        .to_ascii_lowercase()
        .contains("transfer-encoding: chunked")
    {
        return body.to_owned();
    }
    let mut out = String::new();
    let mut rest = body;
    while let Some((size, after)) = rest.split_once("\r\n") {
        let Ok(n) = usize::from_str_radix(size.trim(), 16) else {
            break;
        };
        if n == 0 || after.len() < n {
            break;
        }
        out.push_str(&after[..n]);
        rest = after[n..].trim_start_matches("\r\n");
    }
    out
}

/// Output of a finished client process as text: (code, stdout, stderr).
pub fn text(out: &Output) -> (i32, String, String) {
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

impl Service {
    /// Where the services of `sb` write their stderr.
    pub fn stderr_path(sb: &Sandbox) -> PathBuf {
        sb.dir.path().join("service.stderr")
    }

    /// The service's pid.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// SIGKILL to the service (our child, by PID), and reaped.
    pub fn kill9(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for Service {
    fn drop(&mut self) {
        // Our own child, by PID.
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A docker-archive of the test busybox rootfs, tagged `tag` (what tests/compat/docker.sh
/// makes with tar and sha256sum).
pub fn busybox_archive(dir: &Path, tag: &str) -> PathBuf {
    use sha2::Digest;
    let rootfs = dir.join("rootfs");
    six_testkit::busybox_rootfs(&rootfs).unwrap();
    let mut layer = tar::Builder::new(Vec::new());
    layer.follow_symlinks(false);
    layer.append_dir_all(".", &rootfs).unwrap();
    let layer = layer.into_inner().unwrap();
    let diff_id = format!("{:x}", sha2::Sha256::digest(&layer));
    let arch = match std::env::consts::ARCH {
        "x86_64" => "amd64",
        "aarch64" => "arm64",
        a => a,
    };
    let config = serde_json::to_vec(&serde_json::json!({
        "architecture": arch, "os": "linux", "created": "2026-01-01T00:00:00Z",
        "config": {"Env": ["PATH=/usr/sbin:/usr/bin:/sbin:/bin"], "Cmd": ["/bin/sh"]},
        "rootfs": {"type": "layers", "diff_ids": [format!("sha256:{diff_id}")]},
    }))
    .unwrap();
    let config_name = format!("{:x}.json", sha2::Sha256::digest(&config));
    let manifest = serde_json::to_vec(&serde_json::json!([
        {"Config": config_name, "RepoTags": [tag], "Layers": [format!("{diff_id}/layer.tar")]}
    ]))
    .unwrap();
    let mut archive = tar::Builder::new(Vec::new());
    for (name, data) in [
        (format!("{diff_id}/layer.tar"), &layer),
        (config_name, &config),
        ("manifest.json".to_owned(), &manifest),
    ] {
        let mut h = tar::Header::new_gnu();
        h.set_mode(0o644);
        h.set_size(data.len() as u64);
        archive.append_data(&mut h, name, data.as_slice()).unwrap();
    }
    let path = dir.join("busybox.tar");
    std::fs::write(&path, archive.into_inner().unwrap()).unwrap();
    path
}
