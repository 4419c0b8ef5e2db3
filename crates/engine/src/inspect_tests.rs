//! The order of the keys Docker leaves out when empty (`omitempty`): where Docker 20.10 puts
//! them when they are there (its `HostConfig`, `Config` and `mount.Mount` structs), and maps
//! sorted as Go's `encoding/json` writes them.

use super::*;
use crate::store::tests::config;

fn keys(v: &Value) -> Vec<&str> {
    v.as_object()
        .map(|o| o.keys().map(String::as_str).collect())
        .unwrap_or_default()
}

/// The key after `key` in `v`.
fn after<'a>(v: &'a Value, key: &str) -> Option<&'a str> {
    let keys = keys(v);
    let at = keys.iter().position(|k| *k == key)?;
    keys.get(at + 1).copied()
}

#[test]
fn optional_keys_are_where_docker_puts_them() {
    let mut c = config(&"a".repeat(64), "web");
    c.request.init = true;
    c.request.stop_timeout = Some(3);
    c.stop_signal = Some("SIGQUIT".parse().unwrap());
    c.request.mounts = vec!["type=bind,source=/h,target=/c,readonly".parse().unwrap()];
    c.request.tmpfs = vec!["/t2:size=1m".parse().unwrap(), "/t1".parse().unwrap()];
    c.request.ports = vec!["90:90".parse().unwrap(), "8080:80".parse().unwrap()];
    let doc = container_document(&c, &State::default(), Path::new("/x"), &Context::default());
    let host = &doc["HostConfig"];
    assert_eq!(after(host, "SecurityOpt"), Some("Tmpfs"));
    assert_eq!(after(host, "Tmpfs"), Some("UTSMode"));
    assert_eq!(after(host, "IOMaximumBandwidth"), Some("Mounts"));
    assert_eq!(after(host, "Mounts"), Some("MaskedPaths"));
    assert_eq!(keys(host).last(), Some(&"Init"));
    assert_eq!(keys(&host["Tmpfs"]), ["/t1", "/t2"], "a Go map: sorted");
    assert_eq!(keys(&host["PortBindings"]), ["80/tcp", "90/tcp"]);
    assert_eq!(
        keys(&host["Mounts"][0]),
        ["Type", "Source", "Target", "ReadOnly"]
    );
    let config = &doc["Config"];
    assert_eq!(after(config, "AttachStderr"), Some("ExposedPorts"));
    assert_eq!(keys(&config["ExposedPorts"]), ["80/tcp", "90/tcp"]);
    let all = keys(config);
    assert_eq!(
        all[all.len() - 3..],
        ["Labels", "StopSignal", "StopTimeout"]
    );

    // Without them, they are not there at all.
    let plain = container_document(
        &config_of("b"),
        &State::default(),
        Path::new("/x"),
        &Context::default(),
    );
    for key in ["Tmpfs", "Mounts", "Init"] {
        assert!(plain["HostConfig"].get(key).is_none(), "{key}");
    }
    for key in ["ExposedPorts", "StopSignal", "StopTimeout"] {
        assert!(plain["Config"].get(key).is_none(), "{key}");
    }
}

fn config_of(c: &str) -> ContainerConfig {
    config(&c.repeat(64), c)
}
