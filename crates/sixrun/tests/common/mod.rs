//! Shared by sixrun's integration tests: run the real `sixrun` binary as root with a private
//! state root, and prove afterwards that a container left nothing behind.
#![allow(dead_code)]

use std::io::{IoSliceMut, Read};
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd, RawFd};
use std::os::unix::net::UnixListener;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

pub use six_testkit::{cgroups_named, mounts_containing, require_root, unique_name, Bundle};

pub const SIXRUN: &str = env!("CARGO_BIN_EXE_sixrun");

/// One test's sixrun: its own `--root`; on drop, force-deletes what it created.
pub struct Sixrun {
    pub root: tempfile::TempDir,
    bin: PathBuf,
    ids: std::cell::RefCell<Vec<String>>,
}

impl Sixrun {
    pub fn new() -> Sixrun {
        Sixrun::using(
            Path::new(SIXRUN),
            tempfile::Builder::new()
                .prefix("sixrun-t-")
                .tempdir()
                .unwrap(),
        )
    }

    /// The runtime binary `bin` (a copy of sixrun, or another runtime) with state root `root`.
    pub fn using(bin: &Path, root: tempfile::TempDir) -> Sixrun {
        require_root();
        Sixrun {
            root,
            bin: bin.to_path_buf(),
            ids: Default::default(),
        }
    }

    pub fn cmd(&self) -> Command {
        let mut c = Command::new(&self.bin);
        c.arg("--root").arg(self.root.path());
        // runc's placement of a container without an absolute cgroupsPath is below sixrun's
        // own cgroup, except on pure cgroup v2: beside it, outside this test's subtree.
        if Path::new("/sys/fs/cgroup/cgroup.controllers").exists() {
            c.env("SIX_CGROUP_PARENT", ".");
        }
        c.stdin(Stdio::null());
        c
    }

    /// Runs sixrun with `args`, capturing output in files, not pipes: a created container's
    /// init inherits sixrun's stdio and outlives it, so a pipe would never see EOF.
    pub fn run(&self, args: &[&str]) -> Output {
        let out = tempfile::tempfile().unwrap();
        let err = tempfile::tempfile().unwrap();
        let status = self
            .cmd()
            .args(args)
            .stdout(out.try_clone().unwrap())
            .stderr(err.try_clone().unwrap())
            .status()
            .unwrap();
        let read = |mut f: std::fs::File| {
            use std::io::{Read, Seek};
            let mut v = Vec::new();
            f.seek(std::io::SeekFrom::Start(0)).unwrap();
            f.read_to_end(&mut v).unwrap();
            v
        };
        Output {
            status,
            stdout: read(out),
            stderr: read(err),
        }
    }

