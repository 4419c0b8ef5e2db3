//! Address management: which address of a network's subnet a new container gets.
//! Leases are the endpoints in the network's record (on disk, changed under the store
//! lock), so this module only chooses; it never writes.

use std::net::Ipv4Addr;

use crate::error::{Error, Result};
use crate::Network;

/// The address a new endpoint gets: the one it asks for (`--ip`, with Docker's rules: a
/// subnet given at `network create`, the address inside it and free), else the lowest free.
pub(crate) fn lease(network: &Network, requested: Option<Ipv4Addr>) -> Result<Ipv4Addr> {
    let Some(ip) = requested else {
        return next_free(network);
    };
    check_requested(network, ip)?;
    let (address, name) = (ip.to_string(), network.name.clone());
    let by = if ip == network.subnet.network() || ip == network.subnet.broadcast() {
        Some(format!(
            ": it is the network address or broadcast address of {}",
            network.subnet
        ))
    } else if ip == network.gateway {
        Some(": it is the network's gateway".to_owned())
    } else {
        network
            .endpoints
            .iter()
            .find(|e| e.ip == ip)
            .map(|e| format!(": container {} has it", &e.id[..e.id.len().min(12)]))
    };
    match by {
        Some(by) => Err(Error::AddressInUse {
            address,
            network: name,
            by,
        }),
        None => Ok(ip),
    }
}

/// Docker's rules for an address a container asks for on `network`, whether or not it is
/// free: the network's subnet was given at its creation, and the address is inside it.
pub fn check_requested(network: &Network, ip: Ipv4Addr) -> Result<()> {
    let (address, name) = (ip.to_string(), network.name.clone());
    if !network.user_subnet {
        return Err(Error::FixedAddressNeedsSubnet {
            address,
            network: name,
        });
    }
    if !network.subnet.contains(ip) {
        return Err(Error::AddressOutsideSubnet {
            address,
            network: name,
            subnet: network.subnet.to_string(),
        });
    }
    Ok(())
}

/// The lowest address of the subnet that is not the network, broadcast or gateway
/// address and not leased to an endpoint.
pub(crate) fn next_free(network: &Network) -> Result<Ipv4Addr> {
    network
        .subnet
        .hosts()
        .find(|ip| *ip != network.gateway && !network.endpoints.iter().any(|e| e.ip == *ip))
        .ok_or_else(|| Error::AddressesExhausted {
            network: network.name.clone(),
            subnet: network.subnet.to_string(),
        })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::EndpointRecord;

    fn network(subnet: &str, gateway: [u8; 4]) -> Network {
        Network {
            name: "n".into(),
            id: String::new(),
            driver: "bridge".into(),
            subnet: subnet.parse().unwrap(),
            gateway: Ipv4Addr::from(gateway),
            internal: false,
            user_subnet: true,
            bridge: "b".into(),
            created: 0,
            labels: Default::default(),
            endpoints: Vec::new(),
        }
    }

    fn lease(network: &mut Network) -> Result<Ipv4Addr> {
        let ip = next_free(network)?;
        network.endpoints.push(EndpointRecord {
            id: ip.to_string(),
            name: String::new(),
            hostname: String::new(),
            ip,
            mac: String::new(),
            host_veth: String::new(),
            interface: String::new(),
            ports: Vec::new(),
            hosts_file: None,
            extra_hosts: Vec::new(),
            aliases: Vec::new(),
        });
        Ok(ip)
    }

    #[test]
    fn never_network_gateway_or_broadcast() {
        let mut n = network("10.9.0.0/29", [10, 9, 0, 3]);
        let got: Vec<_> = (0..5).map(|_| lease(&mut n).unwrap()).collect();
        let want: Vec<Ipv4Addr> = [1, 2, 4, 5, 6]
            .iter()
            .map(|d| Ipv4Addr::new(10, 9, 0, *d))
            .collect();
        assert_eq!(got, want);
        assert!(lease(&mut n)
            .unwrap_err()
            .to_string()
            .contains("no free address"));
        n.endpoints.retain(|e| e.ip != Ipv4Addr::new(10, 9, 0, 4));
        assert_eq!(lease(&mut n).unwrap(), Ipv4Addr::new(10, 9, 0, 4));
    }

    #[test]
    fn an_asked_for_address_follows_dockers_rules() {
        let mut n = network("10.9.0.0/24", [10, 9, 0, 1]);
        let ip = |d: u8| Some(Ipv4Addr::new(10, 9, 0, d));
        assert_eq!(
            super::lease(&n, ip(50)).unwrap(),
            Ipv4Addr::new(10, 9, 0, 50)
        );
        let refused =
            |n: &Network, a: Option<Ipv4Addr>| super::lease(n, a).unwrap_err().to_string();
        assert!(refused(&n, ip(1))
            .contains("10.9.0.1 is already in use on network \"n\": it is the network's gateway"));
        assert!(refused(&n, ip(0)).contains("already in use"));
        assert!(refused(&n, ip(255)).contains("already in use"));
        let taken = lease(&mut n).unwrap();
        assert!(refused(&n, Some(taken)).contains(&format!(
            "{taken} is already in use on network \"n\": container "
        )));
        assert!(refused(&n, Some(Ipv4Addr::new(10, 8, 0, 5))).contains(
            "invalid address 10.8.0.5: it does not belong to subnet 10.9.0.0/24 of network \"n\""
        ));
        n.user_subnet = false;
        assert!(refused(&n, ip(50))
            .contains("supported only when connecting to networks with user configured subnets"));
        assert_eq!(super::lease(&n, None).unwrap(), Ipv4Addr::new(10, 9, 0, 3));
    }
}
