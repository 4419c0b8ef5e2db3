//! Showing a build's events as `docker build --progress` does: `plain` (BuildKit's plain
//! lines: `#3 [2/5] RUN make`, its output with seconds since the step began, `#3 DONE 0.4s`,
//! `#3 CACHED`) and `tty` (a live view redrawn in place: finished steps with their times
//! above, the running one with its clock and its last lines of output below). `-q` shows
//! nothing ([`crate::Silent`]).

use std::collections::{HashMap, VecDeque};
use std::io::Write;
use std::time::{Duration, Instant};

use crate::progress::{Event, Progress};

/// BuildKit's plain output.
pub struct Plain<W: Write> {
    out: W,
    steps: HashMap<usize, (Instant, Vec<u8>)>,
}

impl<W: Write> Plain<W> {
    /// Plain lines on `out`.
    pub fn new(out: W) -> Plain<W> {
        Plain {
            out,
            steps: HashMap::new(),
        }
    }

    fn flush_partial(&mut self, id: usize) {
        if let Some((start, partial)) = self.steps.get_mut(&id) {
            if !partial.is_empty() {
                let line = String::from_utf8_lossy(partial).into_owned();
                partial.clear();
                let t = start.elapsed().as_secs_f64();
                let _ = writeln!(self.out, "#{id} {t:.3} {line}");
            }
        }
    }
}

impl<W: Write> Progress for Plain<W> {
    fn event(&mut self, e: Event<'_>) {
        match e {
            Event::Start { id, name } => {
                self.steps.insert(id, (Instant::now(), Vec::new()));
                let _ = writeln!(self.out, "#{id} {name}");
            }
            Event::Cached { id } => {
                let _ = writeln!(self.out, "#{id} CACHED\n");
            }
            Event::Output { id, data } => {
                let Some((start, partial)) = self.steps.get_mut(&id) else {
                    return;
                };
                let t = start.elapsed().as_secs_f64();
                partial.extend_from_slice(data);
                while let Some(at) = partial.iter().position(|b| *b == b'\n') {
                    let line: Vec<u8> = partial.drain(..=at).collect();
                    let text = String::from_utf8_lossy(&line[..line.len() - 1]).into_owned();
                    let _ = writeln!(self.out, "#{id} {t:.3} {text}");
                }
            }
            Event::Note { id, text } => {
                let _ = writeln!(self.out, "#{id} {text}");
            }
            Event::Done { id, elapsed } => {
                self.flush_partial(id);
                let _ = writeln!(self.out, "#{id} DONE {:.1}s\n", elapsed.as_secs_f64());
            }
            Event::Failed {
                id,
                elapsed,
                message,
            } => {
                self.flush_partial(id);
                let _ = writeln!(self.out, "#{id} ERROR: {message}");
                let _ = writeln!(self.out, "#{id} {:.1}s\n", elapsed.as_secs_f64());
            }
            Event::Tick => {}
            Event::Warning(w) => {
                let _ = writeln!(self.out, "WARNING: {w}");
            }
        }
        let _ = self.out.flush();
    }
}

/// How many lines of a running step's output the live view keeps.
const TAIL: usize = 6;

/// The live view for a terminal.
pub struct Tty<W: Write> {
    out: W,
    began: Instant,
    width: usize,
    running: Vec<Running>,
    finished: usize,
    /// Lines of the redrawn area now on the screen.
    drawn: usize,
    last_draw: Option<Instant>,
}

struct Running {
    id: usize,
    name: String,
    start: Instant,
    tail: VecDeque<String>,
    partial: Vec<u8>,
}

impl<W: Write> Tty<W> {
    /// A live view on `out`, `width` columns wide.
    pub fn new(out: W, width: usize) -> Tty<W> {
        Tty {
            out,
            began: Instant::now(),
            width: width.max(20),
            running: Vec::new(),
            finished: 0,
            drawn: 0,
            last_draw: None,
        }
    }

    fn fit(&self, s: &str) -> String {
        let clean: String = s
            .chars()
            .map(|c| if c.is_control() { ' ' } else { c })
            .collect();
        clean.chars().take(self.width - 1).collect()
    }

    /// A step's line: name left, time right.
    fn step_line(&self, prefix: &str, name: &str, time: Duration) -> String {
        let t = format!("{:.1}s", time.as_secs_f64());
        let room = self.width.saturating_sub(t.len() + 2);
        let left: String = format!("{prefix}{name}").chars().take(room).collect();
        let pad = room.saturating_sub(left.chars().count());
        self.fit(&format!("{left}{} {t}", " ".repeat(pad)))
    }

    fn erase(&mut self) {
        if self.drawn > 0 {
            let _ = write!(self.out, "\x1b[{}A\x1b[J", self.drawn);
            self.drawn = 0;
        }
    }

    fn draw(&mut self) {
        let mut lines = vec![self.fit(&format!(
            "[+] Building {:.1}s ({} finished)",
            self.began.elapsed().as_secs_f64(),
            self.finished
        ))];
        for r in &self.running {
            lines.push(self.step_line(" => ", &r.name, r.start.elapsed()));
            for l in &r.tail {
                lines.push(self.fit(&format!(" => => # {l}")));
            }
        }
        self.erase();
        for l in &lines {
            let _ = writeln!(self.out, "{l}");
        }
        self.drawn = lines.len();
        self.last_draw = Some(Instant::now());
        let _ = self.out.flush();
    }

