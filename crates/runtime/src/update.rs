//! `update`: new resource limits for a live container. The new values are merged into the
//! ones the container runs with, as runc merges them; the merged set is applied (with the
//! container's own device rules, never the caller's) and kept in the state record, so the
//! next update starts from what the container really has: a `--cpu-quota` alone is checked
//! against the period set before, not against none.
//!
//! It never creates or removes a cgroup: six-cgroups writes the files.

use oci_spec::runtime::{LinuxDeviceCgroup, LinuxResources, Spec};

use crate::container::Container;
use crate::error::{Error, Result};
use crate::state::Status;

pub(crate) fn update(c: &Container, new: &LinuxResources) -> Result<()> {
    let dir = c.lock()?;
    let mut rec = dir.read()?;
    let status = rec.status(&dir.path);
    if status == Status::Stopped {
        return Err(c.wrong(status, "container not running"));
    }
    let Some(cgroup) = rec.cgroup.clone() else {
        return Err(Error::setup(&rec.id, "it has no cgroup"));
    };
    let old = rec
        .config
        .linux()
        .as_ref()
        .and_then(|l| l.resources().clone())
        .unwrap_or_default();
    if new
        .memory()
        .is_some_and(|m| m.kernel().is_some() || m.kernel_tcp().is_some())
    {
        tracing::warn!("Kernel memory settings are ignored and will be removed");
    }
    let devices = own_devices(&rec.config);
    let merged = apply(&cgroup, &devices, &old, new).map_err(|source| Error::Cgroup {
        id: rec.id.clone(),
        source,
    })?;
    let mut linux = rec.config.linux().clone().unwrap_or_default();
    linux.set_resources(Some(merged));
    rec.config.set_linux(Some(linux));
    dir.write(&rec)
}

/// Merges `new` into `old` (the limits `cgroup` has now), applies the result with the
/// `devices` rules, and returns it. On failure, sets `old` back (a failure of that is logged)
/// so the cgroup keeps what the record says.
fn apply(
    cgroup: &six_cgroups::Cgroup,
    devices: &Option<Vec<LinuxDeviceCgroup>>,
    old: &LinuxResources,
    new: &LinuxResources,
) -> std::result::Result<LinuxResources, six_cgroups::Error> {
    let merged = merge(old, new);
    let with_devices = |r: &LinuxResources| {
        let mut r = r.clone();
        r.set_devices(devices.clone());
        r
    };
    if let Err(e) = cgroup.set(&with_devices(&merged)) {
        if let Err(back) = cgroup.set(&with_devices(old)) {
            let error = &back as &dyn std::error::Error;
            tracing::warn!(
                error,
                "setting the previous limits back after a failed update"
            );
        }
        return Err(e);
    }
    Ok(merged)
}

/// The device rules the container was created with (and the defaults): re-applied by every
/// update, which writes nothing to the devices cgroup unless it drifted, so no device is
/// ever denied or allowed in between.
fn own_devices(config: &Spec) -> Option<Vec<LinuxDeviceCgroup>> {
    let linux = config.linux().clone().unwrap_or_default();
    crate::devices::resources_for(&linux).devices().clone()
}

