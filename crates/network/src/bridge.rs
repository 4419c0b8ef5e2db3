//! Linux bridges for networks: the device name a network gets, creating it with its gateway
//! address, turning route_localnet on for it, removing it, and the host's IP forwarding switch.
//!
//! It only touches devices it names itself and sysctls of those devices — plus
//! net.ipv4.ip_forward, and only when the caller asks (tests never do).

use std::net::Ipv4Addr;
use std::path::Path;

use sha2::{Digest, Sha256};

use crate::error::{io, netlink, Error, Result};
use crate::netlink::Netlink;

/// The store that gets the short device names (`six0` for its default network).
pub const DEFAULT_ROOT: &str = "/var/lib/sixdocker";

/// A short hex digest of `parts`, `len` characters.
pub(crate) fn short_hash(parts: &[&[u8]], len: usize) -> String {
    let mut hasher = Sha256::new();
    for part in parts {
        hasher.update(part);
        hasher.update([0u8]);
    }
    hex::encode(hasher.finalize())[..len].to_string()
}

/// The bridge device of network `name` in the store at `root`: `six0` for the default
/// network of the default root, otherwise `six` + 10 hex digits of a hash (13 bytes, under
/// the kernel's 15).
pub(crate) fn device_name(root: &Path, name: &str) -> String {
    if root == Path::new(DEFAULT_ROOT) && name == crate::DEFAULT_NETWORK {
        return "six0".to_string();
    }
    format!(
        "six{}",
        short_hash(&[root.as_os_str().as_encoded_bytes(), name.as_bytes()], 10)
    )
}

#[track_caller]
fn write_sysctl(path: &str, value: &str) -> Result<()> {
    six_trace::call(
        six_trace::Kind::Sysctl,
        || std::fs::write(path, value),
        |d| std::fmt::Write::write_fmt(d, format_args!("{path} = {value}")),
    )
    .map_err(io(format!("writing {value} to {path}")))
}

/// Creates the bridge `name` with `gateway/prefix` and sets it up. Returns its index.
/// An existing bridge of that name is reused as it is.
pub(crate) fn ensure(host: &mut Netlink, name: &str, gateway: Ipv4Addr, prefix: u8) -> Result<u32> {
    if let Some(index) = host
        .link_index(name)
        .map_err(netlink(format!("looking up bridge {name}")))?
    {
        return Ok(index);
    }
    let _span = tracing::debug_span!("create_bridge", bridge = name).entered();
    host.create_bridge(name)
        .map_err(netlink(format!("creating bridge {name}")))?;
    let configured = (|| {
        let index = host
            .link_index(name)
            .map_err(netlink(format!("looking up bridge {name}")))?
            .ok_or_else(|| Error::Netlink {
                what: format!("bridge {name} vanished after creation"),
                source: std::io::ErrorKind::NotFound.into(),
            })?;
        host.add_address(index, gateway, prefix)
            .map_err(netlink(format!(
                "adding {gateway}/{prefix} to bridge {name}"
            )))?;
        host.set_up(index, None)
            .map_err(netlink(format!("setting bridge {name} up")))?;
        Ok(index)
    })();
    if configured.is_err() {
        let _ = host.delete_link_named(name);
    }
    configured
}

/// Turns on route_localnet for the bridge `name`, so that traffic to 127.0.0.1 can be
/// DNATed to containers behind it (and their replies come back). It also lets packets from
/// the bridge addressed to 127.0.0.0/8 in: call it only once the network's firewall rules,
/// which drop those, are in place.
pub(crate) fn enable_route_localnet(name: &str) -> Result<()> {
    let path = format!("/proc/sys/net/ipv4/conf/{name}/route_localnet");
    if std::fs::read_to_string(&path).is_ok_and(|v| v.trim() == "1") {
        return Ok(());
    }
    write_sysctl(&path, "1")
}

/// Deletes the bridge `name` if it exists.
pub(crate) fn remove(host: &mut Netlink, name: &str) -> Result<()> {
    host.delete_link_named(name)
        .map_err(netlink(format!("deleting bridge {name}")))?;
    Ok(())
}

/// Turns on IPv4 forwarding for the whole host (a host sysctl: callers make it skippable).
pub(crate) fn enable_ip_forward() -> Result<()> {
    if std::fs::read_to_string("/proc/sys/net/ipv4/ip_forward").is_ok_and(|v| v.trim() == "1") {
        return Ok(());
    }
    write_sysctl("/proc/sys/net/ipv4/ip_forward", "1")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn device_names_are_short_and_distinct() {
        assert_eq!(device_name(Path::new(DEFAULT_ROOT), "bridge"), "six0");
        let a = device_name(Path::new("/tmp/a"), "bridge");
        let b = device_name(Path::new("/tmp/b"), "bridge");
        assert_ne!(a, b);
        assert!(a.len() <= 15 && a.starts_with("six"));
    }
}
