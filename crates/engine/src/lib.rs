//! The container engine: names and IDs, container records, lifecycle, monitor, logs;
//! turns a run request into image + network + OCI spec and hands the spec to six-runtime.
//!
//! It never parses command lines (the `sixdocker` CLI does) and never touches the kernel's
//! container machinery directly (six-runtime does).

pub mod attach;
pub mod command;
pub mod error;
pub mod etc;
pub mod logs;
pub mod mounts;
pub mod record;
pub mod request;
pub mod spec;
pub mod status;
pub mod store;
pub mod tty;
pub mod types;

pub use error::{Error, Result};
pub use request::{
    ContainerStats, ContainerSummary, ExecRequest, LogOptions, RunOutcome, RunRequest, Top,
};
