//! The printer: records as lines on stderr — text for people, or one JSON object a line for
//! tools — and at the end a summary of the time spent in each phase (image, rootfs, cgroups,
//! namespaces, network, exec).
//!
//! A text line: when the step was done (since the command started), the process (role[pid]), the kind of
//! step, what it did (`= EPERM` when the kernel refused it), how long the call took, and the
//! source line that made it:
//!
//! ```text
//!    12.345 ms  init[4321]     mount        proc on /proc type proc flags MS_NOSUID|MS_NODEV|MS_NOEXEC  (0.021 ms)  crates/rootfs/src/mounts.rs:123
//! ```
//!
//! It runs only in the printing process (it allocates); the records come from `sink.rs`.

use std::collections::HashMap;
use std::fmt::Write as _;
use std::io::Write as _;

use crate::kind::{Kind, Phase};
use crate::names::errno_name;
use crate::record::{Mark, Record};

/// How the printer writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// One line per step, for people.
    Text,
    /// One JSON object per step.
    Json,
}

impl Format {
    /// The value of `--trace=WORD`: `json`, else text.
    pub fn from_word(word: &str) -> Format {
        if word == "json" {
            Format::Json
        } else {
            Format::Text
        }
    }

    /// The format a command-line argument asks for: `--trace`, `--trace=text|json`.
    pub fn from_flag(arg: &str) -> Option<Format> {
        match arg {
            "--trace" => Some(Format::Text),
            _ => arg.strip_prefix("--trace=").map(Format::from_word),
        }
    }
}

/// The printing side's state: the format, the start, and the phases seen so far.
pub(crate) struct Printer {
    format: Format,
    t0: u64,
    /// Phases begun and not yet ended, by process: (pid, phase, begin).
    open: Vec<(i32, Phase, u64)>,
    /// Time spent in each phase (indexed by `Phase as usize`), in ns.
    totals: [u64; 7],
    steps: u64,
    lost: u64,
    /// The last time each process was heard of (its open phases end there at the latest).
    last_seen: HashMap<i32, u64>,
    last: u64,
}

impl Printer {
    pub(crate) fn new(format: Format, t0: u64) -> Printer {
        Printer {
            format,
            t0,
            open: Vec::new(),
            totals: [0; 7],
            steps: 0,
            lost: 0,
            last_seen: HashMap::new(),
            last: t0,
        }
    }

    /// Prints one record and counts it into the summary.
    pub(crate) fn print(&mut self, r: &Record) {
        let t = r.h.t_ns;
        let end = t.saturating_add(if r.h.dur_ns == u64::MAX {
            0
        } else {
            r.h.dur_ns
        });
        self.last = self.last.max(end);
        self.last_seen.insert(r.h.pid, end);
        self.lost += u64::from(r.h.lost);
        match r.mark() {
            Mark::PhaseBegin => self.open.push((r.h.pid, r.phase(), t)),
            Mark::PhaseEnd => self.close_phase(r.h.pid, Some(r.phase()), t),
            Mark::Step => self.steps += 1,
        }
        if r.kind() == Kind::Exec && r.h.errno == 0 {
            // execve does not return: whatever phases the process was in end here.
            self.close_phase(r.h.pid, None, end);
        }
        let line = match self.format {
            Format::Text => self.text_line(r),
            Format::Json => self.json_line(r),
        };
        write_stderr(&line);
    }

    /// Ends the latest open `phase` of `pid` (every open phase of it with None) at `t`.
    fn close_phase(&mut self, pid: i32, phase: Option<Phase>, t: u64) {
        while let Some(i) = self
            .open
            .iter()
            .rposition(|(p, ph, _)| *p == pid && phase.is_none_or(|want| *ph == want))
        {
            let (_, ph, begin) = self.open.remove(i);
            self.totals[ph as usize] += t.saturating_sub(begin);
            if phase.is_some() {
                break;
            }
        }
    }

    fn ms(&self, t: u64) -> f64 {
        t.saturating_sub(self.t0) as f64 / 1e6
    }

    fn text_line(&self, r: &Record) -> String {
        let who = format!("{}[{}]", r.role().name(), r.h.pid);
        let mut line = format!("{:>10.3} ms  {who:<14} ", self.ms(end_of(r)));
        match r.mark() {
            Mark::PhaseBegin => {
                let _ = write!(line, "── {} ──", r.phase().name());
            }
            Mark::PhaseEnd => {
                let _ = write!(line, "── {} done ──", r.phase().name());
            }
            Mark::Step => {
                let _ = write!(line, "{:<12} {}", r.kind().name(), r.text());
                if r.h.cut != 0 {
                    line.push('…');
                }
                if r.h.errno != 0 {
                    let _ = write!(line, " = {}", error_text(r.h.errno));
                }
                if r.h.dur_ns != u64::MAX {
                    let _ = write!(line, "  ({:.3} ms)", r.h.dur_ns as f64 / 1e6);
                }
            }
        }
        let _ = write!(line, "  {}:{}", r.file(), r.h.line);
        if r.h.lost > 0 {
            let _ = write!(line, "  ({} steps before this one were lost)", r.h.lost);
        }
        line.push('\n');
        line
    }

