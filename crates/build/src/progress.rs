//! What a build reports while it goes: each step's start, cache hit, output, end or failure.
//! The builder reports; the caller shows (crates/build's `output` for the CLI, the Engine
//! API's JSON stream for `/build`). Never prints.

use std::time::Duration;

/// One thing that happened in a build.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Event<'a> {
    /// A step began: `id` counts from 1 in the order steps run; `name` is how the output
    /// names it (`[2/5] RUN make`, `[build 1/3] FROM busybox`, `exporting to image`).
    Start {
        /// The step's number.
        id: usize,
        /// The step as shown.
        name: &'a str,
    },
    /// The step's result was found in the cache.
    Cached {
        /// The step's number.
        id: usize,
    },
    /// Bytes its command wrote (stdout and stderr).
    Output {
        /// The step's number.
        id: usize,
        /// As written.
        data: &'a [u8],
    },
    /// A line about the step (`writing image sha256:…`, a pull's progress).
    Note {
        /// The step's number.
        id: usize,
        /// One line, no newline.
        text: &'a str,
    },
    /// The step ended well.
    Done {
        /// The step's number.
        id: usize,
        /// How long it took.
        elapsed: Duration,
    },
    /// The step failed; the build stops.
    Failed {
        /// The step's number.
        id: usize,
        /// How long it ran.
        elapsed: Duration,
        /// Why (one line).
        message: &'a str,
    },
    /// A tenth of a second passed while a step ran (for a live clock).
    Tick,
    /// Something the user should know that does not stop the build (an unused
    /// `--build-arg`, an ignored `# syntax=`).
    Warning(&'a str),
}

/// Where a build's events go.
pub trait Progress {
    /// Takes one event.
    fn event(&mut self, event: Event<'_>);
}

/// Reports nowhere.
pub struct Silent;

impl Progress for Silent {
    fn event(&mut self, _: Event<'_>) {}
}
