//! A thin synchronous rtnetlink client: one `NETLINK_ROUTE` socket, one request at a time,
//! messages built with `netlink-packet-route`.
//!
//! It owns the socket and the wire format (requests, acks, dumps) and offers the handful of
//! link/address/route operations the network crate needs. It never decides names, addresses
//! or policy; callers pass those in. A socket opened by [`Netlink::in_netns`] lives in that
//! network namespace for its whole life, so no thread of ours ever stays inside a container.

use std::fs::File;
use std::io;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::os::fd::AsRawFd;

use netlink_packet_core::{
    NetlinkHeader, NetlinkMessage, NetlinkPayload, NLM_F_ACK, NLM_F_CREATE, NLM_F_DUMP, NLM_F_EXCL,
    NLM_F_REQUEST,
};
use netlink_packet_route::address::{AddressAttribute, AddressMessage};
use netlink_packet_route::link::{
    InfoData, InfoKind, InfoVeth, LinkAttribute, LinkFlags, LinkInfo, LinkMessage,
};
use netlink_packet_route::nsid::{NsidAttribute, NsidMessage};
use netlink_packet_route::route::{
    RouteAddress, RouteAttribute, RouteHeader, RouteMessage, RouteProtocol, RouteScope, RouteType,
};
use netlink_packet_route::{AddressFamily, RouteNetlinkMessage};
use netlink_sys::{protocols::NETLINK_ROUTE, Socket, SocketAddr};
use six_trace::Kind;
use std::fmt::{self, Write as _};

/// A result's errno for the trace (0: done).
fn errno<T>(r: &io::Result<T>) -> i32 {
    r.as_ref()
        .err()
        .map_or(0, |e| e.raw_os_error().unwrap_or(-1))
}

/// A link as the trace names it: `veth1a2b (#12)`, or `link #12`.
struct LinkName<'a>(u32, Option<&'a str>);

impl fmt::Display for LinkName<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.1 {
            Some(name) => write!(f, "{name} (#{})", self.0),
            None => write!(f, "link #{}", self.0),
        }
    }
}

/// An open rtnetlink socket in one network namespace.
pub struct Netlink {
    socket: Socket,
    sequence: u32,
    /// For `--trace` (kept only while tracing): the namespace the socket lives in
    /// (`net:[…]`; None: the caller's), and the names of links looked up by index.
    ns: Option<String>,
    names: Vec<(u32, String)>,
}

/// An IPv4 address on a link, as the kernel reports it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LinkAddress {
    pub index: u32,
    pub ip: Ipv4Addr,
    pub prefix: u8,
}

/// A link: index, name and the index of its controller (bridge), if any.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LinkSummary {
    pub index: u32,
    pub name: String,
    pub master: Option<u32>,
}

/// An IPv4 route destination from the main table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RouteDestination {
    pub network: Ipv4Addr,
    pub prefix: u8,
}

impl Netlink {
    /// A socket in the calling thread's network namespace.
    pub fn new() -> io::Result<Netlink> {
        let mut socket = Socket::new(NETLINK_ROUTE)?;
        socket.bind_auto()?;
        socket.connect(&SocketAddr::new(0, 0))?;
        Ok(Netlink {
            socket,
            sequence: 0,
            ns: None,
            names: Vec::new(),
        })
    }

    /// A socket inside the network namespace `netns` (an nsfs file such as
    /// `/proc/<pid>/ns/net`). A short-lived thread enters the namespace and opens the
    /// socket there; the socket keeps that namespace after the thread is gone.
    #[track_caller]
    pub fn in_netns(netns: &File) -> io::Result<Netlink> {
        let at = std::panic::Location::caller();
        let opened = std::thread::scope(|scope| {
            scope
                .spawn(|| {
                    nix::sched::setns(netns, nix::sched::CloneFlags::CLONE_NEWNET)
                        .map_err(io::Error::from)?;
                    Netlink::new()
                })
                .join()
                .unwrap_or_else(|_| {
                    Err(io::Error::other(
                        "the thread entering the network namespace panicked",
                    ))
                })
        });
        if !six_trace::on() {
            return opened;
        }
        let ns = six_trace::fd_target(netns.as_raw_fd()).to_string();
        six_trace::event_with(Kind::Setns, at, |d| {
            let how = "a thread joined it (setns CLONE_NEWNET), opened a netlink socket, left";
            write!(d, "{ns}: {how}")
        });
        opened.map(|mut n| {
            n.ns = Some(ns);
            n
        })
    }

