//! Part of the nftables backend: reading what the stores have straight from the kernel, over
//! nf_tables' netlink interface (no `nft` process: a listing costs a few hundred µs, not
//! the 5–7 ms of an `nft -j list ruleset`): the tables named `sixdocker-<store>` of the
//! `ip` family, their chains, their rules with handle, comment (the tag) and, for DNAT
//! rules, the published port; and whether iptables' FORWARD chain drops by default.
//!
//! Three dumps: the family's tables, its chains, then the rules of each `sixdocker-*` table
//! only (the kernel filters by table: other programs' rules are never read). A dump the
//! kernel marks interrupted (the ruleset changed meanwhile) is read again. It only reads;
//! changes go through `nft -f` (`nftables.rs`).

use std::io;
use std::net::Ipv4Addr;

use netlink_sys::{protocols::NETLINK_NETFILTER, Socket, SocketAddr};

use super::{Installed, InstalledRule, Published};
use crate::Proto;

/// nfnetlink's subsystem of nf_tables, and its message types we send or read.
const NFNL_SUBSYS_NFTABLES: u16 = 10;
const NFT_MSG_GETTABLE: u16 = 1;
const NFT_MSG_GETCHAIN: u16 = 4;
const NFT_MSG_GETRULE: u16 = 7;
/// The `ip` family (NFPROTO_IPV4).
const NFPROTO_IPV4: u8 = 2;

const NLMSG_ERROR: u16 = 2;
const NLMSG_DONE: u16 = 3;
const NLM_F_REQUEST: u16 = 1;
const NLM_F_DUMP: u16 = 0x300;
const NLM_F_DUMP_INTR: u16 = 0x10;
const HEADER: usize = 16;
/// The nfgenmsg after the netlink header: family, version, resource id.
const NFGENMSG: usize = 4;

// Attributes (linux/netfilter/nf_tables.h).
const NFTA_TABLE_NAME: u16 = 1;
const NFTA_CHAIN_TABLE: u16 = 1;
const NFTA_CHAIN_NAME: u16 = 3;
const NFTA_CHAIN_POLICY: u16 = 5;
const NFTA_RULE_TABLE: u16 = 1;
const NFTA_RULE_CHAIN: u16 = 2;
const NFTA_RULE_HANDLE: u16 = 3;
const NFTA_RULE_EXPRESSIONS: u16 = 4;
const NFTA_RULE_USERDATA: u16 = 7;
const NFTA_LIST_ELEM: u16 = 1;
const NFTA_EXPR_NAME: u16 = 1;
const NFTA_EXPR_DATA: u16 = 2;
const NFTA_DATA_VALUE: u16 = 1;
/// payload: dreg, base, offset, len; meta: dreg, key; cmp: sreg, op, data; nat: type.
const NFTA_PAYLOAD_DREG: u16 = 1;
const NFTA_PAYLOAD_BASE: u16 = 2;
const NFTA_PAYLOAD_OFFSET: u16 = 3;
const NFTA_PAYLOAD_LEN: u16 = 4;
const NFTA_META_DREG: u16 = 1;
const NFTA_META_KEY: u16 = 2;
const NFTA_CMP_SREG: u16 = 1;
const NFTA_CMP_OP: u16 = 2;
const NFTA_CMP_DATA: u16 = 3;
const NFTA_NAT_TYPE: u16 = 1;
const NFT_PAYLOAD_NETWORK_HEADER: u32 = 1;
const NFT_PAYLOAD_TRANSPORT_HEADER: u32 = 2;
const NFT_META_L4PROTO: u32 = 16;
const NFT_CMP_EQ: u32 = 0;
const NFT_NAT_DNAT: u32 = 1;
/// A chain's policy NF_DROP.
const NF_DROP: u32 = 0;
/// libnftnl's user data: the rule's comment (type-length-value, the value NUL-terminated).
const NFTNL_UDATA_RULE_COMMENT: u8 = 0;

/// How often a dump the ruleset changed under is read again before giving up.
const DUMP_TRIES: usize = 5;

