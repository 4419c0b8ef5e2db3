//! The store's locks are waited for a bounded time: a command whose lock another process
//! holds for too long (a stopped `load`, a stuck import) fails with one line naming the
//! lock file and the holder, instead of waiting for ever. The holder is a `flock` child of
//! this test, which says when it holds the lock; the blocked call runs on a thread watched
//! with a deadline, so a wait without end fails the test instead of hanging it.

mod common;

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use common::TestRoot;
use six_image::ImageStore;

/// A `flock` child holding an exclusive lock on `file` (killed on drop).
struct Holder(Child);

impl Holder {
    /// Returns once the child has said that it holds the lock.
    fn lock(file: &Path) -> Holder {
        let mut child = Command::new("flock")
            .args(["--no-fork", "--exclusive"])
            .arg(file)
            .args(["sh", "-c", "echo held; exec sleep 120"])
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("running flock");
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        let holder = Holder(child);
        assert_eq!(line, "held\n", "flock did not take {}", file.display());
        holder
    }

    fn pid(&self) -> u32 {
        self.0.id()
    }
}

impl Drop for Holder {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Runs `call` on a thread; its error text and how long it took. Fails the test when the
/// call has not returned within 20 s (the wait was not bounded) or succeeded.
fn blocked_error<T: Send + 'static>(
    call: impl FnOnce() -> six_image::Result<T> + Send + 'static,
) -> (String, Duration) {
    let (tx, rx) = mpsc::channel();
    let began = Instant::now();
    std::thread::spawn(move || {
        let _ = tx.send(call().err().map(|e| {
            let mut text = e.to_string();
            let mut source = std::error::Error::source(&e);
            while let Some(s) = source {
                text.push_str(&format!(": {s}"));
                source = s.source();
            }
            text
        }));
    });
    match rx.recv_timeout(Duration::from_secs(20)) {
        Ok(Some(text)) => (text, began.elapsed()),
        Ok(None) => panic!("the call succeeded while another process held the lock"),
        Err(_) => panic!("the call was still waiting for the lock after 20 s"),
    }
}

#[test]
fn a_held_store_lock_fails_a_writer_naming_the_file_and_holder() {
    let root = TestRoot::new();
    root.store.resolve("busybox").unwrap();
    let lock = root.path().join("image/lock");
    let holder = Holder::lock(&lock);
    let store = ImageStore::open(root.path())
        .unwrap()
        .with_lock_wait(Duration::from_millis(500));
    let (text, took) = blocked_error(move || store.tag("busybox", "mine:v1"));
    assert!(
        took >= Duration::from_millis(500) && took < Duration::from_secs(10),
        "{took:?}"
    );
    let want = format!("locking {}: held by pid {} (", lock.display(), holder.pid());
    assert!(text.starts_with(&want), "{text}");
    assert!(text.ends_with(") for more than 500 ms"), "{text}");
    assert_eq!(text.lines().count(), 1, "{text}");
    // the lock once free, the same call goes through
    drop(holder);
    root.store.tag("busybox", "mine:v1").unwrap();
    assert!(root.store.resolve("mine:v1").is_ok());
}

#[test]
fn a_default_image_made_by_a_stuck_process_is_not_waited_for_without_end() {
    let root = TestRoot::new();
    let lock = root.path().join("image/defaults.lock");
    let holder = Holder::lock(&lock);
    let store = root
        .store
        .clone()
        .with_lock_wait(Duration::from_millis(300));
    let (text, took) = blocked_error(move || store.resolve("busybox"));
    assert!(took < Duration::from_secs(10), "{took:?}");
    let want = format!("locking {}: held by pid {} (", lock.display(), holder.pid());
    assert!(text.starts_with(&want), "{text}");
    assert!(text.ends_with(") for more than 300 ms"), "{text}");
    drop(holder);
    root.store.resolve("busybox").unwrap();
}
