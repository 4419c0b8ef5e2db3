//! The device rules a container's devices cgroup gets, as runc builds them: the spec's
//! `linux.resources.devices` (deny-all when there are none), then the devices every container
//! may use (null, zero, full, random, urandom, tty, ptmx, pts, tun, and mknod of anything).
//! A `linux.devices` node is only created: it is usable only if a rule allows it (runc).
//!
//! It only computes `LinuxResources`; six-cgroups writes them.

use oci_spec::runtime::{Linux, LinuxDeviceCgroup, LinuxResources};

fn rule(
    allow: bool,
    typ: &str,
    major: Option<i64>,
    minor: Option<i64>,
    access: &str,
) -> LinuxDeviceCgroup {
    serde_json::from_value(serde_json::json!({
        "allow": allow, "type": typ, "major": major, "minor": minor, "access": access
    }))
    .expect("a well-formed device rule")
}

/// runc's `AllowedDevices`.
pub fn default_rules() -> Vec<LinuxDeviceCgroup> {
    vec![
        rule(true, "c", None, None, "m"),
        rule(true, "b", None, None, "m"),
        rule(true, "c", Some(1), Some(3), "rwm"),    // null
        rule(true, "c", Some(1), Some(8), "rwm"),    // random
        rule(true, "c", Some(1), Some(7), "rwm"),    // full
        rule(true, "c", Some(5), Some(0), "rwm"),    // tty
        rule(true, "c", Some(1), Some(5), "rwm"),    // zero
        rule(true, "c", Some(1), Some(9), "rwm"),    // urandom
        rule(true, "c", Some(136), None, "rwm"),     // pts
        rule(true, "c", Some(5), Some(2), "rwm"),    // ptmx
        rule(true, "c", Some(10), Some(200), "rwm"), // tun
    ]
}

/// The resources to apply: the spec's, with the device rules completed.
pub fn resources_for(linux: &Linux) -> LinuxResources {
    let mut r = linux.resources().clone().unwrap_or_default();
    let mut rules = r.devices().clone().unwrap_or_default();
    if rules.is_empty() {
        rules.push(rule(false, "a", None, None, "rwm"));
    }
    rules.extend(default_rules());
    r.set_devices(Some(rules));
    r
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spec_rules_come_first_then_defaults_and_spec_devices_add_none() {
        let linux: Linux = serde_json::from_value(serde_json::json!({
            "resources": {"devices": [{"allow": false, "access": "rwm"}]},
            "devices": [{"path": "/dev/fuse", "type": "c", "major": 10, "minor": 229}]
        }))
        .unwrap();
        let rules = resources_for(&linux).devices().clone().unwrap();
        assert!(!rules[0].allow());
        assert_eq!(rules[1..], default_rules()[..]);
    }

    #[test]
    fn no_rules_means_deny_all_plus_defaults() {
        let rules = resources_for(&Linux::default()).devices().clone().unwrap();
        assert!(!rules[0].allow());
        assert_eq!(rules.len(), 1 + default_rules().len());
    }
}
