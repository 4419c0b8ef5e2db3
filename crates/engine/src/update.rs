//! `docker update`: new resource limits (memory, swap, CPU shares, `--cpus` or quota and
//! period, cpusets, pids) and restart policy for a container, running or not. The change is
//! merged into the container's request by Docker's rules (what is not given stays; 0 means
//! "not given"; a CPU limit set one way cannot be changed the other way; memory above the
//! swap limit needs a new swap limit), checked like `run`'s, applied to the running
//! container's cgroup through six-runtime, and kept (its config and its saved spec) for every
//! later start; its monitor reads them before a restart and the restart policy when the
//! container ends. Also the host checks `run` makes: CPUs and memory nodes that exist.

use crate::engine::Engine;
use crate::error::{Error, Result};
use crate::record::Status;
use crate::request::{RunRequest, UpdateRequest};
use crate::store::{write_atomic, Durable};
use crate::types::{CpuSet, MemorySize, MemorySwap, RestartPolicy};

impl Engine {
    /// Updates container `c`; refused changes leave it as it was.
    pub fn update(&self, c: &str, u: &UpdateRequest) -> Result<()> {
        if u.is_empty() {
            return Err(Error::Invalid(
                "you must provide one or more flags when using this command".into(),
            ));
        }
        let id = self.resolve(c)?;
        let config = self.store.config(&id)?;
        let in_context = |e: Error| e.context(format!("updating container {}", config.name));
        let request = merged(&config.request, u).map_err(in_context)?;
        check_host_resources(&request).map_err(in_context)?;
        let resources = crate::spec::resources(&request).map_err(in_context)?;
        let state = self.store.state(&id)?;
        if state.status == Status::Running {
            self.running_container(&id, &config.name)?
                .update(&resources)
                .map_err(|e| in_context(e.into()))?;
        }
        self.store.update_config(&id, |config| {
            config.request = merged(&config.request, u)?;
            Ok(())
        })?;
        let path = Engine::spec_path(&self.container_dir(&id));
        let text = std::fs::read(&path).map_err(|e| Error::at("reading", &path, e))?;
        let mut spec: oci_spec::runtime::Spec = serde_json::from_slice(&text)
            .map_err(|e| Error::Corrupt(format!("reading {}: {e}", path.display())))?;
        if let Some(linux) = spec.linux_mut() {
            linux.set_resources(Some(resources));
        }
        write_atomic(&path, &spec, Durable::Yes)?;
        self.emit_container(&config, "update", &[]);
        Ok(())
    }
}

/// The request `r` with the update `u`, by Docker's rules (moby's `UpdateContainer`).
fn merged(r: &RunRequest, u: &UpdateRequest) -> Result<RunRequest> {
    let conflict = |m: &str| Err(Error::Invalid(format!("conflicting options: {m}")));
    let quota = u.cpu_quota.filter(|q| *q != 0);
    let period = u.cpu_period.filter(|p| *p != 0);
    if u.cpus.is_some() && period.is_some() {
        return conflict("Nano CPUs and CPU Period cannot both be set");
    }
    if u.cpus.is_some() && quota.is_some() {
        return conflict("Nano CPUs and CPU Quota cannot both be set");
    }
    let set = |v: Option<i64>| v.is_some_and(|v| v != 0);
    if u.cpus.is_some() && r.cpu_period.is_some_and(|p| p != 0) {
        return conflict("Nano CPUs cannot be updated as CPU Period has already been set");
    }
    if u.cpus.is_some() && set(r.cpu_quota) {
        return conflict("Nano CPUs cannot be updated as CPU Quota has already been set");
    }
    if period.is_some() && r.cpus.is_some() {
        return conflict("CPU Period cannot be updated as NanoCPUs has already been set");
    }
    if quota.is_some() && r.cpus.is_some() {
        return conflict("CPU Quota cannot be updated as NanoCPUs has already been set");
    }
    let mut n = r.clone();
    if let Some(memory) = u.memory {
        let swap_now = swap_limit(r);
        if u.memory_swap.is_none() && swap_now > 0 && memory.bytes() > swap_now as u64 {
            return Err(Error::Invalid(
                "memory limit should be smaller than already set memoryswap limit, update the memoryswap at the same time"
                    .into(),
            ));
        }
        // The swap limit in force stays (not twice the new memory, as at run).
        if u.memory_swap.is_none() && r.memory_swap.is_none() && swap_now > 0 {
            n.memory_swap = Some(MemorySwap::Limit(MemorySize::from_bytes(swap_now as u64)));
        }
        n.memory = Some(memory);
    }
    if let Some(swap) = u.memory_swap {
        n.memory_swap = Some(swap);
    }
    if let Some(shares) = u.cpu_shares.filter(|s| *s != 0) {
        n.cpu_shares = Some(shares);
    }
    if let Some(cpus) = u.cpus {
        n.cpus = Some(cpus);
    }
    if quota.is_some() {
        n.cpu_quota = quota;
    }
    if period.is_some() {
        n.cpu_period = period;
    }
    if let Some(set) = &u.cpuset_cpus {
        n.cpuset_cpus = Some(set.clone());
    }
    if let Some(set) = &u.cpuset_mems {
        n.cpuset_mems = Some(set.clone());
    }
    // 0: not given; negative: unlimited (Docker).
    match u.pids_limit {
        Some(0) | None => {}
        Some(l) if l < 0 => n.pids_limit = Some(-1),
        Some(l) => n.pids_limit = Some(l),
    }
    if let Some(policy) = u.restart {
        if r.auto_remove && policy != RestartPolicy::No {
            return Err(Error::Invalid(
                "restart policy cannot be updated because AutoRemove is enabled for the container"
                    .into(),
            ));
        }
        n.restart = policy;
    }
    Ok(n)
}

