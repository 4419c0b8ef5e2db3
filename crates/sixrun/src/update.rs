//! `update`: new resource limits for a running container, from `--resources FILE|-` (OCI
//! linux.resources JSON) and/or runc's individual flags, which override the file's values.
//! Device rules in the file are ignored: the container's own are applied again, as runc does.

use std::io::Read;

use anyhow::Context;
use oci_spec::runtime::{LinuxCpu, LinuxMemory, LinuxPids, LinuxResources};
use six_runtime::Runtime;

use crate::cli::UpdateArgs;

pub fn resources(a: &UpdateArgs) -> anyhow::Result<LinuxResources> {
    let mut r: LinuxResources = match a.resources.as_deref() {
        Some("-") => {
            let mut text = String::new();
            std::io::stdin()
                .read_to_string(&mut text)
                .context("reading resources from stdin")?;
            serde_json::from_str(&text).map_err(|e| anyhow::anyhow!("resources from stdin: {e}"))?
        }
        Some(path) => {
            let text = std::fs::read_to_string(path)
                .with_context(|| format!("reading resources file {path}"))?;
            serde_json::from_str(&text)
                .map_err(|e| anyhow::anyhow!("resources file {path}: {e}"))?
        }
        None => LinuxResources::default(),
    };
    if a.memory.is_some() || a.memory_reservation.is_some() || a.memory_swap.is_some() {
        let mut m: LinuxMemory = r.memory().unwrap_or_default();
        if let Some(v) = a.memory {
            m.set_limit(Some(v));
        }
        if let Some(v) = a.memory_reservation {
            m.set_reservation(Some(v));
        }
        if let Some(v) = a.memory_swap {
            m.set_swap(Some(v));
        }
        r.set_memory(Some(m));
    }
    if a.cpu_shares.is_some()
        || a.cpu_quota.is_some()
        || a.cpu_period.is_some()
        || a.cpuset_cpus.is_some()
        || a.cpuset_mems.is_some()
    {
        let mut c: LinuxCpu = r.cpu().clone().unwrap_or_default();
        if let Some(v) = a.cpu_shares {
            c.set_shares(Some(v));
        }
        if let Some(v) = a.cpu_quota {
            c.set_quota(Some(v));
        }
        if let Some(v) = a.cpu_period {
            c.set_period(Some(v));
        }
        if let Some(v) = &a.cpuset_cpus {
            c.set_cpus(Some(v.clone()));
        }
        if let Some(v) = &a.cpuset_mems {
            c.set_mems(Some(v.clone()));
        }
        r.set_cpu(Some(c));
    }
    if let Some(v) = a.pids_limit {
        let mut p = LinuxPids::default();
        p.set_limit(v);
        r.set_pids(Some(p));
    }
    Ok(r)
}

pub fn update(rt: &Runtime, a: &UpdateArgs) -> anyhow::Result<()> {
    let c = rt.load(&a.id)?;
    let r = resources(a)?;
    c.update(&r)?;
    Ok(())
}