/// The store whose table this is (`sixdocker-<store>`).
pub(super) fn store_of_table(name: &str) -> Option<&str> {
    name.strip_prefix("sixdocker-")
}

/// A table, chain or rule as a dump delivered it: its attributes, undecoded.
type Object = Vec<u8>;

/// What every store has, read from the kernel.
pub(super) fn read() -> io::Result<Installed> {
    let mut socket = NfSocket::open()?;
    let mut tries = 0;
    loop {
        tries += 1;
        match read_once(&mut socket) {
            Err(e) if e.kind() == io::ErrorKind::Interrupted && tries < DUMP_TRIES => continue,
            other => return other,
        }
    }
}

fn read_once(socket: &mut NfSocket) -> io::Result<Installed> {
    let mut now = Installed::default();
    for table in socket.dump(NFT_MSG_GETTABLE, None)? {
        if let Some(store) = string(&table, NFTA_TABLE_NAME).and_then(store_of_table) {
            now.add_store(store);
        }
    }
    for chain in socket.dump(NFT_MSG_GETCHAIN, None)? {
        let (Some(table), Some(name)) = (
            string(&chain, NFTA_CHAIN_TABLE),
            string(&chain, NFTA_CHAIN_NAME),
        ) else {
            continue;
        };
        if store_of_table(table).is_some() {
            now.chains.push(format!("{table} {name}"));
        }
    }
    for store in now.stores.clone() {
        let table = super::nftables::table(&store);
        for rule in socket.dump(NFT_MSG_GETRULE, Some((NFTA_RULE_TABLE, &table)))? {
            if let Some(r) = installed_rule(&rule, &store) {
                now.rules.push(r);
            }
        }
    }
    Ok(now)
}

/// Does iptables' FORWARD chain (table `ip filter`, as iptables-nft keeps it) drop by
/// default?
pub(super) fn forward_drops() -> io::Result<bool> {
    let chains = NfSocket::open()?.dump(NFT_MSG_GETCHAIN, None)?;
    Ok(chains.iter().any(|c| {
        string(c, NFTA_CHAIN_TABLE) == Some("filter")
            && string(c, NFTA_CHAIN_NAME) == Some("FORWARD")
            && u32_be(c, NFTA_CHAIN_POLICY) == Some(NF_DROP)
    }))
}

/// A rule of `store`'s table: its chain, handle, comment, and the port it publishes (DNAT
/// rules of `ports`).
fn installed_rule(rule: &[u8], store: &str) -> Option<InstalledRule> {
    let chain = string(rule, NFTA_RULE_CHAIN)?;
    let handle =
        attr(rule, NFTA_RULE_HANDLE).and_then(|h| Some(u64::from_be_bytes(h.try_into().ok()?)))?;
    let published = attr(rule, NFTA_RULE_EXPRESSIONS)
        .and_then(published_by)
        .filter(|_| chain == "ports");
    Some(InstalledRule {
        store: store.to_string(),
        tag: attr(rule, NFTA_RULE_USERDATA).and_then(comment),
        published,
        place: chain.to_string(),
        text: handle.to_string(),
    })
}

/// The comment in a rule's user data.
fn comment(udata: &[u8]) -> Option<String> {
    let mut rest = udata;
    while rest.len() >= 2 {
        let (kind, len) = (rest[0], rest[1] as usize);
        let value = rest.get(2..2 + len)?;
        if kind == NFTNL_UDATA_RULE_COMMENT {
            let text = value.split(|b| *b == 0).next().unwrap_or_default();
            return Some(String::from_utf8_lossy(text).into_owned());
        }
        rest = &rest[2 + len..];
    }
    None
}

/// What a register was loaded with.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Load {
    Payload { base: u32, offset: u32, len: u32 },
    Meta(u32),
}

