//! Unit tests of `nftables_read.rs`: nf_tables' netlink objects as the kernel sends them
//! (built here attribute by attribute) read back into rules, comments and published ports.

use super::*;

/// An attribute, as the kernel writes one (nested ones are attributes in a payload).
fn a(kind: u16, payload: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    out.extend_from_slice(&((4 + payload.len()) as u16).to_ne_bytes());
    out.extend_from_slice(&kind.to_ne_bytes());
    out.extend_from_slice(payload);
    out.resize(align(out.len()), 0);
    out
}

fn be(n: u32) -> Vec<u8> {
    n.to_be_bytes().to_vec()
}

fn expr(name: &str, data: Vec<Vec<u8>>) -> Vec<u8> {
    let name = a(NFTA_EXPR_NAME, format!("{name}\0").as_bytes());
    a(
        NFTA_LIST_ELEM,
        &[name, a(NFTA_EXPR_DATA, &data.concat())].concat(),
    )
}

fn payload(reg: u32, base: u32, offset: u32, len: u32) -> Vec<u8> {
    expr(
        "payload",
        vec![
            a(NFTA_PAYLOAD_DREG, &be(reg)),
            a(NFTA_PAYLOAD_BASE, &be(base)),
            a(NFTA_PAYLOAD_OFFSET, &be(offset)),
            a(NFTA_PAYLOAD_LEN, &be(len)),
        ],
    )
}

fn cmp_eq(reg: u32, value: &[u8]) -> Vec<u8> {
    expr(
        "cmp",
        vec![
            a(NFTA_CMP_SREG, &be(reg)),
            a(NFTA_CMP_OP, &be(NFT_CMP_EQ)),
            a(NFTA_CMP_DATA, &a(NFTA_DATA_VALUE, value)),
        ],
    )
}

/// `[ip daddr 127.0.0.1] tcp|udp dport PORT dnat to ...` as nft 1.0.6 compiles it:
/// registers 8 and 9 (32-bit), the l4proto dependency before the port.
fn dnat_rule(chain: &str, handle: u64, tag: &str, proto: u8, port: u16, local: bool) -> Vec<u8> {
    let mut e = Vec::new();
    if local {
        e.push(payload(8, NFT_PAYLOAD_NETWORK_HEADER, 16, 4));
        e.push(cmp_eq(8, &[127, 0, 0, 1]));
    }
    e.push(expr(
        "meta",
        vec![
            a(NFTA_META_KEY, &be(NFT_META_L4PROTO)),
            a(NFTA_META_DREG, &be(8)),
        ],
    ));
    e.push(cmp_eq(8, &[proto]));
    e.push(payload(8, NFT_PAYLOAD_TRANSPORT_HEADER, 2, 2));
    e.push(cmp_eq(8, &port.to_be_bytes()));
    e.push(expr("immediate", vec![]));
    e.push(expr("nat", vec![a(NFTA_NAT_TYPE, &be(NFT_NAT_DNAT))]));
    let mut udata = vec![NFTNL_UDATA_RULE_COMMENT, (tag.len() + 1) as u8];
    udata.extend_from_slice(tag.as_bytes());
    udata.push(0);
    [
        a(NFTA_RULE_TABLE, b"sixdocker-ab\0"),
        a(NFTA_RULE_CHAIN, format!("{chain}\0").as_bytes()),
        a(NFTA_RULE_HANDLE, &handle.to_be_bytes()),
        a(NFTA_RULE_EXPRESSIONS, &e.concat()),
        a(NFTA_RULE_USERDATA, &udata),
    ]
    .concat()
}

#[test]
fn reads_a_rules_chain_handle_comment_and_published_port() {
    let tcp = dnat_rule("ports", 9, "six:n1:c1", 6, 8080, true);
    let r = installed_rule(&tcp, "ab").unwrap();
    assert_eq!(
        (r.place.as_str(), r.text.as_str(), r.tag.as_deref()),
        ("ports", "9", Some("six:n1:c1"))
    );
    assert_eq!(
        r.published,
        Some(Published {
            proto: Proto::Tcp,
            host_ip: Some(Ipv4Addr::LOCALHOST),
            host_port: 8080,
        })
    );
    let udp = installed_rule(&dnat_rule("ports", 10, "six:n1:c2", 17, 5353, false), "ab");
    assert_eq!(
        udp.unwrap().published,
        Some(Published {
            proto: Proto::Udp,
            host_ip: None,
            host_port: 5353,
        })
    );
    // only DNAT rules of `ports` publish; a rule without a comment has no tag
    let elsewhere = installed_rule(&dnat_rule("nat-in", 3, "x", 6, 80, false), "ab");
    assert_eq!(elsewhere.unwrap().published, None);
    let jump = [
        a(NFTA_RULE_CHAIN, b"nat-in\0"),
        a(NFTA_RULE_HANDLE, &3u64.to_be_bytes()),
        a(NFTA_RULE_EXPRESSIONS, &expr("immediate", vec![])),
    ]
    .concat();
    let jump = installed_rule(&jump, "ab").unwrap();
    assert_eq!((jump.tag, jump.published), (None, None));
}

#[test]
fn the_request_names_the_family_and_the_table() {
    let r = request(NFT_MSG_GETRULE, 7, Some((NFTA_RULE_TABLE, "sixdocker-ab")));
    assert_eq!(r.len(), HEADER + NFGENMSG + 4 + 16);
    assert_eq!(
        u32::from_ne_bytes(r[0..4].try_into().unwrap()) as usize,
        r.len()
    );
    assert_eq!(u16::from_ne_bytes([r[4], r[5]]), 10 << 8 | 7);
    assert_eq!(r[HEADER], NFPROTO_IPV4);
    assert_eq!(
        string(&r[HEADER + NFGENMSG..], NFTA_RULE_TABLE),
        Some("sixdocker-ab")
    );
    // attributes cut short end the walk, never panic
    assert_eq!(attrs(&[8, 0, 1, 0, 1]).count(), 0);
    assert_eq!(comment(&[0, 40, b's']), None);
}
