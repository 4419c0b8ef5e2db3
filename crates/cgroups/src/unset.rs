//! runc's reading of zero and empty resource values: "not set", never "set to zero".
//!
//! Docker, containerd's CRI and Podman write every resource field they know, with zeros
//! where the user asked for nothing (Docker: `"cpu": {"shares": 0}`, `"blockIO": {"weight":
//! 0}`, `"memory": {"disableOOMKiller": false}`). runc copies the spec into its own config,
//! where 0 means unset, and writes only what is left; so must we, or `cpu.shares` becomes
//! the kernel's minimum (2) and a machine without a blkio weight file refuses every
//! container. This module turns such a spec into the one runc would act on; v1.rs and v2.rs
//! then apply every field that is still there. It never touches the filesystem.
//!
//! Values that are NOT unset (runc writes them): cpu.burst and cpu.idle 0, memory.swappiness
//! 0, throttle rates 0 (they remove a limit), hugepage limits 0, device rules.

use std::collections::HashMap;

use oci_spec::runtime::{
    LinuxBlockIo, LinuxCpu, LinuxMemory, LinuxNetwork, LinuxResources, LinuxWeightDeviceBuilder,
};

/// The resources with every value runc treats as unset removed (and an object left empty
/// by that removed too).
pub(crate) fn runc_meaning(r: &LinuxResources) -> LinuxResources {
    let mut r = r.clone();
    let memory = r.memory().as_ref().and_then(memory);
    r.set_memory(memory);
    let cpu = r.cpu().as_ref().and_then(cpu);
    r.set_cpu(cpu);
    if r.pids().as_ref().is_some_and(|p| p.limit() == 0) {
        r.set_pids(None);
    }
    let block_io = r.block_io().as_ref().and_then(block_io);
    r.set_block_io(block_io);
    let network = r.network().as_ref().and_then(network);
    r.set_network(network);
    if r.hugepage_limits().as_ref().is_some_and(Vec::is_empty) {
        r.set_hugepage_limits(None);
    }
    if r.rdma().as_ref().is_some_and(HashMap::is_empty) {
        r.set_rdma(None);
    }
    if r.unified().as_ref().is_some_and(HashMap::is_empty) {
        r.set_unified(None);
    }
    r
}

/// None for 0.
fn nonzero<T: Default + PartialEq>(v: Option<T>) -> Option<T> {
    v.filter(|v| *v != T::default())
}

fn memory(m: &LinuxMemory) -> Option<LinuxMemory> {
    let mut m = *m;
    m.set_limit(nonzero(m.limit()));
    m.set_reservation(nonzero(m.reservation()));
    m.set_swap(nonzero(m.swap()));
    m.set_kernel(nonzero(m.kernel()));
    m.set_kernel_tcp(nonzero(m.kernel_tcp()));
    // -1 (unset in Docker's API) arrives as u64::MAX in this unsigned field; runc compares
    // the value as int64 with -1.
    m.set_swappiness(m.swappiness().filter(|&s| s as i64 != -1));
    m.set_disable_oom_killer(m.disable_oom_killer().filter(|&off| off));
    m.set_check_before_update(m.check_before_update().filter(|&c| c));
    (m != LinuxMemory::default()).then_some(m)
}

fn cpu(c: &LinuxCpu) -> Option<LinuxCpu> {
    let mut c = c.clone();
    c.set_shares(nonzero(c.shares()));
    c.set_quota(nonzero(c.quota()));
    c.set_period(nonzero(c.period()));
    c.set_realtime_runtime(nonzero(c.realtime_runtime()));
    c.set_realtime_period(nonzero(c.realtime_period()));
    let cpus = c.cpus().clone().filter(|s| !s.is_empty());
    c.set_cpus(cpus);
    let mems = c.mems().clone().filter(|s| !s.is_empty());
    c.set_mems(mems);
    (c != LinuxCpu::default()).then_some(c)
}

fn block_io(b: &LinuxBlockIo) -> Option<LinuxBlockIo> {
    let mut b = b.clone();
    b.set_weight(nonzero(b.weight()));
    b.set_leaf_weight(nonzero(b.leaf_weight()));
    let devices: Vec<_> = b
        .weight_device()
        .iter()
        .flatten()
        .filter_map(|d| {
            let (weight, leaf) = (nonzero(d.weight()), nonzero(d.leaf_weight()));
            if weight.is_none() && leaf.is_none() {
                return None;
            }
            let mut kept = LinuxWeightDeviceBuilder::default()
                .major(d.major())
                .minor(d.minor());
            if let Some(w) = weight {
                kept = kept.weight(w);
            }
            if let Some(l) = leaf {
                kept = kept.leaf_weight(l);
            }
            kept.build().ok()
        })
        .collect();
    b.set_weight_device((!devices.is_empty()).then_some(devices));
    let keep = |v: &Option<Vec<_>>| v.clone().filter(|v: &Vec<_>| !v.is_empty());
    let read_bps = keep(b.throttle_read_bps_device());
    b.set_throttle_read_bps_device(read_bps);
    let write_bps = keep(b.throttle_write_bps_device());
    b.set_throttle_write_bps_device(write_bps);
    let read_iops = keep(b.throttle_read_iops_device());
    b.set_throttle_read_iops_device(read_iops);
    let write_iops = keep(b.throttle_write_iops_device());
    b.set_throttle_write_iops_device(write_iops);
    (b != LinuxBlockIo::default()).then_some(b)
}

fn network(n: &LinuxNetwork) -> Option<LinuxNetwork> {
    let mut n = n.clone();
    n.set_class_id(nonzero(n.class_id()));
    let priorities = n.priorities().clone().filter(|p| !p.is_empty());
    n.set_priorities(priorities);
    (n != LinuxNetwork::default()).then_some(n)
}

#[cfg(test)]
#[path = "unset_tests.rs"]
mod tests;
