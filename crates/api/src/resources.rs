//! Docker's `Resources` fields (shared by a create body's `HostConfig` and `POST
//! /containers/{id}/update`) → the engine's typed values: Memory, MemorySwap, NanoCpus,
//! CpuShares, CpuQuota, CpuPeriod, CpusetCpus, CpusetMems, PidsLimit. Go's zero values mean
//! "not given"; the engine checks how they go together (as `run` and `update` do).

use std::str::FromStr;

use six_engine::types::{Cpus, MemorySize, MemorySwap};
use six_engine::UpdateRequest;

use crate::body::Fields;
use crate::http::ApiError;

/// The resource fields read here.
pub(crate) const FIELDS: &[&str] = &[
    "Memory",
    "MemorySwap",
    "MemorySwappiness",
    "NanoCpus",
    "CpuShares",
    "CpuQuota",
    "CpuPeriod",
    "CpusetCpus",
    "CpusetMems",
    "PidsLimit",
];

/// Resource fields that cgroups could do but the engine does not take: refused when set.
pub(crate) const UNSUPPORTED: &[&str] = &[
    "BlkioWeight",
    "BlkioWeightDevice",
    "BlkioDeviceReadBps",
    "BlkioDeviceWriteBps",
    "BlkioDeviceReadIOps",
    "BlkioDeviceWriteIOps",
    "CpuRealtimePeriod",
    "CpuRealtimeRuntime",
    "DeviceCgroupRules",
    "DeviceRequests",
    "KernelMemory",
    "KernelMemoryTCP",
    "MemoryReservation",
    "OomKillDisable",
    "CpuCount",
    "CpuPercent",
    "IOMaximumIOps",
    "IOMaximumBandwidth",
];

/// Reads the resource fields of `f` (a `HostConfig` or an update body) as the engine's update
/// (no restart policy); 400 for a set field the engine cannot honour. `pids_limit` as given:
/// 0 and null are "not given", negative is unlimited.
pub(crate) fn read(f: &Fields) -> Result<UpdateRequest, ApiError> {
    f.refuse_set(UNSUPPORTED)?;
    // Go's "not given" for MemorySwappiness is null or -1.
    if let Some(n) = f.number("MemorySwappiness")?.filter(|n| *n != -1) {
        return Err(ApiError::bad(format!(
            "{} is not supported by sixdocker (given: {n})",
            f.name("MemorySwappiness")
        )));
    }
    Ok(UpdateRequest {
        memory: f.positive("Memory")?.map(MemorySize::from_bytes),
        memory_swap: match f.number("MemorySwap")? {
            None | Some(0) => None,
            Some(n) => Some(parse::<MemorySwap>(&n.to_string())?),
        },
        cpu_shares: f.positive("CpuShares")?,
        cpus: match f.positive("NanoCpus")? {
            None => None,
            Some(n) => Some(parse::<Cpus>(&format!("{}", n as f64 / 1e9))?),
        },
        cpu_quota: f.number("CpuQuota")?.filter(|n| *n != 0),
        cpu_period: f.positive("CpuPeriod")?,
        cpuset_cpus: f.string("CpusetCpus")?.map(|c| parse(&c)).transpose()?,
        cpuset_mems: f.string("CpusetMems")?.map(|c| parse(&c)).transpose()?,
        pids_limit: f.number("PidsLimit")?.filter(|n| *n != 0),
        restart: None,
    })
}

/// A value by its type's parser, a 400 with its words when it does not parse.
pub(crate) fn parse<T: FromStr<Err = six_engine::types::TypeError>>(
    s: &str,
) -> Result<T, ApiError> {
    s.parse::<T>().map_err(|e| ApiError::bad(e.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn resources_as_the_docker_cli_sends_them() {
        let doc = json!({"Memory": 67108864, "MemorySwap": -1, "NanoCpus": 500000000,
            "CpuShares": 512, "CpusetCpus": "0", "PidsLimit": null, "MemorySwappiness": null,
            "KernelMemory": 0, "BlkioWeight": 0, "OomKillDisable": false});
        let r = read(&Fields::of(&doc, "HostConfig.").unwrap()).unwrap();
        assert_eq!(r.memory.unwrap().bytes(), 64 << 20);
        assert_eq!(r.cpus.unwrap().get(), 0.5);
        assert_eq!(r.cpu_shares, Some(512));
        assert!(r.pids_limit.is_none());
        for (doc, named) in [
            (json!({"BlkioWeight": 300}), "HostConfig.BlkioWeight"),
            (
                json!({"MemorySwappiness": 10}),
                "HostConfig.MemorySwappiness",
            ),
            (json!({"Memory": -1}), "HostConfig.Memory"),
            (json!({"CpusetCpus": "x"}), "x"),
        ] {
            let e = read(&Fields::of(&doc, "HostConfig.").unwrap()).unwrap_err();
            assert!(e.message.contains(named), "{named}: {}", e.message);
        }
    }
}
