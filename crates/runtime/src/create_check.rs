//! `create`'s first step: reading and checking the bundle's spec and process before anything
//! is made (a bad value fails here, before a directory, a cgroup or a clone exists). It
//! never touches the system beyond reading the bundle.

use std::path::PathBuf;

use crate::error::{Error, Result};
use crate::process::ProcessPlan;
use crate::spec::{self, NamespacePlan};
use crate::{CreateOptions, Runtime};

/// What `create` checked before making anything.
pub(crate) struct Checked {
    pub bundle: PathBuf,
    pub spec: oci_spec::runtime::Spec,
    pub ns: NamespacePlan,
    pub rootfs: PathBuf,
    pub linux: oci_spec::runtime::Linux,
    pub pplan: ProcessPlan,
}

/// Reads and checks the spec and the process (bad values fail here, before a clone).
pub(crate) fn check(rt: &Runtime, id: &str, opts: &mut CreateOptions) -> Result<Checked> {
    let bundle =
        std::fs::canonicalize(&opts.bundle).map_err(|_| Error::NoBundle(opts.bundle.clone()))?;
    let spec = match opts.spec.take() {
        Some(s) => s,
        None => spec::load(&bundle)?,
    };
    let invalid = |msg: String| Error::Invalid {
        id: id.to_owned(),
        msg,
    };
    spec::validate(id, &spec)?;
    let ns = NamespacePlan::from_spec(&spec).map_err(invalid)?;
    let rootfs = spec::rootfs_path(&bundle, &spec);
    if !rootfs.is_dir() {
        return Err(invalid(format!(
            "root.path {} is not a directory",
            rootfs.display()
        )));
    }
    let linux = spec.linux().clone().unwrap_or_default();
    let process = spec
        .process()
        .as_ref()
        .ok_or_else(|| invalid("process is missing".into()))?;
    let pplan = {
        let _s = tracing::debug_span!("process_plan").entered();
        ProcessPlan::new(
            process,
            linux.seccomp().as_ref(),
            Some(&rt.root.join(crate::seccomp::CACHE_DIR)),
        )
        .map_err(invalid)?
    };
    if pplan.terminal && opts.console_socket.is_none() && opts.stdio.is_some() {
        return Err(invalid(
            "process.terminal needs a console socket when stdio is given".into(),
        ));
    }
    if ns.new_user() && (linux.uid_mappings().is_none() || linux.gid_mappings().is_none()) {
        return Err(invalid(
            "a new user namespace needs linux.uidMappings and linux.gidMappings".into(),
        ));
    }

    Ok(Checked {
        bundle,
        spec,
        ns,
        rootfs,
        linux,
        pplan,
    })
}
