//! One container's link to a network: a veth pair whose host end joins the bridge and whose
//! other end is created directly inside the container's network namespace as `ethN`, with
//! its address, MAC, loopback up and the default route via the gateway.
//!
//! Inside the namespace it works through a netlink socket opened there (see
//! `Netlink::in_netns`); no thread of ours stays in the namespace and nothing runs `ip`.
//! Deleting the host end removes the pair.

use std::fs::File;
use std::net::Ipv4Addr;
use std::path::Path;

use crate::error::{netlink, Error, Result};
use crate::netlink::Netlink;

/// What one endpoint gets.
pub(crate) struct Plan<'a> {
    pub host_veth: &'a str,
    /// The name inside the namespace, from [`free_interface_name`].
    pub interface: &'a str,
    pub bridge_index: u32,
    pub ip: Ipv4Addr,
    pub prefix: u8,
    pub gateway: Ipv4Addr,
    pub mac: [u8; 6],
    pub container: &'a str,
}

/// The MAC address for a container address: 02:42 and the four address bytes (as Docker).
pub(crate) fn mac_for(ip: Ipv4Addr) -> [u8; 6] {
    let [a, b, c, d] = ip.octets();
    [0x02, 0x42, a, b, c, d]
}

pub(crate) fn mac_text(mac: [u8; 6]) -> String {
    mac.iter()
        .map(|b| format!("{b:02x}"))
        .collect::<Vec<_>>()
        .join(":")
}

/// The first `ethN` not yet used inside the namespace (`inside`: a socket opened there).
pub(crate) fn free_interface_name(inside: &mut Netlink, container: &str) -> Result<String> {
    let names = inside
        .link_names()
        .map_err(netlink(format!("listing links of container {container}")))?;
    Ok((0..)
        .map(|n| format!("eth{n}"))
        .find(|name| !names.contains(name))
        .unwrap_or_else(|| "eth0".to_string()))
}

/// Creates and configures the pair; `inside` is a netlink socket opened in `netns`.
/// On failure nothing of it is left.
pub(crate) fn setup(
    host: &mut Netlink,
    inside: &mut Netlink,
    netns: &File,
    plan: &Plan,
) -> Result<()> {
    let what = || {
        format!(
            "creating veth pair {} / {} for container {}",
            plan.host_veth, plan.interface, plan.container
        )
    };
    match host.create_veth(plan.host_veth, plan.interface, plan.mac, netns) {
        // the pair of this container's previous run may still be on its way out
        Err(e)
            if e.raw_os_error() == Some(libc::EEXIST) && wait_until_gone(host, plan.host_veth)? =>
        {
            host.create_veth(plan.host_veth, plan.interface, plan.mac, netns)
                .map_err(netlink(what()))?
        }
        created => created.map_err(netlink(what()))?,
    }
    let configured = configure(host, inside, plan, plan.interface);
    if configured.is_err() {
        let _ = host.delete_link_named(plan.host_veth);
    }
    configured
}

/// When `host_veth` belongs to a dying namespace's pair, waits (up to 2 s) until the kernel
/// has removed it. Ok(false) when it is some other link, or still there.
fn wait_until_gone(host: &mut Netlink, host_veth: &str) -> Result<bool> {
    let what = || format!("looking up {host_veth}");
    match host.link_peer_nsid(host_veth).map_err(netlink(what()))? {
        None => return Ok(true),
        Some(Some(nsid)) if !host.nsid_alive(nsid).map_err(netlink(what()))? => {}
        Some(_) => return Ok(false),
    }
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(2);
    while std::time::Instant::now() < deadline {
        if host
            .link_index(host_veth)
            .map_err(netlink(what()))?
            .is_none()
        {
            return Ok(true);
        }
        std::thread::sleep(std::time::Duration::from_millis(2));
    }
    Ok(false)
}

fn configure(host: &mut Netlink, inside: &mut Netlink, plan: &Plan, interface: &str) -> Result<()> {
    let missing = |name: &str| Error::Netlink {
        what: format!("link {name} vanished after creation"),
        source: std::io::ErrorKind::NotFound.into(),
    };
    let host_index = host
        .link_index(plan.host_veth)
        .map_err(netlink(format!("looking up {}", plan.host_veth)))?
        .ok_or_else(|| missing(plan.host_veth))?;
    host.set_up(host_index, Some(plan.bridge_index))
        .map_err(netlink(format!(
            "attaching {} to its bridge",
            plan.host_veth
        )))?;
    let what = |step: &str| {
        format!(
            "{step} in the network namespace of container {}",
            plan.container
        )
    };
    let index = inside
        .link_index(interface)
        .map_err(netlink(what("looking up the interface")))?
        .ok_or_else(|| missing(interface))?;
    inside
        .add_address(index, plan.ip, plan.prefix)
        .map_err(netlink(what(&format!(
            "adding {}/{} to {interface}",
            plan.ip, plan.prefix
        ))))?;
    inside
        .set_up(index, None)
        .map_err(netlink(what(&format!("setting {interface} up"))))?;
    set_loopback_up(inside, &what)?;
    match inside.add_default_route(plan.gateway) {
        Err(e) if e.raw_os_error() != Some(libc::EEXIST) => Err(netlink(what(&format!(
            "adding the default route via {}",
            plan.gateway
        )))(e)),
        _ => Ok(()),
    }
}

fn set_loopback_up(inside: &mut Netlink, what: &dyn Fn(&str) -> String) -> Result<()> {
    if let Some(lo) = inside
        .link_index("lo")
        .map_err(netlink(what("looking up lo")))?
    {
        inside
            .set_up(lo, None)
            .map_err(netlink(what("setting lo up")))?;
    }
    Ok(())
}

/// Brings `lo` up in the network namespace at `netns` (`/proc/<pid>/ns/net`) of a container
/// on no network (`--network none`), as Docker does: 127.0.0.1 works inside. A container on
/// a network gets it with its first attach.
pub fn loopback_up(netns: &Path, container: &str) -> Result<()> {
    let file = File::open(netns).map_err(|source| Error::Netns {
        path: netns.to_path_buf(),
        source,
    })?;
    let what = |step: &str| format!("{step} in the network namespace of container {container}");
    let mut inside = Netlink::in_netns(&file).map_err(netlink(what("opening a netlink socket")))?;
    set_loopback_up(&mut inside, &what)
}

/// Deletes the host end (and so the pair). Ok when it is already gone, and left to the
/// kernel when the container's namespace is dying: the kernel then deletes the pair itself,
/// and waiting for it here would cost the caller tens of milliseconds.
pub(crate) fn teardown(host: &mut Netlink, host_veth: &str) -> Result<()> {
    let what = || format!("deleting veth {host_veth}");
    let peer = host.link_peer_nsid(host_veth).map_err(netlink(what()))?;
    tracing::debug!(veth = host_veth, ?peer, "peer namespace id");
    match peer {
        None => return Ok(()),
        Some(Some(nsid)) if !host.nsid_alive(nsid).map_err(netlink(what()))? => {
            six_trace::step!(
                six_trace::Kind::Netlink,
                "veth {host_veth}: the container's network namespace is dying, and the \
                 kernel deletes the pair with it (no RTM_DELLINK needed)"
            );
            tracing::debug!(
                veth = host_veth,
                "the container's namespace is dying; the kernel removes the pair"
            );
            return Ok(());
        }
        Some(_) => {}
    }
    host.delete_link_named(host_veth).map_err(netlink(what()))?;
    Ok(())
}
