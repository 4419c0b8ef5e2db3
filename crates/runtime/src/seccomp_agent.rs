//! Seccomp user notification (`SCMP_ACT_NOTIFY`), as runc passes it on: the child that
//! installed a filter with notify rules tells the parent the number of its notification fd
//! (a write, all a profile must allow), the parent takes the fd with `pidfd_getfd` and sends
//! it to the agent at `linux.seccomp.listenerPath` with the container's process state (JSON:
//! `ociVersion`, `fds: ["seccompFd"]`, `pid`, `metadata` = `listenerMetadata`, `state`) in one
//! message (SCM_RIGHTS), then lets the child go on; the child closes its own copy. An agent
//! that is not listening fails the create (or exec).
//!
//! It never answers notifications itself; the agent does.

use std::io::IoSlice;
use std::os::fd::{AsRawFd, OwnedFd};
use std::os::unix::net::UnixStream;

use nix::sys::socket::{sendmsg, ControlMessage, MsgFlags};
use oci_spec::runtime::LinuxSeccomp;

use crate::channel::{Channel, Msg};

/// In the child, right after the filter went in: reports the notification fd's number,
/// waits until the agent has it, then closes ours (the container's process must never hold
/// its own notification fd).
pub fn hand_over(chan: &Channel, listener: OwnedFd) -> Result<(), String> {
    chan.report(&Msg::SeccompFd(listener.as_raw_fd()))
        .map_err(|e| format!("passing the seccomp notification fd: {e}"))?;
    match chan.recv() {
        Ok(r) if r.msg == Msg::SeccompDone => {}
        Ok(r) => return Err(format!("expected SeccompDone, got {:?}", r.msg)),
        Err(e) => return Err(format!("waiting for the seccomp agent: {e}")),
    }
    drop(listener);
    Ok(())
}

/// In the parent, on `Msg::SeccompFd(fd)` from its child `pid`: sends the agent the state
/// (`state`: the container's OCI state as JSON, with `pid` as the process) and the fd.
pub fn serve(
    seccomp: Option<&LinuxSeccomp>,
    pid: i32,
    fd: i32,
    state: serde_json::Value,
) -> Result<(), String> {
    let Some(listener) = seccomp.and_then(|s| s.listener_path().as_ref()) else {
        return Err("listenerPath is not set".into());
    };
    let notify = take_fd(pid, fd)
        .map_err(|e| format!("taking the seccomp notification fd of pid {pid}: {e}"))?;
    let mut message = serde_json::json!({
        "ociVersion": state["ociVersion"].clone(),
        "fds": [oci_spec::runtime::SECCOMP_FD_NAME],
        "pid": pid,
        "state": state,
    });
    if let Some(m) = seccomp.and_then(|s| s.listener_metadata().as_ref()) {
        message["metadata"] = m.clone().into();
    }
    let bytes = serde_json::to_vec(&message).map_err(|e| e.to_string())?;
    let agent = UnixStream::connect(listener).map_err(|e| {
        format!(
            "connecting to the seccomp agent at {} (linux.seccomp.listenerPath): {e}",
            listener.display()
        )
    })?;
    let fds = [notify.as_raw_fd()];
    sendmsg::<()>(
        agent.as_raw_fd(),
        &[IoSlice::new(&bytes)],
        &[ControlMessage::ScmRights(&fds)],
        MsgFlags::MSG_NOSIGNAL,
        None,
    )
    .map_err(|e| {
        format!(
            "sending the seccomp agent at {} the notification fd: {e}",
            listener.display()
        )
    })?;
    Ok(())
}

/// A copy of fd number `fd` of process `pid` (pidfd_getfd, Linux 5.6).
fn take_fd(pid: i32, fd: i32) -> std::io::Result<OwnedFd> {
    six_sys::pidfd::Pidfd::open(pid)?.take_fd(fd)
}
