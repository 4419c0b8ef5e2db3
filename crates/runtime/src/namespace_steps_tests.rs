//! The namespace steps against the recording [`ProcessSys`](crate::process_sys::ProcessSys):
//! which namespaces are joined and made, in which order, and the names, keyring and
//! personality — without root.

use std::os::fd::{AsFd, AsRawFd, OwnedFd};
use std::path::PathBuf;

use nix::errno::Errno;
use nix::sched::CloneFlags;
use oci_spec::runtime::{LinuxNamespaceType, Spec};

use super::*;
use crate::process_sys_fake::{Call, Recording};

fn spec(json: serde_json::Value) -> Spec {
    let mut base = serde_json::json!({
        "ociVersion": "1.0.2",
        "root": {"path": "rootfs"},
        "process": {"args": ["sh"], "cwd": "/", "user": {"uid": 0, "gid": 0}},
        "linux": {}
    });
    if let (Some(b), Some(extra)) = (base.as_object_mut(), json.as_object()) {
        for (k, v) in extra {
            b.insert(k.clone(), v.clone());
        }
    }
    serde_json::from_value(base).unwrap()
}

fn namespaces(list: serde_json::Value) -> (Spec, NamespacePlan) {
    let s = spec(serde_json::json!({"linux": {"namespaces": list}}));
    let plan = NamespacePlan::from_spec(&s).unwrap();
    (s, plan)
}

fn open(path: &str) -> Call {
    Call::OpenNamespace(PathBuf::from(path))
}

fn setns(path: &str, flag: CloneFlags) -> Call {
    Call::Setns(PathBuf::from(path), flag)
}

#[test]
fn a_joined_user_namespace_comes_first_then_the_new_ones_root_and_the_cgroup_namespace() {
    let (s, plan) = namespaces(serde_json::json!([
        {"type": "mount"}, {"type": "network", "path": "/run/netns/web"},
        {"type": "uts"}, {"type": "cgroup"}, {"type": "user", "path": "/proc/42/ns/user"}
    ]));
    let mut sys = Recording::default();
    enter_container(&mut sys, &plan, &s, Some("_ses.web")).unwrap();
    assert_eq!(
        sys.calls,
        [
            // User first: it grants the rights to join the others.
            open("/proc/42/ns/user"),
            setns("/proc/42/ns/user", CloneFlags::CLONE_NEWUSER),
            open("/run/netns/web"),
            setns("/run/netns/web", CloneFlags::CLONE_NEWNET),
            // New namespaces must belong to the joined user namespace: made now, not at clone.
            Call::Unshare(CloneFlags::CLONE_NEWUTS | CloneFlags::CLONE_NEWNS),
            Call::Setresgid(0),
            Call::Setresuid(0),
            // Rooted at the cgroup joined by now.
            Call::Unshare(CloneFlags::CLONE_NEWCGROUP),
            Call::SessionKeyring("_ses.web".into()),
        ]
    );
}

#[test]
fn without_a_user_namespace_nothing_is_unshared_and_ids_stay() {
    let (_, plan) = namespaces(serde_json::json!([
        {"type": "pid"}, {"type": "mount"}, {"type": "ipc", "path": "/proc/7/ns/ipc"}
    ]));
    let s = spec(serde_json::json!({"hostname": "web", "domainname": "example.org"}));
    let mut sys = Recording::default();
    enter_container(&mut sys, &plan, &s, None).unwrap();
    assert_eq!(
        sys.calls,
        [
            open("/proc/7/ns/ipc"),
            setns("/proc/7/ns/ipc", CloneFlags::CLONE_NEWIPC),
            Call::Sethostname("web".into()),
            Call::Setdomainname("example.org".into()),
        ]
    );
}

#[test]
fn a_new_user_namespace_from_the_clone_makes_the_init_its_root() {
    let (_, plan) = namespaces(serde_json::json!([{"type": "user"}, {"type": "mount"}]));
    let mut sys = Recording::default();
    enter_namespaces(&mut sys, &plan).unwrap();
    assert_eq!(sys.calls, [Call::Setresgid(0), Call::Setresuid(0)]);
    let mut sys = Recording {
        fail: vec!["setresuid"],
        ..Default::default()
    };
    let err = enter_namespaces(&mut sys, &plan).unwrap_err();
    assert!(
        err.contains("becoming root in the user namespace (is 0 mapped?)"),
        "{err}"
    );
}

#[test]
fn a_namespace_that_cannot_be_opened_or_joined_is_named() {
    let (_, plan) = namespaces(serde_json::json!([{"type": "network", "path": "/run/netns/x"}]));
    let mut sys = Recording {
        fail: vec!["open_namespace"],
        ..Default::default()
    };
    let err = enter_namespaces(&mut sys, &plan).unwrap_err();
    assert!(
        err.starts_with("opening net namespace \"/run/netns/x\""),
        "{err}"
    );
    let mut sys = Recording {
        fail: vec!["setns"],
        ..Default::default()
    };
    let err = enter_namespaces(&mut sys, &plan).unwrap_err();
    assert_eq!(
        err,
        "joining net namespace \"/run/netns/x\": EPERM: Operation not permitted"
    );
}