/// The port a DNAT rule publishes, from its expressions: the `meta l4proto` and
/// `th dport` comparisons (`tcp dport N`), and the `ip daddr` one when it has one.
fn published_by(expressions: &[u8]) -> Option<Published> {
    let mut loaded: Vec<(u32, Load)> = Vec::new();
    let (mut dnat, mut proto, mut host_port, mut host_ip) = (false, None, None, None);
    for (kind, element) in attrs(expressions) {
        if kind != NFTA_LIST_ELEM {
            continue;
        }
        let (Some(name), Some(data)) = (
            string(element, NFTA_EXPR_NAME),
            attr(element, NFTA_EXPR_DATA),
        ) else {
            continue;
        };
        match name {
            "payload" => {
                let load = Load::Payload {
                    base: u32_be(data, NFTA_PAYLOAD_BASE)?,
                    offset: u32_be(data, NFTA_PAYLOAD_OFFSET)?,
                    len: u32_be(data, NFTA_PAYLOAD_LEN)?,
                };
                if let Some(reg) = u32_be(data, NFTA_PAYLOAD_DREG) {
                    loaded.retain(|(r, _)| *r != reg);
                    loaded.push((reg, load));
                }
            }
            "meta" => {
                if let (Some(reg), Some(key)) =
                    (u32_be(data, NFTA_META_DREG), u32_be(data, NFTA_META_KEY))
                {
                    loaded.retain(|(r, _)| *r != reg);
                    loaded.push((reg, Load::Meta(key)));
                }
            }
            "cmp" if u32_be(data, NFTA_CMP_OP) == Some(NFT_CMP_EQ) => {
                let reg = u32_be(data, NFTA_CMP_SREG)?;
                let value = attr(data, NFTA_CMP_DATA).and_then(|d| attr(d, NFTA_DATA_VALUE))?;
                let load = loaded.iter().find(|(r, _)| *r == reg).map(|(_, l)| *l);
                match (load, value) {
                    (Some(Load::Meta(NFT_META_L4PROTO)), [p, ..]) => {
                        proto = match i32::from(*p) {
                            libc::IPPROTO_TCP => Some(Proto::Tcp),
                            libc::IPPROTO_UDP => Some(Proto::Udp),
                            _ => None,
                        }
                    }
                    (
                        Some(Load::Payload {
                            base: NFT_PAYLOAD_TRANSPORT_HEADER,
                            offset: 2,
                            len: 2,
                        }),
                        [a, b],
                    ) => host_port = Some(u16::from_be_bytes([*a, *b])),
                    (
                        Some(Load::Payload {
                            base: NFT_PAYLOAD_NETWORK_HEADER,
                            offset: 16,
                            len: 4,
                        }),
                        [a, b, c, d],
                    ) => host_ip = Some(Ipv4Addr::new(*a, *b, *c, *d)),
                    _ => {}
                }
            }
            "nat" => dnat |= u32_be(data, NFTA_NAT_TYPE) == Some(NFT_NAT_DNAT),
            _ => {}
        }
    }
    dnat.then_some(Published {
        proto: proto?,
        host_ip,
        host_port: host_port?,
    })
}

/// The attributes in `buf`: (type without its flags, payload).
fn attrs(buf: &[u8]) -> impl Iterator<Item = (u16, &[u8])> {
    let mut rest = buf;
    std::iter::from_fn(move || {
        if rest.len() < 4 {
            return None;
        }
        let len = u16::from_ne_bytes([rest[0], rest[1]]) as usize;
        let kind = u16::from_ne_bytes([rest[2], rest[3]]) & 0x3fff;
        if len < 4 || len > rest.len() {
            return None;
        }
        let payload = &rest[4..len];
        rest = rest.get(align(len)..).unwrap_or_default();
        Some((kind, payload))
    })
}

fn align(len: usize) -> usize {
    (len + 3) & !3
}

fn attr(buf: &[u8], kind: u16) -> Option<&[u8]> {
    attrs(buf).find(|(k, _)| *k == kind).map(|(_, v)| v)
}

/// A NUL-terminated string attribute.
fn string(buf: &[u8], kind: u16) -> Option<&str> {
    let v = attr(buf, kind)?;
    std::str::from_utf8(v.split(|b| *b == 0).next().unwrap_or_default()).ok()
}

fn u32_be(buf: &[u8], kind: u16) -> Option<u32> {
    Some(u32::from_be_bytes(attr(buf, kind)?.try_into().ok()?))
}

