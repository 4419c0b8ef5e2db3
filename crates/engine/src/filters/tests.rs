//! Table tests of Docker's filter semantics (moby's api/types/filters/parse_test.go cases and
//! the behaviours `docker ps/images/network ls --filter` show against dockerd 20.10).

use std::collections::BTreeMap;

use super::*;

fn filters(pairs: &[(&str, &str)]) -> Filters {
    pairs.iter().copied().collect()
}

fn labels(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
    pairs
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect()
}

#[test]
fn the_command_line_form() {
    let a: FilterArg = " Name = web ".parse().unwrap();
    assert_eq!((a.key.as_str(), a.value.as_str()), ("name", "web"));
    let a: FilterArg = "label=a=b".parse().unwrap();
    assert_eq!((a.key.as_str(), a.value.as_str()), ("label", "a=b"));
    let a: FilterArg = "dangling=".parse().unwrap();
    assert_eq!(a.value, "");
    assert_eq!(
        "web".parse::<FilterArg>().unwrap_err(),
        "bad format of filter (expected name=value)"
    );
}

#[test]
fn unknown_keys_are_refused_by_name() {
    let f = filters(&[("name", "a"), ("foo", "1")]);
    assert_eq!(
        f.validate(&["name"]).unwrap_err().to_string(),
        "invalid filter 'foo'"
    );
    assert!(f.validate(&["name", "foo"]).is_ok());
    assert!(Filters::default().validate(&[]).is_ok());
}

#[test]
fn match_is_exact_or_an_unanchored_regex() {
    // (filter values, source, expected)
    let cases: &[(&[&str], &str, bool)] = &[
        (&[], "anything", true),
        (&["web"], "web", true),
        (&["web"], "myweb2", true),
        (&["^web$"], "myweb", false),
        (&["^/web"], "/web1", true),
        (&["db", "web"], "web", true),
        (&["db", "cache"], "web", false),
        (&["("], "(", true),
        (&["("], "x(", false),
        (&["w.b"], "wxb", true),
    ];
    for (values, source, want) in cases {
        let f: Filters = values.iter().map(|v| ("name", *v)).collect();
        assert_eq!(f.matches("name", source), *want, "{values:?} vs {source}");
    }
}

#[test]
fn exact_and_fuzzy_match() {
    let f = filters(&[("status", "running"), ("event", "exec_start")]);
    assert!(f.exact_match("status", "running"));
    assert!(!f.exact_match("status", "run"));
    assert!(
        f.exact_match("other", "x"),
        "a key without values lets all through"
    );
    assert!(f.fuzzy_match("event", "exec_start: sh -c true"));
    assert!(!f.fuzzy_match("event", "exec_die"));
}

#[test]
fn labels_must_all_hold() {
    let have = labels(&[("team", "a"), ("tier", "web")]);
    let cases: &[(&[&str], bool)] = &[
        (&[], true),
        (&["team"], true),
        (&["team=a"], true),
        (&["team=b"], false),
        (&["team", "tier=web"], true),
        (&["team=a", "tier=db"], false),
        (&["owner"], false),
        (&["team="], false),
        (&["tier=web=x"], false),
    ];
    for (values, want) in cases {
        let f: Filters = values.iter().map(|v| ("label", *v)).collect();
        assert_eq!(f.match_kv_list("label", &have), *want, "{values:?}");
    }
    let f = filters(&[("label", "team")]);
    assert!(!f.match_kv_list("label", &BTreeMap::new()));
    let with_empty = labels(&[("flag", "")]);
    assert!(filters(&[("label", "flag=")]).match_kv_list("label", &with_empty));
}

#[test]
fn repeated_keys_or_different_keys_and() {
    // Two values of one key: either; two keys: both (as ps's name + status).
    let f = filters(&[("name", "^a$"), ("name", "^b$"), ("status", "running")]);
    let pass = |name, status| f.matches("name", name) && f.matches("status", status);
    assert!(pass("a", "running"));
    assert!(pass("b", "running"));
    assert!(!pass("c", "running"));
    assert!(!pass("a", "exited"));
}

#[test]
fn booleans_as_docker_reads_them() {
    assert!(Filters::default().bool_or("dangling", true).unwrap());
    assert!(filters(&[("dangling", "1")])
        .bool_or("dangling", false)
        .unwrap());
    assert!(!filters(&[("dangling", "false")])
        .bool_or("dangling", true)
        .unwrap());
    assert_eq!(
        filters(&[("dangling", "x")])
            .bool_or("dangling", true)
            .unwrap_err()
            .to_string(),
        "invalid filter 'dangling=[x]'"
    );
    assert!(
        filters(&[("dangling", "true"), ("dangling", "false")])
            .bool_or("dangling", true)
            .is_err(),
        "true and false at once"
    );
}

#[test]
fn network_filters() {
    let nets = vec![
        NetworkView {
            name: "bridge".into(),
            id: "aaa111".into(),
            driver: "bridge".into(),
            scope: "local".into(),
            containers: 0,
            ..Default::default()
        },
        NetworkView {
            name: "none".into(),
            id: "bbb222".into(),
            driver: "null".into(),
            scope: "local".into(),
            ..Default::default()
        },
        NetworkView {
            name: "front".into(),
            id: "ccc333".into(),
            driver: "bridge".into(),
            scope: "local".into(),
            containers: 2,
            labels: labels(&[("env", "prod")]),
        },
        NetworkView {
            name: "unused".into(),
            id: "ddd444".into(),
            driver: "bridge".into(),
            scope: "local".into(),
            ..Default::default()
        },
    ];
    let names = |pairs: &[(&str, &str)]| -> Vec<String> {
        filter_networks(nets.clone(), |n| n.clone(), &filters(pairs))
            .unwrap()
            .into_iter()
            .map(|n| n.name)
            .collect()
    };
    assert_eq!(names(&[]), ["bridge", "none", "front", "unused"]);
    assert_eq!(
        names(&[("driver", "bridge")]),
        ["bridge", "front", "unused"]
    );
    assert_eq!(
        names(&[("driver", "bri")]),
        Vec::<String>::new(),
        "driver is exact"
    );
    assert_eq!(
        names(&[("name", "n")]),
        ["none", "front", "unused"],
        "name is a regex"
    );
    assert_eq!(names(&[("id", "^ccc")]), ["front"]);
    assert_eq!(names(&[("label", "env=prod")]), ["front"]);
    assert_eq!(names(&[("type", "builtin")]), ["bridge", "none"]);
    assert_eq!(names(&[("type", "custom")]), ["front", "unused"]);
    assert_eq!(names(&[("dangling", "true")]), ["unused"]);
    assert_eq!(names(&[("dangling", "0")]), ["bridge", "none", "front"]);
    assert_eq!(names(&[("scope", "swarm")]), Vec::<String>::new());
    let err = |pairs: &[(&str, &str)]| {
        filter_networks(nets.clone(), |n| n.clone(), &filters(pairs))
            .unwrap_err()
            .to_string()
    };
    assert_eq!(err(&[("foo", "1")]), "invalid filter 'foo'");
    assert_eq!(err(&[("type", "x")]), "invalid filter 'type=x'");
    assert!(err(&[("dangling", "x")]).starts_with("invalid value for filter 'dangling'"));
    assert_eq!(
        err(&[("dangling", "true"), ("dangling", "false")]),
        "got more than one value for filter key \"dangling\""
    );
}
