//! The Docker Engine API on a unix socket: `sixdocker system service`. Docker's clients (the
//! docker CLI, compose, SDKs) drive the same store the `sixdocker` CLI uses, at the same time.
//!
//! This crate only routes HTTP requests and speaks Docker's JSON shapes; every container and
//! image operation is a six-engine call, the same one the CLI makes. The service keeps no
//! state of its own: containers live in the store and their monitors, so it can be killed at
//! any moment and started again.
//!
//! Async (tokio, hyper) lives here and nowhere else, and only in [`serve`]: the engine's calls
//! are blocking and run on tokio's blocking pool, one fresh [`six_engine::Engine`] each (as a
//! CLI command opens one). Starting a container needs a single-threaded, sealed process
//! (six-runtime's rule), which a tokio process is not: the service runs those steps in a
//! child forked for each by one long-lived, sealed `sixdocker api-worker serve` (`zygote.rs`),
//! or a one-off `sixdocker api-worker` ([`worker`], plain blocking code, no tokio).
//!
//! Files: `server.rs` (socket, connections, idle exit), `router.rs` (versions, routes),
//! `http.rs` (bodies, errors, JSON), `body.rs` (reading JSON bodies field by field), `query.rs`,
//! `system.rs` (`_ping`, `version`, `info`, `system/df`), `events.rs`, `build.rs` +
//! `build_worker.rs` (`/build` through six-build in a worker); containers:
//! `containers.rs`, `container_list.rs`, `create_body.rs` + `host_config.rs` + `resources.rs`
//! (Docker's create body → RunRequest), `start.rs`, `wait.rs`, `container_update.rs` (update,
//! prune), `stats.rs`, `container_files.rs` (changes, export), `archive.rs` (docker cp),
//! `logs.rs`; the streams: `hijack.rs` (hijacked connections, old and upgraded), `attach.rs`,
//! `exec.rs`, `hub.rs` (clients that wait for a start); images: `images.rs`, `image_pull.rs`
//! (pull, import, push), `image_admin.rs` (history, prune), `registry.rs` (`/auth`);
//! `networks.rs`, `volumes.rs`; `worker.rs`, `zygote.rs`.

#![warn(unreachable_pub)]
#![deny(missing_docs)]

mod archive;
mod attach;
mod body;
mod build;
mod build_worker;
mod container_files;
mod container_list;
mod container_update;
mod containers;
mod create_body;
mod events;
mod exec;
mod hijack;
mod host_config;
mod http;
mod hub;
mod image_admin;
mod image_pull;
mod images;
mod logs;
mod networks;
mod query;
mod registry;
mod resources;
mod router;
mod server;
mod start;
mod stats;
mod system;
mod volumes;
mod wait;
pub mod worker;
mod zygote;

pub use server::{serve, ServiceError, ServiceOptions, DEFAULT_SOCKET};