    /// Runs and asserts success; returns stdout.
    pub fn ok(&self, args: &[&str]) -> String {
        let out = self.run(args);
        assert!(
            out.status.success(),
            "sixrun {args:?} failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// Runs, asserts failure with exactly one line on stderr; returns that line.
    pub fn fails(&self, args: &[&str]) -> String {
        let out = self.run(args);
        let err = String::from_utf8_lossy(&out.stderr).into_owned();
        assert!(
            !out.status.success(),
            "sixrun {args:?} should fail; stdout: {}",
            String::from_utf8_lossy(&out.stdout)
        );
        assert_eq!(
            err.trim_end().lines().count(),
            1,
            "expected one line, got: {err:?}"
        );
        err.trim_end().to_owned()
    }

    /// Remembers `id` for cleanup and returns it.
    pub fn track(&self, id: &str) -> String {
        self.ids.borrow_mut().push(id.to_owned());
        id.to_owned()
    }

    pub fn new_id(&self, prefix: &str) -> String {
        self.track(&unique_name(prefix))
    }

    pub fn create(&self, id: &str, bundle: &Bundle) {
        self.ok(&["create", "--bundle", bundle.path().to_str().unwrap(), id]);
    }

    pub fn state(&self, id: &str) -> serde_json::Value {
        serde_json::from_str(&self.ok(&["state", id])).unwrap()
    }

    pub fn status(&self, id: &str) -> String {
        self.state(id)["status"].as_str().unwrap().to_owned()
    }

    /// Bounded wait for a status (the container runs on its own).
    pub fn wait_status(&self, id: &str, want: &str) {
        let deadline = Instant::now() + Duration::from_secs(10);
        let status = |id: &str| {
            let out = self.run(&["state", id]);
            let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap_or_default();
            v["status"].as_str().unwrap_or("absent").to_owned()
        };
        while status(id) != want {
            assert!(
                Instant::now() < deadline,
                "container {id} never became {want}"
            );
            std::thread::sleep(Duration::from_millis(10));
        }
    }

    pub fn state_dir(&self, id: &str) -> PathBuf {
        self.root.path().join(id)
    }

    /// Asserts container `id` (its init was `pid`) left nothing: state, cgroup, mounts, process.
    pub fn assert_gone(&self, id: &str, pid: Option<i32>, bundle: &Path) {
        assert!(!self.state_dir(id).exists(), "state dir of {id} is left");
        assert!(cgroups_named(id).is_empty(), "cgroup of {id} is left");
        assert!(
            mounts_containing(bundle.to_str().unwrap()).is_empty(),
            "mounts of {id} are left"
        );
        if let Some(pid) = pid {
            let deadline = Instant::now() + Duration::from_secs(5);
            while is_running(pid) {
                assert!(Instant::now() < deadline, "process {pid} of {id} is left");
                std::thread::sleep(Duration::from_millis(10));
            }
        }
    }
}

/// The runtime binary under test: `RUNC` (a path, or a name looked up in PATH) when set,
/// so that a test can prove it holds for runc too; else this build's sixrun.
pub fn runtime_binary() -> PathBuf {
    match std::env::var_os("RUNC").filter(|r| !r.is_empty()) {
        Some(r) => which(Path::new(&r)),
        None => PathBuf::from(SIXRUN),
    }
}

fn which(p: &Path) -> PathBuf {
    if p.components().count() > 1 {
        return p.to_path_buf();
    }
    std::env::var_os("PATH")
        .and_then(|path| {
            std::env::split_paths(&path)
                .map(|d| d.join(p))
                .find(|c| c.is_file())
        })
        .unwrap_or_else(|| p.to_path_buf())
}

impl Sixrun {
    /// The runtime under test (`runtime_binary`) with its own state root.
    pub fn under_test() -> Sixrun {
        let root = tempfile::Builder::new()
            .prefix("sixrun-t-")
            .tempdir()
            .unwrap();
        Sixrun::using(&runtime_binary(), root)
    }
}

/// Alive and not a zombie.
pub fn is_running(pid: i32) -> bool {
    match std::fs::read_to_string(format!("/proc/{pid}/stat")) {
        Ok(s) => !s
            .rsplit(')')
            .next()
            .unwrap_or("")
            .trim_start()
            .starts_with('Z'),
        Err(_) => false,
    }
}

impl Drop for Sixrun {
    fn drop(&mut self) {
        for id in self.ids.borrow().iter() {
            let _ = self.cmd().args(["delete", "--force", id]).output();
        }
    }
}

/// A busybox bundle running `args`; `edit` may change its config before it is written.
pub fn bundle(args: &[&str], edit: impl FnOnce(&mut serde_json::Value)) -> Bundle {
    let mut b = Bundle::busybox(args).unwrap();
    edit(&mut b.config);
    b.write_config().unwrap();
    b
}

/// Gives config `c` a new user namespace mapping container ids 0..65536 to host ids
/// 100000..165536.
pub fn with_user_namespace(c: &mut serde_json::Value) {
    c["linux"]["namespaces"]
        .as_array_mut()
        .unwrap()
        .push(serde_json::json!({"type": "user"}));
    let map = serde_json::json!([{"containerID": 0, "hostID": 100000, "size": 65536}]);
    c["linux"]["uidMappings"] = map.clone();
    c["linux"]["gidMappings"] = map;
}

/// `out`'s words joined by single spaces: a container's lines compared as one string.
pub fn words(out: &str) -> String {
    out.split_whitespace().collect::<Vec<_>>().join(" ")
}

pub fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

pub fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// Receives one fd sent with SCM_RIGHTS on an accepted connection of `l`.
pub fn receive_fd(l: &UnixListener) -> OwnedFd {
    receive_message(l).1
}

/// Accepts one connection on `l` and reads one message from it: its bytes and the fd it
/// carried (SCM_RIGHTS).
pub fn receive_message(l: &UnixListener) -> (Vec<u8>, OwnedFd) {
    use nix::sys::socket::{recvmsg, ControlMessageOwned, MsgFlags};
    let (conn, _) = l.accept().unwrap();
    let mut buf = vec![0u8; 65536];
    let mut iov = [IoSliceMut::new(&mut buf)];
    let mut space = nix::cmsg_space!([RawFd; 1]);
    let msg = recvmsg::<()>(
        conn.as_raw_fd(),
        &mut iov,
        Some(&mut space),
        MsgFlags::empty(),
    )
    .unwrap();
    let n = msg.bytes;
    for c in msg.cmsgs().unwrap() {
        if let ControlMessageOwned::ScmRights(fds) = c {
            // SAFETY: the kernel gave us this fd.
            let fd = unsafe { OwnedFd::from_raw_fd(fds[0]) };
            return (buf[..n].to_vec(), fd);
        }
    }
    panic!("no fd received");
}

/// Reads the pty master until `want` shows up or EOF.
pub fn read_until(master: OwnedFd, want: &str) -> String {
    let mut f = std::fs::File::from(master);
    let mut all = String::new();
    let mut buf = [0u8; 1024];
    while !all.contains(want) {
        match f.read(&mut buf) {
            Ok(0) | Err(_) => break,
            Ok(n) => all.push_str(&String::from_utf8_lossy(&buf[..n])),
        }
    }
    all
}
