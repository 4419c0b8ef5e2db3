//! `features` as runc ≥ 1.1 prints it (runtime-spec's features document, four-space indent,
//! its keys in its order), and listing only what the runtime really does: a container with
//! every namespace listed runs, and so does one with a mount for every mount option listed.
//! Passes with RUNC=runc too.

mod common;

use common::*;

/// Whether the runtime under test is runc (RUNC=runc), not a sixrun.
fn under_runc() -> bool {
    runtime_binary()
        .file_name()
        .is_some_and(|n| n.to_string_lossy().starts_with("runc"))
}

fn features(s: &Sixrun) -> (String, serde_json::Value) {
    let text = s.ok(&["features"]);
    let v = serde_json::from_str(&text).unwrap_or_else(|e| panic!("{text}: {e}"));
    (text, v)
}

fn strings(v: &serde_json::Value) -> Vec<&str> {
    v.as_array()
        .unwrap_or_else(|| panic!("not a list: {v}"))
        .iter()
        .map(|s| s.as_str().unwrap())
        .collect()
}

/// Where each of `keys` is in `text` (in order), failing when one is missing.
fn in_order(text: &str, keys: &[&str]) {
    let at: Vec<usize> = keys
        .iter()
        .map(|k| {
            text.find(&format!("\"{k}\": "))
                .unwrap_or_else(|| panic!("no {k} in {text}"))
        })
        .collect();
    assert!(at.windows(2).all(|w| w[0] < w[1]), "not in order {keys:?}");
}

#[test]
fn features_is_runtime_specs_document_in_its_order() {
    let s = Sixrun::under_test();
    let (text, v) = features(&s);
    assert!(
        text.starts_with("{\n    \"ociVersionMin\": \"1.0.0\",\n    \"ociVersionMax\": \"1."),
        "{text}"
    );
    in_order(
        &text,
        &[
            "ociVersionMin",
            "ociVersionMax",
            "hooks",
            "mountOptions",
            "linux",
            "annotations",
        ],
    );
    in_order(
        &text,
        &[
            "namespaces",
            "capabilities",
            "cgroup",
            "seccomp",
            "apparmor",
            "selinux",
        ],
    );
    in_order(&text, &["enabled", "actions", "operators", "archs"]);
    assert_eq!(
        strings(&v["hooks"]),
        [
            "prestart",
            "createRuntime",
            "createContainer",
            "startContainer",
            "poststart",
            "poststop"
        ]
    );
    let options = strings(&v["mountOptions"]);
    assert!(
        options.windows(2).all(|w| w[0] < w[1]),
        "sorted: {options:?}"
    );
    for o in [
        "rro",
        "rbind",
        "rprivate",
        "nosymfollow",
        "tmpcopyup",
        "ro",
        "nodev",
    ] {
        assert!(options.contains(&o), "{o}");
    }
    let linux = &v["linux"];
    for ns in ["cgroup", "ipc", "mount", "network", "pid", "user", "uts"] {
        assert!(strings(&linux["namespaces"]).contains(&ns), "{ns}");
    }
    let caps = strings(&linux["capabilities"]);
    assert_eq!(caps[0], "CAP_CHOWN");
    assert!(caps.contains(&"CAP_SYS_ADMIN") && caps.contains(&"CAP_CHECKPOINT_RESTORE"));
    assert_eq!(linux["cgroup"]["v1"], true);
    assert_eq!(linux["cgroup"]["v2"], true);
    let seccomp = &linux["seccomp"];
    assert_eq!(seccomp["enabled"], true);
    assert!(strings(&seccomp["actions"]).contains(&"SCMP_ACT_NOTIFY"));
    assert_eq!(strings(&seccomp["operators"]).len(), 7);
    assert!(strings(&seccomp["archs"]).contains(&"SCMP_ARCH_X86_64"));
    assert!(linux["apparmor"]["enabled"].is_boolean());
    assert!(linux["selinux"]["enabled"].is_boolean());
    assert!(v["annotations"]
        .as_object()
        .unwrap()
        .values()
        .all(|a| a.is_string()));
}

#[test]
fn every_namespace_listed_is_one_a_container_gets() {
    let s = Sixrun::under_test();
    let (_, v) = features(&s);
    let listed: Vec<String> = strings(&v["linux"]["namespaces"])
        .into_iter()
        .map(str::to_owned)
        .collect();
    let b = bundle(
        &[
            "sh",
            "-c",
            "ls -l /proc/self/ns/ | tr -s ' ' | cut -d' ' -f9,11",
        ],
        |c| {
            let namespaces: Vec<serde_json::Value> = listed
                .iter()
                .filter(|n| n.as_str() != "user")
                .map(|n| serde_json::json!({"type": n}))
                .collect();
            c["linux"]["namespaces"] = namespaces.into();
            if listed.iter().any(|n| n == "user") {
                with_user_namespace(c);
            }
            c["root"]["readonly"] = false.into();
        },
    );
    // The rootfs must be reachable by the container's mapped root.
    let chown = std::process::Command::new("chown")
        .args(["-R", "100000:100000", b.rootfs().to_str().unwrap()])
        .status()
        .unwrap();
    assert!(chown.success());
    let id = s.new_id("ns");
    let out = s.ok(&["run", "--bundle", b.path().to_str().unwrap(), &id]);
    for ns in &listed {
        // /proc/self/ns names two of them otherwise.
        let link = match ns.as_str() {
            "mount" => "mnt",
            "network" => "net",
            other => other,
        };
        let ours = out
            .lines()
            .find(|l| l.starts_with(&format!("{link} ")))
            .unwrap_or_else(|| panic!("no {link} in {out}"));
        let host = std::fs::read_link(format!("/proc/self/ns/{link}")).unwrap();
        assert_ne!(
            ours.split(' ').nth(1).unwrap(),
            host.to_str().unwrap(),
            "{ns} is the host's"
        );
    }
}

#[test]
fn every_mount_option_listed_mounts() {
    let s = Sixrun::under_test();
    let (_, v) = features(&s);
    // A tmpfs for each option but those that need another source or an existing mount.
    let options: Vec<String> = strings(&v["mountOptions"])
        .into_iter()
        .filter(|o| !["bind", "rbind", "remount"].contains(o))
        // runc 1.1.5 lists "defaults" but hands it to the filesystem, which refuses it.
        .filter(|o| *o != "defaults" || !under_runc())
        .map(str::to_owned)
        .collect();
    let b = bundle(&["true"], |c| {
        let mounts = c["mounts"].as_array_mut().unwrap();
        for o in &options {
            mounts.push(serde_json::json!({
                "destination": format!("/opts/{o}"),
                "type": "tmpfs",
                "source": "tmpfs",
                "options": [o]
            }));
        }
        c["root"]["readonly"] = false.into();
    });
    let id = s.new_id("opts");
    let out = s.run(&["run", "--bundle", b.path().to_str().unwrap(), &id]);
    assert!(out.status.success(), "{}", stderr(&out));
}
