//! The `Engine`: where the store, the images, the networks and the runtime meet, and where
//! each command of the CLI begins. Opening it reconciles what killed processes left behind.
//!
//! The operations themselves live one concern a file: `create.rs` (make a container),
//! `monitor.rs` (run it), `relay.rs` (the CLI's side of a foreground container),
//! `lifecycle.rs` (start, stop, kill, wait, restart), `remove.rs`, `info.rs` (ps, inspect,
//! top, stats, port), `exec.rs`, `commit.rs`, `reconcile.rs`, `net.rs`.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::OnceLock;

use six_image::ImageStore;
use six_network::Networks;
use six_runtime::Runtime;

use crate::error::{Error, IoContext, Result};
use crate::store::Store;

/// The default image when a command names none.
pub const DEFAULT_IMAGE: &str = "busybox";

/// Where things live. `EngineOptions::new(None, None)` gives the system defaults.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EngineOptions {
    /// Persistent data: images, container records, networks (default /var/lib/sixdocker).
    pub root: PathBuf,
    /// Runtime state, gone after a reboot (default /run/sixdocker).
    pub runroot: PathBuf,
    /// The parent every container cgroup nests below (env SIX_CGROUP_PARENT): absolute from
    /// the root of each hierarchy, relative below the engine's own cgroup; None: the engine's
    /// own cgroup itself.
    pub cgroup_parent: Option<String>,
    /// Where `IMAGE.tar` files are imported from on first use (env SIXDOCKER_IMAGE_DIR,
    /// else `<root>/import`).
    pub import_dir: Option<PathBuf>,
    /// Where `IMAGE.tar` files are looked for after `import_dir`: the original sixDocker's
    /// folder (env SIXDOCKER_ORIGINAL_IMAGE_DIR, else [`ORIGINAL_IMAGE_DIR`]).
    pub original_image_dir: Option<PathBuf>,
    /// The program each container's monitor runs as: the process forked to be the monitor
    /// `execve`s it (a fresh image, so the monitor holds none of the caller's memory), and
    /// its `main` must first call [`run_monitor_if_asked`](crate::run_monitor_if_asked).
    /// It is exec'd from a sealed view (CVE-2019-5736): `/proc/self/exe` of a caller that
    /// runs sealed, else a view the engine makes of the program. sixdocker names itself
    /// (`/proc/self/exe`), as do the engine's test binaries. None: the monitor runs on in the
    /// fork of the caller, which must then be single-threaded (the API service's zygote): a
    /// fork of a multi-threaded process may find a lock held forever by a thread that did not
    /// come along.
    pub monitor_program: Option<PathBuf>,
}

/// Where the original sixDocker kept its image tarballs (busybox.tar, nginx.tar).
pub const ORIGINAL_IMAGE_DIR: &str = "/var/run/sixDocker/images";

impl EngineOptions {
    /// The options for these roots (None: /var/lib/sixdocker and /run/sixdocker), with the
    /// cgroup parent from SIX_CGROUP_PARENT and the import folder from SIXDOCKER_IMAGE_DIR.
    pub fn new(root: Option<PathBuf>, runroot: Option<PathBuf>) -> EngineOptions {
        let root = root.unwrap_or_else(|| PathBuf::from("/var/lib/sixdocker"));
        let runroot = runroot.unwrap_or_else(|| PathBuf::from("/run/sixdocker"));
        let cgroup_parent = std::env::var("SIX_CGROUP_PARENT")
            .ok()
            .filter(|s| !s.is_empty());
        let import_dir = std::env::var_os("SIXDOCKER_IMAGE_DIR")
            .map(PathBuf::from)
            .or_else(|| Some(root.join("import")));
        let original_image_dir = std::env::var_os("SIXDOCKER_ORIGINAL_IMAGE_DIR")
            .map(PathBuf::from)
            .or_else(|| Some(PathBuf::from(ORIGINAL_IMAGE_DIR)));
        EngineOptions {
            root,
            runroot,
            cgroup_parent,
            import_dir,
            original_image_dir,
            monitor_program: None,
        }
    }

    /// Where the runtime puts container cgroups: always nested below `cgroup_parent` (by
    /// default the engine's own cgroup), whatever runc would do with a cgroupsPath.
    pub fn cgroup_nesting(&self) -> six_runtime::Nesting {
        six_runtime::Nesting::Below(self.cgroup_parent.clone().unwrap_or_default())
    }
}

/// The container engine: what every `sixdocker` command calls (see the crate doc).
pub struct Engine {
    pub(crate) opts: EngineOptions,
    pub(crate) store: Store,
    pub(crate) images: ImageStore,
    networks: OnceLock<Networks>,
    pub(crate) runtime: Runtime,
    /// Every record has been checked and repaired ([`Engine::open`], or a reconcile since);
    /// until then each reading operation checks what it shows ([`Engine::open_to_read`]).
    pub(crate) reconciled: AtomicBool,
}

