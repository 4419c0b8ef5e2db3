//! Low-level helpers shared by the crates, each written once: [`pidfd`] (a handle on one
//! process that a reused pid can never redirect), [`flock`] (an exclusive file lock whose
//! wait is bounded and whose timeout names the holder), [`proc`] (facts about a process from
//! `/proc`), [`fd`] (moving an fd above the preserved ones, writing a whole buffer) and
//! [`atomic`] (writing a file whole, durably if asked).
//!
//! It knows nothing of containers, images or networks, and depends only on libc.

#![deny(missing_docs)]

pub mod atomic;
pub mod fd;
pub mod flock;
pub mod pidfd;
pub mod proc;
