//! Address management: which address of a network's subnet a new container gets.
//! Leases are the endpoints in the network's record (on disk, changed under the store
//! lock), so this module only chooses; it never writes.

use std::net::Ipv4Addr;

use crate::error::{Error, Result};
use crate::Network;

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
            bridge: "b".into(),
            created: 0,
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
}
