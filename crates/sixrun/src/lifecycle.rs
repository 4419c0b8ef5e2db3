//! `create`, `start`, `kill`, `delete`: thin calls into six-runtime with runc's argument
//! shapes. It never waits for a container; `run.rs` does.

use six_runtime::{CreateOptions, Runtime};

use crate::cli::{CreateArgs, DeleteArgs, KillArgs};
use crate::log::Logger;

pub fn create_options(a: &CreateArgs) -> CreateOptions {
    CreateOptions {
        bundle: a.bundle.clone(),
        spec: None,
        console_socket: a.console_socket.clone(),
        pid_file: a.pid_file.clone(),
        no_pivot: a.no_pivot,
        no_new_keyring: a.no_new_keyring,
        preserve_fds: a.preserve_fds,
        stdio: None,
    }
}

pub fn create(rt: &Runtime, a: &CreateArgs, logger: &Logger) -> anyhow::Result<()> {
    let c = rt.create(&a.id, create_options(a))?;
    for w in c.warnings() {
        logger.warn(w);
    }
    if c.spec()
        .process()
        .as_ref()
        .and_then(|p| p.terminal())
        .unwrap_or(false)
        && a.console_socket.is_none()
    {
        // The pty master would die with us: runc refuses this too.
        let _ = c.delete(true);
        anyhow::bail!("process.terminal is true: `create` needs --console-socket");
    }
    Ok(())
}

pub fn start(rt: &Runtime, id: &str) -> anyhow::Result<()> {
    rt.load(id)?.start()?;
    // Traced: the init's last steps, to its execve (it sends them to the trace socket the
    // start took over from it).
    six_trace::children_end(std::time::Duration::from_secs(2));
    Ok(())
}

pub fn kill(rt: &Runtime, a: &KillArgs) -> anyhow::Result<()> {
    let sig = match &a.signal {
        Some(s) => six_runtime::parse_signal(s).map_err(anyhow::Error::msg)?,
        None => libc::SIGTERM,
    };
    rt.load(&a.id)?.kill_raw(sig, a.all)?;
    Ok(())
}

pub fn delete(rt: &Runtime, a: &DeleteArgs) -> anyhow::Result<()> {
    match rt.load(&a.id) {
        Ok(c) => Ok(c.delete(a.force)?),
        // What a killed create left (runc removes that directory too).
        Err(six_runtime::Error::NotFound(_)) if rt.remove_half_made(&a.id)? => Ok(()),
        // runc: deleting a missing container with --force succeeds.
        Err(six_runtime::Error::NotFound(_)) if a.force => Ok(()),
        Err(e) => Err(e.into()),
    }
}
