//! Part of the nftables backend: reading what the stores have from `nft -j` (nft's JSON
//! output, its interface for programs): the tables named `sixdocker-<store>`, their
//! chains, their rules with handle, comment (the tag) and, for DNAT rules, the published
//! port; and whether iptables' FORWARD chain drops by default. Never runs `nft` itself.

use std::net::Ipv4Addr;

use serde_json::Value;

use super::{Installed, InstalledRule, Published};
use crate::Proto;

/// The store whose table this is (`sixdocker-<store>`).
pub(super) fn store_of_table(name: &str) -> Option<&str> {
    name.strip_prefix("sixdocker-")
}

/// The objects of `nft -j list ...` output.
fn objects(json: &str) -> Result<Vec<Value>, String> {
    let mut value: Value =
        serde_json::from_str(json).map_err(|e| format!("nft printed JSON it cannot read: {e}"))?;
    match value.get_mut("nftables").map(Value::take) {
        Some(Value::Array(items)) => Ok(items),
        _ => Err("nft printed JSON without an \"nftables\" list".to_string()),
    }
}

/// What every store has, from `nft -j list ruleset ip`.
pub(super) fn parse(json: &str) -> Result<Installed, String> {
    let mut now = Installed::default();
    for item in objects(json)? {
        if let Some(table) = item.get("table") {
            if let Some(store) = text(table, "name").and_then(store_of_table) {
                now.add_store(store);
            }
        } else if let Some(chain) = item.get("chain") {
            if let (Some(table), Some(name)) = (text(chain, "table"), text(chain, "name")) {
                if store_of_table(table).is_some() {
                    now.chains.push(format!("{table} {name}"));
                }
            }
        } else if let Some(rule) = item.get("rule") {
            let (Some(store), Some(chain), Some(handle)) = (
                text(rule, "table").and_then(store_of_table),
                text(rule, "chain"),
                rule.get("handle").and_then(Value::as_u64),
            ) else {
                continue;
            };
            let expr = rule.get("expr").and_then(Value::as_array);
            now.rules.push(InstalledRule {
                store: store.to_string(),
                tag: text(rule, "comment").map(str::to_string),
                published: expr
                    .and_then(|e| published_by(e))
                    .filter(|_| chain == "ports"),
                place: chain.to_string(),
                text: handle.to_string(),
            });
        }
    }
    Ok(now)
}

/// Does iptables' FORWARD chain (table `ip filter`, as iptables-nft keeps it) drop by
/// default? From `nft -j list chains ip`.
pub(super) fn forward_drops(json: &str) -> Result<bool, String> {
    Ok(objects(json)?
        .iter()
        .filter_map(|i| i.get("chain"))
        .any(|c| {
            text(c, "table") == Some("filter")
                && text(c, "name") == Some("FORWARD")
                && text(c, "policy") == Some("drop")
        }))
}

fn text<'a>(object: &'a Value, key: &str) -> Option<&'a str> {
    object.get(key).and_then(Value::as_str)
}