/// `old` with the values runc's update takes from `new`, each where `new` gives it: memory
/// limit, reservation, swap and checkBeforeUpdate (an unlimited memory with no swap given
/// makes swap unlimited too); cpu shares, quota, period, burst, realtime period and runtime,
/// idle, cpus and mems; blockIO weight; pids limit; unified. Everything else in `new` (device
/// rules, hugepages, throttles, swappiness, kernel memory...) is ignored, as runc ignores it.
pub(crate) fn merge(old: &LinuxResources, new: &LinuxResources) -> LinuxResources {
    let mut out = old.clone();
    if let Some(m) = new.memory() {
        let mut merged = old.memory().unwrap_or_default();
        if let Some(limit) = m.limit() {
            merged.set_limit(Some(limit));
            if limit == -1 && m.swap().is_none() {
                merged.set_swap(Some(-1));
            }
        }
        if let Some(v) = m.reservation() {
            merged.set_reservation(Some(v));
        }
        if let Some(v) = m.swap() {
            merged.set_swap(Some(v));
        }
        if let Some(v) = m.check_before_update() {
            merged.set_check_before_update(Some(v));
        }
        out.set_memory(Some(merged));
    }
    if let Some(c) = new.cpu() {
        let mut merged = old.cpu().clone().unwrap_or_default();
        if let Some(v) = c.shares() {
            merged.set_shares(Some(v));
        }
        if let Some(v) = c.quota() {
            merged.set_quota(Some(v));
        }
        if let Some(v) = c.period() {
            merged.set_period(Some(v));
        }
        if let Some(v) = c.burst() {
            merged.set_burst(Some(v));
        }
        if let Some(v) = c.realtime_period() {
            merged.set_realtime_period(Some(v));
        }
        if let Some(v) = c.realtime_runtime() {
            merged.set_realtime_runtime(Some(v));
        }
        if let Some(v) = c.idle() {
            merged.set_idle(Some(v));
        }
        if let Some(v) = c.cpus().clone().filter(|v| !v.is_empty()) {
            merged.set_cpus(Some(v));
        }
        if let Some(v) = c.mems().clone().filter(|v| !v.is_empty()) {
            merged.set_mems(Some(v));
        }
        out.set_cpu(Some(merged));
    }
    if let Some(w) = new.block_io().as_ref().and_then(|b| b.weight()) {
        let mut merged = old.block_io().clone().unwrap_or_default();
        merged.set_weight(Some(w));
        out.set_block_io(Some(merged));
    }
    if let Some(p) = new.pids() {
        out.set_pids(Some(*p));
    }
    if let Some(u) = new.unified() {
        out.set_unified(Some(u.clone()));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn resources(v: serde_json::Value) -> LinuxResources {
        serde_json::from_value(v).unwrap()
    }

    fn json(r: &LinuxResources) -> serde_json::Value {
        serde_json::to_value(r).unwrap()
    }

    #[test]
    fn given_values_replace_the_recorded_ones_and_the_rest_stay() {
        let old = resources(serde_json::json!({
            "memory": {"limit": 100, "swap": 200, "reservation": 50},
            "cpu": {"shares": 512, "quota": 50000, "period": 100000, "cpus": "0"},
            "pids": {"limit": 10},
            "blockIO": {"weight": 300, "throttleReadBpsDevice": [{"major": 8, "minor": 0, "rate": 1}]},
            "devices": [{"allow": false, "access": "rwm"}]
        }));
        let new = resources(serde_json::json!({
            "cpu": {"quota": -1, "cpus": ""},
            "memory": {"reservation": 70},
            "blockIO": {"weight": 500},
            "devices": [{"allow": true, "access": "rwm"}]
        }));
        let m = json(&merge(&old, &new));
        assert_eq!(m["cpu"]["quota"], -1);
        assert_eq!(m["cpu"]["period"], 100000);
        assert_eq!(m["cpu"]["shares"], 512);
        assert_eq!(
            m["cpu"]["cpus"], "0",
            "an empty cpus keeps the recorded one"
        );
        assert_eq!(m["memory"]["limit"], 100);
        assert_eq!(m["memory"]["swap"], 200);
        assert_eq!(m["memory"]["reservation"], 70);
        assert_eq!(m["pids"]["limit"], 10);
        assert_eq!(m["blockIO"]["weight"], 500);
        assert_eq!(m["blockIO"]["throttleReadBpsDevice"][0]["rate"], 1);
        assert_eq!(m["devices"][0]["allow"], false, "device rules never change");
    }

    /// A fake cgroup v2 tree of plain files (six-cgroups' test layout) with one container.
    fn fake_v2() -> (tempfile::TempDir, six_cgroups::Cgroup) {
        let t = tempfile::tempdir().unwrap();
        std::fs::write(
            t.path().join("cgroup.controllers"),
            "cpuset cpu io memory pids\n",
        )
        .unwrap();
        std::fs::write(t.path().join("cgroup.subtree_control"), "").unwrap();
        let h = six_cgroups::Hierarchy::at(t.path(), six_cgroups::Version::V2).unwrap();
        let cg =
            six_cgroups::Cgroup::new(&h, Some("/c1"), &six_cgroups::Nesting::Spec, "c1").unwrap();
        cg.create().unwrap();
        (t, cg)
    }

    fn read(dir: &std::path::Path, file: &str) -> String {
        std::fs::read_to_string(dir.join(file)).unwrap()
    }

    #[test]
    fn v2_update_writes_the_merged_limits() {
        let (t, cg) = fake_v2();
        let d = t.path().join("c1");
        let old = resources(serde_json::json!({
            "memory": {"limit": 100000000},
            "cpu": {"shares": 1024, "quota": 50000, "period": 100000},
            "pids": {"limit": 10}
        }));
        cg.set(&old).unwrap();
        // Only the quota: the period the container has stays in cpu.max.
        let new = resources(serde_json::json!({"cpu": {"quota": 20000}}));
        let merged = apply(&cg, &None, &old, &new).unwrap();
        assert_eq!(read(&d, "cpu.max"), "20000 100000");
        let merged = apply(
            &cg,
            &None,
            &merged,
            &resources(serde_json::json!({"cpu": {"quota": -1}})),
        )
        .unwrap();
        assert_eq!(read(&d, "cpu.max"), "max 100000");
        let merged = apply(
            &cg,
            &None,
            &merged,
            &resources(serde_json::json!({"memory": {"limit": -1}, "pids": {"limit": -1}, "cpu": {"shares": 512}})),
        )
        .unwrap();
        assert_eq!(read(&d, "memory.max"), "max");
        assert_eq!(read(&d, "memory.swap.max"), "max");
        assert_eq!(read(&d, "pids.max"), "max");
        assert_eq!(read(&d, "cpu.weight"), "20");
        assert_eq!(json(&merged)["cpu"]["quota"], -1);
        assert_eq!(json(&merged)["cpu"]["period"], 100000);
    }

    #[test]
    fn a_failed_update_sets_the_previous_limits_back() {
        let (t, cg) = fake_v2();
        let d = t.path().join("c1");
        let old = resources(serde_json::json!({"memory": {"limit": 100000000}}));
        cg.set(&old).unwrap();
        // Memory is written before cgroup v2 refuses the realtime values.
        let new = resources(
            serde_json::json!({"memory": {"limit": 5000000}, "cpu": {"realtimeRuntime": 1000}}),
        );
        let e = apply(&cg, &None, &old, &new).unwrap_err();
        assert!(e.to_string().contains("realtime"), "{e}");
        assert_eq!(read(&d, "memory.max"), "100000000");
    }

    #[test]
    fn unlimited_memory_without_swap_makes_swap_unlimited() {
        let old = resources(serde_json::json!({"memory": {"limit": 100, "swap": 200}}));
        let m = json(&merge(
            &old,
            &resources(serde_json::json!({"memory": {"limit": -1}})),
        ));
        assert_eq!(
            (m["memory"]["limit"].clone(), m["memory"]["swap"].clone()),
            (serde_json::json!(-1), serde_json::json!(-1))
        );
        let m = json(&merge(
            &old,
            &resources(serde_json::json!({"memory": {"limit": -1, "swap": 300}})),
        ));
        assert_eq!(m["memory"]["swap"], 300);
    }

    #[test]
    fn what_runc_does_not_update_is_ignored() {
        let old = LinuxResources::default();
        let new = resources(serde_json::json!({
            "memory": {"swappiness": 10, "kernel": 1000},
            "hugepageLimits": [{"pageSize": "2MB", "limit": 1000}],
            "blockIO": {"throttleReadBpsDevice": [{"major": 8, "minor": 0, "rate": 1}]},
            "pids": {"limit": 7},
            "unified": {"memory.high": "1000"}
        }));
        let m = json(&merge(&old, &new));
        assert_eq!(m["memory"].get("swappiness"), None);
        assert_eq!(m["memory"].get("kernel"), None);
        assert_eq!(m.get("hugepageLimits"), None);
        assert_eq!(m.get("blockIO"), None);
        assert_eq!(m["pids"]["limit"], 7);
        assert_eq!(m["unified"]["memory.high"], "1000");
    }
}
