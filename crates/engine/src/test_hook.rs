//! Pause points for tests that kill a command at an exact step, and panic points for tests
//! of what a panic leaves (debug builds only).
//!
//! With `SIX_TEST_PAUSE_AT=<step>` in its environment, a debug build of the engine stops at
//! that step: it prints `six-test: paused at <step>` on stderr and sleeps until it is killed.
//! Integration tests use it to SIGKILL the real CLI mid-way (a `run -d` before its record is
//! complete, a `commit` while the container is frozen) and prove the next command repairs
//! everything. `SIX_TEST_DELAY_AT=<step>` holds a step up for a second instead. Release
//! builds compile every pause and delay point to nothing.

/// The environment variable that names the step to stop at.
pub const PAUSE_AT: &str = "SIX_TEST_PAUSE_AT";

/// Stops here forever when `step` is the one named by [`PAUSE_AT`] (debug builds only).
#[inline]
pub(crate) fn pause_point(step: &str) {
    #[cfg(debug_assertions)]
    if std::env::var_os(PAUSE_AT).is_some_and(|v| v == step) {
        use std::io::Write;
        let _ = writeln!(std::io::stderr(), "six-test: paused at {step}");
        loop {
            std::thread::sleep(std::time::Duration::from_secs(3600));
        }
    }
    #[cfg(not(debug_assertions))]
    let _ = step;
}

/// The environment variable that names the step to panic at.
pub const PANIC_AT: &str = "SIX_TEST_PANIC_AT";

/// Panics here when `step` is the one named by [`PANIC_AT`] (debug builds only).
#[inline]
pub(crate) fn panic_point(step: &str) {
    #[cfg(debug_assertions)]
    if std::env::var_os(PANIC_AT).is_some_and(|v| v == step) {
        panic!("six-test: panic at {step}");
    }
    #[cfg(not(debug_assertions))]
    let _ = step;
}

/// The environment variable that names a step to hold up for a second.
pub const DELAY_AT: &str = "SIX_TEST_DELAY_AT";

/// Sleeps a second here when `step` is the one named by [`DELAY_AT`] (debug builds only):
/// for tests of what another command sees while this step is slow.
#[inline]
pub(crate) fn delay_point(step: &str) {
    #[cfg(debug_assertions)]
    if std::env::var_os(DELAY_AT).is_some_and(|v| v == step) {
        std::thread::sleep(std::time::Duration::from_secs(1));
    }
    #[cfg(not(debug_assertions))]
    let _ = step;
}
