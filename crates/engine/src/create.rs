//! Making a container: check the request, resolve the image, write the record, mount the
//! rootfs, write /etc files, build the spec and find the program — in that order, each undone
//! if a later one fails, so a refused `run` leaves nothing behind.

use oci_spec::runtime::Spec;
use six_image::Image;

use crate::command::find_program;
use crate::engine::{Engine, DEFAULT_IMAGE};
use crate::error::{Error, Result};
use crate::mount_plan::{self, Namer};
use crate::mount_points::{self, MountKind, MountPoint};
use crate::record::{ContainerConfig, Status};
use crate::request::RunRequest;
use crate::spec::{self, BuiltSpec, ImageDefaults, SpecInput};
use crate::store::{write_atomic, Durable, Store};
use crate::types::{NamespaceMode, NetworkMode};
use crate::volumes::bind_dirs::MadeDirs;

/// A container whose record, rootfs and spec exist; state still `Creating`.
pub(crate) struct Prepared {
    pub id: String,
    pub spec: Spec,
    pub config: ContainerConfig,
}

impl Engine {
    /// `docker create`: the container exists, state "Created", nothing runs.
    pub fn create(&self, req: RunRequest) -> Result<String> {
        let p = self.prepare(&req)?;
        let unmounted = self.rootfs_mount(&p.id).unmount().map_err(Error::from);
        let marked = unmounted.and_then(|()| {
            self.store.update(&p.id, |s| {
                s.status = Status::Created;
                s.owner = None;
                s.rootfs_mounted = false;
                Ok(())
            })
        });
        if let Err(e) = marked {
            self.discard(&p.id);
            return Err(e);
        }
        Ok(p.id)
    }

    /// Everything up to the point where a process could start: check the request, resolve
    /// the image, write the record, then build on the rootfs and record what was built. A
    /// failure after the record exists discards the container and the volume dirs it made.
    pub(crate) fn prepare(&self, req: &RunRequest) -> Result<Prepared> {
        let _span = tracing::debug_span!("prepare").entered();
        let shared = self.with_shared_namespaces(req)?;
        let req = shared.as_ref().unwrap_or(req);
        self.check_request(req)?;
        let image_name = req
            .image
            .clone()
            .unwrap_or_else(|| DEFAULT_IMAGE.to_owned());
        let image = {
            let _s = tracing::debug_span!("resolve_image").entered();
            let _phase = six_trace::phase(six_trace::Phase::Image);
            let image = self.images.resolve(&image_name)?;
            six_trace::step!(
                six_trace::Kind::Image,
                "{image_name} is image {} ({} layers, bottom first: {})",
                image.short_id(),
                image.layers.len(),
                image.layers.join(" ")
            );
            image
        };
        let mounts = self.plan_mounts(req, &image)?;
        let mut config = self.create_record(req, &image_name, &image, mounts)?;
        let mut made_dirs = MadeDirs::default();
        let built = self
            .build_on_rootfs(&config, &image, &mut made_dirs)
            .and_then(|built| self.write_built(&mut config, built));
        match built {
            Ok(spec) => {
                self.emit_container(&config, "create", &[]);
                Ok(Prepared {
                    id: config.id.clone(),
                    spec,
                    config,
                })
            }
            Err(e) => {
                self.discard(&config.id);
                made_dirs.undo();
                Err(e)
            }
        }
    }

    /// The container's mount points (`--volumes-from`, `-v`, `--mount`, `--tmpfs`, the image's
    /// volumes), anonymous volumes named; a `--mount` bind's source must exist.
    fn plan_mounts(&self, req: &RunRequest, image: &Image) -> Result<Vec<MountPoint>> {
        let mut from = Vec::new();
        for v in &req.volumes_from {
            let id = self.resolve(&v.container)?;
            from.push(mount_plan::From {
                mounts: mount_points::of_record(&self.store.config(&id)?),
                read_only: v.read_only,
            });
        }
        let store = self.volume_store();
        let data_dir = |name: &str| store.data_dir(name);
        let namer = Namer {
            new_volume: &mut Store::new_id,
            data_dir: &data_dir,
        };
        let mounts = mount_plan::plan(req, &image.config.volumes, from, namer)?;
        for m in mounts.iter().filter(|m| m.kind == MountKind::Bind) {
            if !m.make_source && std::fs::symlink_metadata(&m.source).is_err() {
                return Err(Error::Invalid(format!(
                    "invalid mount config for type \"bind\": bind source path does not exist: {}",
                    m.source.display()
                )));
            }
            crate::mounts::check_propagation(&m.source, &m.propagation)?;
        }
        Ok(mounts)
    }

