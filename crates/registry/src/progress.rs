//! What a pull or push reports while it works, as Docker's progress stream has it: one
//! line per layer whose status changes ("Pulling fs layer", "Downloading", "Download
//! complete", "Pull complete", "Already exists", "Pushed", "Mounted from …"), and the
//! lines before and after. The caller renders it (a live display on a terminal, plain
//! lines otherwise); this crate only reports. Reports may come from several threads.

/// One layer's state.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum LayerStatus {
    /// Queued for download.
    PullingFsLayer,
    /// The store has it: not fetched.
    AlreadyExists,
    /// Waiting for a free transfer slot.
    Waiting,
    /// Being fetched.
    Downloading {
        /// Bytes so far.
        current: u64,
        /// The blob's size.
        total: u64,
    },
    /// Fetched and verified.
    DownloadComplete,
    /// Unpacked into the store.
    PullComplete,
    /// Being made ready to push (compressed on the fly).
    Preparing,
    /// Being uploaded.
    Pushing {
        /// Bytes so far.
        current: u64,
        /// The size, when known before the upload.
        total: Option<u64>,
    },
    /// Uploaded.
    Pushed,
    /// The repository has it: not uploaded.
    LayerAlreadyExists,
    /// Mounted from another repository of the registry (its name).
    MountedFrom(String),
}

impl LayerStatus {
    /// Docker's words for it ("Download complete").
    pub fn text(&self) -> String {
        match self {
            LayerStatus::PullingFsLayer => "Pulling fs layer".into(),
            LayerStatus::AlreadyExists => "Already exists".into(),
            LayerStatus::Waiting => "Waiting".into(),
            LayerStatus::Downloading { .. } => "Downloading".into(),
            LayerStatus::DownloadComplete => "Download complete".into(),
            LayerStatus::PullComplete => "Pull complete".into(),
            LayerStatus::Preparing => "Preparing".into(),
            LayerStatus::Pushing { .. } => "Pushing".into(),
            LayerStatus::Pushed => "Pushed".into(),
            LayerStatus::LayerAlreadyExists => "Layer already exists".into(),
            LayerStatus::MountedFrom(r) => format!("Mounted from {r}"),
        }
    }

    /// Whether this is a byte count update (shown live on a terminal, skipped otherwise).
    pub fn is_transfer(&self) -> bool {
        matches!(
            self,
            LayerStatus::Downloading { .. } | LayerStatus::Pushing { .. }
        )
    }
}

/// A report.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Event {
    /// A line of its own: "latest: Pulling from library/busybox", "Digest: sha256:…",
    /// "Status: Downloaded newer image for busybox:latest".
    Line(String),
    /// A layer (12 hex digits of its digest) changed state.
    Layer {
        /// 12 hex digits of the layer's digest.
        id: String,
        /// Its new state.
        status: LayerStatus,
    },
}

/// Where reports go.
pub trait Progress: Sync {
    /// Takes one report (from any thread).
    fn report(&self, event: Event);
}

/// Reports nowhere.
pub struct Silent;

impl Progress for Silent {
    fn report(&self, _: Event) {}
}

/// The 12-hex-digit id Docker shows for a blob digest.
pub fn short_id(digest: &str) -> String {
    let hex = digest.split_once(':').map_or(digest, |(_, h)| h);
    hex.chars().take(12).collect()
}
