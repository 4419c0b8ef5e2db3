//! The spec builder: an image's defaults + a [`RunRequest`] → an OCI runtime `Spec` with
//! Docker's defaults (namespaces, 14 capabilities, seccomp, masked /proc paths, mounts,
//! resources). Pure: it reads the image's /etc/passwd and /etc/group, and nothing else.
//!
//! The path of `-m 100m`: the CLI parses `MemorySize`; [`resources`] writes it into
//! `linux.resources.memory.limit`; six-cgroups writes `memory.limit_in_bytes`.

use std::collections::HashSet;
use std::path::{Path, PathBuf};

use oci_spec::runtime::{
    Linux, LinuxBuilder, LinuxCapabilities, LinuxCapabilitiesBuilder, LinuxCpu, LinuxCpuBuilder,
    LinuxDevice, LinuxDeviceCgroup, LinuxDeviceCgroupBuilder, LinuxDeviceType, LinuxMemory,
    LinuxMemoryBuilder, LinuxNamespaceBuilder, LinuxNamespaceType, LinuxPidsBuilder,
    LinuxResources, LinuxResourcesBuilder, LinuxSeccomp, Mount, MountBuilder, PosixRlimitBuilder,
    PosixRlimitType, Process, ProcessBuilder, RootBuilder, Spec, SpecBuilder, UserBuilder,
};

use crate::caps::capabilities;
use crate::error::{Error, Result};
use crate::mount_points::{MountKind, MountPoint};
use crate::request::RunRequest;
use crate::types::{NamespaceMode, NetworkMode, Ulimit};
use crate::user::{resolve_user_with_groups, UserIds};

/// What the image says about how to run it (from six-image's config).
#[derive(Debug, Clone, Default)]
pub(crate) struct ImageDefaults {
    pub env: Vec<String>,
    pub entrypoint: Vec<String>,
    pub cmd: Vec<String>,
    pub workdir: String,
    pub user: String,
}

impl From<&six_image::ImageConfig> for ImageDefaults {
    fn from(config: &six_image::ImageConfig) -> Self {
        ImageDefaults {
            env: config.env.clone(),
            entrypoint: config.entrypoint.clone().unwrap_or_default(),
            cmd: config.cmd.clone().unwrap_or_default(),
            workdir: config.working_dir.clone().unwrap_or_default(),
            user: config.user.clone().unwrap_or_default(),
        }
    }
}

/// The per-container files bind-mounted over /etc.
#[derive(Debug, Clone)]
pub(crate) struct EtcFiles {
    pub hostname: PathBuf,
    pub hosts: PathBuf,
    pub resolv_conf: PathBuf,
}

pub(crate) struct SpecInput<'a> {
    pub id: &'a str,
    pub request: &'a RunRequest,
    pub image: &'a ImageDefaults,
    /// The container's root filesystem on the host (the overlay's merged dir).
    pub rootfs: &'a Path,
    pub etc: &'a EtcFiles,
    /// Binds, volumes and tmpfs mounts (the record's mount points).
    pub mounts: &'a [MountPoint],
    pub seccomp: Option<LinuxSeccomp>,
    /// Its hostname when another container's decides it (`--network container:NAME`);
    /// None: [`default_hostname`].
    pub hostname: Option<&'a str>,
    /// `--init`: the installed init, run as its PID 1 (`init_binary.rs`).
    pub init: Option<&'a Path>,
    /// `--device`: the host's nodes and their cgroup rules (`devices.rs`).
    pub devices: &'a (Vec<LinuxDevice>, Vec<LinuxDeviceCgroup>),
    /// `--ipc shareable` or `container:`: the host folder bound as its /dev/shm (its own, or
    /// the other container's; `shared_namespaces.rs`).
    pub shm: Option<&'a Path>,
}

/// The spec and the resolved values the record keeps.
#[derive(Debug, Clone)]
pub(crate) struct BuiltSpec {
    pub spec: Spec,
    pub args: Vec<String>,
    pub entrypoint: Vec<String>,
    pub cmd: Vec<String>,
    pub env: Vec<String>,
    pub workdir: String,
    pub user: String,
    pub hostname: String,
}

