//! `update`: new resource limits for a container, from `--resources FILE|-` (OCI
//! linux.resources JSON, as runc reads it) or else from runc's individual flags, each value
//! read as runc reads it (`values.rs`). The runtime merges them into the container's limits,
//! applies them and keeps them in its state; device rules are never taken from here.
//! Intel RDT schemas are refused as runc refuses them on a machine without resctrl.

use std::io::Read;

use anyhow::Context;
use oci_spec::runtime::{LinuxBlockIo, LinuxCpu, LinuxMemory, LinuxPids, LinuxResources};
use six_runtime::Runtime;

use crate::cli::UpdateArgs;
use crate::values;

/// The first JSON value of `text` as linux.resources (Go's json.Decoder reads one value and
/// ignores what follows it, so runc does too).
fn parse_resources(text: &str, from: &str) -> anyhow::Result<LinuxResources> {
    let mut values = serde_json::Deserializer::from_str(text).into_iter::<LinuxResources>();
    match values.next() {
        Some(Ok(r)) => Ok(r),
        Some(Err(e)) => anyhow::bail!("resources from {from}: {e}"),
        None => anyhow::bail!("resources from {from}: no JSON object (expected linux.resources, such as {{\"cpu\": {{\"shares\": 512}}}})"),
    }
}

fn from_file(arg: &str) -> anyhow::Result<LinuxResources> {
    if arg == "-" {
        let mut text = String::new();
        std::io::stdin()
            .read_to_string(&mut text)
            .context("reading resources from stdin")?;
        return parse_resources(&text, "stdin");
    }
    let text =
        std::fs::read_to_string(arg).with_context(|| format!("reading resources file {arg}"))?;
    parse_resources(&text, arg)
}

/// A flag's value, or None when absent or empty (runc: "" is not given).
fn given(v: &Option<String>) -> Option<&str> {
    v.as_deref().filter(|v| !v.is_empty())
}

/// The resources runc's individual flags ask for: only what is given.
pub fn from_flags(a: &UpdateArgs) -> anyhow::Result<LinuxResources> {
    let mut r = LinuxResources::default();
    let mut memory = LinuxMemory::default();
    for (flag, value, set) in [
        (
            "memory",
            &a.memory,
            LinuxMemory::set_limit as fn(&mut LinuxMemory, Option<i64>) -> &mut LinuxMemory,
        ),
        ("memory-swap", &a.memory_swap, LinuxMemory::set_swap),
        (
            "memory-reservation",
            &a.memory_reservation,
            LinuxMemory::set_reservation,
        ),
    ] {
        if let Some(v) = given(value) {
            set(&mut memory, Some(values::ram_bytes(flag, v)?));
        }
    }
    if given(&a.kernel_memory).is_some() || given(&a.kernel_memory_tcp).is_some() {
        // Only so the runtime says, as runc, that kernel memory is ignored: 0 sets nothing.
        memory.set_kernel(Some(0));
    }
    if memory != LinuxMemory::default() {
        r.set_memory(Some(memory));
    }
    let mut cpu = LinuxCpu::default();
    if let Some(v) = given(&a.cpu_share) {
        cpu.set_shares(Some(values::uint("cpu-share", v)?));
    }
    if let Some(v) = given(&a.cpu_period) {
        cpu.set_period(Some(values::uint("cpu-period", v)?));
    }
    if let Some(v) = given(&a.cpu_burst) {
        cpu.set_burst(Some(values::uint("cpu-burst", v)?));
    }
    if let Some(v) = given(&a.cpu_rt_period) {
        cpu.set_realtime_period(Some(values::uint("cpu-rt-period", v)?));
    }
    if let Some(v) = given(&a.cpu_quota) {
        cpu.set_quota(Some(values::int("cpu-quota", v)?));
    }
    if let Some(v) = given(&a.cpu_rt_runtime) {
        cpu.set_realtime_runtime(Some(values::int("cpu-rt-runtime", v)?));
    }
    if let Some(v) = given(&a.cpu_idle) {
        cpu.set_idle(Some(values::int("cpu-idle", v)?));
    }
    cpu.set_cpus(given(&a.cpuset_cpus).map(str::to_owned));
    cpu.set_mems(given(&a.cpuset_mems).map(str::to_owned));
    if cpu != LinuxCpu::default() {
        r.set_cpu(Some(cpu));
    }
    if let Some(v) = given(&a.blkio_weight) {
        // runc keeps an int flag's low 16 bits; a weight outside 10..1000 the kernel refuses.
        let w = values::go_int("blkio-weight", v)?;
        let w = u16::try_from(w).map_err(|_| {
            anyhow::anyhow!("invalid value {v:?} for --blkio-weight: expected 10 to 1000")
        })?;
        if w != 0 {
            let mut b = LinuxBlockIo::default();
            b.set_weight(Some(w));
            r.set_block_io(Some(b));
        }
    }
    if let Some(v) = given(&a.pids_limit) {
        let limit = values::go_int("pids-limit", v)?;
        // 0 leaves the limit as it is (runc writes nothing for 0).
        if limit != 0 {
            let mut p = LinuxPids::default();
            p.set_limit(limit);
            r.set_pids(Some(p));
        }
    }
    Ok(r)
}

/// runc's refusal of an Intel RDT schema: it needs the resctrl filesystem with the feature
/// (`info/L3`, `info/MB`); sixrun implements no resctrl, so with it mounted the schema is
/// refused as unsupported instead.
fn check_rdt(a: &UpdateArgs) -> anyhow::Result<()> {
    let resctrl = resctrl_mount();
    let has = |what: &str| {
        resctrl
            .as_ref()
            .is_some_and(|m| m.join("info").join(what).exists())
    };
    if given(&a.l3_cache_schema).is_some() {
        if !has("L3") {
            anyhow::bail!("Intel RDT/CAT: l3 cache schema is not enabled");
        }
        anyhow::bail!(
            "Intel RDT/CAT: --l3-cache-schema is not supported by sixrun (no resctrl support)"
        );
    }
    if given(&a.mem_bw_schema).is_some() {
        if !has("MB") {
            anyhow::bail!("Intel RDT/MBA: memory bandwidth schema is not enabled");
        }
        anyhow::bail!(
            "Intel RDT/MBA: --mem-bw-schema is not supported by sixrun (no resctrl support)"
        );
    }
    Ok(())
}

/// Where the resctrl filesystem is mounted, if it is.
fn resctrl_mount() -> Option<std::path::PathBuf> {
    let info = std::fs::read_to_string("/proc/self/mountinfo").ok()?;
    info.lines().find_map(|l| {
        let (fields, post) = l.split_once(" - ")?;
        (post.split(' ').next()? == "resctrl").then(|| fields.split(' ').nth(4).map(Into::into))?
    })
}

pub fn update(rt: &Runtime, a: &UpdateArgs) -> anyhow::Result<()> {
    let c = rt.load(&a.id)?;
    let r = match a.resources.as_deref() {
        Some(arg) => from_file(arg)?,
        None => from_flags(a)?,
    };
    check_rdt(a)?;
    c.update(&r)?;
    Ok(())
}
