//! Unit tests of the calling-process join against fake cgroupfs trees: which files get `0`,
//! which are skipped, the errors, and that `JoinPlan::join_self` allocates nothing (counted
//! by this test binary's global allocator, per thread). No root needed.

use super::*;
use crate::hierarchy::{Hierarchy, Version};
use crate::placement::Nesting;
use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::fs;

/// The system allocator, counting the allocations of each thread.
struct Counting;

thread_local! {
    static ALLOCATIONS: Cell<usize> = const { Cell::new(0) };
}

fn count_one() {
    let _ = ALLOCATIONS.try_with(|c| c.set(c.get() + 1));
}

// SAFETY: delegates every call to the system allocator unchanged.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        count_one();
        // SAFETY: the caller's contract is passed on.
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: the caller's contract is passed on.
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        count_one();
        // SAFETY: the caller's contract is passed on.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static COUNTING: Counting = Counting;

/// What `f` returns, and how many allocations this thread made while running it.
fn allocations_in<T>(f: impl FnOnce() -> T) -> (T, usize) {
    let before = ALLOCATIONS.with(Cell::get);
    let out = f();
    (out, ALLOCATIONS.with(Cell::get) - before)
}

fn read(p: &Path) -> String {
    fs::read_to_string(p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

/// A fake hybrid tree: three v1 hierarchies and a cgroup2 one at `unified`.
fn fake_hybrid() -> (tempfile::TempDir, Hierarchy) {
    let t = tempfile::tempdir().unwrap();
    for d in ["memory", "cpu,cpuacct", "pids", "unified"] {
        fs::create_dir(t.path().join(d)).unwrap();
    }
    let h = Hierarchy::at(t.path(), Version::Hybrid).unwrap();
    (t, h)
}

#[test]
fn counting_allocator_sees_allocations() {
    let (v, n) = allocations_in(|| vec![1u8; 64]);
    assert_eq!(v.len(), 64);
    assert!(
        n >= 1,
        "the test allocator must count, or the tests below prove nothing"
    );
}

#[test]
fn hybrid_writes_zero_to_v1_tasks_and_unified_procs_without_allocating() {
    let (t, h) = fake_hybrid();
    let cg = Cgroup::new(&h, Some("/pod/c1"), &Nesting::below_own(), "c1").unwrap();
    cg.create().unwrap();
    let plan = cg.join_plan().unwrap();
    let (result, allocations) = allocations_in(|| plan.join_self(false).is_ok());
    assert!(result, "{:?}", plan.join_self(false));
    assert_eq!(
        allocations, 0,
        "join_self must not allocate (it runs after fork)"
    );
    for d in ["memory", "cpu,cpuacct", "pids"] {
        let dir = t.path().join(d).join("pod/c1");
        assert_eq!(read(&dir.join("tasks")), "0", "{d}");
        assert!(
            !dir.join("cgroup.procs").exists(),
            "v1 moves by tasks only: {d}"
        );
    }
    assert_eq!(read(&t.path().join("unified/pod/c1/cgroup.procs")), "0");
    assert!(!t.path().join("unified/pod/c1/tasks").exists());
}

#[test]
fn unified_is_skipped_when_clone3_placed_the_process() {
    let (t, h) = fake_hybrid();
    let cg = Cgroup::new(&h, None, &Nesting::below_own(), "web").unwrap();
    cg.create().unwrap();
    cg.join_plan().unwrap().join_self(true).unwrap();
    assert_eq!(read(&t.path().join("memory/web/tasks")), "0");
    assert!(!t.path().join("unified/web/cgroup.procs").exists());
}

#[test]
fn v2_joins_through_cgroup_procs_only() {
    let t = tempfile::tempdir().unwrap();
    fs::write(t.path().join("cgroup.controllers"), "memory pids\n").unwrap();
    fs::write(t.path().join("cgroup.subtree_control"), "").unwrap();
    let h = Hierarchy::at(t.path(), Version::V2).unwrap();
    let cg = Cgroup::new(&h, Some("/c2"), &Nesting::below_own(), "c2").unwrap();
    cg.create().unwrap();
    let plan = cg.join_plan().unwrap();
    plan.join_self(true).unwrap();
    assert!(
        !t.path().join("c2/cgroup.procs").exists(),
        "placed: nothing to do"
    );
    plan.join_self(false).unwrap();
    assert_eq!(read(&t.path().join("c2/cgroup.procs")), "0");
    assert!(!t.path().join("c2/tasks").exists());
}

#[test]
fn v1_only_writes_tasks_everywhere() {
    let t = tempfile::tempdir().unwrap();
    for d in ["memory", "freezer"] {
        fs::create_dir(t.path().join(d)).unwrap();
    }
    let h = Hierarchy::at(t.path(), Version::V1).unwrap();
    let cg = Cgroup::new(&h, Some("/a/b"), &Nesting::below_own(), "b").unwrap();
    cg.create().unwrap();
    cg.join_self().unwrap();
    assert_eq!(read(&t.path().join("memory/a/b/tasks")), "0");
    assert_eq!(read(&t.path().join("freezer/a/b/tasks")), "0");
}

#[test]
fn the_freezer_is_joined_last_so_a_frozen_cgroup_stops_the_process_in_all_the_others() {
    let t = tempfile::tempdir().unwrap();
    for d in ["freezer", "memory", "unified"] {
        fs::create_dir(t.path().join(d)).unwrap();
    }
    let h = Hierarchy::at(t.path(), Version::Hybrid).unwrap();
    let cg = Cgroup::new(&h, Some("/c"), &Nesting::below_own(), "c").unwrap();
    cg.create().unwrap();
    // The unified directory gone: the join stops there, after memory, before the freezer.
    fs::remove_dir(t.path().join("unified/c")).unwrap();
    let plan = cg.join_plan().unwrap();
    let e = plan.join_self(false).unwrap_err();
    assert!(e.path().ends_with("unified/c/cgroup.procs"), "{e}");
    assert_eq!(read(&t.path().join("memory/c/tasks")), "0");
    assert!(!t.path().join("freezer/c/tasks").exists());
    fs::create_dir(t.path().join("unified/c")).unwrap();
    cg.join_plan().unwrap().join_self(false).unwrap();
    assert_eq!(read(&t.path().join("freezer/c/tasks")), "0");
}

#[test]
fn a_missing_directory_is_a_one_line_error_naming_the_file_without_allocating() {
    let (t, h) = fake_hybrid();
    let cg = Cgroup::new(&h, Some("/never/made"), &Nesting::below_own(), "x").unwrap();
    let plan = cg.join_plan().unwrap();
    let (err, allocations) = allocations_in(|| plan.join_self(false).unwrap_err());
    assert_eq!(allocations, 0, "even the error path allocates nothing");
    assert_eq!(err.errno, libc::ENOENT);
    let first = t.path().join("cpu,cpuacct/never/made/tasks");
    assert_eq!(err.path(), first);
    let text = err.to_string();
    assert_eq!(
        text,
        format!(
            "joining cgroup {}: No such file or directory",
            first.display()
        )
    );
    // The crate's error says the same: the step and file, and the errno as its source.
    let joining = format!("joining cgroup {}", first.display());
    let e = Error::from(err);
    assert_eq!(e.to_string(), joining);
    let source = std::error::Error::source(&e).and_then(|s| s.downcast_ref::<io::Error>());
    assert_eq!(source.and_then(io::Error::raw_os_error), Some(libc::ENOENT));
    let e = cg.join_self().unwrap_err();
    assert!(matches!(e, Error::Join { .. }), "{e:?}");
    assert_eq!(e.to_string(), joining);
    assert!(
        !t.path().join("cpu,cpuacct/never").exists(),
        "a join never creates"
    );
}

#[test]
fn a_nul_byte_in_the_path_is_refused_when_planning() {
    let (_t, h) = fake_hybrid();
    let cg = Cgroup::new(&h, Some("/bad\0name"), &Nesting::below_own(), "x").unwrap();
    let e = cg.join_plan().unwrap_err();
    assert!(e.to_string().starts_with("joining cgroup "), "{e}");
    let source = std::error::Error::source(&e).map(ToString::to_string);
    assert!(source.is_some_and(|s| s.contains("NUL byte")), "{e:?}");
}
