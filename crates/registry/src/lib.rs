//! six-registry: sixdocker's registry client. It reads image references as Docker does
//! (`reference.rs`), speaks the OCI Distribution v2 API to registries (`client.rs`: TLS,
//! plain HTTP for insecure registries, bearer-token and basic auth), pulls images
//! (`pull.rs`: manifests, lists and platforms in `manifest.rs`, blobs verified while they
//! stream in `verify.rs`), pushes them (`push.rs`) and keeps Docker-compatible credentials
//! (`credentials.rs`). Progress is reported, never printed (`progress.rs`).
//!
//! It never touches layers on disk: what it fetches it hands, verified, to six-image's store,
//! and what it pushes it reads from there. Blocking I/O only: ureq over rustls, with std
//! threads for concurrent layers. (oci-client was judged and not taken: it needs tokio and
//! reqwest, an async runtime in a CLI whose container start path must stay lean, and it
//! buffers or spools blobs itself where we stream them into the store.)

#![forbid(unsafe_code)]
#![deny(missing_docs)]

mod auth;
mod client;
pub mod credentials;
mod download;
mod error;
mod login;
pub mod manifest;
mod options;
mod parallel;
pub mod progress;
mod pull;
mod push;
mod reference;
mod tls;
mod verify;

pub use auth::Credentials;
pub use download::{download, Download};
pub use error::{Error, Result};
pub use login::{check_login, login, logout, registry_domain};
pub use manifest::Platform;
pub use options::{Options, DEFAULT_CERTS_DIR};
pub use progress::{Event, LayerStatus, Progress, Silent};
pub use pull::{pull, PullOptions, Pulled};
pub use push::{push, Pushed};
pub use reference::{validate_digest, Reference, ReferenceError, DOCKER_HUB};