/// The memory + swap limit in force: given, twice the memory by default, 0 without a memory
/// limit, -1 unlimited.
fn swap_limit(r: &RunRequest) -> i64 {
    match (r.memory_swap, r.memory) {
        (Some(s), _) => s.as_spec_value(),
        (None, Some(m)) => i64::try_from(m.bytes().saturating_mul(2)).unwrap_or(i64::MAX),
        (None, None) => 0,
    }
}

/// What `run` and `update` check against the host: the CPUs and memory nodes named exist,
/// `--cpus` is at most the host's CPUs. Reads sysfs only for the flags given.
pub(crate) fn check_host_resources(req: &RunRequest) -> Result<()> {
    let within = |set: &CpuSet, file: &str, what: &str| {
        let online = std::fs::read_to_string(file).unwrap_or_default();
        match online.trim().parse::<CpuSet>() {
            Ok(online) if !set.within(&online) => Err(Error::Invalid(format!(
                "requested {what} are not available: requested {set}, available {online}"
            ))),
            _ => Ok(()),
        }
    };
    if let Some(set) = &req.cpuset_cpus {
        within(set, "/sys/devices/system/cpu/online", "CPUs")?;
    }
    if let Some(set) = &req.cpuset_mems {
        within(set, "/sys/devices/system/node/online", "memory nodes")?;
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
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn update(u: UpdateRequest, r: &RunRequest) -> Result<RunRequest> {
        merged(r, &u)
    }

    #[test]
    fn updates_merge_by_dockers_rules() {
        let mb = |n: u64| MemorySize::from_bytes(n << 20);
        let limited = RunRequest {
            memory: Some(mb(100)),
            ..Default::default()
        };
        // memory above the swap in force (twice 100m) needs a new swap limit
        let up = |m| UpdateRequest {
            memory: Some(mb(m)),
            ..Default::default()
        };
        let e = update(up(300), &limited).unwrap_err().to_string();
        assert!(e.contains("update the memoryswap at the same time"), "{e}");
        // below it: the swap limit stays 200m
        let n = update(up(150), &limited).unwrap();
        assert_eq!(n.memory_swap.unwrap().as_spec_value(), 200 << 20);
        // with swap given, or unlimited, or no limit before: fine
        let both = UpdateRequest {
            memory_swap: Some(MemorySwap::Limit(mb(600))),
            ..up(300)
        };
        assert_eq!(update(both, &limited).unwrap().memory, Some(mb(300)));
        assert!(update(up(300), &RunRequest::default()).is_ok());
        // cpus and quota/period: not both, and not one over the other
        let cpus = UpdateRequest {
            cpus: Some("0.5".parse().unwrap()),
            ..Default::default()
        };
        let quota = UpdateRequest {
            cpu_quota: Some(20_000),
            ..Default::default()
        };
        let with_cpus = update(cpus.clone(), &RunRequest::default()).unwrap();
        let e = update(quota.clone(), &with_cpus).unwrap_err().to_string();
        assert!(
            e.contains("CPU Quota cannot be updated as NanoCPUs has already been set"),
            "{e}"
        );
        let with_quota = update(quota.clone(), &RunRequest::default()).unwrap();
        let e = update(cpus.clone(), &with_quota).unwrap_err().to_string();
        assert!(
            e.contains("Nano CPUs cannot be updated as CPU Quota"),
            "{e}"
        );
        let e = update(
            UpdateRequest {
                cpus: cpus.cpus,
                ..quota
            },
            &RunRequest::default(),
        );
        assert!(e.unwrap_err().to_string().contains("cannot both be set"));
        // pids: 0 keeps, negative is unlimited
        let pids = |l| UpdateRequest {
            pids_limit: Some(l),
            ..Default::default()
        };
        let fifty = update(pids(50), &RunRequest::default()).unwrap();
        assert_eq!(update(pids(0), &fifty).unwrap().pids_limit, Some(50));
        assert_eq!(update(pids(-1), &fifty).unwrap().pids_limit, Some(-1));
        // restart: not with --rm
        let always = UpdateRequest {
            restart: Some(RestartPolicy::Always),
            ..Default::default()
        };
        let rm = RunRequest {
            auto_remove: true,
            ..Default::default()
        };
        assert!(update(always.clone(), &rm)
            .unwrap_err()
            .to_string()
            .contains("AutoRemove"));
        assert_eq!(
            update(always, &RunRequest::default()).unwrap().restart,
            RestartPolicy::Always
        );
    }
}