    /// Where the socket is, for the trace: the container's namespace or the host.
    fn place(&self) -> &str {
        self.ns.as_deref().unwrap_or("host")
    }

    /// A link by the name it was looked up by (for the trace), else its index.
    fn link_name(&self, index: u32) -> LinkName<'_> {
        LinkName(
            index,
            self.names
                .iter()
                .find(|(i, _)| *i == index)
                .map(|(_, n)| n.as_str()),
        )
    }

    fn send(&mut self, message: RouteNetlinkMessage, flags: u16) -> io::Result<u32> {
        self.sequence = self.sequence.wrapping_add(1);
        let mut header = NetlinkHeader::default();
        header.flags = NLM_F_REQUEST | flags;
        header.sequence_number = self.sequence;
        let mut packet = NetlinkMessage::new(header, NetlinkPayload::from(message));
        packet.finalize();
        let mut buf = vec![0u8; packet.buffer_len()];
        packet.serialize(&mut buf);
        self.socket.send(&buf, 0)?;
        Ok(self.sequence)
    }

    /// Reads replies to `sequence` until the ack (or the end of a dump), handing every
    /// inner message to `each`.
    fn receive(
        &mut self,
        sequence: u32,
        mut each: impl FnMut(RouteNetlinkMessage),
    ) -> io::Result<()> {
        loop {
            let (buf, _) = self.socket.recv_from_full()?;
            let mut offset = 0;
            while offset < buf.len() {
                let packet = NetlinkMessage::<RouteNetlinkMessage>::deserialize(&buf[offset..])
                    .map_err(|e| {
                        io::Error::new(
                            io::ErrorKind::InvalidData,
                            format!("bad netlink reply: {e}"),
                        )
                    })?;
                let length = packet.header.length as usize;
                if length == 0 {
                    return Err(io::Error::new(
                        io::ErrorKind::InvalidData,
                        "netlink reply of length 0",
                    ));
                }
                offset += length;
                if packet.header.sequence_number != sequence {
                    continue;
                }
                match packet.payload {
                    NetlinkPayload::Done(_) => return Ok(()),
                    NetlinkPayload::Error(e) => {
                        return match e.code {
                            None => Ok(()),
                            Some(_) => Err(e.to_io()),
                        }
                    }
                    NetlinkPayload::InnerMessage(m) => each(m),
                    _ => {}
                }
            }
        }
    }

    /// Sends one request and waits for the kernel's ack.
    pub fn request(&mut self, message: RouteNetlinkMessage, flags: u16) -> io::Result<()> {
        let sequence = self.send(message, NLM_F_ACK | flags)?;
        self.receive(sequence, |_| {})
    }

    fn dump(&mut self, message: RouteNetlinkMessage) -> io::Result<Vec<RouteNetlinkMessage>> {
        let sequence = self.send(message, NLM_F_DUMP)?;
        let mut out = Vec::new();
        self.receive(sequence, |m| out.push(m))?;
        Ok(out)
    }

    /// The index of the link called `name`, or None when there is none.
    pub fn link_index(&mut self, name: &str) -> io::Result<Option<u32>> {
        let mut message = LinkMessage::default();
        message
            .attributes
            .push(LinkAttribute::IfName(name.to_string()));
        let sequence = self.send(RouteNetlinkMessage::GetLink(message), NLM_F_ACK)?;
        let mut index = None;
        match self.receive(sequence, |m| {
            if let RouteNetlinkMessage::NewLink(link) = m {
                index = Some(link.header.index);
            }
        }) {
            Ok(()) => {
                if let (Some(i), true) = (index, six_trace::on()) {
                    self.names.push((i, name.to_owned()));
                }
                Ok(index)
            }
            Err(e) if e.raw_os_error() == Some(libc::ENODEV) => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// For a link whose peer lives in another namespace (a veth): None when the link does
    /// not exist, Some(None) when the kernel names no peer namespace, Some(Some(nsid))
    /// otherwise (-1: the peer namespace is dying and has no id any more).
    pub fn link_peer_nsid(&mut self, name: &str) -> io::Result<Option<Option<i32>>> {
        let mut message = LinkMessage::default();
        message
            .attributes
            .push(LinkAttribute::IfName(name.to_string()));
        let sequence = self.send(RouteNetlinkMessage::GetLink(message), NLM_F_ACK)?;
        let mut found = None;
        match self.receive(sequence, |m| {
            if let RouteNetlinkMessage::NewLink(link) = m {
                let nsid = link.attributes.iter().find_map(|a| match a {
                    LinkAttribute::LinkNetNsId(id) => Some(*id),
                    _ => None,
                });
                found = Some(nsid);
            }
        }) {
            Ok(()) => Ok(found),
            Err(e) if e.raw_os_error() == Some(libc::ENODEV) => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// Is the namespace known here as `nsid` alive? (The kernel will not hand out a
    /// namespace that is being destroyed.)
    pub fn nsid_alive(&mut self, nsid: i32) -> io::Result<bool> {
        if nsid < 0 {
            return Ok(false);
        }
        let mut message = NsidMessage::default();
        message.attributes.push(NsidAttribute::Id(nsid));
        match self.request(RouteNetlinkMessage::GetNsId(message), 0) {
            Ok(()) => Ok(true),
            Err(e) if e.raw_os_error() == Some(libc::ENOENT) => Ok(false),
            // kernels before 4.20 cannot look a namespace up by id: say alive, so callers
            // take the safe path
            Err(e)
                if e.raw_os_error() == Some(libc::EINVAL)
                    || e.raw_os_error() == Some(libc::EOPNOTSUPP) =>
            {
                Ok(true)
            }
            Err(e) => Err(e),
        }
    }

    /// Names of every link in this namespace.
    pub fn link_names(&mut self) -> io::Result<Vec<String>> {
        Ok(self.links()?.into_iter().map(|l| l.name).collect())
    }

    /// Every link in this namespace.
    pub fn links(&mut self) -> io::Result<Vec<LinkSummary>> {
        let replies = self.dump(RouteNetlinkMessage::GetLink(LinkMessage::default()))?;
        let mut links = Vec::new();
        for reply in replies {
            if let RouteNetlinkMessage::NewLink(link) = reply {
                let mut summary = LinkSummary {
                    index: link.header.index,
                    name: String::new(),
                    master: None,
                };
                for attribute in link.attributes {
                    match attribute {
                        LinkAttribute::IfName(name) => summary.name = name,
                        LinkAttribute::Controller(master) => summary.master = Some(master),
                        _ => {}
                    }
                }
                links.push(summary);
            }
        }
        Ok(links)
    }

    /// Creates a Linux bridge called `name` (fails with EEXIST if a link has that name).
    #[track_caller]
    pub fn create_bridge(&mut self, name: &str) -> io::Result<()> {
        let step = six_trace::begin();
        let r = self.create_bridge_now(name);
        if let Some(t) = step {
            let place = self.place();
            t.done(Kind::Netlink, errno(&r), |d| {
                write!(d, "RTM_NEWLINK bridge {name} ({place})")
            });
        }
        r
    }

    fn create_bridge_now(&mut self, name: &str) -> io::Result<()> {
        let mut message = LinkMessage::default();
        message
            .attributes
            .push(LinkAttribute::IfName(name.to_string()));
        message
            .attributes
            .push(LinkAttribute::LinkInfo(vec![LinkInfo::Kind(
                InfoKind::Bridge,
            )]));
        self.request(
            RouteNetlinkMessage::NewLink(message),
            NLM_F_CREATE | NLM_F_EXCL,
        )
    }

    /// Creates a veth pair: `host_name` here, `peer_name` with `peer_mac` created directly
    /// inside the namespace `peer_netns`.
    #[track_caller]
    pub fn create_veth(
        &mut self,
        host_name: &str,
        peer_name: &str,
        peer_mac: [u8; 6],
        peer_netns: &File,
    ) -> io::Result<()> {
        let step = six_trace::begin();
        let r = self.create_veth_now(host_name, peer_name, peer_mac, peer_netns);
        if let Some(t) = step {
            let (place, ns) = (self.place(), six_trace::fd_target(peer_netns.as_raw_fd()));
            let mac = peer_mac.map(|b| format!("{b:02x}")).join(":");
            t.done(Kind::Netlink, errno(&r), |d| {
                write!(
                    d,
                    "RTM_NEWLINK veth pair: {host_name} ({place}) <-> {peer_name} mac {mac}, \
                     created directly in {ns} (IFLA_NET_NS_FD: no move needed)"
                )
            });
        }
        r
    }

    fn create_veth_now(
        &mut self,
        host_name: &str,
        peer_name: &str,
        peer_mac: [u8; 6],
        peer_netns: &File,
    ) -> io::Result<()> {
        let mut peer = LinkMessage::default();
        peer.attributes
            .push(LinkAttribute::IfName(peer_name.to_string()));
        peer.attributes
            .push(LinkAttribute::Address(peer_mac.to_vec()));
        peer.attributes
            .push(LinkAttribute::NetNsFd(peer_netns.as_raw_fd()));
        let mut message = LinkMessage::default();
        message
            .attributes
            .push(LinkAttribute::IfName(host_name.to_string()));
        message.attributes.push(LinkAttribute::LinkInfo(vec![
            LinkInfo::Kind(InfoKind::Veth),
            LinkInfo::Data(InfoData::Veth(InfoVeth::Peer(peer))),
        ]));
        self.request(
            RouteNetlinkMessage::NewLink(message),
            NLM_F_CREATE | NLM_F_EXCL,
        )
    }

    /// Sets the link up, and its controller (bridge) when `master` is given.
    #[track_caller]
    pub fn set_up(&mut self, index: u32, master: Option<u32>) -> io::Result<()> {
        let step = six_trace::begin();
        let r = self.set_up_now(index, master);
        if let Some(t) = step {
            let (link, place) = (self.link_name(index), self.place());
            t.done(Kind::Netlink, errno(&r), |d| {
                write!(d, "RTM_NEWLINK {link} up ({place})")?;
                match master {
                    Some(m) => write!(d, ", attached to bridge {}", self.link_name(m)),
                    None => Ok(()),
                }
            });
        }
        r
    }

    fn set_up_now(&mut self, index: u32, master: Option<u32>) -> io::Result<()> {
        let mut message = LinkMessage::default();
        message.header.index = index;
        message.header.flags = LinkFlags::Up;
        message.header.change_mask = LinkFlags::Up;
        if let Some(master) = master {
            message.attributes.push(LinkAttribute::Controller(master));
        }
        self.request(RouteNetlinkMessage::SetLink(message), 0)
    }

    /// Deletes a link (for a veth, the pair goes with it).
    #[track_caller]
    pub fn delete_link(&mut self, index: u32) -> io::Result<()> {
        let step = six_trace::begin();
        let r = self.delete_link_now(index);
        if let Some(t) = step {
            let (link, place) = (self.link_name(index), self.place());
            t.done(Kind::Netlink, errno(&r), |d| {
                write!(d, "RTM_DELLINK {link} ({place})")
            });
        }
        r
    }

    fn delete_link_now(&mut self, index: u32) -> io::Result<()> {
        let mut message = LinkMessage::default();
        message.header.index = index;
        self.request(RouteNetlinkMessage::DelLink(message), 0)
    }

    /// Deletes the link called `name`; Ok(false) when there was none.
    #[track_caller]
    pub fn delete_link_named(&mut self, name: &str) -> io::Result<bool> {
        match self.link_index(name)? {
            Some(index) => match self.delete_link(index) {
                Ok(()) => Ok(true),
                Err(e) if e.raw_os_error() == Some(libc::ENODEV) => Ok(false),
                Err(e) => Err(e),
            },
            None => Ok(false),
        }
    }

    /// Adds `ip/prefix` to the link (with the subnet's broadcast address).
    #[track_caller]
    pub fn add_address(&mut self, index: u32, ip: Ipv4Addr, prefix: u8) -> io::Result<()> {
        let step = six_trace::begin();
        let r = self.add_address_now(index, ip, prefix);
        if let Some(t) = step {
            let (link, place) = (self.link_name(index), self.place());
            t.done(Kind::Netlink, errno(&r), |d| {
                write!(d, "RTM_NEWADDR {ip}/{prefix} on {link} ({place})")
            });
        }
        r
    }

    fn add_address_now(&mut self, index: u32, ip: Ipv4Addr, prefix: u8) -> io::Result<()> {
        let mut message = AddressMessage::default();
        message.header.family = AddressFamily::Inet;
        message.header.prefix_len = prefix;
        message.header.index = index;
        message
            .attributes
            .push(AddressAttribute::Local(IpAddr::V4(ip)));
        message
            .attributes
            .push(AddressAttribute::Address(IpAddr::V4(ip)));
        if prefix < 31 {
            let host_bits = u32::MAX.checked_shr(u32::from(prefix)).unwrap_or(0);
            let broadcast = Ipv4Addr::from(u32::from(ip) | host_bits);
            message
                .attributes
                .push(AddressAttribute::Broadcast(broadcast));
        }
        self.request(
            RouteNetlinkMessage::NewAddress(message),
            NLM_F_CREATE | NLM_F_EXCL,
        )
    }

    /// Every IPv4 address in this namespace.
    pub fn addresses_v4(&mut self) -> io::Result<Vec<LinkAddress>> {
        let mut request = AddressMessage::default();
        request.header.family = AddressFamily::Inet;
        let mut out = Vec::new();
        for reply in self.dump(RouteNetlinkMessage::GetAddress(request))? {
            if let RouteNetlinkMessage::NewAddress(address) = reply {
                for attribute in &address.attributes {
                    if let AddressAttribute::Local(IpAddr::V4(ip))
                    | AddressAttribute::Address(IpAddr::V4(ip)) = attribute
                    {
                        out.push(LinkAddress {
                            index: address.header.index,
                            ip: *ip,
                            prefix: address.header.prefix_len,
                        });
                        break;
                    }
                }
            }
        }
        Ok(out)
    }

    /// Every IPv6 address in this namespace (none when IPv6 is off: not even `::1`).
    pub fn addresses_v6(&mut self) -> io::Result<Vec<Ipv6Addr>> {
        let mut request = AddressMessage::default();
        request.header.family = AddressFamily::Inet6;
        let mut out = Vec::new();
        for reply in self.dump(RouteNetlinkMessage::GetAddress(request))? {
            if let RouteNetlinkMessage::NewAddress(address) = reply {
                for attribute in &address.attributes {
                    if let AddressAttribute::Address(IpAddr::V6(ip)) = attribute {
                        out.push(*ip);
                        break;
                    }
                }
            }
        }
        Ok(out)
    }

    /// Destinations of every IPv4 unicast route (all tables); a default route is 0.0.0.0/0.
    pub fn routes_v4(&mut self) -> io::Result<Vec<RouteDestination>> {
        let mut request = RouteMessage::default();
        request.header.address_family = AddressFamily::Inet;
        let mut out = Vec::new();
        for reply in self.dump(RouteNetlinkMessage::GetRoute(request))? {
            if let RouteNetlinkMessage::NewRoute(route) = reply {
                if route.header.kind != RouteType::Unicast {
                    continue;
                }
                let network = route
                    .attributes
                    .iter()
                    .find_map(|a| match a {
                        RouteAttribute::Destination(RouteAddress::Inet(ip)) => Some(*ip),
                        _ => None,
                    })
                    .unwrap_or(Ipv4Addr::UNSPECIFIED);
                out.push(RouteDestination {
                    network,
                    prefix: route.header.destination_prefix_length,
                });
            }
        }
        Ok(out)
    }

    /// Adds the default route via `gateway` (in the main table).
    #[track_caller]
    pub fn add_default_route(&mut self, gateway: Ipv4Addr) -> io::Result<()> {
        let step = six_trace::begin();
        let r = self.add_default_route_now(gateway);
        if let Some(t) = step {
            let place = self.place();
            t.done(Kind::Netlink, errno(&r), |d| {
                write!(d, "RTM_NEWROUTE default via {gateway} ({place})")
            });
        }
        r
    }

    fn add_default_route_now(&mut self, gateway: Ipv4Addr) -> io::Result<()> {
        let mut message = RouteMessage::default();
        message.header.address_family = AddressFamily::Inet;
        message.header.table = RouteHeader::RT_TABLE_MAIN;
        message.header.protocol = RouteProtocol::Static;
        message.header.scope = RouteScope::Universe;
        message.header.kind = RouteType::Unicast;
        message
            .attributes
            .push(RouteAttribute::Gateway(RouteAddress::Inet(gateway)));
        self.request(
            RouteNetlinkMessage::NewRoute(message),
            NLM_F_CREATE | NLM_F_EXCL,
        )
    }
}