const DEFAULT_PATH: &str = "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

const MASKED_PATHS: [&str; 11] = [
    "/proc/asound",
    "/proc/acpi",
    "/proc/kcore",
    "/proc/keys",
    "/proc/latency_stats",
    "/proc/timer_list",
    "/proc/timer_stats",
    "/proc/sched_debug",
    "/proc/scsi",
    "/sys/firmware",
    "/sys/devices/virtual/powercap",
];

const READONLY_PATHS: [&str; 5] = [
    "/proc/bus",
    "/proc/fs",
    "/proc/irq",
    "/proc/sys",
    "/proc/sysrq-trigger",
];

fn oci(e: oci_spec::OciSpecError) -> Error {
    Error::Invalid(format!("building the container's OCI spec: {e}"))
}

/// Builds the spec for one container: the process (command, user, env, capabilities), the
/// `linux` section (namespaces, resources, masked paths, seccomp), the root and the mounts.
pub(crate) fn build(input: &SpecInput) -> Result<BuiltSpec> {
    let req = input.request;
    let (entrypoint, cmd) = merge_command(req, input.image);
    let args: Vec<String> = entrypoint.iter().chain(cmd.iter()).cloned().collect();
    if args.is_empty() {
        return Err(Error::Invalid(
            "no command specified: the image has none; give one after the image name".into(),
        ));
    }
    if req.uts_mode.is_host() && req.hostname.is_some() {
        return Err(Error::Invalid(
            "conflicting options: hostname and the UTS mode".into(),
        ));
    }
    let hostname = match input.hostname {
        Some(h) => h.to_owned(),
        None => default_hostname(req, input.id),
    };
    let workdir = working_dir(req, input.image)?;
    let user = req
        .user
        .clone()
        .filter(|u| !u.is_empty())
        .unwrap_or_else(|| input.image.user.clone());
    let ids = resolve_user_with_groups(&user, input.rootfs, &req.group_add)?;
    let env = merge_env(&input.image.env, req, &hostname);
    let run_args = match input.init {
        Some(_) => crate::init_binary::under_init(&args),
        None => args.clone(),
    };
    let process = process(req, &ids, &run_args, &env, &workdir)?;
    let mut spec = SpecBuilder::default()
        .version("1.0.2")
        .root(
            RootBuilder::default()
                .path(input.rootfs)
                .readonly(req.read_only)
                .build()
                .map_err(oci)?,
        )
        .process(process)
        .mounts(with_init(
            mounts(req, input.etc, input.mounts, input.shm)?,
            input.init,
        )?)
        .linux(linux(
            req,
            input.id,
            input.seccomp.clone(),
            input.mounts,
            input.devices,
        )?)
        .build()
        .map_err(oci)?;
    // The host's UTS namespace keeps the host's name: a container may not set it.
    spec.set_hostname((!req.uts_mode.is_host()).then(|| hostname.clone()));
    Ok(BuiltSpec {
        spec,
        args,
        entrypoint,
        cmd,
        env,
        workdir,
        user,
        hostname,
    })
}

/// `--workdir`, else the image's, else `/`; it must be absolute.
fn working_dir(req: &RunRequest, image: &ImageDefaults) -> Result<String> {
    let workdir = req
        .workdir
        .clone()
        .filter(|w| !w.is_empty())
        .unwrap_or_else(|| image.workdir.clone());
    if workdir.is_empty() {
        return Ok("/".to_owned());
    }
    if !workdir.starts_with('/') {
        return Err(Error::Invalid(format!(
            "the working directory \"{workdir}\" is invalid: it must be an absolute path"
        )));
    }
    Ok(workdir)
}

