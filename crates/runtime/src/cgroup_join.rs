//! The init joining its own v1 cgroups, from inside the child, by writing `0` to each
//! hierarchy's `tasks` file.
//!
//! Why not the parent writing the pid to `cgroup.procs` (six-cgroups' `add_process`)? A
//! `cgroup.procs` write takes the kernel's global threadgroup rwsem for writing, which waits
//! for an RCU grace period: 9-16 ms here, most of a container start. Moving the *calling
//! thread* through `tasks` skips that lock (Linux >= 6.0), and our child is single-threaded,
//! so the whole process moves: measured 30-60 µs per hierarchy. The cgroup2 directory is
//! joined by clone3(CLONE_INTO_CGROUP) instead.
//!
//! This only writes `tasks` files of directories six-cgroups planned and created; it never
//! creates, limits or removes a cgroup. (A stopgap until six-cgroups offers the same move.)

use std::io::Write;

/// Moves the calling single-threaded process into every v1 directory of `cg`.
pub fn join_self(cg: &six_cgroups::Cgroup) -> Result<(), String> {
    let _span = tracing::debug_span!("cgroup_join_self").entered();
    let unified = cg.unified_dir();
    for (_, dir) in cg.mounts_for_container() {
        if Some(dir.as_path()) == unified {
            continue;
        }
        let path = dir.join("tasks");
        let mut f = std::fs::OpenOptions::new()
            .write(true)
            .open(&path)
            .map_err(|e| format!("joining cgroup {}: {e}", path.display()))?;
        f.write_all(b"0")
            .map_err(|e| format!("joining cgroup {}: {e}", path.display()))?;
    }
    Ok(())
}