    /// Picks the ID and name and writes the container's first record (no process, no
    /// rootfs yet), its mount points in it: from here on, the volumes they name are in use.
    /// A generated name another CLI took at the same moment is replaced.
    fn create_record(
        &self,
        req: &RunRequest,
        image_name: &str,
        image: &Image,
        mounts: Vec<MountPoint>,
    ) -> Result<ContainerConfig> {
        let _s = tracing::debug_span!("record").entered();
        let id = Store::new_id()?;
        let name = match &req.name {
            Some(n) => n.as_str().to_owned(),
            None => self.store.generate_name(),
        };
        let mut config = ContainerConfig {
            id,
            name,
            created: chrono::Utc::now(),
            image: image_name.to_owned(),
            image_id: image.id.clone(),
            args: Vec::new(),
            entrypoint: Vec::new(),
            cmd: Vec::new(),
            env: Vec::new(),
            workdir: String::new(),
            user: String::new(),
            hostname: String::new(),
            request: req.clone(),
            labels: image
                .config
                .labels
                .iter()
                .chain(&req.labels)
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect(),
            networks: Some(vec![req.network.to_string()]),
            endpoint_settings: Default::default(),
            mounts: Some(mounts),
            stop_signal: req.stop_signal.or_else(|| {
                image
                    .config
                    .stop_signal
                    .as_deref()
                    .and_then(|s| s.parse().ok())
            }),
            healthcheck: crate::types::merge_health_config(
                req.healthcheck.as_ref(),
                image.config.healthcheck.as_ref(),
            ),
            exposed_ports: Some(crate::record::exposed_ports(
                &image.config.exposed_ports,
                req,
            )),
        };
        let mut attempts = 0;
        loop {
            match self.store.create(&config) {
                Err(Error::NameInUse { .. }) if req.name.is_none() && attempts < 20 => {
                    attempts += 1;
                    config.name = self.store.generate_name();
                }
                other => break other?,
            }
        }
        Ok(config)
    }

    /// Mounts the rootfs (noted in the record), checks the mount destinations on it, makes
    /// the missing bind dirs (into `made_dirs`, for the caller to undo) and the volumes,
    /// writes the /etc files, builds the spec and finds the program it runs.
    fn build_on_rootfs(
        &self,
        config: &ContainerConfig,
        image: &Image,
        made_dirs: &mut MadeDirs,
    ) -> Result<BuiltSpec> {
        let (req, id, image_name) = (&config.request, config.id.as_str(), config.image.as_str());
        let mounts = config.mounts.as_deref().unwrap_or_default();
        let dir = self.container_dir(id);
        let mount = {
            let _s = tracing::debug_span!("mount_rootfs").entered();
            let _phase = six_trace::phase(six_trace::Phase::Rootfs);
            self.images
                .mount_rootfs_as(image, &dir, durability(config))?
        };
        self.store.update(id, |s| {
            s.rootfs_mounted = true;
            Ok(())
        })?;
        crate::test_hook::pause_point("rootfs-mounted");
        crate::volumes::destinations::check_destinations(&mount.merged, mounts, image_name)?;
        // Checked, recorded: now the bind sources that are missing (undone on failure).
        *made_dirs = crate::volumes::bind_dirs::make(mounts)?;
        self.make_volumes(mounts)?;
        let _s = tracing::debug_span!("build_spec").entered();
        let (hostname, etc, shared) = match &req.network {
            // another container's namespace: its name and files
            NetworkMode::Container(target) => {
                let (hostname, etc) = self.shared_etc(target)?;
                (hostname, etc, true)
            }
            _ => {
                let hostname = spec::default_hostname(req, id);
                let extra_hosts = self.extra_host_lines(req)?;
                let etc = crate::etc::write_files(&dir, &hostname, req, &extra_hosts)?;
                (hostname, etc, false)
            }
        };
        let defaults = ImageDefaults::from(&image.config);
        let init = if req.init {
            Some(self.init_binary()?)
        } else {
            None
        };
        let devices = crate::devices::resolve(&req.devices)?;
        let shm = match &req.ipc_mode {
            NamespaceMode::Shareable => Some(self.shm_dir(id)),
            NamespaceMode::Container(target) => Some(self.shm_dir(target)),
            _ => None,
        };
        let input = SpecInput {
            id,
            request: req,
            image: &defaults,
            rootfs: &mount.merged,
            etc: &etc,
            mounts,
            seccomp: crate::caps::seccomp_profile(req)?,
            hostname: shared.then_some(hostname.as_str()),
            init: init.as_deref(),
            devices: &devices,
            shm: shm.as_deref(),
        };
        let built = spec::build(&input)?;
        let destinations: Vec<&std::path::Path> =
            mounts.iter().map(|m| m.destination.as_path()).collect();
        find_program(
            &mount.merged,
            &built.args[0],
            &built.env,
            &built.workdir,
            &destinations,
            image_name,
        )?;
        Ok(built)
    }

