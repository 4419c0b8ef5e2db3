//! Where sixrun's errors and debug output go: stderr always, and `--log FILE` in runc's
//! formats — text, or JSON lines `{"level","msg","time"}` that containerd and conmon parse.
//! With `--debug`, the runtime's tracing spans are printed with their timings.
//!
//! It owns the output formats only; it never decides what is an error.

use std::fs::{File, OpenOptions};
use std::io::Write;
use std::path::Path;
use std::sync::Mutex;

use crate::cli::LogFormat;

pub struct Logger {
    file: Option<Mutex<File>>,
    format: LogFormat,
}

fn now() -> String {
    chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Nanos, true)
}

impl Logger {
    pub fn open(path: Option<&Path>, format: LogFormat) -> anyhow::Result<Logger> {
        let file = match path {
            Some(p) => Some(Mutex::new(
                OpenOptions::new()
                    .create(true)
                    .append(true)
                    .open(p)
                    .map_err(|e| anyhow::anyhow!("opening log file {}: {e}", p.display()))?,
            )),
            None => None,
        };
        Ok(Logger { file, format })
    }

    /// One error line: in the log file when there is one (as runc: only there; Podman and
    /// containerd read it from there), else on stderr.
    pub fn error(&self, msg: &str) {
        if !self.to_file("error", msg) {
            eprintln!("sixrun: {msg}");
        }
    }

    pub fn warn(&self, msg: &str) {
        if !self.to_file("warning", msg) {
            eprintln!("sixrun: warning: {msg}");
        }
    }

    /// Whether there is a log file (and so the line went there).
    fn to_file(&self, level: &str, msg: &str) -> bool {
        let Some(f) = &self.file else { return false };
        let line = match self.format {
            LogFormat::Json => {
                serde_json::json!({"level": level, "msg": msg, "time": now()}).to_string()
            }
            LogFormat::Text => format!("time=\"{}\" level={level} msg={:?}", now(), msg),
        };
        if let Ok(mut f) = f.lock() {
            let _ = writeln!(f, "{line}");
        }
        true
    }

    /// Turns on tracing output (span timings) for `--debug`: to the log file if given, else
    /// to a private copy of stderr (so a container's stdio never receives it).
    pub fn enable_debug(&self, path: Option<&Path>) -> anyhow::Result<()> {
        use tracing_subscriber::fmt::format::FmtSpan;
        let writer: File = match path {
            Some(p) => OpenOptions::new().create(true).append(true).open(p)?,
            None => {
                // SAFETY: F_DUPFD_CLOEXEC on stderr.
                let fd = unsafe { libc::fcntl(2, libc::F_DUPFD_CLOEXEC, 3) };
                if fd < 0 {
                    return Err(std::io::Error::last_os_error().into());
                }
                // SAFETY: a fresh fd we own.
                unsafe { std::os::fd::FromRawFd::from_raw_fd(fd) }
            }
        };
        // Never fd 2 itself: the container's init may trace its steps as well.
        six_runtime::trace_child_steps();
        let writer = Mutex::new(Quiet(writer));
        let builder = tracing_subscriber::fmt()
            .with_max_level(tracing::Level::DEBUG)
            .with_span_events(FmtSpan::CLOSE)
            .with_writer(writer)
            .with_ansi(false);
        let res = if self.format == LogFormat::Json && path.is_some() {
            builder.json().try_init()
        } else {
            builder.try_init()
        };
        res.map_err(|e| anyhow::anyhow!("setting up debug output: {e}"))
    }
}

/// A debug sink that drops what it cannot write: in a container's init the descriptor is
/// closed before execve, and a complaint on stderr would land in the container's output.
struct Quiet(File);

impl Write for Quiet {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        Ok(self.0.write(buf).unwrap_or(buf.len()))
    }

    fn flush(&mut self) -> std::io::Result<()> {
        let _ = self.0.flush();
        Ok(())
    }
}
