//! Pull and push progress as Docker's CLI shows it. On a terminal: one live line per layer
//! ("a3ed95caeb02: Downloading [=====>     ]  1.2MB/3.4MB  5.1MB/s"), redrawn in place at most
//! ten times a second. Elsewhere (pipes, logs, tests): plain lines, one when a layer's
//! status changes, no byte counts. Lines go to stdout, as Docker's do; `quiet` prints none.

use std::collections::HashMap;
use std::io::{IsTerminal, Write};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use six_registry::{Event, LayerStatus, Progress};

use super::human;

const BAR_WIDTH: u64 = 50;
const REDRAW_EVERY: Duration = Duration::from_millis(100);

pub struct TransferView {
    live: bool,
    quiet: bool,
    /// Draw on stderr instead of stdout (a `run`'s stdout belongs to its container).
    stderr: bool,
    state: Mutex<State>,
}

#[derive(Default)]
struct State {
    /// Layer ids in the order they were first reported, and what each line says.
    order: Vec<String>,
    lines: HashMap<String, String>,
    last_status: HashMap<String, String>,
    started: HashMap<String, Instant>,
    /// How many layer lines are on the screen below the last plain line.
    drawn: usize,
    last_draw: Option<Instant>,
}

impl TransferView {
    /// Live on a terminal, plain lines otherwise; nothing at all when `quiet`.
    pub fn for_stdout(quiet: bool) -> TransferView {
        TransferView {
            live: !quiet && std::io::stdout().is_terminal(),
            quiet,
            stderr: false,
            state: Mutex::new(State::default()),
        }
    }

    /// For `run`/`create`: live on stderr's terminal, plain lines on stderr otherwise.
    pub fn for_stderr() -> TransferView {
        TransferView {
            live: std::io::stderr().is_terminal(),
            quiet: false,
            stderr: true,
            state: Mutex::new(State::default()),
        }
    }

    /// A plain line, after the layer lines (on a terminal: below their final state).
    pub fn line(&self, text: &str) {
        self.report(Event::Line(text.to_owned()));
    }
}

impl Progress for TransferView {
    fn report(&self, event: Event) {
        if self.quiet {
            return;
        }
        let mut st = self.state.lock().unwrap_or_else(|p| p.into_inner());
        let mut out: Box<dyn Write> = match self.stderr {
            true => Box::new(std::io::stderr().lock()),
            false => Box::new(std::io::stdout().lock()),
        };
        match event {
            Event::Line(text) => {
                if self.live {
                    redraw(&mut st, &mut out);
                    st.order.clear();
                    st.lines.clear();
                    st.drawn = 0;
                }
                let _ = writeln!(out, "{text}");
            }
            Event::Layer { id, status } => {
                if !self.live {
                    let text = status.text();
                    if status.is_transfer() || st.last_status.get(&id) == Some(&text) {
                        return;
                    }
                    st.last_status.insert(id.clone(), text.clone());
                    let _ = writeln!(out, "{id}: {text}");
                    return;
                }
                let started = *st.started.entry(id.clone()).or_insert_with(Instant::now);
                let line = layer_line(&id, &status, started.elapsed());
                if !st.lines.contains_key(&id) {
                    st.order.push(id.clone());
                }
                st.lines.insert(id, line);
                let due = st.last_draw.is_none_or(|t| t.elapsed() >= REDRAW_EVERY);
                if !status.is_transfer() || due {
                    redraw(&mut st, &mut out);
                }
            }
        }
        let _ = out.flush();
    }
}

/// Rewrites the layer lines in place (cursor up over the ones drawn before).
fn redraw(st: &mut State, out: &mut dyn Write) {
    if st.drawn > 0 {
        let _ = write!(out, "\x1b[{}A", st.drawn);
    }
    for id in &st.order {
        let _ = writeln!(
            out,
            "\x1b[2K{}",
            st.lines.get(id).map_or("", String::as_str)
        );
    }
    st.drawn = st.order.len();
    st.last_draw = Some(Instant::now());
}

/// `id: Downloading [=====>    ]  1.2MB/3.4MB  5.1MB/s`, or `id: Pull complete`.
fn layer_line(id: &str, status: &LayerStatus, elapsed: Duration) -> String {
    let (current, total) = match status {
        LayerStatus::Downloading { current, total } => (*current, Some(*total)),
        LayerStatus::Pushing { current, total } => (*current, *total),
        _ => return format!("{id}: {}", status.text()),
    };
    let secs = elapsed.as_secs_f64().max(0.001);
    let speed = format!("{}/s", human::size((current as f64 / secs) as u64));
    match total.filter(|t| *t > 0) {
        Some(total) => {
            let filled = (current.min(total) * BAR_WIDTH / total) as usize;
            let bar = match filled {
                0 => " ".repeat(BAR_WIDTH as usize),
                f if f as u64 >= BAR_WIDTH => "=".repeat(f),
                f => format!(
                    "{}>{}",
                    "=".repeat(f - 1),
                    " ".repeat(BAR_WIDTH as usize - f)
                ),
            };
            format!(
                "{id}: {} [{bar}] {:>8}/{}  {speed}",
                status.text(),
                human::size(current),
                human::size(total)
            )
        }
        None => format!("{id}: {} {}  {speed}", status.text(), human::size(current)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn layer_lines_read_like_dockers() {
        let l = layer_line(
            "a3ed95caeb02",
            &LayerStatus::Downloading {
                current: 500,
                total: 1000,
            },
            Duration::from_secs(1),
        );
        assert!(
            l.starts_with("a3ed95caeb02: Downloading [========================>"),
            "{l}"
        );
        assert!(l.contains("/s"), "{l}");
        let done = layer_line("a3ed95caeb02", &LayerStatus::PullComplete, Duration::ZERO);
        assert_eq!(done, "a3ed95caeb02: Pull complete");
    }
}
