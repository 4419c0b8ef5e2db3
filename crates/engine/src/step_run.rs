//! What a builder (`sixdocker build`, crates/build) asks of the engine for a `RUN` step: start
//! a created container with no terminal and no stdin, hand its output to the builder as it
//! comes (not to the caller's stdout), stop it at once when the builder cancels, and commit
//! its changes as one layer of a build-step image. The container is then the builder's to
//! remove, whatever happened.

use std::os::fd::{AsRawFd, BorrowedFd, RawFd};
use std::path::{Path, PathBuf};

use crate::attach::{self, Message};
use crate::diff::{INIT_PARENTS, INIT_PATHS};
use crate::engine::Engine;
use crate::error::{Error, Result};
use crate::record::Status;

/// What a step's container gives its builder while it runs.
#[derive(Debug, PartialEq, Eq)]
pub enum StepOutput<'a> {
    /// Bytes it wrote on its stdout.
    Stdout(&'a [u8]),
    /// Bytes it wrote on its stderr.
    Stderr(&'a [u8]),
    /// A tenth of a second went by without output (for a live view's clock).
    Tick,
}

/// How a step's container ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StepEnd {
    /// Its command exited with this code (128 + signal when killed).
    Exited(i32),
    /// The builder cancelled it: it was killed, and has ended.
    Cancelled,
}

/// How often a running step gets a [`StepOutput::Tick`].
const TICK_MS: i32 = 100;

impl Engine {
    /// Starts the created container `c` (made with `create`, no terminal, no stdin) and
    /// returns when it ends. Its output goes to `on` as it comes. When `cancel` becomes
    /// readable (a signal pipe of the builder's), the container is killed and, once it has
    /// ended, [`StepEnd::Cancelled`] returned. The container is left for the caller to
    /// commit and remove.
    pub fn run_step(
        &self,
        c: &str,
        cancel: Option<BorrowedFd<'_>>,
        on: &mut dyn FnMut(StepOutput<'_>),
    ) -> Result<StepEnd> {
        let _span = tracing::debug_span!("run_step").entered();
        let id = self.resolve(c)?;
        let config = self.store.config(&id)?;
        if self.store.state(&id)?.status != Status::Created {
            return Err(Error::Conflict(format!(
                "container {} is not a created container",
                config.name
            )));
        }
        let channel = self.start_stopped(&id, &config, false)?;
        relay_to(channel.as_raw_fd(), cancel, on)
    }

    /// One build-step image from the changes of container `c` (ended): `step` with the
    /// container's upper dir as its layer (less the files every container gets mounted).
    pub fn commit_step(&self, c: &str, step: six_image::Step<'_>) -> Result<six_image::Image> {
        let id = self.resolve(c)?;
        let upper = self.rootfs_mount(&id).upper;
        let skip_paths = init_layer_paths(&upper);
        let skip: Vec<&Path> = skip_paths.iter().map(PathBuf::as_path).collect();
        let step = six_image::Step {
            changes: Some(six_image::Changes {
                dir: &upper,
                skip: &skip,
            }),
            ..step
        };
        Ok(self.images.add_step(step)?)
    }
}

/// What of a step container's upper dir is Docker's init layer, never part of a step's layer
/// (what a command writes there goes to the mounted files): the mount points every container
/// gets (/etc/hosts, /proc, ...), and /etc and /dev themselves when nothing else in them
/// changed (the runtime made them, or copied them up, for those mount points).
fn init_layer_paths(upper: &Path) -> Vec<PathBuf> {
    let mut skip: Vec<PathBuf> = INIT_PATHS
        .iter()
        .map(|p| PathBuf::from(p.trim_start_matches('/')))
        .collect();
    for parent in INIT_PARENTS {
        let rel = PathBuf::from(parent.trim_start_matches('/'));
        let Ok(entries) = std::fs::read_dir(upper.join(&rel)) else {
            continue;
        };
        let only_mount_points = entries
            .flatten()
            .all(|e| skip.contains(&rel.join(e.file_name())));
        if only_mount_points {
            skip.push(rel);
        }
    }
    skip
}

/// Reads the monitor's messages until the container's end, polling `cancel` too.
fn relay_to(
    fd: RawFd,
    cancel: Option<BorrowedFd<'_>>,
    on: &mut dyn FnMut(StepOutput<'_>),
) -> Result<StepEnd> {
    let mut buf = vec![0u8; attach::MAX_MESSAGE + 64];
    let mut cancelled = false;
    loop {
        let mut fds = [
            libc::pollfd {
                fd,
                events: libc::POLLIN,
                revents: 0,
            },
            libc::pollfd {
                fd: match (cancel, cancelled) {
                    (Some(c), false) => c.as_raw_fd(),
                    _ => -1,
                },
                events: libc::POLLIN,
                revents: 0,
            },
        ];
        // SAFETY: a valid pollfd array of two entries.
        let n = unsafe { libc::poll(fds.as_mut_ptr(), 2, TICK_MS) };
        if n < 0 {
            let e = std::io::Error::last_os_error();
            if e.kind() == std::io::ErrorKind::Interrupted {
                continue;
            }
            return Err(Error::io("waiting for the build step's container", e));
        }
        if n == 0 {
            on(StepOutput::Tick);
            continue;
        }
        if fds[1].revents != 0 {
            cancelled = true;
            let _ = attach::send(fd, &Message::Stop(libc::SIGKILL));
        }
        if fds[0].revents == 0 {
            continue;
        }
        match attach::recv(fd, &mut buf) {
            Ok(Some(Message::Stdout(d))) => on(StepOutput::Stdout(&d)),
            Ok(Some(Message::Stderr(d))) => on(StepOutput::Stderr(&d)),
            Ok(Some(Message::Exited(code))) => {
                return Ok(match cancelled {
                    true => StepEnd::Cancelled,
                    false => StepEnd::Exited(code),
                })
            }
            Ok(Some(Message::Failed(code, message))) => {
                return Err(Error::StartFailed { code, message })
            }
            Ok(Some(_)) => {}
            Ok(None) | Err(_) => {
                return Err(Error::Internal(
                    "the build step container's monitor closed its connection before the \
                     container's end"
                        .into(),
                ))
            }
        }
    }
}
