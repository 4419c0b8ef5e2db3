//! The container engine: names and IDs, container records, lifecycle, monitor, logs;
//! turns a run request into image + network + OCI spec and hands the spec to six-runtime.
//!
//! It never parses command lines (the `sixdocker` CLI does) and never touches the kernel's
//! container machinery directly (six-runtime does).

pub mod types;
