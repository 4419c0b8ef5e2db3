//! The container engine: names and IDs, container records, lifecycle, monitor, logs;
//! turns a run request into image + network + OCI spec and hands the spec to six-runtime.
//!
//! It never parses command lines (the `sixdocker` CLI does) and never touches the kernel's
//! container machinery directly (six-runtime does). Start reading at [`Engine`] (engine.rs),
//! then `create.rs` → `spec.rs` → `monitor.rs` for the path of `run`.

pub mod attach;
mod caps;
pub mod command;
mod commit;
mod create;
mod engine;
pub mod error;
mod error_kind;
pub mod etc;
mod exec;
mod exec_keeper;
mod image_use;
mod info;
mod lifecycle;
pub mod logs;
mod logs_cmd;
mod monitor;
pub mod mounts;
mod names;
mod net;
mod reconcile;
pub mod record;
pub mod registry;
mod relay;
mod remove;
pub mod request;
mod reserve;
mod signals;
pub mod spec;
pub mod status;
pub mod store;
pub mod test_hook;
pub mod tty;
pub mod types;
mod user;
mod volume_dirs;
mod volumes;
mod workdir;

pub use engine::{Engine, EngineOptions, DEFAULT_IMAGE};
pub use error::{Chain, Classify, Error, ErrorKind, Result};
pub use request::{
    ContainerStats, ContainerSummary, ExecRequest, LogOptions, RunOutcome, RunRequest, Top,
};
/// Running from a sealed binary (CVE-2019-5736): programs that start containers call
/// `sealed_exe::reexec_sealed` at the top of `main`.
pub use six_runtime::sealed_exe;
