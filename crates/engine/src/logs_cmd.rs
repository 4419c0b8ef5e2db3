//! `docker logs [-f] [--tail N] [-t]` over the json-file log and its rotated files (see
//! `logs/`). A container with the `none` log driver has no log to read.

use std::io::Write;

use crate::engine::Engine;
use crate::error::{Error, Result};
use crate::logs::{log_path, read_logs};
use crate::record::Status;
use crate::request::LogOptions;
use crate::types::LogDriver;

impl Engine {
    /// `docker logs`: the container's log, stdout entries to `out` and stderr ones to `err`;
    /// the rotated files oldest first, then the current one; with `follow`, across rotations
    /// until the container ends. The none driver keeps no log: Error::Unsupported.
    pub fn logs(
        &self,
        c: &str,
        opts: &LogOptions,
        out: &mut dyn Write,
        err: &mut dyn Write,
    ) -> Result<()> {
        let id = self.resolve(c)?;
        self.reconcile_one(&id)?;
        if self.store.config(&id)?.request.log.driver == LogDriver::None {
            // Docker's words.
            return Err(Error::Unsupported(
                "configured logging driver does not support reading".into(),
            ));
        }
        let path = log_path(&self.container_dir(&id), &id);
        let mut running = || {
            self.store.state(&id).is_ok_and(|s| {
                matches!(
                    s.status,
                    Status::Running | Status::Restarting | Status::Creating
                )
            })
        };
        read_logs(&path, opts, out, err, &mut running)
    }
}