    /// Writes the spec, and the record completed with the resolved process values.
    fn write_built(&self, config: &mut ContainerConfig, built: BuiltSpec) -> Result<Spec> {
        config.args = built.args;
        config.entrypoint = built.entrypoint;
        config.cmd = built.cmd;
        config.env = built.env;
        config.workdir = built.workdir;
        config.user = built.user;
        config.hostname = built.hostname;
        let dir = self.container_dir(&config.id);
        write_atomic(&Engine::spec_path(&dir), &built.spec, Durable::No)?;
        write_atomic(&dir.join("container.json"), config, Durable::Yes)?;
        Ok(built.spec)
    }

    /// Undoes a half-made container: unmount, remove the record (and the anonymous volumes
    /// it made). Best effort (reconcile finishes what this cannot).
    pub(crate) fn discard(&self, id: &str) {
        let config = self.store.config(id).ok();
        let mount = self.rootfs_mount(id);
        if mount.is_mounted() {
            if let Err(e) = mount.unmount() {
                let error = &e as &dyn std::error::Error;
                tracing::warn!(error, "unmounting the rootfs of {id}");
                return;
            }
        }
        if let Err(e) = self.store.remove(id) {
            let error = &e as &dyn std::error::Error;
            tracing::warn!(error, "removing the record of {id}");
            return;
        }
        if let Some(config) = config {
            self.release_volumes(&config);
            self.remove_anonymous_volumes(&config);
        }
    }

    /// Rules that need the host: CPUs that exist, ports with a network, volumes; and the
    /// daemon's rules for a health check (the Engine API's too).
    fn check_request(&self, req: &RunRequest) -> Result<()> {
        crate::update::check_host_resources(req)?;
        if let Some(h) = &req.healthcheck {
            crate::types::check_health_config(h).map_err(Error::Invalid)?;
        }
        if req.auto_remove && req.restart != crate::types::RestartPolicy::No {
            return Err(Error::Invalid(format!(
                "conflicting options: --restart {} and --rm",
                req.restart
            )));
        }
        if !req.ports.is_empty() && req.network.network_name().is_none() {
            return Err(Error::Invalid(format!(
                "published ports need a network; --network {} has none",
                req.network
            )));
        }
        if let NetworkMode::Named(n) = &req.network {
            self.networks()?.inspect(n)?;
        }
        let settings = crate::request::EndpointSettings {
            ip: req.ip,
            aliases: req.network_aliases.clone(),
        };
        self.check_endpoint_settings(&req.network.to_string(), &settings)?;
        Ok(())
    }
}

/// How a container's rootfs is mounted: a container removed when it ends (`--rm`) keeps
/// nothing worth a sync, so its overlay is volatile (see `six_image`'s overlay module).
pub(crate) fn durability(config: &ContainerConfig) -> six_image::Durability {
    if config.request.auto_remove {
        six_image::Durability::Volatile
    } else {
        six_image::Durability::Synced
    }
}