/// An nfnetlink socket in the caller's network namespace.
struct NfSocket {
    socket: Socket,
    sequence: u32,
}

impl NfSocket {
    fn open() -> io::Result<NfSocket> {
        let mut socket = Socket::new(NETLINK_NETFILTER)?;
        socket.bind_auto()?;
        socket.connect(&SocketAddr::new(0, 0))?;
        Ok(NfSocket {
            socket,
            sequence: 0,
        })
    }

    /// Dumps the `ip` family's objects of `kind` (GETTABLE, GETCHAIN, GETRULE), filtered
    /// by one string attribute when given; each object's attributes. Interrupted: the
    /// ruleset changed during the dump.
    fn dump(&mut self, kind: u16, filter: Option<(u16, &str)>) -> io::Result<Vec<Object>> {
        self.sequence = self.sequence.wrapping_add(1);
        let request = request(kind, self.sequence, filter);
        self.socket.send(&request, 0)?;
        let mut out = Vec::new();
        let mut interrupted = false;
        loop {
            let (buf, _) = self.socket.recv_from_full()?;
            let mut rest = buf.as_slice();
            while rest.len() >= HEADER {
                let len = u32::from_ne_bytes(rest[0..4].try_into().unwrap_or_default()) as usize;
                let kind = u16::from_ne_bytes([rest[4], rest[5]]);
                let flags = u16::from_ne_bytes([rest[6], rest[7]]);
                let seq = u32::from_ne_bytes(rest[8..12].try_into().unwrap_or_default());
                if len < HEADER || len > rest.len() {
                    return Err(io::Error::new(
                        io::ErrorKind::InvalidData,
                        "nf_tables sent a netlink message cut short",
                    ));
                }
                let message = &rest[HEADER..len];
                rest = rest.get(align(len)..).unwrap_or_default();
                if seq != self.sequence {
                    continue;
                }
                interrupted |= flags & NLM_F_DUMP_INTR != 0;
                match kind {
                    NLMSG_DONE if interrupted => {
                        return Err(io::Error::new(
                            io::ErrorKind::Interrupted,
                            "the ruleset changed during the dump",
                        ))
                    }
                    NLMSG_DONE => return Ok(out),
                    NLMSG_ERROR => {
                        let code = message
                            .get(..4)
                            .map(|c| i32::from_ne_bytes(c.try_into().unwrap_or_default()))
                            .unwrap_or(-libc::EIO);
                        if code == 0 {
                            return Ok(out);
                        }
                        return Err(io::Error::from_raw_os_error(-code));
                    }
                    _ => out.push(message.get(NFGENMSG..).unwrap_or_default().to_vec()),
                }
            }
        }
    }
}

/// A dump request: netlink header, nfgenmsg (the `ip` family), the filter attribute.
fn request(kind: u16, sequence: u32, filter: Option<(u16, &str)>) -> Vec<u8> {
    let mut body = vec![NFPROTO_IPV4, 0, 0, 0];
    if let Some((attr_kind, value)) = filter {
        let len = 4 + value.len() + 1;
        body.extend_from_slice(&(len as u16).to_ne_bytes());
        body.extend_from_slice(&attr_kind.to_ne_bytes());
        body.extend_from_slice(value.as_bytes());
        body.push(0);
        body.resize(align(body.len()), 0);
    }
    let mut out = Vec::with_capacity(HEADER + body.len());
    out.extend_from_slice(&((HEADER + body.len()) as u32).to_ne_bytes());
    out.extend_from_slice(&(NFNL_SUBSYS_NFTABLES << 8 | kind).to_ne_bytes());
    out.extend_from_slice(&(NLM_F_REQUEST | NLM_F_DUMP).to_ne_bytes());
    out.extend_from_slice(&sequence.to_ne_bytes());
    out.extend_from_slice(&0u32.to_ne_bytes());
    out.extend_from_slice(&body);
    out
}

#[cfg(test)]
#[path = "nftables_read_tests.rs"]
mod tests;
