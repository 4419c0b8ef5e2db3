//! `delete`: removes a container. A created one is killed first (it never ran); a running or
//! paused one only with `force` (SIGKILL to every process in its cgroup, then wait). Then the
//! poststop hooks (failures are warnings, as in runc), the cgroup, and the state directory.
//!
//! It waits for the init through a pidfd; it never sleeps.

use crate::container::{hook_state_json, Container};
use crate::error::{Error, Result};
use crate::hooks::{self, Kind};
use crate::state::Status;
use six_sys::pidfd::Pidfd;

pub fn delete(c: &Container, force: bool) -> Result<()> {
    let _span = tracing::info_span!("delete", id = c.id(), force).entered();
    let dir = c.lock()?;
    let rec = dir.read()?;
    let status = rec.status(&dir.path);
    match status {
        // The init is gone, but without a pid namespace its children may live on in the
        // cgroup (runc kills them too).
        Status::Stopped => kill_cgroup(&rec),
        Status::Created => kill_and_wait(c, &rec)?,
        Status::Running | Status::Paused | Status::Creating if force => kill_and_wait(c, &rec)?,
        s => {
            return Err(Error::WrongState {
                id: c.id().to_owned(),
                status: s.to_string(),
                what: "cannot delete it; stop it first or use --force".into(),
            })
        }
    }
    let state = hook_state_json(&rec, Status::Stopped, None);
    if let Err((path, msg)) = hooks::run(&rec.config, Kind::Poststop, &state) {
        tracing::warn!(
            "container {}: poststop hook {}: {msg}",
            c.id(),
            path.display()
        );
    }
    if let Some(cg) = &rec.cgroup {
        let _s = tracing::debug_span!("cgroup_destroy").entered();
        cg.destroy().map_err(|source| Error::Cgroup {
            id: c.id().to_owned(),
            source,
        })?;
    }
    dir.remove()
}

fn kill_cgroup(rec: &crate::state::Record) {
    if let Some(cg) = &rec.cgroup {
        kill_all(cg);
    }
}

/// SIGKILL to every process in `cg`, frozen meanwhile so that none forks past it.
pub(crate) fn kill_all(cg: &six_cgroups::Cgroup) {
    if cg.pids().map(|p| p.is_empty()).unwrap_or(true) {
        return;
    }
    let _ = cg.freeze();
    for pid in cg.pids().unwrap_or_default() {
        // SAFETY: kill with a pid from the container's cgroup.
        let r = unsafe { libc::kill(pid, libc::SIGKILL) };
        six_trace::step!(six_trace::Kind::Signal, "kill({pid}, SIGKILL) = {r}");
    }
    let _ = cg.thaw();
}

/// How long `delete --force` waits for the init to exit after SIGKILL.
const INIT_EXIT_TIMEOUT_MS: i32 = 10_000;

/// SIGKILL to every process of the container (thawing it if paused), then waits (bounded)
/// for the init.
fn kill_and_wait(c: &Container, rec: &crate::state::Record) -> Result<()> {
    let Some(pidfd) = Pidfd::open_live(rec.pid)
        .map_err(|e| Error::setup(c.id(), format!("watching the init: {e}")))?
        .filter(|_| six_sys::proc::is_alive(rec.pid, rec.pid_start))
    else {
        return Ok(());
    };
    kill_cgroup(rec);
    pidfd
        .send_signal(libc::SIGKILL)
        .or_else(|e| {
            if e.raw_os_error() == Some(libc::ESRCH) {
                Ok(())
            } else {
                Err(e)
            }
        })
        .map_err(|e| Error::setup(c.id(), format!("killing the init: {e}")))?;
    // Exited is enough (a zombie has left its cgroup); its parent reaps it. Bounded: an init
    // of a pid namespace finishes dying only once every process in it is reaped, so a
    // caller holding an unreaped exec'd child in there would otherwise wait here forever.
    if !pidfd.wait_exit(INIT_EXIT_TIMEOUT_MS) {
        return Err(Error::setup(
            c.id(),
            format!(
                "the init (pid {}) did not exit within {} s of SIGKILL (an exec'd process of \
                 the caller still unreaped in its pid namespace?)",
                rec.pid,
                INIT_EXIT_TIMEOUT_MS / 1000
            ),
        ));
    }
    // Other processes of the container (no pid namespace) may take a moment longer to leave
    // the cgroup; cgroup destroy retries EBUSY briefly.
    Ok(())
}
