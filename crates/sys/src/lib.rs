//! Low-level helpers shared by the crates, each written once: [`pidfd`] (a handle on one
//! process that a reused pid can never redirect) and [`flock`] (an exclusive file lock whose
//! wait is bounded and whose timeout names the holder).
//!
//! It knows nothing of containers, images or networks, and depends only on libc.

pub mod flock;
pub mod pidfd;