/// The port a DNAT rule publishes: its `tcp|udp dport` match and its `ip daddr` match.
fn published_by(expr: &[Value]) -> Option<Published> {
    expr.iter().find(|e| e.get("dnat").is_some())?;
    let (mut proto, mut host_port, mut host_ip) = (None, None, None);
    for m in expr.iter().filter_map(|e| e.get("match")) {
        if text(m, "op") != Some("==") {
            continue;
        }
        let payload = &m["left"]["payload"];
        match (text(payload, "protocol"), text(payload, "field")) {
            (Some(p @ ("tcp" | "udp")), Some("dport")) => {
                proto = Some(if p == "tcp" { Proto::Tcp } else { Proto::Udp });
                host_port = m["right"].as_u64().and_then(|n| u16::try_from(n).ok());
            }
            (Some("ip"), Some("daddr")) => {
                host_ip = m["right"].as_str().and_then(|a| a.parse::<Ipv4Addr>().ok());
            }
            _ => {}
        }
    }
    Some(Published {
        proto: proto?,
        host_ip,
        host_port: host_port?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// As nft 1.0.6 prints it (cut to what matters), with a table of another program.
    const RULESET: &str = r#"{"nftables": [{"metainfo": {"version": "1.0.6", "json_schema_version": 1}},
        {"table": {"family": "ip", "name": "filter", "handle": 2}},
        {"chain": {"family": "ip", "table": "filter", "name": "FORWARD", "handle": 1, "type": "filter", "hook": "forward", "prio": 0, "policy": "accept"}},
        {"rule": {"family": "ip", "table": "filter", "chain": "FORWARD", "handle": 4, "comment": "six:x", "expr": [{"accept": null}]}},
        {"table": {"family": "ip", "name": "sixdocker-ab", "handle": 1}},
        {"chain": {"family": "ip", "table": "sixdocker-ab", "name": "ports", "handle": 1}},
        {"chain": {"family": "ip", "table": "sixdocker-ab", "name": "nat-in", "handle": 2, "type": "nat", "hook": "prerouting", "prio": -100, "policy": "accept"}},
        {"rule": {"family": "ip", "table": "sixdocker-ab", "chain": "ports", "handle": 9, "comment": "six:n1:c1", "expr": [{"match": {"op": "==", "left": {"payload": {"protocol": "ip", "field": "daddr"}}, "right": "127.0.0.1"}}, {"match": {"op": "==", "left": {"payload": {"protocol": "tcp", "field": "dport"}}, "right": 8080}}, {"dnat": {"addr": "10.0.0.2", "port": 80}}]}},
        {"rule": {"family": "ip", "table": "sixdocker-ab", "chain": "ports", "handle": 10, "comment": "six:n1:c2", "expr": [{"match": {"op": "==", "left": {"payload": {"protocol": "udp", "field": "dport"}}, "right": 5353}}, {"dnat": {"addr": "10.0.0.2", "port": 53}}]}},
        {"rule": {"family": "ip", "table": "sixdocker-ab", "chain": "nat-in", "handle": 3, "expr": [{"match": {"op": "==", "left": {"fib": {"result": "type", "flags": ["daddr"]}}, "right": "local"}}, {"jump": {"target": "ports"}}]}},
        {"table": {"family": "ip", "name": "sixdocker-cd", "handle": 5}}
    ]}"#;

    #[test]
    fn reads_stores_chains_rules_and_published_ports() {
        let now = parse(RULESET).unwrap();
        assert_eq!(now.stores, vec!["ab", "cd"]);
        assert_eq!(
            now.chains,
            vec!["sixdocker-ab ports", "sixdocker-ab nat-in"]
        );
        assert_eq!(now.rules.len(), 3, "{:?}", now.rules);
        assert_eq!(
            now.tags("ab").collect::<Vec<_>>(),
            vec!["six:n1:c1", "six:n1:c2"]
        );
        let jump = &now.rules[2];
        assert_eq!(
            (jump.place.as_str(), jump.text.as_str(), jump.tag.as_deref()),
            ("nat-in", "3", None)
        );
        assert_eq!(
            now.published(),
            vec![
                Published {
                    proto: Proto::Tcp,
                    host_ip: Some(Ipv4Addr::LOCALHOST),
                    host_port: 8080,
                },
                Published {
                    proto: Proto::Udp,
                    host_ip: None,
                    host_port: 5353,
                },
            ]
        );
        assert!(!now.has_rules("cd"));
        assert!(!forward_drops(RULESET).unwrap());
        assert!(forward_drops(&RULESET.replace(
            r#""policy": "accept"}},
        {"rule""#,
            r#""policy": "drop"}},
        {"rule""#
        ))
        .unwrap());
    }

    #[test]
    fn output_that_is_not_nfts_json_is_an_error() {
        assert!(parse("table ip x {}").is_err());
        assert!(parse("{}").is_err());
        assert_eq!(parse(r#"{"nftables": []}"#).unwrap(), Installed::default());
    }
}
