//! six-registry: sixdocker's registry client. It reads image references as Docker does
//! (`reference.rs`).
//!
//! It never touches layers on disk: what it fetches it hands, verified, to six-image's store.

mod reference;

pub use reference::{validate_digest, Reference, ReferenceError, DOCKER_HUB};
