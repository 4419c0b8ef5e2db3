//! Unit tests of `device_rules.rs`: how rules read (as runc reads them) and the minimal
//! transitions between states, with no kernel.

use super::*;

fn rules(json: &str) -> Vec<LinuxDeviceCgroup> {
    serde_json::from_str(json).unwrap()
}

fn state(json: &str) -> DeviceRules {
    DeviceRules::from_oci(&rules(json)).unwrap()
}

fn lines(writes: &[Write]) -> Vec<String> {
    writes
        .iter()
        .map(|w| format!("{} {}", if w.allow { "allow" } else { "deny" }, w.line))
        .collect()
}

const DENY_ALL: &str = r#"{"allow": false, "access": "rwm"}"#;

#[test]
fn access_letters_are_a_set_and_unknown_ones_are_ignored_as_runc_does() {
    let s = state(&format!(
        r#"[{DENY_ALL},
            {{"allow": true, "type": "c", "major": 1, "minor": 3, "access": "rwa"}},
            {{"allow": true, "type": "c", "major": 251, "minor": 3, "access": "mw"}},
            {{"allow": true, "type": "c", "major": 251, "minor": 3, "access": "rr"}}]"#
    ));
    assert!(!s.default_allow);
    let got: Vec<String> = s
        .exceptions
        .iter()
        .map(|(d, a)| format!("{d} {a}"))
        .collect();
    assert_eq!(got, ["c 1:3 rw", "c 251:3 rwm"]);
}

#[test]
fn later_rules_take_access_back_and_a_resets_everything() {
    let s = state(&format!(
        r#"[{DENY_ALL},
            {{"allow": true, "type": "c", "major": 251, "minor": 3, "access": "rw"}},
            {{"allow": false, "type": "c", "major": 251, "minor": 3, "access": "w"}},
            {{"allow": true, "type": "b", "major": 8, "minor": 0, "access": "r"}},
            {{"allow": false, "type": "b", "major": 8, "minor": 0, "access": "rwm"}}]"#
    ));
    assert_eq!(s.exceptions.len(), 1);
    assert_eq!(
        s.exceptions.get(&Devices {
            kind: 'c',
            major: 251,
            minor: 3
        }),
        Some(&Access(Access::READ))
    );
    // An `a` rule's access letters do not matter, and it forgets what came before.
    let s = state(
        r#"[{"allow": true, "type": "c", "major": 1, "minor": 3, "access": "r"},
            {"allow": true, "type": "a", "access": "x"}]"#,
    );
    assert!(s.default_allow && s.exceptions.is_empty());
}

#[test]
fn what_runc_refuses_is_refused_naming_the_rule() {
    let err = |json: &str| DeviceRules::from_oci(&rules(json)).unwrap_err().to_string();
    let e = err(&format!(
        r#"[{DENY_ALL}, {{"allow": true, "type": "c", "major": 1, "minor": 3, "access": ""}}]"#
    ));
    assert!(
        e.starts_with("device rule 1 ") && e.contains("access is empty"),
        "{e}"
    );
    let e = err(r#"[{"allow": true, "type": "c", "major": 1, "minor": 3}]"#);
    assert!(e.contains("access is empty"), "{e}");
    let e = err(&format!(
        r#"[{DENY_ALL}, {{"allow": true, "type": "u", "major": 1, "minor": 3, "access": "rw"}}]"#
    ));
    assert!(e.contains("invalid cgroup device type \"u\""), "{e}");
    let e = err(&format!(
        r#"[{DENY_ALL}, {{"allow": true, "type": "c", "major": 1, "minor": 3, "access": "x"}}]"#
    ));
    assert!(e.contains("\"x\""), "{e}");
    let e = err(&format!(
        r#"[{DENY_ALL}, {{"allow": true, "type": "c", "major": -7, "access": "r"}}]"#
    ));
    assert!(e.contains("major number -7"), "{e}");
}

#[test]
fn a_hole_in_a_wildcard_exception_is_refused_not_silently_ignored() {
    let e = DeviceRules::from_oci(&rules(&format!(
        r#"[{DENY_ALL},
            {{"allow": true, "type": "c", "access": "rwm"}},
            {{"allow": false, "type": "c", "major": 1, "minor": 3, "access": "r"}}]"#
    )))
    .unwrap_err()
    .to_string();
    assert!(
        e.starts_with("device rule 2 ") && e.contains("c 1:3 r") && e.contains("c *:* rwm"),
        "{e}"
    );
    // Taking away letters the wildcard does not grant is fine.
    state(&format!(
        r#"[{DENY_ALL},
            {{"allow": true, "type": "c", "access": "m"}},
            {{"allow": true, "type": "c", "major": 1, "minor": 3, "access": "rw"}},
            {{"allow": false, "type": "c", "major": 1, "minor": 3, "access": "w"}}]"#
    ));
}