/// The container's process: terminal, user and groups, command, env, cwd, capabilities.
fn process(
    req: &RunRequest,
    ids: &UserIds,
    args: &[String],
    env: &[String],
    workdir: &str,
) -> Result<Process> {
    let mut user = UserBuilder::default().uid(ids.uid).gid(ids.gid);
    if !ids.additional_gids.is_empty() {
        user = user.additional_gids(ids.additional_gids.clone());
    }
    let rlimits = req
        .ulimits
        .iter()
        .map(|u| {
            let typ: PosixRlimitType =
                serde_json::from_value(serde_json::Value::String(u.oci_type())).map_err(|_| {
                    Error::Invalid(format!("--ulimit {u}: not known to the runtime"))
                })?;
            PosixRlimitBuilder::default()
                .typ(typ)
                .soft(Ulimit::raw(u.soft))
                .hard(Ulimit::raw(u.hard))
                .build()
                .map_err(oci)
        })
        .collect::<Result<Vec<_>>>()?;
    let mut process = ProcessBuilder::default();
    if !rlimits.is_empty() {
        process = process.rlimits(rlimits);
    }
    process
        .terminal(req.tty)
        .user(user.build().map_err(oci)?)
        .args(args.to_vec())
        .env(env.to_vec())
        .cwd(PathBuf::from(workdir))
        .capabilities(process_capabilities(req, ids.uid)?)
        .no_new_privileges(req.no_new_privileges)
        .build()
        .map_err(oci)
}

/// The capability sets: Docker's defaults with `--cap-add`/`--cap-drop` as the bounding
/// set; as Docker, a non-root user keeps the bounding set but holds no capability itself.
pub(crate) fn process_capabilities(req: &RunRequest, uid: u32) -> Result<LinuxCapabilities> {
    // --privileged: every capability, whatever --cap-drop says (Docker's rule)
    let caps = if req.privileged {
        capabilities(&["ALL".to_owned()], &[])?
    } else {
        capabilities(&req.cap_add, &req.cap_drop)?
    };
    let held = if uid == 0 {
        caps.clone()
    } else {
        HashSet::new()
    };
    // Every set is given: oci-spec's builder fills a set left out with its own defaults
    // (AUDIT_WRITE, KILL, NET_BIND_SERVICE), and Docker's containers inherit nothing and
    // have no ambient capabilities.
    LinuxCapabilitiesBuilder::default()
        .bounding(caps)
        .effective(held.clone())
        .permitted(held)
        .inheritable(HashSet::new())
        .ambient(HashSet::new())
        .build()
        .map_err(oci)
}

/// The `linux` section: namespaces (no network namespace with `--network host`),
/// resources, Docker's masked and read-only paths, the seccomp profile if any, the
/// root's propagation a shared or slave bind needs, and the `--device` nodes.
fn linux(
    req: &RunRequest,
    id: &str,
    seccomp: Option<LinuxSeccomp>,
    mounts: &[MountPoint],
    (devices, device_rules): &(Vec<LinuxDevice>, Vec<LinuxDeviceCgroup>),
) -> Result<Linux> {
    // --pid/--uts/--ipc host: the host's namespace, so none of its own (another container's
    // is given its path at each start)
    let mut namespaces = vec![LinuxNamespaceType::Mount];
    for (mode, typ) in [
        (&req.pid_mode, LinuxNamespaceType::Pid),
        (&req.uts_mode, LinuxNamespaceType::Uts),
        (&req.ipc_mode, LinuxNamespaceType::Ipc),
    ] {
        if !mode.is_host() {
            namespaces.push(typ);
        }
    }
    if req.network != NetworkMode::Host {
        namespaces.push(LinuxNamespaceType::Network);
    }
    let namespaces = namespaces
        .into_iter()
        .map(|t| LinuxNamespaceBuilder::default().typ(t).build().map_err(oci))
        .collect::<Result<Vec<_>>>()?;
    let strings = |paths: &[&str]| paths.iter().map(|s| s.to_string()).collect::<Vec<_>>();
    let mut resources = resources(req)?;
    if !device_rules.is_empty() {
        let mut rules = resources.devices().clone().unwrap_or_default();
        rules.extend(device_rules.iter().cloned());
        resources.set_devices(Some(rules));
    }
    let mut linux = LinuxBuilder::default()
        .namespaces(namespaces)
        .resources(resources);
    // --privileged: nothing masked or read-only in /proc, the host's devices
    let mut nodes = Vec::new();
    linux = if req.privileged {
        nodes = crate::privileged::host_devices();
        linux.masked_paths(Vec::new()).readonly_paths(Vec::new())
    } else {
        linux
            .masked_paths(strings(&MASKED_PATHS))
            .readonly_paths(strings(&READONLY_PATHS))
    };
    // --device: its nodes, over a host device at the same path
    for d in devices {
        nodes.retain(|n| n.path() != d.path());
        nodes.push(d.clone());
    }
    if !nodes.is_empty() {
        linux = linux.devices(nodes);
    }
    if let Some(seccomp) = seccomp {
        linux = linux.seccomp(seccomp);
    }
    if let Some(p) = crate::mount_points::root_propagation(mounts) {
        linux = linux.rootfs_propagation(p);
    }
    if let Some(path) = cgroups_path(req, id)? {
        linux = linux.cgroups_path(path);
    }
    linux.build().map_err(oci)
}

