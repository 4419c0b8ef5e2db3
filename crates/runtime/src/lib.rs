//! OCI runtime library: turns an OCI bundle (config.json + rootfs) into an isolated, limited
//! process and a state record.
//!
//! [`Runtime::create`] clones the container's init straight from the calling process into
//! its new namespaces (no re-exec, no intermediate process); the init sets itself up (root
//! filesystem through six-rootfs, limits through six-cgroups, seccomp through six-seccomp)
//! and waits on a fifo until [`Container::start`]. Parent and child talk over one socket pair.
//!
//! A reader following one container: [`create`](create.rs) → [`init`](init.rs) →
//! `namespace_steps.rs` (namespaces, hostname, keyring) → six-rootfs →
//! [`process`](process.rs) (the plan) → `process_steps.rs` (rlimits, user, capabilities,
//! seccomp...; both step files make every kernel call through the `ProcessSys` seam of
//! `process_sys.rs`) → execve; then `start.rs`,
//! `kill.rs`, `delete.rs`, `exec.rs`. Before any of it, `sealed_exe.rs` (CVE-2019-5736).
//! `create.rs` and `exec.rs` share what surrounds their one clone in `spawn.rs`.
//!
//! It knows only the OCI runtime spec: never images, names or networks.

#![deny(missing_docs)]

mod bind_sources;
mod channel;
mod clone;
mod console;
mod container;
mod create;
mod create_check;
mod delete;
mod devices;
mod error;
mod exec;
pub mod features;
mod hooks;
mod init;
mod kill;
mod namespace_steps;
mod process;
mod process_steps;
mod process_sys;
#[cfg(test)]
mod process_sys_fake;
mod program;
pub mod sealed_exe;
mod seccomp;
mod seccomp_agent;
mod spawn;
mod spec;
mod start;
mod state;
mod update;

use std::os::fd::RawFd;
use std::path::{Path, PathBuf};

pub use clone::{permit_threads, trace_child_steps};
pub use container::{Container, ProcessInfo};
pub use error::{Error, Result};
pub use exec::ExecOptions;
pub use kill::parse_signal;
pub use six_cgroups::{FullStats, Nesting, OomEvent, OomWatch};
pub use spec::parse as parse_config;
pub use state::{check_id, Status};

/// Where state lives when nobody says otherwise (runc's is /run/runc).
pub const DEFAULT_ROOT: &str = "/run/sixrun";

/// The runtime: a state root and where container cgroups go.
#[derive(Debug, Clone)]
pub struct Runtime {
    root: PathBuf,
    cgroup_nesting: Nesting,
}

/// How to create one container.
#[derive(Debug, Default)]
pub struct CreateOptions {
    /// The bundle directory (config.json and, usually, the rootfs).
    pub bundle: PathBuf,
    /// The spec, when the caller has it in memory; otherwise `<bundle>/config.json` is read.
    pub spec: Option<oci_spec::runtime::Spec>,
    /// A unix socket that receives the pty master when `process.terminal` is true.
    pub console_socket: Option<PathBuf>,
    /// Where to write the init's pid (in the caller's pid namespace).
    pub pid_file: Option<PathBuf>,
    /// `MS_MOVE` + `chroot` instead of `pivot_root` (for a rootfs on a ramfs).
    pub no_pivot: bool,
    /// Do not make a new session keyring for the container.
    pub no_new_keyring: bool,
    /// Pass fds 3 .. 3+N of the caller to the container.
    pub preserve_fds: u32,
    /// stdio of the init: inherit (None) or these fds (the engine passes log pipes or a pty).
    pub stdio: Option<[RawFd; 3]>,
}

impl Runtime {
    /// A runtime keeping its containers' state under `state_root` (one directory per
    /// container; sixrun's `--root`), with runc's cgroup placement.
    pub fn new(state_root: &Path) -> Runtime {
        Runtime {
            root: state_root.to_path_buf(),
            cgroup_nesting: Nesting::Spec,
        }
    }

    /// Where container cgroups go: runc's reading of linux.cgroupsPath (the default:
    /// absolute paths from the root of each hierarchy) or everything below a parent
    /// ([`Nesting::below_own`]: below the caller's own cgroup).
    pub fn with_cgroup_nesting(mut self, nesting: Nesting) -> Runtime {
        self.cgroup_nesting = nesting;
        self
    }

    /// The state root.
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// Creates the container: its init is a child of the calling process, in new
    /// namespaces, waiting for `start`.
    pub fn create(&self, id: &str, opts: CreateOptions) -> Result<Container> {
        create::create(self, id, opts)
    }

    /// Removes what a `create` killed midway left of container `id` (its state directory
    /// without a record, and its cgroup); true if there was such a thing.
    pub fn remove_half_made(&self, id: &str) -> Result<bool> {
        state::reclaim_half_made(&self.root, id)
    }

    /// Removes whatever is left of container `id`, in any state: a recorded container is
    /// deleted by force; a half-made one is reclaimed; with neither, the cgroup it would have
    /// (this runtime's nesting, no cgroupsPath) is emptied, frozen first so nothing forks
    /// away, and removed. For callers repairing after a crash; nothing there is an error.
    pub fn purge(&self, id: &str) -> Result<()> {
        match self.load(id) {
            Ok(c) => return c.delete(true),
            Err(Error::NotFound(_)) => {}
            Err(e) => return Err(e),
        }
        if self.remove_half_made(id)? {
            return Ok(());
        }
        if self.root.join(id).exists() {
            // Neither recorded nor half-made: a create holds it right now.
            return Err(Error::WrongState {
                id: id.to_owned(),
                status: Status::Creating.to_string(),
                what: "another process is creating it".into(),
            });
        }
        let h = six_cgroups::Hierarchy::detect().map_err(|source| Error::Cgroup {
            id: id.to_owned(),
            source,
        })?;
        let cg =
            six_cgroups::Cgroup::new(&h, None, &self.cgroup_nesting, id).map_err(|source| {
                Error::Cgroup {
                    id: id.to_owned(),
                    source,
                }
            })?;
        delete::kill_all(&cg);
        cg.destroy().map_err(|source| Error::Cgroup {
            id: id.to_owned(),
            source,
        })
    }

    /// The container `id` as last recorded.
    pub fn load(&self, id: &str) -> Result<Container> {
        Container::load(&self.root, id)
    }

    /// Every container under the state root, sorted by ID.
    pub fn list(&self) -> Result<Vec<Container>> {
        let mut out = Vec::new();
        let rd = match std::fs::read_dir(&self.root) {
            Ok(rd) => rd,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(out),
            Err(e) => return Err(Error::io("listing", &self.root, e)),
        };
        for e in rd.flatten() {
            let name = e.file_name().to_string_lossy().into_owned();
            if check_id(&name).is_ok() && e.path().join(state::STATE_FILE).exists() {
                if let Ok(c) = Container::load(&self.root, &name) {
                    out.push(c);
                }
            }
        }
        out.sort_by(|a, b| a.id().cmp(b.id()));
        Ok(out)
    }
}
