//! `run --init`: sixinit (`init/sixinit.rs`, built static by the build script and embedded
//! here) is installed once per build under `<root>/bin/sixinit-<hash>` and bind-mounted
//! read-only at /sbin/docker-init in the container, whose process it then runs as PID 1
//! (forwarding signals, reaping zombies). Nothing here runs on a start without `--init`.

use std::os::unix::fs::PermissionsExt;
use std::path::PathBuf;

use crate::engine::Engine;
use crate::error::{Error, Result};

/// The init's bytes (a static executable).
const SIXINIT: &[u8] = include_bytes!(concat!(env!("OUT_DIR"), "/sixinit"));

/// Where the init is in the container (Docker's path for its own).
pub(crate) const INIT_PATH: &str = "/sbin/docker-init";

impl Engine {
    /// The installed init, installed now if this build's is not there yet.
    pub(crate) fn init_binary(&self) -> Result<PathBuf> {
        let dir = self.opts.root.join("bin");
        let path = dir.join(format!("sixinit-{}", env!("SIXINIT_HASH")));
        if path.is_file() {
            return Ok(path);
        }
        std::fs::create_dir_all(&dir).map_err(|e| Error::at("creating", &dir, e))?;
        let temp = dir.join(format!(".sixinit-{}", std::process::id()));
        let written = std::fs::write(&temp, SIXINIT)
            .and_then(|()| std::fs::set_permissions(&temp, std::fs::Permissions::from_mode(0o755)))
            .and_then(|()| std::fs::rename(&temp, &path));
        if let Err(e) = written {
            let _ = std::fs::remove_file(&temp);
            return Err(Error::at("installing the init", &path, e));
        }
        Ok(path)
    }
}

/// The process's arguments under the init: `/sbin/docker-init -- ARGS...`.
pub(crate) fn under_init(args: &[String]) -> Vec<String> {
    [INIT_PATH.to_owned(), "--".to_owned()]
        .into_iter()
        .chain(args.iter().cloned())
        .collect()
}