/// `--cgroup-parent P`: the container's cgroup is `P/<id>`, as Docker's, below the engine's
/// own cgroup parent (the runtime nests absolute paths there too); None: the runtime's
/// default, `<id>` there.
fn cgroups_path(req: &RunRequest, id: &str) -> Result<Option<PathBuf>> {
    let Some(parent) = &req.cgroup_parent else {
        return Ok(None);
    };
    let relative = parent.trim_matches('/');
    let bad = |why: &str| Error::Invalid(format!("--cgroup-parent {parent:?}: {why}"));
    if relative.is_empty() {
        return Err(bad("expected a cgroup path like mygroup or /a/b"));
    }
    if relative
        .split('/')
        .any(|c| c.is_empty() || c == "." || c == "..")
    {
        return Err(bad("expected a path without empty, . or .. parts"));
    }
    if relative.ends_with(".slice") {
        return Err(bad(
            "systemd slices need the systemd cgroup driver; this engine uses cgroupfs",
        ));
    }
    Ok(Some(PathBuf::from(format!("/{relative}/{id}"))))
}

/// `--hostname`, else the host's own name on the host network or in its UTS namespace (as
/// Docker), else the first 12 characters of the ID.
pub(crate) fn default_hostname(req: &RunRequest, id: &str) -> String {
    if let Some(h) = &req.hostname {
        return h.clone();
    }
    if req.network == NetworkMode::Host || req.uts_mode.is_host() {
        if let Ok(h) = nix::unistd::gethostname() {
            return h.to_string_lossy().into_owned();
        }
    }
    id[..12].to_owned()
}

/// Docker's rule: `--entrypoint` replaces the image's entrypoint and clears its cmd;
/// a command after the image replaces the image's cmd.
pub(crate) fn merge_command(req: &RunRequest, image: &ImageDefaults) -> (Vec<String>, Vec<String>) {
    let entrypoint = req
        .entrypoint
        .clone()
        .unwrap_or_else(|| image.entrypoint.clone());
    let cmd = if !req.cmd.is_empty() {
        req.cmd.clone()
    } else if req.entrypoint.is_some() {
        Vec::new()
    } else {
        image.cmd.clone()
    };
    (entrypoint, cmd)
}

/// PATH (if the image has none), HOSTNAME, TERM (with a tty), the image's env, then `-e`.
pub(crate) fn merge_env(image_env: &[String], req: &RunRequest, hostname: &str) -> Vec<String> {
    let mut env: Vec<String> = Vec::new();
    let mut set = |entry: String| {
        let key = entry.split('=').next().unwrap_or_default().to_owned();
        match env
            .iter_mut()
            .find(|e| e.split('=').next() == Some(key.as_str()))
        {
            Some(old) => *old = entry,
            None => env.push(entry),
        }
    };
    if !image_env.iter().any(|e| e.starts_with("PATH=")) {
        set(DEFAULT_PATH.to_owned());
    }
    set(format!("HOSTNAME={hostname}"));
    if req.tty {
        set("TERM=xterm".to_owned());
    }
    for e in image_env {
        set(e.clone());
    }
    for var in &req.env {
        if let Some(entry) = var.to_entry() {
            set(entry);
        }
    }
    env
}

