//! The container engine: names and IDs, container records, lifecycle, monitor, logs;
//! turns a run request into image + network + OCI spec and hands the spec to six-runtime.
//!
//! It never parses command lines (the `sixdocker` CLI does) and never touches the kernel's
//! container machinery directly (six-runtime does). Start reading at [`Engine`] (engine.rs),
//! then `create.rs` → `spec.rs` → `monitor/` (start.rs, supervise.rs) for the path of `run`.

#![warn(unreachable_pub)]
#![deny(missing_docs)]
// `info`'s document is one `json!` literal of Docker's sixty fields, in Docker's order.
#![recursion_limit = "256"]

pub mod attach;
mod attach_cmd;
mod attach_stream;
mod caps;
mod command;
mod commit;
mod copy;
mod create;
mod devices;
mod diff;
mod engine;
mod error;
mod error_kind;
mod etc;
pub mod events;
mod exec;
mod exec_instance;
mod exec_keeper;
mod exec_relay;
mod file_lock;
pub mod filters;
mod image_cmds;
mod image_use;
mod info;
mod init_binary;
mod inspect;
mod lifecycle;
mod listing;
mod logs;
mod logs_cmd;
mod monitor;
mod mount_plan;
mod mount_points;
mod mounts;
mod names;
mod net;
mod pause;
mod ports_column;
mod predefined_networks;
mod privileged;
pub mod prune;
mod reconcile;
mod record;
mod registry;
mod relay;
mod remove;
mod rename;
mod request;
mod reserve;
mod shared_namespaces;
mod signals;
mod spec;
mod stats_sample;
mod status;
mod step_run;
mod store;
pub mod system_docs;
mod system_limits;
pub mod test_hook;
mod tty;
pub mod types;
mod update;
mod usage;
mod user;
mod volumes;
mod workdir;

pub use attach_cmd::{AttachOptions, NOT_A_TTY};
pub use attach_stream::{
    relay_client, AttachChannel, AttachTarget, ClientStream, GaveUp, OutputStream, StreamEnd,
    StreamSink,
};
pub use copy::{in_root, CopyOptions, PathStat};
pub use diff::{Change, ChangeKind};
pub use engine::{Engine, EngineOptions, DEFAULT_IMAGE, ORIGINAL_IMAGE_DIR};
pub use error::{Chain, Classify, Error, ErrorKind, Result};
pub use exec_instance::{ExecCreate, ExecStreams};
pub use exec_relay::resize_terminal;
pub use monitor::process::run_monitor_if_asked;
pub use mount_points::ANONYMOUS_LABEL;
pub use predefined_networks::{predefined_network_document, PREDEFINED_NETWORKS};
pub use prune::PruneReport;
pub use registry::{PullPolicy, RunImage};
pub use request::{
    ContainerStats, ContainerSummary, EndpointSettings, ExecRequest, LogOptions, RunOutcome,
    RunRequest, Top, UpdateRequest,
};
pub use signals::SignalPipe;
/// Running from a sealed binary (CVE-2019-5736): programs that start containers call
/// `sealed_exe::reexec_sealed` at the top of `main`.
pub use six_runtime::sealed_exe;
pub use stats_sample::{InterfaceCounters, StatsSample};
pub use step_run::{StepEnd, StepOutput};
pub use usage::{ContainerUsage, DiskUsage, ImageUsage, VolumeUsage};
pub use volumes::{Volume, VolumeCreate, VolumeSummary};