#[test]
fn devices_list_reads_back_allow_lists_and_the_allow_all_mode() {
    let s = DeviceRules::from_list("c *:* m\nb *:* m\nc 1:3 rwm\nc 136:* rw\n").unwrap();
    assert!(!s.default_allow);
    assert_eq!(s.exceptions.len(), 4);
    let s = DeviceRules::from_list("a *:* rwm\n").unwrap();
    assert!(s.default_allow && s.exceptions.is_empty());
    // An empty list is a cgroup that allows nothing.
    assert_eq!(DeviceRules::from_list("").unwrap(), DeviceRules::default());
    assert!(DeviceRules::from_list("c 1:x rwm").is_err());
    assert!(DeviceRules::from_list("c 1:3").is_err());
}

#[test]
fn a_fresh_cgroup_is_switched_to_deny_all_first_then_given_its_exceptions_in_order() {
    let fresh = DeviceRules::from_list("a *:* rwm").unwrap();
    let target = state(&format!(
        r#"[{DENY_ALL},
            {{"allow": true, "type": "c", "major": 136, "access": "rwm"}},
            {{"allow": true, "type": "c", "major": 1, "minor": 3, "access": "rwm"}},
            {{"allow": true, "type": "b", "access": "m"}}]"#
    ));
    assert_eq!(
        lines(&fresh.transition(&target)),
        [
            "deny a *:* rwm",
            "allow b *:* m",
            "allow c 1:3 rwm",
            "allow c 136:* rwm"
        ]
    );
}

#[test]
fn the_same_rules_again_write_nothing_and_a_change_writes_only_the_difference() {
    let running = DeviceRules::from_list("c 1:3 rw\nc 1:5 rwm\nc 251:3 rw\n").unwrap();
    let same = state(&format!(
        r#"[{DENY_ALL},
            {{"allow": true, "type": "c", "major": 251, "minor": 3, "access": "wr"}},
            {{"allow": true, "type": "c", "major": 1, "minor": 5, "access": "rwm"}},
            {{"allow": true, "type": "c", "major": 1, "minor": 3, "access": "rwa"}}]"#
    ));
    assert!(running.transition(&same).is_empty());
    let changed = state(&format!(
        r#"[{DENY_ALL},
            {{"allow": true, "type": "c", "major": 251, "minor": 3, "access": "rm"}},
            {{"allow": true, "type": "c", "major": 1, "minor": 3, "access": "rw"}},
            {{"allow": true, "type": "c", "major": 1, "minor": 9, "access": "r"}}]"#
    ));
    // Never "a": /dev/null stays usable throughout, nothing is allowed that both deny.
    assert_eq!(
        lines(&running.transition(&changed)),
        [
            "deny c 1:5 rwm",
            "deny c 251:3 w",
            "allow c 1:9 r",
            "allow c 251:3 m"
        ]
    );
    // To allow-all and back: the mode switch is the only way.
    let all = state(r#"[{"allow": true, "access": "rwm"}]"#);
    assert_eq!(lines(&running.transition(&all)), ["allow a *:* rwm"]);
}

#[test]
fn clean_rules_mean_the_same_state() {
    let s = state(&format!(
        r#"[{DENY_ALL},
            {{"allow": true, "type": "c", "major": 251, "minor": 3, "access": "rwa"}},
            {{"allow": true, "type": "b", "access": "m"}}]"#
    ));
    let clean = s.to_oci();
    assert_eq!(clean.len(), 3);
    assert_eq!(clean[0].access().as_deref(), Some("rwm"));
    assert!(!clean[0].allow());
    assert_eq!(DeviceRules::from_oci(&clean).unwrap(), s);
    let blacklist = state(
        r#"[{"allow": true, "access": "rwm"},
            {"allow": false, "type": "c", "major": 251, "minor": 3, "access": "w"}]"#,
    );
    assert_eq!(
        DeviceRules::from_oci(&blacklist.to_oci()).unwrap(),
        blacklist
    );
}
