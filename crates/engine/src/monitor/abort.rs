//! A panic in the monitor ends it by `abort`, in every build: the release profile has
//! `panic = "abort"`, and a debug build must not unwind out of the forked monitor into the
//! CLI code it was forked from. So no `catch_unwind`: before the abort, the panic hook kills
//! the container's init through its pidfd (nobody would relay its output or record its end
//! any more) and writes the panic into the record (`inspect`'s `State.Error`). The record
//! still names the dead monitor, so the next command's reconcile does the rest, as for a
//! monitor killed by any other means: it deletes the runtime's container, detaches the
//! network, unmounts, and marks the container exited (137), keeping that error.
//!
//! The hook does only that: it never tries to run the monitor's own cleanup in a process
//! whose state the panic left unknown.

use std::os::fd::AsFd;
use std::sync::Mutex;

use six_sys::pidfd::Pidfd;

use crate::store::Store;

/// A copy of the running init's pidfd, None between runs.
static INIT: Mutex<Option<Pidfd>> = Mutex::new(None);

/// Installs the hook in the monitor process (only there: it is a fork of the CLI). A
/// process the monitor clones (the container's init before its execve) inherits the hook:
/// there it only aborts.
pub(super) fn install(store: Store, id: String) {
    let monitor = std::process::id();
    std::panic::set_hook(Box::new(move |info| {
        if std::process::id() != monitor {
            std::process::abort();
        }
        // try_lock: a panic while `watch` held the lock must not deadlock here.
        if let Ok(init) = INIT.try_lock() {
            if let Some(init) = init.as_ref() {
                let _ = init.send_signal(libc::SIGKILL);
            }
        }
        let what = match (
            info.payload().downcast_ref::<&str>(),
            info.payload().downcast_ref::<String>(),
        ) {
            (Some(s), _) => s.to_string(),
            (_, Some(s)) => s.clone(),
            _ => "a panic".to_owned(),
        };
        let place = info
            .location()
            .map(|l| format!(" at {}:{}", l.file(), l.line()))
            .unwrap_or_default();
        let text = format!(
            "the container's monitor failed{place}: {}; the container was killed",
            what.replace('\n', " ")
        );
        let _ = store.update(&id, |s| {
            s.error = Some(text);
            Ok(())
        });
        std::process::abort();
    }));
}

/// The init the hook kills (through a copy of its pidfd, dropped by `unwatch`).
pub(super) fn watch(init: &Pidfd) {
    let copy = init.as_fd().try_clone_to_owned().ok().map(Pidfd::from);
    set(copy);
}

/// No init to kill any more (between runs).
pub(super) fn unwatch() {
    set(None);
}

fn set(init: Option<Pidfd>) {
    match INIT.lock() {
        Ok(mut g) => *g = init,
        Err(poisoned) => *poisoned.into_inner() = init,
    }
}