/// `linux.resources` from the request: memory, cpu, pids, and the device allow-list.
pub(crate) fn resources(req: &RunRequest) -> Result<LinuxResources> {
    let devices = if req.privileged {
        vec![LinuxDeviceCgroupBuilder::default()
            .allow(true)
            .access("rwm")
            .build()
            .map_err(oci)?]
    } else {
        default_devices()?
    };
    let mut b = LinuxResourcesBuilder::default().devices(devices);
    if let Some(memory) = memory(req)? {
        b = b.memory(memory);
    }
    if let Some(cpu) = cpu(req)? {
        b = b.cpu(cpu);
    }
    if let Some(limit) = req.pids_limit {
        b = b.pids(
            LinuxPidsBuilder::default()
                .limit(if limit <= 0 { -1 } else { limit })
                .build()
                .map_err(oci)?,
        );
    }
    b.build().map_err(oci)
}

/// `-m` and `--memory-swap` (Docker's rules: at least 6 MB; swap is memory plus swap,
/// twice the memory by default, -1 for unlimited; swap needs memory).
fn memory(req: &RunRequest) -> Result<Option<LinuxMemory>> {
    if req.memory.is_none() && req.memory_swap.is_none() {
        return Ok(None);
    }
    let Some(limit) = req.memory else {
        return Err(Error::Invalid(
            "--memory-swap needs --memory (-m) too".into(),
        ));
    };
    if limit.bytes() < 6 << 20 {
        return Err(Error::Invalid(format!(
            "memory limit {limit} bytes is below the minimum of 6MB"
        )));
    }
    let bytes = i64::try_from(limit.bytes()).unwrap_or(i64::MAX);
    // Docker's default: as much swap as memory (memory + swap = 2 x memory).
    let swap = match req.memory_swap {
        Some(s) => s.as_spec_value(),
        None => i64::try_from(limit.bytes().saturating_mul(2)).unwrap_or(i64::MAX),
    };
    if swap != -1 && swap < bytes {
        return Err(Error::Invalid(
            "--memory-swap must be at least as large as --memory (it is memory plus swap)".into(),
        ));
    }
    let memory = LinuxMemoryBuilder::default().limit(bytes).swap(swap);
    Ok(Some(memory.build().map_err(oci)?))
}

/// `--cpu-shares` (0 or 2-262144), `--cpus` (as a CFS quota and period) or `--cpu-quota`
/// and `--cpu-period` (not both: Docker's rule), `--cpuset-cpus`, `--cpuset-mems`.
fn cpu(req: &RunRequest) -> Result<Option<LinuxCpu>> {
    if req.cpu_shares.is_none()
        && req.cpus.is_none()
        && req.cpuset_cpus.is_none()
        && req.cpu_quota.is_none()
        && req.cpu_period.is_none()
        && req.cpuset_mems.is_none()
    {
        return Ok(None);
    }
    let mut c = LinuxCpuBuilder::default();
    if let Some(shares) = req.cpu_shares {
        if shares != 0 && !(2..=262_144).contains(&shares) {
            return Err(Error::Invalid(format!(
                "cpu shares {shares} is outside 2-262144"
            )));
        }
        c = c.shares(shares);
    }
    if let Some(cpus) = req.cpus {
        let conflict = |what: &str| {
            Error::Invalid(format!(
                "conflicting options: Nano CPUs and CPU {what} cannot both be set"
            ))
        };
        if req.cpu_period.is_some() {
            return Err(conflict("Period"));
        }
        if req.cpu_quota.is_some() {
            return Err(conflict("Quota"));
        }
        let (quota, period) = cpus.quota_period();
        c = c.quota(quota).period(period);
    }
    if let Some(period) = req.cpu_period.filter(|p| *p != 0) {
        if !(1000..=1_000_000).contains(&period) {
            return Err(Error::Invalid(format!(
                "CPU cfs period {period} can not be less than 1ms (i.e. 1000) or larger than 1 second (i.e. 1000000)"
            )));
        }
        c = c.period(period);
    }
    if let Some(quota) = req.cpu_quota.filter(|q| *q != 0) {
        if quota > 0 && quota < 1000 {
            return Err(Error::Invalid(format!(
                "CPU cfs quota {quota} can not be less than 1ms (i.e. 1000)"
            )));
        }
        c = c.quota(quota);
    }
    if let Some(set) = &req.cpuset_cpus {
        c = c.cpus(set.to_string());
    }
    if let Some(set) = &req.cpuset_mems {
        c = c.mems(set.to_string());
    }
    Ok(Some(c.build().map_err(oci)?))
}

