//! The printer and its children: a forked child's steps reach the printing process over the
//! inherited socket (never the child's own stderr), in order, with the child's role, pid,
//! time and source line; the printer reads them to the child's end of file; the summary adds
//! up the phases. One test (it owns this process's fd 2 while it runs).

use std::io::{Read, Seek};
use std::os::fd::AsRawFd;

use six_trace::{Format, Kind, Phase, Role};

/// Runs `body` with fd 2 pointing at a temp file; returns what was written there.
fn capture_stderr(body: impl FnOnce()) -> String {
    let mut file = tempfile::tempfile().unwrap();
    // SAFETY: dup/dup2 on our own fds; fd 2 is put back before returning.
    let saved = unsafe { libc::dup(2) };
    assert!(saved >= 0);
    // SAFETY: as above.
    unsafe { libc::dup2(file.as_raw_fd(), 2) };
    body();
    // SAFETY: as above: fd 2 back to what it was, our saved copy closed.
    unsafe {
        libc::dup2(saved, 2);
        libc::close(saved);
    }
    file.rewind().unwrap();
    let mut text = String::new();
    file.read_to_string(&mut text).unwrap();
    text
}

#[test]
fn a_forked_childs_steps_reach_the_printer_never_its_own_stderr() {
    let child_stderr = tempfile::NamedTempFile::new().unwrap();
    let mut child_pid = 0;
    let text = capture_stderr(|| {
        six_trace::start(Format::Text);
        let _phase = six_trace::phase(Phase::Namespaces);
        six_trace::children_begin().expect("a socket for the children");
        six_trace::step!(Kind::Cgroup, "memory.limit_in_bytes = {}", 104857600);
        // SAFETY: the child only makes plain calls and leaves with _exit.
        match unsafe { libc::fork() } {
            0 => {
                six_trace::enter_child(Role::Init);
                // The child's own stderr is elsewhere: the trace must not go there.
                let f = std::fs::OpenOptions::new()
                    .write(true)
                    .open(child_stderr.path())
                    .unwrap();
                // SAFETY: in our forked child, fd 2 onto a file it opened.
                unsafe { libc::dup2(f.as_raw_fd(), 2) };
                {
                    let _rootfs = six_trace::phase(Phase::Rootfs);
                    let r: Result<(), nix::errno::Errno> = six_trace::call(
                        Kind::Mount,
                        || Err(nix::errno::Errno::EPERM),
                        |d| std::fmt::Write::write_str(d, "proc on /proc type proc"),
                    );
                    assert!(r.is_err());
                }
                six_trace::step!(Kind::Exec, "/bin/true argv [\"true\"] env PATH");
                // SAFETY: leaving the forked child without the parent's destructors.
                unsafe { libc::_exit(0) };
            }
            pid => {
                child_pid = pid;
                let mut status = 0;
                // SAFETY: reaping our own child.
                unsafe { libc::waitpid(pid, &mut status, 0) };
                assert!(libc::WIFEXITED(status) && libc::WEXITSTATUS(status) == 0);
            }
        }
        six_trace::step!(Kind::Signal, "after the child");
        six_trace::children_end(std::time::Duration::from_secs(5));
        drop(_phase);
        six_trace::finish();
    });
    let lines: Vec<&str> = text.lines().collect();
    let me = std::process::id();
    let find = |needle: &str| {
        lines
            .iter()
            .position(|l| l.contains(needle))
            .unwrap_or_else(|| panic!("no {needle:?} in:\n{text}"))
    };
    let cgroup = find("cgroup       memory.limit_in_bytes = 104857600");
    let mount = find(&format!("init[{child_pid}]"));
    let exec = find("execve       /bin/true");
    let after = find("after the child");
    assert!(cgroup < mount && mount < exec && exec < after, "{text}");
    assert!(lines[cgroup].contains(&format!("cli[{me}]")), "{text}");
    let mount_line = lines.iter().find(|l| l.contains("proc on /proc")).unwrap();
    assert!(mount_line.contains("= EPERM"), "{mount_line}");
    assert!(
        mount_line.contains(" ms)"),
        "a call has its duration: {mount_line}"
    );
    for l in lines.iter().filter(|l| !l.starts_with("summary:")) {
        let time: f64 = l.split_whitespace().next().unwrap().parse().unwrap();
        assert!(time >= 0.0, "{l}");
        assert!(l.contains("crates/trace/tests/forward.rs:"), "{l}");
    }
    let summary = lines.last().unwrap();
    assert!(
        summary.starts_with("summary: rootfs ") && summary.contains("namespaces "),
        "{summary}"
    );
    let child_err = std::fs::read_to_string(child_stderr.path()).unwrap();
    assert_eq!(child_err, "", "the child wrote its trace on its own stderr");
}
