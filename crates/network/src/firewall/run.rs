//! Runs one firewall program (`iptables-save`, `iptables-restore`, `nft`) to its end or to
//! a deadline. Its input is written and its output read as they go, in one poll loop, so no
//! full pipe can stall either side; a program still running at the deadline is killed and
//! reaped. No caller (a container's monitor cleaning up, a `network rm`) waits on one
//! without end. It never decides what to run: the backends do.

use std::io::{self, Read, Write};
use std::os::fd::AsFd;
use std::process::{Child, Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

use nix::fcntl::{fcntl, FcntlArg, OFlag};
use nix::poll::{poll, PollFd, PollFlags, PollTimeout};

/// Where the system keeps firewall programs (root's PATH may lack the sbin directories).
const DIRS: [&str; 4] = ["/usr/sbin", "/sbin", "/usr/bin", "/bin"];

/// The path of the firewall program `name`, if it is installed.
pub(crate) fn installed(name: &str) -> Option<String> {
    DIRS.iter()
        .map(|dir| format!("{dir}/{name}"))
        .find(|path| std::path::Path::new(path).exists())
}

/// The path of `name` (the bare name when it is not found: the error then says so).
pub(crate) fn program(name: &str) -> String {
    installed(name).unwrap_or_else(|| name.to_string())
}

/// `--trace`: what a batch did, one step per change (`changes`, written in the words a
/// person reads that program's input in), then the run of `program` itself: `outcome` is
/// the run's result (a refused batch is a failed step).
#[track_caller]
pub(crate) fn trace_batch(
    t: six_trace::Timer,
    program: &str,
    outcome: &io::Result<Finished>,
    changes: &[String],
) {
    for change in changes {
        six_trace::step!(six_trace::Kind::Firewall, "{change}");
    }
    let refused = match outcome {
        Ok(f) if f.status.success() => 0,
        Ok(_) => -1,
        Err(e) => e.raw_os_error().unwrap_or(-1),
    };
    let n = changes.len();
    t.done(six_trace::Kind::Firewall, refused, |d| {
        std::fmt::Write::write_fmt(d, format_args!("{program}: {n} changes in one transaction"))
    });
}

/// What a program that finished in time left.
pub(crate) struct Finished {
    pub status: ExitStatus,
    pub stdout: Vec<u8>,
    pub stderr: Vec<u8>,
}

/// Runs `cmd` with `input` on its stdin. When it has not finished within `limit` it is
/// killed and the error is of kind `TimedOut`.
pub(crate) fn run_bounded(
    cmd: &mut Command,
    input: &[u8],
    limit: Duration,
) -> io::Result<Finished> {
    let mut child = cmd
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()?;
    let outputs = pump(&mut child, input, limit);
    if outputs.is_err() {
        // Not reaped yet, so this pid is still the child's.
        let _ = child.kill();
    }
    // After a kill, or once both outputs closed (the program has exited).
    let status = child.wait()?;
    let (stdout, stderr) = outputs?;
    Ok(Finished {
        status,
        stdout,
        stderr,
    })
}

/// Feeds `input` and collects stdout and stderr until both close, or `limit` passes.
fn pump(child: &mut Child, input: &[u8], limit: Duration) -> io::Result<(Vec<u8>, Vec<u8>)> {
    let deadline = Instant::now() + limit;
    let mut stdin = child.stdin.take().filter(|_| !input.is_empty());
    let mut stdout = child.stdout.take();
    let mut stderr = child.stderr.take();
    if let Some(s) = &stdin {
        let flags = OFlag::from_bits_truncate(fcntl(s, FcntlArg::F_GETFL)?);
        fcntl(s, FcntlArg::F_SETFL(flags | OFlag::O_NONBLOCK))?;
    }
    let (mut out, mut err) = (Vec::new(), Vec::new());
    let mut input = input;
    let mut buf = [0u8; 8192];
    while stdout.is_some() || stderr.is_some() {
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return Err(io::Error::new(
                io::ErrorKind::TimedOut,
                format!(
                    "did not finish within {} s and was killed",
                    limit.as_secs_f32()
                ),
            ));
        }
        let ready = {
            let mut fds: Vec<PollFd> = [
                stdin
                    .as_ref()
                    .map(|p| PollFd::new(p.as_fd(), PollFlags::POLLOUT)),
                stdout
                    .as_ref()
                    .map(|p| PollFd::new(p.as_fd(), PollFlags::POLLIN)),
                stderr
                    .as_ref()
                    .map(|p| PollFd::new(p.as_fd(), PollFlags::POLLIN)),
            ]
            .into_iter()
            .flatten()
            .collect();
            let timeout = PollTimeout::try_from(left).unwrap_or(PollTimeout::MAX);
            match poll(&mut fds, timeout) {
                Err(nix::errno::Errno::EINTR) => continue,
                Err(e) => return Err(e.into()),
                Ok(_) => {}
            }
            let mut it = fds.iter().map(|f| f.any().unwrap_or(true));
            let mut next = |present: bool| present && it.next().unwrap_or(false);
            [
                next(stdin.is_some()),
                next(stdout.is_some()),
                next(stderr.is_some()),
            ]
        };
        if ready[0] {
            match stdin.as_mut().map(|s| s.write(input)) {
                Some(Ok(n)) => input = &input[n..],
                Some(Err(e)) if e.kind() == io::ErrorKind::WouldBlock => {}
                // The program closed its input (it failed early): its stderr says why.
                _ => input = &[],
            }
            if input.is_empty() {
                stdin = None;
            }
        }
        if ready[1] {
            read_some(&mut stdout, &mut out, &mut buf);
        }
        if ready[2] {
            read_some(&mut stderr, &mut err, &mut buf);
        }
    }
    Ok((out, err))
}

