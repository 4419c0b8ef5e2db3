//! Seccomp user notification as runc does it: a profile with `SCMP_ACT_NOTIFY` rules and a
//! `listenerPath` gets, for the container's process and for each `exec`, one connection to
//! that unix socket carrying the container's process state (JSON with `listenerMetadata`)
//! and the notification fd (SCM_RIGHTS); the agent then answers the notified syscalls.
//! Without an agent listening, the container is not created.
//!
//! `RUNC=runc cargo test -p sixrun --test seccomp_notify` runs the same against runc.

mod common;

use std::os::fd::{AsRawFd, OwnedFd};
use std::os::unix::net::UnixListener;
use std::path::Path;

use common::*;

/// Prints what getsid(0) returned (a number, or the errno's name), then exits.
const PROBE: &str = r#"
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <sys/syscall.h>

int main(void) {
    long r = syscall(SYS_getsid, 0);
    if (r < 0) printf("sid=%s\n", strerrorname_np(errno));
    else printf("sid=%ld\n", r);
    return 0;
}
"#;

/// What the agent answers every notified getsid with.
const ANSWER: i64 = 4242;

/// struct seccomp_notif and struct seccomp_notif_resp (linux/seccomp.h).
#[repr(C)]
struct Notif {
    id: u64,
    pid: u32,
    flags: u32,
    nr: i32,
    arch: u32,
    ip: u64,
    args: [u64; 6],
}

#[repr(C)]
struct NotifResp {
    id: u64,
    val: i64,
    error: i32,
    flags: u32,
}

const NOTIF_RECV: libc::c_ulong = 0xc050_2100; // _IOWR('!', 0, struct seccomp_notif)
const NOTIF_SEND: libc::c_ulong = 0xc018_2101; // _IOWR('!', 1, struct seccomp_notif_resp)

/// One connection from the runtime: the process state it sent, and the notification fd.
fn accept_one(l: &UnixListener) -> (serde_json::Value, OwnedFd) {
    let (bytes, fd) = receive_message(l);
    (serde_json::from_slice(&bytes).unwrap(), fd)
}

/// Answers every notification on `fd` with ANSWER until its processes are gone.
fn answer_all(fd: OwnedFd) -> u32 {
    let mut answered = 0;
    loop {
        let mut p = libc::pollfd {
            fd: fd.as_raw_fd(),
            events: libc::POLLIN,
            revents: 0,
        };
        // SAFETY: one valid pollfd.
        if unsafe { libc::poll(&mut p, 1, 10_000) } <= 0 || p.revents & libc::POLLIN == 0 {
            return answered;
        }
        // SAFETY: a zeroed seccomp_notif, as the kernel wants it.
        let mut req: Notif = unsafe { std::mem::zeroed() };
        // SAFETY: ioctl with a pointer to a live struct of the size the request encodes.
        if unsafe { libc::ioctl(fd.as_raw_fd(), NOTIF_RECV, &mut req) } != 0 {
            continue;
        }
        let resp = NotifResp {
            id: req.id,
            val: ANSWER,
            error: 0,
            flags: 0,
        };
        // SAFETY: as above.
        unsafe { libc::ioctl(fd.as_raw_fd(), NOTIF_SEND, &resp) };
        answered += 1;
    }
}

fn notify_bundle(agent: &Path) -> Bundle {
    let b = bundle(&["/probe"], |c| {
        c["linux"]["seccomp"] = serde_json::json!({
            "defaultAction": "SCMP_ACT_ALLOW",
            "listenerPath": agent,
            "listenerMetadata": "from-the-test",
            "architectures": ["SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32"],
            "syscalls": [{"names": ["getsid"], "action": "SCMP_ACT_NOTIFY"}]
        });
    });
    six_testkit::compile_static_c(PROBE, &b.rootfs().join("probe"));
    b
}

