//! Making a container: check the request, resolve the image, write the record, mount the
//! rootfs, write /etc files, build the spec and find the program — in that order, each undone
//! if a later one fails, so a refused `run` leaves nothing behind.

use oci_spec::runtime::Spec;

use crate::command::find_program;
use crate::engine::{Engine, DEFAULT_IMAGE};
use crate::error::{Error, Result};
use crate::record::{ContainerConfig, Status};
use crate::request::RunRequest;
use crate::spec::{self, ImageDefaults, SpecInput};
use crate::store::{write_atomic, Durable, Store};
use crate::types::{CpuSet, NetworkMode};

/// A container whose record, rootfs and spec exist; state still `Creating`.
pub(crate) struct Prepared {
    pub id: String,
    pub spec: Spec,
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

    /// Everything up to the point where a process could start.
    pub(crate) fn prepare(&self, req: &RunRequest) -> Result<Prepared> {
        let _span = tracing::debug_span!("prepare").entered();
        self.check_request(req)?;
        let image_name = req
            .image
            .clone()
            .unwrap_or_else(|| DEFAULT_IMAGE.to_owned());
        let image = {
            let _s = tracing::debug_span!("resolve_image").entered();
            self.images.resolve(&image_name)?
        };
        let id = Store::new_id()?;
        let name = match &req.name {
            Some(n) => n.as_str().to_owned(),
            None => self.store.generate_name(),
        };
        let mut config = ContainerConfig {
            id: id.clone(),
            name,
            created: chrono::Utc::now(),
            image: image_name.clone(),
            image_id: image.id.clone(),
            args: Vec::new(),
            entrypoint: Vec::new(),
            cmd: Vec::new(),
            env: Vec::new(),
            workdir: String::new(),
            user: String::new(),
            hostname: String::new(),
            request: req.clone(),
        };
        {
            let _s = tracing::debug_span!("record").entered();
            let mut attempts = 0;
            loop {
                match self.store.create(&config) {
                    // A generated name another CLI took at the same moment: pick another.
                    Err(Error::NameInUse { .. }) if req.name.is_none() && attempts < 20 => {
                        attempts += 1;
                        config.name = self.store.generate_name();
                    }
                    other => break other?,
                }
            }
        }
        let dir = self.container_dir(&id);
        let mut made_dirs = crate::volume_dirs::MadeDirs::default();
        let built = (|| {
            let mount = {
                let _s = tracing::debug_span!("mount_rootfs").entered();
                self.images.mount_rootfs(&image, &dir)?
            };
            self.store.update(&id, |s| {
                s.rootfs_mounted = true;
                Ok(())
            })?;
            crate::test_hook::pause_point("rootfs-mounted");
            crate::volumes::check_destinations(&mount.merged, &req.volumes, &image_name)?;
            // Checked, recorded: now the bind sources that are missing (undone on failure).
            made_dirs = crate::volume_dirs::make(&req.volumes)?;
            let _s = tracing::debug_span!("build_spec").entered();
            let hostname = spec::default_hostname(req, &id);
            let etc = crate::etc::write_files(&dir, &hostname, &req.network)?;
            let defaults = ImageDefaults {
                env: image.config.env.clone(),
                entrypoint: image.config.entrypoint.clone().unwrap_or_default(),
                cmd: image.config.cmd.clone().unwrap_or_default(),
                workdir: image.config.working_dir.clone().unwrap_or_default(),
                user: image.config.user.clone().unwrap_or_default(),
            };
            let input = SpecInput {
                id: &id,
                request: req,
                image: &defaults,
                rootfs: &mount.merged,
                etc: &etc,
                seccomp: (!req.seccomp_unconfined).then(six_seccomp::docker_default),
            };
            let built = spec::build(&input)?;
            find_program(
                &mount.merged,
                &built.args[0],
                &built.env,
                &built.workdir,
                &req.volumes,
                &image_name,
            )?;
            Ok::<_, Error>(built)
        })();
        let built = match built {
            Ok(b) => b,
            Err(e) => {
                self.discard(&id);
                made_dirs.undo();
                return Err(e);
            }
        };
        config.args = built.args;
        config.entrypoint = built.entrypoint;
        config.cmd = built.cmd;
        config.env = built.env;
        config.workdir = built.workdir;
        config.user = built.user;
        config.hostname = built.hostname;
        let written = write_atomic(&Engine::spec_path(&dir), &built.spec, Durable::No)
            .and_then(|()| write_atomic(&dir.join("container.json"), &config, Durable::Yes));
        if let Err(e) = written {
            self.discard(&id);
            made_dirs.undo();
            return Err(e);
        }
        Ok(Prepared {
            id,
            spec: built.spec,
        })
    }

    /// Undoes a half-made container: unmount, remove the record. Best effort (reconcile
    /// finishes what this cannot).
    pub(crate) fn discard(&self, id: &str) {
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
        }
    }

    /// Rules that need the host: CPUs that exist, ports with a network, volumes.
    fn check_request(&self, req: &RunRequest) -> Result<()> {
        let online = std::fs::read_to_string("/sys/devices/system/cpu/online").unwrap_or_default();
        if let (Some(set), Ok(online)) = (&req.cpuset_cpus, online.trim().parse::<CpuSet>()) {
            if !set.within(&online) {
                return Err(Error::Invalid(format!(
                    "requested CPUs are not available: requested {set}, available {online}"
                )));
            }
        }
        if let Some(cpus) = req.cpus {
            let n = std::thread::available_parallelism()
                .map(|n| n.get())
                .unwrap_or(1) as f64;
            if cpus.get() > n {
                return Err(Error::Invalid(format!(
                    "range of CPUs is from 0.01 to {n:.2}, as there are only {n} CPUs available"
                )));
            }
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
        Ok(())
    }
}