    fn json_line(&self, r: &Record) -> String {
        let mut line = String::from("{");
        let _ = write!(line, "\"t_ms\":{:.3}", self.ms(end_of(r)));
        if r.h.dur_ns != u64::MAX {
            let _ = write!(line, ",\"dur_ms\":{:.3}", r.h.dur_ns as f64 / 1e6);
        }
        let _ = write!(
            line,
            ",\"process\":\"{}\",\"pid\":{},\"phase\":\"{}\",\"kind\":\"{}\"",
            r.role().name(),
            r.h.pid,
            r.phase().name(),
            r.kind().name()
        );
        let detail = match r.mark() {
            Mark::PhaseBegin => "begin".to_owned(),
            Mark::PhaseEnd => "end".to_owned(),
            Mark::Step => r.text(),
        };
        line.push_str(",\"detail\":");
        json_string(&mut line, &detail);
        if r.h.cut != 0 {
            line.push_str(",\"cut\":true");
        }
        if r.h.errno != 0 {
            line.push_str(",\"error\":");
            json_string(&mut line, &error_text(r.h.errno));
        }
        line.push_str(",\"source\":");
        json_string(&mut line, &format!("{}:{}", r.file(), r.h.line));
        if r.h.lost > 0 {
            let _ = write!(line, ",\"lost_before\":{}", r.h.lost);
        }
        line.push_str("}\n");
        line
    }

    /// The time per phase, the total, the number of steps (and of lost ones).
    pub(crate) fn summary(&mut self) {
        let open: Vec<(i32, Phase)> = self.open.iter().map(|(p, ph, _)| (*p, *ph)).collect();
        for (pid, phase) in open {
            let t = self.last_seen.get(&pid).copied().unwrap_or(self.last);
            self.close_phase(pid, Some(phase), t);
        }
        let total = self.ms(self.last);
        let line = match self.format {
            Format::Text => {
                let mut s = String::from("summary:");
                let seen = Phase::ALL.iter().filter(|p| self.totals[**p as usize] > 0);
                for (i, p) in seen.enumerate() {
                    let sep = if i == 0 { " " } else { ", " };
                    let _ = write!(s, "{sep}{} {:.3} ms", p.name(), self.phase_ms(*p));
                }
                if s.len() > "summary:".len() {
                    s.push(';');
                }
                let _ = write!(s, " total {total:.3} ms, {} steps", self.steps);
                if self.lost > 0 {
                    let _ = write!(s, " ({} more lost: the trace socket was full)", self.lost);
                }
                s.push('\n');
                s
            }
            Format::Json => {
                let mut s = String::from("{\"summary\":{");
                for p in Phase::ALL {
                    let _ = write!(s, "\"{}_ms\":{:.3},", p.name(), self.phase_ms(p));
                }
                let _ = writeln!(
                    s,
                    "\"total_ms\":{total:.3},\"steps\":{},\"lost\":{}}}}}",
                    self.steps, self.lost
                );
                s
            }
        };
        write_stderr(&line);
    }

    fn phase_ms(&self, p: Phase) -> f64 {
        self.totals[p as usize] as f64 / 1e6
    }
}

/// When a step was done (a record is sent then): its start plus its duration.
fn end_of(r: &Record) -> u64 {
    match r.h.dur_ns {
        u64::MAX => r.h.t_ns,
        d => r.h.t_ns.saturating_add(d),
    }
}

/// The word for a refusal: the errno's name, or "failed" for a failure without one.
fn error_text(errno: i32) -> String {
    if errno < 0 {
        "failed".to_owned()
    } else {
        errno_name(errno).to_string()
    }
}

/// `s` as a JSON string literal.
fn json_string(out: &mut String, s: &str) {
    out.push_str(&serde_json::Value::from(s).to_string());
}

/// One line on stderr, whole (a failed write is dropped: the trace never fails a command).
fn write_stderr(line: &str) {
    let _ = std::io::stderr().lock().write_all(line.as_bytes());
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kind::Role;

    fn rec(kind: Kind, pid: i32, t_ms: u64, text: &str) -> Record {
        let mut r = Record::new(kind, Role::Init, "crates/x/src/y.rs", 7);
        r.h.pid = pid;
        r.h.t_ns = t_ms * 1_000_000;
        r.h.dur_ns = u64::MAX;
        let _ = std::fmt::Write::write_str(&mut r.detail(), text);
        r
    }

    #[test]
    fn lines_and_phases() {
        let mut p = Printer::new(Format::Text, 0);
        let mut begin = rec(Kind::Phase, 9, 1, "");
        begin.h.mark = Mark::PhaseBegin as u8;
        begin.h.phase = Phase::Rootfs as u8;
        p.print(&begin);
        let mut m = rec(Kind::Mount, 9, 2, "proc on /proc");
        m.h.errno = libc::EPERM;
        m.h.dur_ns = 500_000;
        let line = p.text_line(&m);
        assert!(line.contains(" init[9] "), "{line}");
        assert!(
            line.contains("mount        proc on /proc = EPERM  (0.500 ms)  crates/x/src/y.rs:7"),
            "{line}"
        );
        p.print(&m);
        let exec = rec(Kind::Exec, 9, 4, "/bin/true");
        p.print(&exec);
        assert_eq!(p.phase_ms(Phase::Rootfs), 3.0);
        assert_eq!(p.steps, 2);

        let j = Printer::new(Format::Json, 0).json_line(&m);
        let v: serde_json::Value = serde_json::from_str(&j).unwrap();
        assert_eq!(v["kind"], "mount");
        assert_eq!(v["error"], "EPERM");
        assert_eq!(v["source"], "crates/x/src/y.rs:7");
        assert_eq!(v["process"], Role::Init.name());
        assert_eq!(v["t_ms"], 2.5);
    }
}
