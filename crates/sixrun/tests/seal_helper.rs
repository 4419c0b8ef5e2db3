//! The helper that sealing forks (it closes the seal's overlay mount, issue 17) is reaped by
//! the sealed sixrun itself: none is left to an init that may never reap it (this VM's does
//! not). The test process is a child subreaper, so an orphan of sixrun's would come to it.

mod common;

use common::*;

/// Our children (pid, state, command name): this test starts no process it does not wait
/// for, so any other is an orphan that came to us.
fn children() -> Vec<(i32, String)> {
    let me = std::process::id() as i32;
    let mut found = Vec::new();
    for entry in std::fs::read_dir("/proc").unwrap().flatten() {
        let Some(pid) = entry
            .file_name()
            .to_str()
            .and_then(|n| n.parse::<i32>().ok())
        else {
            continue;
        };
        let Ok(stat) = std::fs::read_to_string(format!("/proc/{pid}/stat")) else {
            continue;
        };
        // After the parenthesised command name: the state, then the ppid.
        let Some((name, after)) = stat.rsplit_once(')') else {
            continue;
        };
        let fields: Vec<&str> = after.split_whitespace().collect();
        if fields.get(1).and_then(|p| p.parse::<i32>().ok()) == Some(me) {
            let name = name.split_once('(').map(|(_, n)| n).unwrap_or(name);
            found.push((pid, format!("{} {name}", fields[0])));
        }
    }
    found
}

#[test]
fn the_seal_helper_is_reaped_by_sixrun_not_orphaned() {
    // SAFETY: prctl on this process.
    let subreaper = unsafe { libc::prctl(libc::PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) };
    assert_eq!(subreaper, 0);
    let s = Sixrun::new();
    let b = bundle(&["/bin/true"], |_| {});
    let id = s.new_id("sealhelper");
    s.create(&id, &b);
    let init = s.state(&id)["pid"].as_i64().unwrap() as i32;
    // create has exited: its orphans are ours now. Only the container's init may be (a
    // zombie helper shows as "Z sixrun").
    let orphans: Vec<_> = children()
        .into_iter()
        .filter(|(pid, _)| *pid != init)
        .collect();
    s.ok(&["delete", "--force", &id]);
    // SAFETY: reaping the init, our child since create exited.
    unsafe { libc::waitpid(init, std::ptr::null_mut(), 0) };
    for (pid, _) in &orphans {
        // SAFETY: reaping our own (adopted) children, so that a failure leaves none behind.
        unsafe { libc::waitpid(*pid, std::ptr::null_mut(), 0) };
    }
    assert!(
        orphans.is_empty(),
        "sixrun create left children of its own behind (pid, state and name): {orphans:?}"
    );
}
