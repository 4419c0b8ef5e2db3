//! Where sixrun's log lines go, in runc's (logrus') formats: `--log FILE` (only there, as
//! runc) or else stderr; `--log-format text` lines `time="…" level=debug msg="…" key=value`,
//! `json` objects `{"level","msg","time",…}` (keys sorted, as logrus writes them), the ones
//! containerd and conmon parse. The runtime's `tracing` events are these lines: warnings
//! always, and with `--debug` every step of the start path (each span's close, with its
//! timing) too, for `create`, `run` and `exec` alike. The container's init logs its own
//! steps only into a `--log` file: on stderr it logs nothing, because sixrun's stderr is
//! often the container's own (`run` and `create` without a terminal pass their stdio on), and
//! no `--debug` line may reach a container's output (`--trace` shows the init's steps
//! without that risk).
//!
//! An error on stderr in text format stays one line a person reads: `sixrun: message`.
//! This file owns the formats only; it never decides what is an error.

use std::fmt::{self, Write as _};
use std::fs::{File, OpenOptions};
use std::io::Write;
use std::path::Path;
use std::sync::Mutex;

use tracing::{Event, Subscriber};
use tracing_subscriber::fmt::format::{FmtSpan, Writer};
use tracing_subscriber::fmt::{FmtContext, FormatEvent, FormatFields, FormattedFields};
use tracing_subscriber::registry::LookupSpan;

use crate::cli::LogFormat;

pub struct Logger {
    file: Option<Mutex<File>>,
    format: LogFormat,
    /// The lowest descriptor the log may use: above the caller's descriptors that a
    /// `--preserve-fds N` passes to the container (3 .. 3+N), so none of them is the log's.
    min_fd: i32,
}

/// The lowest descriptor a log uses when nothing is preserved: out of the way of the
/// descriptors a caller usually hands to a container.
const LOG_FD_FLOOR: i32 = 256;

/// logrus' timestamp: RFC 3339 in seconds.
fn now() -> String {
    chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

/// A logrus text value: bare when it is one plain word, else quoted with escapes.
fn text_value(v: &str) -> String {
    let plain = !v.is_empty()
        && v.chars()
            .all(|c| c.is_ascii_alphanumeric() || "-._/@^+".contains(c));
    if plain {
        v.to_owned()
    } else {
        format!("{v:?}")
    }
}

/// One line in `format`: level, msg, time, then `fields` (sorted by key, as logrus).
fn line(format: LogFormat, level: &str, msg: &str, fields: &[(String, String)]) -> String {
    let mut fields = fields.to_vec();
    fields.sort();
    match format {
        LogFormat::Json => {
            let mut m = serde_json::Map::new();
            for (k, v) in fields {
                m.insert(k, serde_json::Value::String(v));
            }
            m.insert("level".into(), level.into());
            m.insert("msg".into(), msg.into());
            m.insert("time".into(), now().into());
            serde_json::Value::Object(m).to_string()
        }
        LogFormat::Text => {
            let mut s = format!("time=\"{}\" level={level} msg={}", now(), text_value(msg));
            for (k, v) in fields {
                let _ = write!(s, " {k}={}", text_value(&v));
            }
            s
        }
    }
}

impl Logger {
    /// `preserve_fds`: the command's `--preserve-fds` (0 for the others).
    pub fn open(
        path: Option<&Path>,
        format: LogFormat,
        preserve_fds: u32,
    ) -> anyhow::Result<Logger> {
        let min_fd = LOG_FD_FLOOR.max(3 + i32::try_from(preserve_fds).unwrap_or(i32::MAX - 4) + 1);
        let file = match path {
            Some(p) => Some(Mutex::new(above(open_append(p)?, min_fd)?)),
            None => None,
        };
        Ok(Logger {
            file,
            format,
            min_fd,
        })
    }

    /// One error line: in the log file when there is one (only there, as runc: Podman and
    /// containerd read it from there), else on stderr.
    pub fn error(&self, msg: &str) {
        match (&self.file, self.format) {
            (Some(f), format) => {
                if let Ok(mut f) = f.lock() {
                    let _ = writeln!(f, "{}", line(format, "error", msg, &[]));
                }
            }
            (None, LogFormat::Json) => eprintln!("{}", line(LogFormat::Json, "error", msg, &[])),
            (None, LogFormat::Text) => eprintln!("sixrun: {msg}"),
        }
    }

    /// A warning line, as the runtime's: through the log `install` set up.
    pub fn warn(&self, msg: &str) {
        tracing::warn!("{msg}");
    }

    /// Sends the runtime's `tracing` events to the log, as runc's log lines: warnings (and
    /// info) always; with `debug`, every event and every span's close with its timing. Into
    /// the log file if given (the container's init logs there too), else a private copy of
    /// stderr (never fd 2 itself), where only this process logs: the stderr we were given is
    /// often the container's own.
    pub fn install(&self, path: Option<&Path>, debug: bool) -> anyhow::Result<()> {
        let writer: File = match path {
            Some(p) => above(open_append(p)?, self.min_fd)?,
            None => dup_above(2, self.min_fd)?,
        };
        if path.is_some() {
            six_runtime::trace_child_steps();
        }
        let (level, spans) = if debug {
            (tracing::Level::DEBUG, FmtSpan::CLOSE)
        } else {
            (tracing::Level::INFO, FmtSpan::NONE)
        };
        tracing_subscriber::fmt()
            .with_max_level(level)
            .with_span_events(spans)
            .with_writer(Mutex::new(Quiet(writer)))
            .with_ansi(false)
            .event_format(RuncFormat(self.format))
            .try_init()
            .map_err(|e| anyhow::anyhow!("setting up the log: {e}"))
    }
}

/// A close-on-exec copy of descriptor `fd` numbered `min` or above (or, where the limit on
/// open files is lower, the lowest free one above the preserved range's start).
fn dup_above(fd: i32, min: i32) -> anyhow::Result<File> {
    // SAFETY: F_DUPFD_CLOEXEC on a descriptor of ours; the result is checked.
    let mut new = unsafe { libc::fcntl(fd, libc::F_DUPFD_CLOEXEC, min) };
    if new < 0 && std::io::Error::last_os_error().raw_os_error() == Some(libc::EINVAL) {
        // SAFETY: as above.
        new = unsafe { libc::fcntl(fd, libc::F_DUPFD_CLOEXEC, 3) };
    }
    if new < 0 {
        return Err(anyhow::anyhow!(
            "moving the log's descriptor: {}",
            std::io::Error::last_os_error()
        ));
    }
    // SAFETY: a fresh descriptor we own.
    Ok(unsafe { std::os::fd::FromRawFd::from_raw_fd(new) })
}

/// `f` moved to a descriptor numbered `min` or above.
fn above(f: File, min: i32) -> anyhow::Result<File> {
    use std::os::fd::AsRawFd;
    if f.as_raw_fd() >= min {
        return Ok(f);
    }
    dup_above(f.as_raw_fd(), min)
}

fn open_append(p: &Path) -> anyhow::Result<File> {
    OpenOptions::new()
        .create(true)
        .append(true)
        .open(p)
        .map_err(|e| anyhow::anyhow!("opening log file {}: {e}", p.display()))
}

/// logrus' name of a level.
fn level_name(l: tracing::Level) -> &'static str {
    match l {
        tracing::Level::TRACE => "trace",
        tracing::Level::DEBUG => "debug",
        tracing::Level::INFO => "info",
        tracing::Level::WARN => "warning",
        tracing::Level::ERROR => "error",
    }
}

