//! Syscall name → number tables, one generated file per ABI (tools/gen-syscall-tables.py).

pub(crate) mod aarch64;
pub(crate) mod arm;
pub(crate) mod i386;
pub(crate) mod x32;
pub(crate) mod x86_64;