#[test]
fn the_agent_gets_the_state_and_the_fd_and_answers_for_run_and_exec() {
    let s = Sixrun::under_test();
    let dir = tempfile::tempdir().unwrap();
    let agent = dir.path().join("agent.sock");
    let l = UnixListener::bind(&agent).unwrap();
    let b = notify_bundle(&agent);
    let id = s.new_id("notify");
    let agent_thread = std::thread::spawn(move || {
        let (state, fd) = accept_one(&l);
        let answered = answer_all(fd);
        (state, answered, l)
    });
    let out = s.ok(&["run", "--bundle", b.path().to_str().unwrap(), &id]);
    assert_eq!(words(&out), format!("sid={ANSWER}"));
    let (state, answered, l) = agent_thread.join().unwrap();
    assert_eq!(answered, 1);
    assert_eq!(state["fds"], serde_json::json!(["seccompFd"]), "{state}");
    assert_eq!(state["metadata"], "from-the-test", "{state}");
    assert_eq!(state["state"]["id"], id.as_str(), "{state}");
    assert!(state["pid"].as_i64().unwrap() > 0, "{state}");
    assert_eq!(state["state"]["pid"], state["pid"], "{state}");

    // exec: its own filter, its own connection.
    let id = s.new_id("notifyx");
    let b = bundle(&["sleep", "100"], |c| {
        c["linux"]["seccomp"] = notify_bundle(&agent).config["linux"]["seccomp"].clone();
    });
    six_testkit::compile_static_c(PROBE, &b.rootfs().join("probe"));
    let agent_thread = std::thread::spawn(move || {
        let mut states = Vec::new();
        // The container's process (sleep: never notified), then the exec'd one.
        let (state, fd) = accept_one(&l);
        states.push(state);
        let init_fd = fd;
        let (state, fd) = accept_one(&l);
        states.push(state);
        let answered = answer_all(fd);
        drop(init_fd);
        (states, answered)
    });
    s.create(&id, &b);
    s.ok(&["start", &id]);
    let out = s.ok(&["exec", &id, "/probe"]);
    assert_eq!(words(&out), format!("sid={ANSWER}"));
    s.ok(&["kill", &id, "KILL"]);
    let (states, answered) = agent_thread.join().unwrap();
    assert_eq!(answered, 1);
    assert_eq!(states[1]["state"]["id"], id.as_str());
    assert_eq!(states[1]["state"]["status"], "running", "{}", states[1]);
    s.wait_status(&id, "stopped");
    s.ok(&["delete", &id]);
}

#[test]
fn without_a_listening_agent_the_container_is_not_created() {
    let s = Sixrun::under_test();
    let dir = tempfile::tempdir().unwrap();
    let b = notify_bundle(&dir.path().join("nobody.sock"));
    let id = s.new_id("noagent");
    let out = s.run(&["run", "--bundle", b.path().to_str().unwrap(), &id]);
    assert!(!out.status.success(), "{}", stdout(&out));
    assert!(stdout(&out).is_empty(), "the process ran: {}", stdout(&out));
    assert!(
        stderr(&out).contains("nobody.sock") || stderr(&out).contains("seccomp agent"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn notify_as_default_or_on_write_is_refused() {
    let s = Sixrun::under_test();
    let dir = tempfile::tempdir().unwrap();
    let agent = dir.path().join("agent.sock");
    let _l = UnixListener::bind(&agent).unwrap();
    for (default, names, want) in [
        ("SCMP_ACT_NOTIFY", "getsid", "default action"),
        ("SCMP_ACT_ALLOW", "write", "write syscall"),
    ] {
        let b = bundle(&["true"], |c| {
            c["linux"]["seccomp"] = serde_json::json!({
                "defaultAction": default, "listenerPath": agent,
                "syscalls": [{"names": [names], "action": "SCMP_ACT_NOTIFY"}]
            });
        });
        let id = s.new_id("notifybad");
        let line = s.fails(&["run", "--bundle", b.path().to_str().unwrap(), &id]);
        assert!(
            line.contains("SCMP_ACT_NOTIFY") && line.contains(want),
            "{line}"
        );
    }
}
