//! Shared by the engine's integration tests: an engine on its own temp root and runroot,
//! removed (with everything it made) on drop, and the leak checks every test ends with.

#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use six_engine::{Engine, EngineOptions, RunRequest};

/// Every engine test binary is also its containers' monitor program, as sixdocker is
/// (`EngineOptions::monitor_program`): each monitor is a fresh exec of this binary, never a
/// fork that runs on in the test process. That process has many threads (libtest runs tests
/// side by side), and a fork of it may find a lock held forever by a thread that did not
/// come along (a `OnceLock` being filled, say): the monitor would hang, and its test with it.
/// This runs before libtest's `main`, from `.init_array` (after std's own entry there, which
/// has a priority and so runs first: `std::env::args` works); a SIGPIPE ignored by the test
/// process stays ignored across the exec, as the monitor needs.
#[used]
#[link_section = ".init_array"]
static BECOME_THE_MONITOR_IF_ASKED: extern "C" fn() = become_the_monitor_if_asked;

extern "C" fn become_the_monitor_if_asked() {
    if let Some(code) = six_engine::run_monitor_if_asked() {
        std::process::exit(code);
    }
}

pub struct TestEngine {
    pub engine: Option<Engine>,
    pub root: tempfile::TempDir,
    pub runroot: tempfile::TempDir,
    /// Every process a test saw (monitors, inits): none may be alive at the end.
    pub pids: Vec<i32>,
    pub ids: Vec<String>,
    pub used_network: bool,
}

impl TestEngine {
    pub fn new() -> TestEngine {
        six_testkit::require_root();
        let root = tempfile::Builder::new().prefix("sxe").tempdir().unwrap();
        let runroot = tempfile::Builder::new().prefix("sxr").tempdir().unwrap();
        let engine = Engine::open(Self::options(root.path(), runroot.path())).unwrap();
        TestEngine {
            engine: Some(engine),
            root,
            runroot,
            pids: Vec::new(),
            ids: Vec::new(),
            used_network: false,
        }
    }

    pub fn options(root: &Path, runroot: &Path) -> EngineOptions {
        // No host runs the test binary, so a test may clone into a container from it unsealed
        // (see six_runtime::sealed_exe); the monitors it execs run sealed, as sixdocker's do.
        six_runtime::sealed_exe::permit_unsealed();
        let mut o = EngineOptions::new(Some(root.to_path_buf()), Some(runroot.to_path_buf()));
        o.import_dir = None;
        o.original_image_dir = None;
        o.monitor_program = Some(PathBuf::from("/proc/self/exe"));
        o
    }

    pub fn engine(&self) -> &Engine {
        self.engine.as_ref().unwrap()
    }

    /// Opens a fresh engine on the same dirs (reconcile runs).
    pub fn reopen(&mut self) {
        self.engine =
            Some(Engine::open(Self::options(self.root.path(), self.runroot.path())).unwrap());
    }

    /// Opens a fresh engine on the same dirs as `ps`, `inspect` and `logs` do
    /// (`Engine::open_to_read`: nothing is reconciled at open).
    pub fn reopen_to_read(&mut self) {
        let opts = Self::options(self.root.path(), self.runroot.path());
        self.engine = Some(Engine::open_to_read(opts).unwrap());
    }

    /// A request for busybox with `args`, no network (tests that need one say so).
    pub fn req(args: &[&str]) -> RunRequest {
        RunRequest {
            cmd: args.iter().map(|s| s.to_string()).collect(),
            network: six_engine::types::NetworkMode::None,
            ..Default::default()
        }
    }

    /// Runs `args` in busybox, detached and without network; tracks it. Its id.
    pub fn run_detached(&mut self, args: &[&str]) -> String {
        let out = self
            .engine()
            .run(RunRequest {
                detach: true,
                ..TestEngine::req(args)
            })
            .unwrap();
        self.track(&out.id);
        out.id
    }

    /// The monitor's listening socket of container `id`.
    pub fn attach_socket(&self, id: &str) -> PathBuf {
        self.runroot
            .path()
            .join("containers")
            .join(id)
            .join("attach.sock")
    }

    /// Remembers a container's monitor and init pids for the final leak check.
    pub fn track(&mut self, id: &str) {
        self.ids.push(id.to_owned());
        let v = self.engine().inspect(id).unwrap();
        if let Some(pid) = v["State"]["Pid"].as_i64().filter(|p| *p > 0) {
            self.pids.push(pid as i32);
        }
        let state: serde_json::Value = serde_json::from_slice(
            &std::fs::read(
                self.root
                    .path()
                    .join("containers")
                    .join(id)
                    .join("state.json"),
            )
            .unwrap(),
        )
        .unwrap();
        if let Some(pid) = state["monitor"]["pid"].as_i64() {
            self.pids.push(pid as i32);
        }
    }

    /// Removes every container, then asserts nothing is left: mounts, cgroups, processes.
    pub fn finish(mut self) {
        self.cleanup();
        let leaks = self.leaks();
        assert!(leaks.is_empty(), "left behind: {leaks:#?}");
    }

    fn cleanup(&mut self) {
        if let Some(engine) = &self.engine {
            if let Ok(all) = engine.list(true) {
                for c in all {
                    let _ = engine.remove(&c.id, true);
                }
            }
            if self.used_network {
                if let Ok(n) = engine.networks() {
                    let _ = n.remove_all();
                }
            }
        }
    }

    pub fn leaks(&self) -> Vec<String> {
        let mut leaks = Vec::new();
        for dir in [self.root.path(), self.runroot.path()] {
            for m in six_testkit::mounts_containing(&dir.display().to_string()) {
                leaks.push(format!("mount {m}"));
            }
        }
        for id in &self.ids {
            for cg in six_testkit::cgroups_named(&id[..16]) {
                leaks.push(format!("cgroup {}", cg.display()));
            }
        }
        for pid in &self.pids {
            if wait_gone(*pid, Duration::from_secs(20)) {
                continue;
            }
            leaks.push(format!("process {pid}"));
        }
        leaks
    }
}

impl Drop for TestEngine {
    fn drop(&mut self) {
        self.cleanup();
    }
}

/// Waits (bounded) for a process to disappear; true if it did.
pub fn wait_gone(pid: i32, limit: Duration) -> bool {
    let deadline = Instant::now() + limit;
    while Instant::now() < deadline {
        if !six_testkit::pid_alive(pid) {
            return true;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    !six_testkit::pid_alive(pid)
}

/// Polls `f` until it returns Some, up to `limit`.
pub fn eventually<T>(limit: Duration, mut f: impl FnMut() -> Option<T>) -> T {
    let deadline = Instant::now() + limit;
    loop {
        if let Some(v) = f() {
            return v;
        }
        assert!(
            Instant::now() < deadline,
            "condition not met within {limit:?}"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// The container's log as text (stdout and stderr together).
pub fn logs(engine: &Engine, id: &str) -> String {
    let mut out = Vec::new();
    let mut err = Vec::new();
    engine
        .logs(id, &six_engine::LogOptions::default(), &mut out, &mut err)
        .unwrap();
    out.extend_from_slice(&err);
    String::from_utf8_lossy(&out).into_owned()
}

pub fn container_dir(t: &TestEngine, id: &str) -> PathBuf {
    t.root.path().join("containers").join(id)
}
