//! Seccomp as runc applies it, seen by a small static C probe in the container: a syscall
//! newer than every one the profile names gets ENOSYS (runc's stub, so a C library falls
//! back to an older call) while a known one the profile does not allow gets the default
//! action; and the filter is in place before the `startContainer` hooks run (they run in the
//! container, under the same filter), with and without noNewPrivileges.
//!
//! `RUNC=runc cargo test -p sixrun --test seccomp` runs the same against runc.

mod common;

use common::*;

/// Prints, to the file named by its argument or stdout, what three syscalls returned: one
/// numbered above every syscall there is, get_mempolicy (not in Docker's default profile)
/// and getsid (denied with EBADE by the test's profile).
const PROBE: &str = r#"
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <sys/syscall.h>

static const char *outcome(long r) { return r < 0 ? strerrorname_np(errno) : "ok"; }

int main(int argc, char **argv) {
    FILE *out = argc > 1 ? fopen(argv[1], "w") : stdout;
    if (!out) return 1;
    const char *fresh = outcome(syscall(1000));
    const char *known = outcome(syscall(SYS_get_mempolicy, NULL, NULL, 0, NULL, 0));
    const char *sid = outcome(syscall(SYS_getsid, 0));
    fprintf(out, "new=%s known=%s sid=%s\n", fresh, known, sid);
    return fclose(out) != 0;
}
"#;

/// Docker's default profile, with getsid denied (EBADE) instead of allowed.
fn profile() -> serde_json::Value {
    let mut p = serde_json::to_value(six_seccomp::docker_default()).unwrap();
    for rule in p["syscalls"].as_array_mut().unwrap() {
        if let Some(names) = rule["names"].as_array_mut() {
            names.retain(|n| n != "getsid");
        }
    }
    p["syscalls"]
        .as_array_mut()
        .unwrap()
        .push(serde_json::json!({"names": ["getsid"], "action": "SCMP_ACT_ERRNO", "errnoRet": libc::EBADE}));
    p
}

fn run_probe(no_new_privs: bool) {
    let s = Sixrun::under_test();
    let b = bundle(&["/probe"], |c| {
        c["root"]["readonly"] = false.into();
        c["process"]["noNewPrivileges"] = no_new_privs.into();
        c["linux"]["seccomp"] = profile();
        c["hooks"] = serde_json::json!({
            "startContainer": [{"path": "/probe", "args": ["probe", "/hook-out"]}]
        });
    });
    six_testkit::compile_static_c(PROBE, &b.rootfs().join("probe"));
    let id = s.new_id("seccomp");
    let out = s.ok(&["run", "--bundle", b.path().to_str().unwrap(), &id]);
    let want = "new=ENOSYS known=EPERM sid=EBADE";
    assert_eq!(words(&out), want, "the container's process");
    let hook = std::fs::read_to_string(b.rootfs().join("hook-out")).unwrap();
    assert_eq!(words(&hook), want, "the startContainer hook");
}

#[test]
fn newer_syscalls_get_enosys_and_start_container_hooks_run_under_the_filter() {
    run_probe(true);
}

#[test]
fn the_same_without_no_new_privileges() {
    run_probe(false);
}
