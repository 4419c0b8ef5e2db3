//! Syscall name → number tables, one generated file per ABI, from the kernel's own
//! syscall tables (scripts/gen-seccomp-tables.py). Do not edit by hand.

pub(crate) mod aarch64;
pub(crate) mod arm;
pub(crate) mod i386;
pub(crate) mod x32;
pub(crate) mod x86_64;

/// The Linux release whose tables these are.
pub(crate) const KERNEL: &str = "6.12.118";
