//! Read-only mounts as runc makes them: a read-only /dev still gets its device nodes and
//! /dev/pts (they are made first, the remount comes last), and `rro` makes a bound tree
//! read-only all the way down, where `ro` alone leaves the mounts below it writable.
//!
//! `RUNC=runc cargo test -p sixrun --test read_only_mounts` runs the same against runc.

mod common;

use common::*;

#[test]
fn a_read_only_dev_still_gets_its_nodes_and_pts() {
    let s = Sixrun::under_test();
    let script = "echo x > /dev/null && echo null-ok
[ -c /dev/zero ] && echo zero
[ -c /dev/pts/ptmx ] && echo pts
[ -d /dev/shm ] && echo shm
touch /dev/new 2>/dev/null || echo dev-read-only";
    let b = bundle(&["sh", "-c", script], |c| {
        let dev = c["mounts"]
            .as_array_mut()
            .unwrap()
            .iter_mut()
            .find(|m| m["destination"] == "/dev")
            .unwrap();
        dev["options"].as_array_mut().unwrap().push("ro".into());
    });
    let id = s.new_id("rodev");
    let out = s.ok(&["run", "--bundle", b.path().to_str().unwrap(), &id]);
    assert_eq!(words(&out), "null-ok zero pts shm dev-read-only");
}

#[test]
fn rro_makes_the_whole_bound_tree_read_only() {
    let s = Sixrun::under_test();
    let host = tempfile::tempdir().unwrap();
    let sub = six_testkit::SmallTmpfs::mount(&host.path().join("sub"), 1 << 20).unwrap();
    let script = "for d in /d1 /d1/sub /d2 /d2/sub /d3 /d3/sub; do
  touch $d/x 2>/dev/null && echo $d:rw || echo $d:ro
done";
    let b = bundle(&["sh", "-c", script], |c| {
        let mounts = c["mounts"].as_array_mut().unwrap();
        for (at, options) in [
            ("/d1", vec!["rbind", "ro"]),
            ("/d2", vec!["rbind", "ro", "rro"]),
            ("/d3", vec!["rbind", "rro"]),
        ] {
            mounts.push(serde_json::json!({
                "destination": at, "type": "bind", "source": host.path(), "options": options
            }));
        }
    });
    let id = s.new_id("rro");
    let out = s.ok(&["run", "--bundle", b.path().to_str().unwrap(), &id]);
    // `ro` alone: the tmpfs below stays writable (as in runc); `rro`: nothing is.
    assert_eq!(
        words(&out),
        "/d1:ro /d1/sub:rw /d2:ro /d2/sub:ro /d3:ro /d3/sub:ro"
    );
    assert!(!host.path().join("x").exists());
    drop(sub);
}