impl Engine {
    /// Opens (creating) the store under `opts.root` and `opts.runroot`, then repairs what
    /// killed commands or monitors left behind.
    pub fn open(opts: EngineOptions) -> Result<Engine> {
        let _span = tracing::debug_span!("engine_open").entered();
        let engine = Engine::open_unreconciled(opts)?;
        engine.reconcile()?;
        Ok(engine)
    }

    /// Opens the store for the commands that only read containers — `ps`, `inspect` and
    /// `logs` — without checking every record first: [`Engine::list_filtered`] checks each
    /// record it lists in the same pass that reads it, [`Engine::inspect`] and
    /// [`Engine::logs`] only the container they name. What needs a repair (a container whose
    /// monitor died shows as exited) is repaired as [`Engine::open`] would, before it is
    /// shown; inspecting a network reconciles the whole store first. Any other operation
    /// sees the records as they are on disk: open with [`Engine::open`] for those.
    pub fn open_to_read(opts: EngineOptions) -> Result<Engine> {
        let _span = tracing::debug_span!("engine_open_to_read").entered();
        Engine::open_unreconciled(opts)
    }

    /// The engine of an exec'd monitor: the store as it is (the command that launched the
    /// monitor has just reconciled it, and holds the container's record).
    pub(crate) fn open_for_monitor(opts: EngineOptions) -> Result<Engine> {
        let engine = Engine::open_unreconciled(opts)?;
        engine.reconciled.store(true, Ordering::Relaxed);
        Ok(engine)
    }

    fn open_unreconciled(opts: EngineOptions) -> Result<Engine> {
        for dir in [&opts.root, &opts.runroot] {
            std::fs::create_dir_all(dir).at("creating", dir)?;
        }
        let runtime_dir = opts.runroot.join("runtime");
        std::fs::create_dir_all(&runtime_dir).at("creating", &runtime_dir)?;
        std::fs::create_dir_all(opts.runroot.join("containers")).at("creating", &opts.runroot)?;
        let store = Store::open(&opts.root)?;
        let images = ImageStore::open(&opts.root)?
            .with_import_dir(opts.import_dir.clone())
            .with_original_image_dir(opts.original_image_dir.clone());
        let runtime = Runtime::new(&runtime_dir).with_cgroup_nesting(opts.cgroup_nesting());
        Ok(Engine {
            opts,
            store,
            images,
            networks: OnceLock::new(),
            runtime,
            reconciled: AtomicBool::new(false),
        })
    }

    /// The options it was opened with.
    pub fn options(&self) -> &EngineOptions {
        &self.opts
    }

    /// The image store (images, layers, archives).
    pub fn images(&self) -> &ImageStore {
        &self.images
    }

    /// The network store (opened on first use: most commands never need it).
    pub fn networks(&self) -> Result<&Networks> {
        if let Some(n) = self.networks.get() {
            return Ok(n);
        }
        let n = Networks::open(&self.opts.root)?;
        Ok(self.networks.get_or_init(|| n))
    }

    /// The full ID of a container from a name, a full ID or a unique ID prefix.
    pub fn resolve(&self, name_or_id: &str) -> Result<String> {
        self.store.resolve(name_or_id)
    }

    /// The runtime's container of `id`, which the store says is running (`name` is its name).
    /// A runtime that no longer has it means it stopped meanwhile: `NotRunning`, not the
    /// runtime's "does not exist" (the container does exist).
    pub(crate) fn running_container(&self, id: &str, name: &str) -> Result<six_runtime::Container> {
        self.runtime.load(id).map_err(|e| match e {
            six_runtime::Error::NotFound(_) => Error::NotRunning {
                name: name.to_owned(),
            },
            e => Error::from(e),
        })
    }

    /// `<runroot>/containers/<id>`: the attach socket lives here.
    pub(crate) fn run_dir(&self, id: &str) -> PathBuf {
        self.opts.runroot.join("containers").join(id)
    }

    pub(crate) fn attach_socket(&self, id: &str) -> PathBuf {
        self.run_dir(id).join("attach.sock")
    }

    pub(crate) fn container_dir(&self, id: &str) -> PathBuf {
        self.store.dir(id)
    }

    /// The container's rootfs overlay (six-image's layout inside the container directory).
    pub(crate) fn rootfs_mount(&self, id: &str) -> six_image::RootfsMount {
        six_image::RootfsMount::for_container_dir(&self.container_dir(id))
    }

    /// The spec written at create time, `<dir>/config.json`.
    pub(crate) fn spec_path(dir: &Path) -> PathBuf {
        dir.join("config.json")
    }
}

/// `stop`, `kill` and `rm` of several containers run in parallel threads of the CLI.
const _: () = {
    const fn sync<T: Sync>() {}
    sync::<Engine>();
};