    /// Prints a finished step above the live area.
    fn finish(&mut self, id: usize, prefix: &str, time: Duration) {
        let name = match self.running.iter().position(|r| r.id == id) {
            Some(i) => self.running.remove(i).name,
            None => return,
        };
        self.finished += 1;
        self.erase();
        let line = self.step_line(" => ", &format!("{prefix}{name}"), time);
        let _ = writeln!(self.out, "{line}");
        self.draw();
    }
}

impl<W: Write> Progress for Tty<W> {
    fn event(&mut self, e: Event<'_>) {
        match e {
            Event::Start { id, name } => {
                self.running.push(Running {
                    id,
                    name: name.to_owned(),
                    start: Instant::now(),
                    tail: VecDeque::new(),
                    partial: Vec::new(),
                });
                self.draw();
            }
            Event::Cached { id } => self.finish(id, "CACHED ", Duration::ZERO),
            Event::Output { id, data } => {
                if let Some(r) = self.running.iter_mut().find(|r| r.id == id) {
                    r.partial.extend_from_slice(data);
                    while let Some(at) = r.partial.iter().position(|b| *b == b'\n') {
                        let line: Vec<u8> = r.partial.drain(..=at).collect();
                        r.tail.push_back(
                            String::from_utf8_lossy(&line[..line.len() - 1]).into_owned(),
                        );
                        if r.tail.len() > TAIL {
                            r.tail.pop_front();
                        }
                    }
                }
                if self
                    .last_draw
                    .is_none_or(|t| t.elapsed() > Duration::from_millis(50))
                {
                    self.draw();
                }
            }
            Event::Note { id, text } => {
                if let Some(r) = self.running.iter_mut().find(|r| r.id == id) {
                    r.tail.push_back(text.to_owned());
                    if r.tail.len() > TAIL {
                        r.tail.pop_front();
                    }
                }
                self.draw();
            }
            Event::Done { id, elapsed } => self.finish(id, "", elapsed),
            Event::Failed {
                id,
                elapsed,
                message,
            } => {
                let tail: Vec<String> = self
                    .running
                    .iter()
                    .find(|r| r.id == id)
                    .map(|r| r.tail.iter().cloned().collect())
                    .unwrap_or_default();
                self.finish(id, "ERROR ", elapsed);
                self.erase();
                for l in tail {
                    let line = self.fit(&format!(" > {l}"));
                    let _ = writeln!(self.out, "{line}");
                }
                let line = self.fit(&format!("ERROR: {message}"));
                let _ = writeln!(self.out, "{line}");
                self.draw();
            }
            Event::Tick => {
                if self
                    .last_draw
                    .is_none_or(|t| t.elapsed() > Duration::from_millis(100))
                {
                    self.draw();
                }
            }
            Event::Warning(w) => {
                self.erase();
                let _ = writeln!(self.out, "WARNING: {w}");
                self.draw();
            }
        }
    }
}

impl<W: Write> Drop for Tty<W> {
    fn drop(&mut self) {
        // The last view stays on the screen with the final time.
        self.draw();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_lines_as_buildkit_prints_them() {
        let mut buf = Vec::new();
        {
            let mut p = Plain::new(&mut buf);
            p.event(Event::Start {
                id: 1,
                name: "[1/2] FROM busybox",
            });
            p.event(Event::Done {
                id: 1,
                elapsed: Duration::from_millis(20),
            });
            p.event(Event::Start {
                id: 2,
                name: "[2/2] RUN echo hi",
            });
            p.event(Event::Output { id: 2, data: b"h" });
            p.event(Event::Output {
                id: 2,
                data: b"i\nthere",
            });
            p.event(Event::Failed {
                id: 2,
                elapsed: Duration::from_millis(400),
                message: "exit code: 3",
            });
            p.event(Event::Start {
                id: 3,
                name: "[1/1] COPY a /a",
            });
            p.event(Event::Cached { id: 3 });
        }
        let text = String::from_utf8(buf).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines[0], "#1 [1/2] FROM busybox");
        assert_eq!(lines[1], "#1 DONE 0.0s");
        assert!(
            lines[4].starts_with("#2 0.") && lines[4].ends_with(" hi"),
            "{text}"
        );
        assert!(lines[5].ends_with(" there"), "{text}");
        assert_eq!(lines[6], "#2 ERROR: exit code: 3");
        assert!(text.contains("#3 CACHED\n"));
    }

    #[test]
    fn the_live_view_redraws_in_place() {
        let mut buf = Vec::new();
        {
            let mut t = Tty::new(&mut buf, 60);
            t.event(Event::Start {
                id: 1,
                name: "[1/1] RUN make",
            });
            t.event(Event::Output {
                id: 1,
                data: b"compiling\n",
            });
            t.event(Event::Done {
                id: 1,
                elapsed: Duration::from_millis(1500),
            });
        }
        let text = String::from_utf8(buf).unwrap();
        assert!(text.contains("\x1b["), "cursor moves");
        assert!(text.contains(" => [1/1] RUN make"));
        assert!(text.contains("1.5s"));
        assert!(text
            .lines()
            .all(|l| l.chars().filter(|c| !c.is_control()).count() <= 80));
    }
}