/// A `tracing` event as one runc log line. msg: the spans it is in (with their fields), then
/// its message ("create{id=\"c1\"}:cgroup: close"); its other fields (a span's `time.busy`,
/// an error's chain) become the line's fields.
struct RuncFormat(LogFormat);

impl<S, N> FormatEvent<S, N> for RuncFormat
where
    S: Subscriber + for<'a> LookupSpan<'a>,
    N: for<'a> FormatFields<'a> + 'static,
{
    fn format_event(
        &self,
        ctx: &FmtContext<'_, S, N>,
        mut w: Writer<'_>,
        event: &Event<'_>,
    ) -> fmt::Result {
        let mut msg = String::new();
        for span in ctx.event_scope().into_iter().flat_map(|s| s.from_root()) {
            if !msg.is_empty() {
                msg.push(':');
            }
            msg.push_str(span.name());
            if let Some(fields) = span.extensions().get::<FormattedFields<N>>() {
                if !fields.is_empty() {
                    let _ = write!(msg, "{{{fields}}}");
                }
            }
        }
        let mut fields = Fields::default();
        event.record(&mut fields);
        if let Some(m) = fields.message {
            if !msg.is_empty() {
                msg.push_str(": ");
            }
            msg.push_str(&m);
        }
        let level = level_name(*event.metadata().level());
        writeln!(w, "{}", line(self.0, level, &msg, &fields.others))
    }
}

/// An event's message and other fields, as text.
#[derive(Default)]
struct Fields {
    message: Option<String>,
    others: Vec<(String, String)>,
}

impl tracing::field::Visit for Fields {
    fn record_debug(&mut self, field: &tracing::field::Field, value: &dyn fmt::Debug) {
        self.record_str(field, &format!("{value:?}"));
    }

    fn record_str(&mut self, field: &tracing::field::Field, value: &str) {
        if field.name() == "message" {
            self.message = Some(value.to_owned());
        } else {
            self.others
                .push((field.name().to_owned(), value.to_owned()));
        }
    }

    fn record_error(
        &mut self,
        field: &tracing::field::Field,
        value: &(dyn std::error::Error + 'static),
    ) {
        let mut text = value.to_string();
        let mut source = value.source();
        while let Some(s) = source {
            let _ = write!(text, ": {s}");
            source = s.source();
        }
        self.record_str(field, &text);
    }
}

/// A log sink that drops what it cannot write: in a container's init the descriptor is
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_have_runcs_fields() {
        let t = line(
            LogFormat::Text,
            "debug",
            "create: close",
            &[("time.busy".into(), "1.2ms".into())],
        );
        assert!(t.starts_with("time=\""), "{t}");
        assert!(
            t.ends_with(" level=debug msg=\"create: close\" time.busy=1.2ms"),
            "{t}"
        );
        let j: serde_json::Value = serde_json::from_str(&line(
            LogFormat::Json,
            "error",
            "container does not exist",
            &[],
        ))
        .unwrap();
        assert_eq!(j["level"], "error");
        assert_eq!(j["msg"], "container does not exist");
        let time = j["time"].as_str().unwrap();
        assert!(chrono::DateTime::parse_from_rfc3339(time).is_ok(), "{time}");
        assert_eq!(text_value("plain-word_1.2/x"), "plain-word_1.2/x");
        assert_eq!(text_value("two words"), "\"two words\"");
        assert_eq!(text_value(""), "\"\"");
    }
}