/// Docker's device cgroup: deny all, then mknod anything, and the usual character devices.
fn default_devices() -> Result<Vec<LinuxDeviceCgroup>> {
    let rule = |allow: bool,
                typ: Option<LinuxDeviceType>,
                major: Option<i64>,
                minor: Option<i64>,
                access: &str| {
        let mut b = LinuxDeviceCgroupBuilder::default()
            .allow(allow)
            .access(access);
        if let Some(t) = typ {
            b = b.typ(t);
        }
        if let Some(m) = major {
            b = b.major(m);
        }
        if let Some(m) = minor {
            b = b.minor(m);
        }
        b.build().map_err(oci)
    };
    let c = Some(LinuxDeviceType::C);
    Ok(vec![
        rule(false, None, None, None, "rwm")?,
        rule(true, c, None, None, "m")?,
        rule(true, Some(LinuxDeviceType::B), None, None, "m")?,
        rule(true, c, Some(1), Some(3), "rwm")?,    // null
        rule(true, c, Some(1), Some(5), "rwm")?,    // zero
        rule(true, c, Some(1), Some(7), "rwm")?,    // full
        rule(true, c, Some(1), Some(8), "rwm")?,    // random
        rule(true, c, Some(1), Some(9), "rwm")?,    // urandom
        rule(true, c, Some(5), Some(0), "rwm")?,    // tty
        rule(true, c, Some(5), Some(1), "rwm")?,    // console
        rule(true, c, Some(5), Some(2), "rwm")?,    // ptmx
        rule(true, c, Some(136), None, "rwm")?,     // pts
        rule(true, c, Some(10), Some(200), "rwm")?, // tun
    ])
}

fn mount(dest: &str, typ: &str, source: &str, options: &[&str]) -> Result<Mount> {
    MountBuilder::default()
        .destination(dest)
        .typ(typ)
        .source(source)
        .options(options.iter().map(|s| s.to_string()).collect::<Vec<_>>())
        .build()
        .map_err(oci)
}

fn bind(
    dest: &Path,
    source: &Path,
    read_only: bool,
    propagation: &str,
    recursive: bool,
) -> Result<Mount> {
    let mode = if read_only { "ro" } else { "rw" };
    let propagation = if propagation.is_empty() {
        "rprivate"
    } else {
        propagation
    };
    MountBuilder::default()
        .destination(dest)
        .typ("bind")
        .source(source)
        .options(vec![
            if recursive { "rbind" } else { "bind" }.to_owned(),
            propagation.to_owned(),
            mode.to_owned(),
        ])
        .build()
        .map_err(oci)
}

/// One bind, volume or tmpfs mount point as the runtime mounts it.
fn user_mount(m: &MountPoint) -> Result<Mount> {
    match m.kind {
        MountKind::Bind | MountKind::Volume => bind(
            &m.destination,
            &m.source,
            m.read_only,
            &m.propagation,
            !m.non_recursive,
        ),
        MountKind::Tmpfs => MountBuilder::default()
            .destination(&m.destination)
            .typ("tmpfs")
            .source("tmpfs")
            .options(m.tmpfs_options.clone())
            .build()
            .map_err(oci),
    }
}

