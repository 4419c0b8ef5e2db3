//! Container networks: Linux bridges, IPAM leases, veth pairs over netlink, port mapping and NAT through one firewall module.