/// One read from a ready pipe into `into`; the pipe is dropped at its end (or on an error).
fn read_some(pipe: &mut Option<impl Read>, into: &mut Vec<u8>, buf: &mut [u8]) {
    match pipe.as_mut().map(|p| p.read(buf)) {
        Some(Ok(n)) if n > 0 => into.extend_from_slice(&buf[..n]),
        Some(Err(e)) if e.kind() == io::ErrorKind::Interrupted => {}
        _ => *pipe = None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn input_and_output_larger_than_a_pipe_flow_both_ways() {
        let input: Vec<u8> = (0..1_000_000u32).map(|i| b'a' + (i % 26) as u8).collect();
        let done = run_bounded(
            Command::new("/bin/sh").args(["-c", "cat; echo done >&2"]),
            &input,
            Duration::from_secs(30),
        )
        .unwrap();
        assert!(done.status.success());
        assert_eq!(done.stdout, input);
        assert_eq!(done.stderr, b"done\n");
    }

    #[test]
    fn a_program_past_its_deadline_is_killed_and_reaped() {
        let began = Instant::now();
        let e = match run_bounded(
            Command::new("/bin/sh").args(["-c", "echo $$; exec sleep 30"]),
            b"",
            Duration::from_millis(500),
        ) {
            Err(e) => e,
            Ok(_) => panic!("sleep 30 finished within 500 ms"),
        };
        assert_eq!(e.kind(), io::ErrorKind::TimedOut);
        assert!(
            began.elapsed() < Duration::from_secs(10),
            "{:?}",
            began.elapsed()
        );
        assert_eq!(e.to_string(), "did not finish within 0.5 s and was killed");
    }

    #[test]
    fn a_program_that_never_reads_its_input_cannot_stall_the_caller() {
        let input = vec![b'x'; 1 << 20];
        let e = match run_bounded(
            Command::new("/bin/sh").args(["-c", "exec sleep 30"]),
            &input,
            Duration::from_millis(500),
        ) {
            Err(e) => e,
            Ok(_) => panic!("sleep 30 finished within 500 ms"),
        };
        assert_eq!(e.kind(), io::ErrorKind::TimedOut);
    }
}
