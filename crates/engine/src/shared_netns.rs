//! `--network container:NAME`: a container in another one's network namespace, as Docker
//! makes it. At create: NAME must exist (it is recorded by its full ID), and what only a
//! namespace of one's own can have is refused (published ports, a hostname, --add-host,
//! --dns*); the container takes NAME's hostname and its /etc/hosts, /etc/resolv.conf and
//! /etc/hostname files. At every start: NAME must run, and its namespace is joined (the
//! saved spec's network namespace gets the path of NAME's). It attaches to no network.

use std::path::PathBuf;

use oci_spec::runtime::{LinuxNamespaceType, Spec};

use crate::engine::Engine;
use crate::error::{Error, Result};
use crate::record::Status;
use crate::request::RunRequest;
use crate::spec::EtcFiles;
use crate::types::NetworkMode;

impl Engine {
    /// For `--network container:NAME`: `req` with NAME as a full ID, its conflicts refused;
    /// None for the other network modes.
    pub(crate) fn with_network_container(&self, req: &RunRequest) -> Result<Option<RunRequest>> {
        let NetworkMode::Container(target) = &req.network else {
            return Ok(None);
        };
        let conflict = |what: &str| {
            Err(Error::Invalid(format!(
                "conflicting options: {what} and the network mode"
            )))
        };
        if !req.ports.is_empty() {
            return Err(Error::Invalid(
                "conflicting options: port publishing and the container type network mode".into(),
            ));
        }
        if req.hostname.is_some() {
            return conflict("hostname");
        }
        if !req.add_hosts.is_empty() {
            return conflict("custom host-to-IP mapping");
        }
        if !req.dns.is_empty() || !req.dns_search.is_empty() || !req.dns_options.is_empty() {
            return conflict("dns");
        }
        let id = self.resolve(target)?;
        let mut req = req.clone();
        req.network = NetworkMode::Container(id);
        Ok(Some(req))
    }

    /// The hostname and /etc files of the container whose network namespace `id` shares.
    pub(crate) fn shared_etc(&self, target: &str) -> Result<(String, EtcFiles)> {
        let hostname = self.store.config(target)?.hostname;
        let dir = self.container_dir(target);
        Ok((
            hostname,
            EtcFiles {
                hostname: dir.join("hostname"),
                hosts: dir.join("hosts"),
                resolv_conf: dir.join("resolv.conf"),
            },
        ))
    }

    /// Before a start with `--network container:NAME`: `spec` joins NAME's network namespace
    /// (Docker's error when NAME does not run).
    pub(crate) fn join_shared_netns(&self, network: &NetworkMode, spec: &mut Spec) -> Result<()> {
        let NetworkMode::Container(target) = network else {
            return Ok(());
        };
        let not_running = || {
            Error::Invalid(format!(
                "cannot join network of a non running container: {target}"
            ))
        };
        let state = self.store.state(target).map_err(|_| not_running())?;
        let pid = match (state.status, state.pid) {
            (Status::Running, Some(pid)) => pid,
            _ => return Err(not_running()),
        };
        let path = PathBuf::from(format!("/proc/{pid}/ns/net"));
        let namespaces = spec
            .linux_mut()
            .as_mut()
            .and_then(|l| l.namespaces_mut().as_mut());
        for ns in namespaces.into_iter().flatten() {
            if ns.typ() == LinuxNamespaceType::Network {
                ns.set_path(Some(path.clone()));
            }
        }
        Ok(())
    }
}
