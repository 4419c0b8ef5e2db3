//! Where a container's cgroup is and what the runtime does with one that is already there, as
//! runc 1.1.5 does it: the default cgroup named after the container, a pre-existing frozen
//! cgroup refused, a busy one warned about, cgroup v2 resources refused on a v1 host.
//!
//! Each test also passes with `RUNC=runc` (the runtime under test is `common::runtime_binary`).

mod common;

use common::*;

#[test]
fn the_default_cgroup_is_named_after_the_container() {
    let s = Sixrun::under_test();
    let b = bundle(&["cat", "/proc/self/cgroup"], |_| {});
    let id = s.new_id("cgname");
    let out = s.ok(&["run", "--bundle", b.path().to_str().unwrap(), &id]);
    assert!(out.lines().count() > 1, "{out}");
    for line in out.lines() {
        assert!(line.ends_with(&format!("/{id}")), "{line}\n{out}");
    }
    s.assert_gone(&id, None, b.path());
}