/// The size option of its /dev/shm: `--shm-size`, else Docker's 64 MB.
pub(crate) fn shm_size_option(req: &RunRequest) -> String {
    match req.shm_size {
        Some(s) if s.bytes() > 0 => format!("size={}", s.bytes()),
        _ => "size=65536k".to_owned(),
    }
}

/// Docker's default mounts (/dev/shm of `--shm-size`, or the host folder `shm` for a
/// shareable or shared IPC namespace), then /etc/{resolv.conf,hostname,hosts}, then the
/// container's binds, volumes and tmpfs mounts, shallower destinations first (as Docker
/// sorts them).
pub(crate) fn mounts(
    req: &RunRequest,
    etc: &EtcFiles,
    points: &[MountPoint],
    shm: Option<&Path>,
) -> Result<Vec<Mount>> {
    // --privileged: /sys and its cgroup mount writable (Docker's rule)
    let sys_mode = if req.privileged { "rw" } else { "ro" };
    let shm_size = shm_size_option(req);
    let mut m = vec![
        mount("/proc", "proc", "proc", &["nosuid", "noexec", "nodev"])?,
        mount(
            "/dev",
            "tmpfs",
            "tmpfs",
            &["nosuid", "strictatime", "mode=755", "size=65536k"],
        )?,
        mount(
            "/dev/pts",
            "devpts",
            "devpts",
            &[
                "nosuid",
                "noexec",
                "newinstance",
                "ptmxmode=0666",
                "mode=0620",
                "gid=5",
            ],
        )?,
        mount(
            "/sys",
            "sysfs",
            "sysfs",
            &[sys_mode, "nosuid", "noexec", "nodev"],
        )?,
        mount(
            "/sys/fs/cgroup",
            "cgroup",
            "cgroup",
            &[sys_mode, "nosuid", "noexec", "nodev", "relatime"],
        )?,
    ];
    if req.ipc_mode.is_host() {
        // the host's IPC namespace: its /dev/shm, and no mqueue of its own (Docker's rule)
        m.push(bind(
            Path::new("/dev/shm"),
            Path::new("/dev/shm"),
            false,
            "",
            true,
        )?);
    } else {
        m.push(mount(
            "/dev/mqueue",
            "mqueue",
            "mqueue",
            &["nosuid", "noexec", "nodev"],
        )?);
        match (&req.ipc_mode, shm) {
            // --ipc none: no /dev/shm at all
            (NamespaceMode::None, _) => {}
            // shareable, or another container's: the tmpfs on the host
            (_, Some(host)) => m.push(bind(Path::new("/dev/shm"), host, false, "", false)?),
            _ => m.push(mount(
                "/dev/shm",
                "tmpfs",
                "shm",
                &["nosuid", "noexec", "nodev", "mode=1777", &shm_size],
            )?),
        }
    }
    m.extend([
        bind(
            Path::new("/etc/resolv.conf"),
            &etc.resolv_conf,
            false,
            "",
            true,
        )?,
        bind(Path::new("/etc/hostname"), &etc.hostname, false, "", true)?,
        bind(Path::new("/etc/hosts"), &etc.hosts, false, "", true)?,
    ]);
    let mut points: Vec<&MountPoint> = points.iter().collect();
    points.sort_by_key(|p| p.destination.components().count());
    for p in points {
        m.push(user_mount(p)?);
    }
    Ok(m)
}

/// `mounts` and, with `--init`, the init bound read-only at its path.
fn with_init(mut mounts: Vec<Mount>, init: Option<&Path>) -> Result<Vec<Mount>> {
    if let Some(init) = init {
        let dest = Path::new(crate::init_binary::INIT_PATH);
        mounts.push(bind(dest, init, true, "", false)?);
    }
    Ok(mounts)
}

#[cfg(test)]
#[path = "spec_tests.rs"]
mod tests;