#[test]
fn names_are_set_only_when_given_and_a_refusal_names_the_value() {
    let mut sys = Recording::default();
    set_names(&mut sys, &spec(serde_json::json!({"hostname": ""}))).unwrap();
    assert!(sys.calls.is_empty());
    let mut sys = Recording {
        fail: vec!["sethostname"],
        ..Default::default()
    };
    let err = set_names(&mut sys, &spec(serde_json::json!({"hostname": "web"}))).unwrap_err();
    assert!(err.starts_with("sethostname \"web\": "), "{err}");
}

#[test]
fn a_kernel_without_keyrings_is_no_error_a_refusal_is() {
    let mut sys = Recording {
        keyring_error: Some(Errno::ENOSYS),
        ..Default::default()
    };
    join_session_keyring(&mut sys, "_ses.a").unwrap();
    let mut sys = Recording {
        keyring_error: Some(Errno::EDQUOT),
        ..Default::default()
    };
    let err = join_session_keyring(&mut sys, "_ses.a").unwrap_err();
    assert!(
        err.starts_with("joining a new session keyring \"_ses.a\""),
        "{err}"
    );
}

#[test]
fn the_child_dies_with_its_parent_until_it_must_outlive_it() {
    let mut sys = Recording::default();
    guard_child(&mut sys).unwrap();
    outlive_parent(&mut sys).unwrap();
    assert_eq!(
        sys.calls,
        [
            Call::ParentDeathSignal(libc::SIGKILL),
            Call::Undumpable,
            Call::ParentDeathSignal(0)
        ]
    );
    let mut sys = Recording {
        fail: vec!["set_undumpable"],
        ..Default::default()
    };
    assert!(guard_child(&mut sys)
        .unwrap_err()
        .starts_with("PR_SET_DUMPABLE"));
}

#[test]
fn the_personality_is_the_specs_domain() {
    let mut sys = Recording::default();
    set_personality(&mut sys, &spec(serde_json::json!({}))).unwrap();
    let linux32 = spec(serde_json::json!({"linux": {"personality": {"domain": "LINUX32"}}}));
    set_personality(&mut sys, &linux32).unwrap();
    let linux = spec(serde_json::json!({"linux": {"personality": {"domain": "LINUX"}}}));
    set_personality(&mut sys, &linux).unwrap();
    assert_eq!(sys.calls, [Call::Personality(0x0008), Call::Personality(0)]);
}

#[test]
fn an_exec_joins_the_opened_namespaces_in_their_order() {
    let fd = || OwnedFd::from(std::fs::File::open("/dev/null").unwrap());
    let opened = [
        (LinuxNamespaceType::User, fd()),
        (LinuxNamespaceType::Network, fd()),
        (LinuxNamespaceType::Mount, fd()),
    ];
    let name = |i: usize| format!("fd:{}", opened[i].1.as_raw_fd());
    let mut sys = Recording::default();
    join_opened(&mut sys, &opened).unwrap();
    assert_eq!(
        sys.calls,
        [
            setns(&name(0), CloneFlags::CLONE_NEWUSER),
            setns(&name(1), CloneFlags::CLONE_NEWNET),
            setns(&name(2), CloneFlags::CLONE_NEWNS),
        ]
    );
    let mut sys = Recording {
        fail: vec!["setns"],
        ..Default::default()
    };
    let err = join_opened(&mut sys, &opened).unwrap_err();
    assert!(err.starts_with("joining the user namespace: "), "{err}");
}

#[test]
fn a_pid_namespace_is_entered_for_the_clone_and_left_after() {
    let target = OwnedFd::from(std::fs::File::open("/dev/null").unwrap());
    let mut sys = Recording::default();
    let own = enter_pid_ns(&mut sys, target.as_fd()).unwrap();
    leave_pid_ns(&mut sys, own).unwrap();
    assert_eq!(
        sys.calls,
        [
            open("/proc/self/ns/pid"),
            setns(
                &format!("fd:{}", target.as_raw_fd()),
                CloneFlags::CLONE_NEWPID
            ),
            setns("/proc/self/ns/pid", CloneFlags::CLONE_NEWPID),
        ]
    );
}

#[test]
fn setgroups_is_allowed_unless_the_user_namespace_denies_it() {
    let allowed = |text: Option<&'static str>| {
        let mut sys = Recording {
            setgroups: text,
            ..Default::default()
        };
        setgroups_allowed(&mut sys)
    };
    assert!(!allowed(Some("deny\n")));
    assert!(allowed(Some("allow\n")));
    assert!(allowed(None));
}
