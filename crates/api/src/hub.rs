//! The clients waiting for a container this service is about to start: attaches made while
//! it was stopped (`docker run` attaches before it starts), and waits for its next exit.
//!
//! When the service starts a container that someone waits for, it starts it attached (the
//! monitor's primary client, which gets all its output from the first byte and its exit
//! code, see six-engine's `start_attached`) and hands that channel to the first waiting
//! attach; the exit code goes to every waiting `wait`. Nothing here outlives the service:
//! killed, its clients' connections close, the containers run on.
//!
//! A container someone else starts (the CLI) never passes through here: a waiter that sees
//! it run takes itself out ([`Hub::leave`]) and attaches or waits as for any running
//! container; if it was already taken out, a hand-off is on its way.

use std::collections::HashMap;
use std::sync::{mpsc, Mutex};

use six_engine::AttachChannel;
use tokio::sync::oneshot;

/// What a waiting attach is handed when its container starts.
pub(crate) enum Handoff {
    /// The started container's primary channel; the exit code goes to these waits.
    Primary(AttachChannel, Vec<oneshot::Sender<i32>>),
    /// It runs: attach as to any running container.
    Running,
}

#[derive(Default)]
struct Waiting {
    attaches: Vec<(u64, mpsc::Sender<Handoff>)>,
    exits: Vec<(u64, oneshot::Sender<i32>)>,
}

/// Everyone waiting for a start, by container ID.
#[derive(Default)]
pub(crate) struct Hub {
    waiting: Mutex<HashMap<String, Waiting>>,
    next: std::sync::atomic::AtomicU64,
}

/// What a start finds waiting.
pub(crate) struct Waiters {
    pub attaches: Vec<(u64, mpsc::Sender<Handoff>)>,
    pub exits: Vec<(u64, oneshot::Sender<i32>)>,
}

impl Waiters {
    pub(crate) fn is_empty(&self) -> bool {
        self.attaches.is_empty() && self.exits.is_empty()
    }
}

impl Hub {
    fn token(&self) -> u64 {
        self.next.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
    }

    fn with<R>(&self, f: impl FnOnce(&mut HashMap<String, Waiting>) -> R) -> R {
        let mut map = self.waiting.lock().unwrap_or_else(|e| e.into_inner());
        f(&mut map)
    }

    /// An attach waits for `id`'s start: its token and where its hand-off comes.
    pub(crate) fn wait_attach(&self, id: &str) -> (u64, mpsc::Receiver<Handoff>) {
        let (tx, rx) = mpsc::channel();
        let token = self.token();
        self.with(|m| {
            m.entry(id.to_owned())
                .or_default()
                .attaches
                .push((token, tx))
        });
        (token, rx)
    }

    /// A wait for `id`'s next exit: its token and where the code comes.
    pub(crate) fn wait_exit(&self, id: &str) -> (u64, oneshot::Receiver<i32>) {
        let (tx, rx) = oneshot::channel();
        let token = self.token();
        self.with(|m| m.entry(id.to_owned()).or_default().exits.push((token, tx)));
        (token, rx)
    }

    /// Takes the waiter `token` out; false when a start already took it (its hand-off or
    /// exit code is then on its way).
    pub(crate) fn leave(&self, id: &str, token: u64) -> bool {
        self.with(|m| {
            let Some(w) = m.get_mut(id) else {
                return false;
            };
            let before = w.attaches.len() + w.exits.len();
            w.attaches.retain(|(t, _)| *t != token);
            w.exits.retain(|(t, _)| *t != token);
            let left = w.attaches.len() + w.exits.len() < before;
            if w.attaches.is_empty() && w.exits.is_empty() {
                m.remove(id);
            }
            left
        })
    }

    /// Everyone waiting for `id`, taken out (a start hands them what they wait for).
    pub(crate) fn take(&self, id: &str) -> Waiters {
        let w = self.with(|m| m.remove(id)).unwrap_or_default();
        Waiters {
            attaches: w.attaches,
            exits: w.exits,
        }
    }

    /// Puts waiters back (their start failed: they wait for the next one).
    pub(crate) fn put_back(&self, id: &str, w: Waiters) {
        self.with(|m| {
            let entry = m.entry(id.to_owned()).or_default();
            entry.attaches.extend(w.attaches);
            entry.exits.extend(w.exits);
        });
    }
}

/// Sends `code` to every wait in `exits`.
pub(crate) fn publish(exits: Vec<oneshot::Sender<i32>>, code: i32) {
    for tx in exits {
        let _ = tx.send(code);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_waiter_taken_by_a_start_cannot_leave() {
        let hub = Hub::default();
        let (a, _rx) = hub.wait_attach("c");
        let (b, _code) = hub.wait_exit("c");
        assert!(hub.leave("c", a));
        let taken = hub.take("c");
        assert_eq!(taken.exits.len(), 1);
        assert!(!hub.leave("c", b));
        hub.put_back("c", taken);
        assert!(hub.leave("c", b));
        assert!(hub.take("c").is_empty());
    }
}
