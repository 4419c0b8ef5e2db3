//! Running one transfer per layer, a few at a time, on std threads: the first failure
//! stops the others (their readers see `cancel` and give up), and is the one returned.

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Mutex;

use crate::error::{Error, Result};

/// Calls `work(item, cancel)` for every item, `max` at a time.
pub(crate) fn for_each<T: Sync>(
    items: &[T],
    max: usize,
    work: impl Fn(&T, &AtomicBool) -> Result<()> + Sync,
) -> Result<()> {
    let next = AtomicUsize::new(0);
    let cancel = AtomicBool::new(false);
    let first_error: Mutex<Option<Error>> = Mutex::new(None);
    let workers = max.clamp(1, 16).min(items.len().max(1));
    std::thread::scope(|s| {
        for _ in 0..workers {
            s.spawn(|| loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                let Some(item) = items.get(i) else { break };
                if cancel.load(Ordering::Relaxed) {
                    break;
                }
                if let Err(e) = work(item, &cancel) {
                    cancel.store(true, Ordering::Relaxed);
                    let mut slot = first_error.lock().unwrap_or_else(|p| p.into_inner());
                    if slot.is_none() || matches!(*slot, Some(Error::Cancelled)) {
                        *slot = Some(e);
                    }
                    break;
                }
            });
        }
    });
    match first_error.into_inner().unwrap_or_else(|p| p.into_inner()) {
        Some(e) => Err(e),
        None => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn runs_everything_or_returns_the_first_real_failure() {
        let done = AtomicUsize::new(0);
        for_each(&[1, 2, 3, 4, 5], 3, |_, _| {
            done.fetch_add(1, Ordering::Relaxed);
            Ok(())
        })
        .unwrap();
        assert_eq!(done.load(Ordering::Relaxed), 5);
        let e = for_each(&[1, 2], 2, |i, _| match i {
            1 => Err(Error::Usage("one failed".into())),
            _ => Err(Error::Cancelled),
        })
        .unwrap_err();
        assert_eq!(e.to_string(), "one failed");
    }
}
