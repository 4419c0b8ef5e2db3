//! Container logs through the real binary: `--log-opt max-size/max-file` rotation (Docker's
//! json-file semantics) read back in order by `logs` and followed across rotations by
//! `logs -f`, the bounded default, `--log-driver none|local`, bad options refused, and a
//! disk filled by a log that still gets the container's exit code recorded.

mod common;

use std::path::{Path, PathBuf};

use common::{unique_name, Sandbox};

/// The container's log files, newest first (`<id>-json.log`, `.1`, `.2`, ...), with sizes.
fn log_files(sb: &Sandbox, id: &str) -> Vec<(PathBuf, u64)> {
    let log = sb
        .root()
        .join("containers")
        .join(id)
        .join(format!("{id}-json.log"));
    let mut files = Vec::new();
    for n in 0.. {
        let path = if n == 0 {
            log.clone()
        } else {
            PathBuf::from(format!("{}.{n}", log.display()))
        };
        match std::fs::metadata(&path) {
            Ok(m) => files.push((path, m.len())),
            Err(_) if n == 0 => {}
            Err(_) => return files,
        }
    }
    files
}

fn run_detached(sb: &Sandbox, args: &[&str]) -> String {
    let mut all = vec!["run", "-d", "--network", "none"];
    all.extend_from_slice(args);
    sb.run(all).ok().trim().to_owned()
}

/// Lines as numbers; panics on anything else.
fn numbers(text: &str) -> Vec<u64> {
    text.lines()
        .map(|l| l.parse().unwrap_or_else(|_| panic!("not a number: {l:?}")))
        .collect()
}

/// One entry is under 100 bytes for these short lines.
const ENTRY: u64 = 100;

#[test]
fn rotation_bounds_the_log_and_logs_reads_it_in_order() {
    let sb = Sandbox::new();
    let id = run_detached(
        &sb,
        &[
            "--log-opt",
            "max-size=10k",
            "--log-opt",
            "max-file=3",
            "busybox",
            "seq",
            "1",
            "20000",
        ],
    );
    assert_eq!(sb.run(["wait", &id]).ok().trim(), "0");
    let files = log_files(&sb, &id);
    assert_eq!(files.len(), 3, "{files:?}");
    for (path, size) in &files {
        assert!(
            *size < 10_000 + ENTRY,
            "{} has {size} bytes",
            path.display()
        );
    }
    assert!(files[1].1 >= 10_000 && files[2].1 >= 10_000, "{files:?}");
    let all = numbers(sb.run(["logs", &id]).ok());
    assert_eq!(all.last(), Some(&20000));
    assert!(
        all.len() > 300 && all.len() < 1000,
        "{} lines kept",
        all.len()
    );
    assert!(all.windows(2).all(|w| w[1] == w[0] + 1), "out of order");
    assert_eq!(
        sb.run(["logs", "--tail", "3", &id]).ok(),
        "19998\n19999\n20000\n"
    );
    let config = &sb.inspect(&id)["HostConfig"]["LogConfig"];
    assert_eq!(config["Type"], "json-file");
    assert_eq!(config["Config"]["max-size"], "10k");
    assert_eq!(config["Config"]["max-file"], "3");
}

#[test]
fn logs_f_follows_across_rotations() {
    let sb = Sandbox::new();
    // Paced, so that a follower keeps up: about a file every three pauses.
    let script =
        "sleep 1; for i in $(seq 1 300); do echo $i; case $i in *0) sleep 0.05;; esac; done";
    let id = run_detached(
        &sb,
        &[
            "--log-opt",
            "max-size=2k",
            "--log-opt",
            "max-file=5",
            "busybox",
            "sh",
            "-c",
            script,
        ],
    );
    let followed = numbers(sb.run(["logs", "-f", &id]).ok());
    assert_eq!(followed, (1..=300).collect::<Vec<u64>>());
    assert!(log_files(&sb, &id).len() == 5, "it rotated");
}

#[test]
fn the_default_keeps_five_files_of_20m() {
    let sb = Sandbox::new();
    // About 117 MB of log entries if nothing bounded it.
    let id = run_detached(&sb, &["busybox", "sh", "-c", "yes | head -n 1600000"]);
    assert_eq!(sb.run(["wait", &id]).ok().trim(), "0");
    let files = log_files(&sb, &id);
    assert_eq!(files.len(), 5, "{files:?}");
    for (path, size) in &files {
        assert!(
            *size < 20_000_000 + ENTRY,
            "{} has {size} bytes",
            path.display()
        );
    }
    let config = &sb.inspect(&id)["HostConfig"]["LogConfig"];
    assert_eq!(config["Type"], "json-file");
    assert_eq!(config["Config"]["max-size"], "20m");
    assert_eq!(config["Config"]["max-file"], "5");
    assert_eq!(sb.run(["logs", "--tail", "1", &id]).ok(), "y\n");
}

#[test]
fn log_driver_none_keeps_no_log_and_local_keeps_one() {
    let sb = Sandbox::new();
    let name = unique_name("ln");
    // The original's single-dash spelling works for these flags too.
    let out = sb.run([
        "run",
        "-log-driver",
        "none",
        "-name",
        &name,
        "--network",
        "none",
        "busybox",
        "echo",
        "hi",
    ]);
    assert_eq!(out.ok(), "hi\n");
    let id = sb.id_of(&name);
    assert!(log_files(&sb, &id).is_empty());
    sb.run(["logs", &name])
        .fails(1, "configured logging driver does not support reading");
    let v = sb.inspect(&name);
    assert_eq!(v["LogPath"], "");
    assert_eq!(v["HostConfig"]["LogConfig"]["Type"], "none");

    let id = run_detached(&sb, &["--log-driver", "local", "busybox", "echo", "kept"]);
    assert_eq!(sb.run(["wait", &id]).ok().trim(), "0");
    assert_eq!(sb.run(["logs", &id]).ok(), "kept\n");
    assert_eq!(sb.inspect(&id)["HostConfig"]["LogConfig"]["Type"], "local");
}

#[test]
fn bad_log_options_are_refused_naming_them() {
    let sb = Sandbox::new();
    for (flags, needle) in [
        (
            &["--log-opt", "max-size=10x"][..],
            "\"max-size=10x\": expected a size",
        ),
        (
            &["--log-opt", "max-size=0"],
            "max-size must be a positive number",
        ),
        (
            &["--log-opt", "max-size=1m", "--log-opt", "max-file=0"],
            "max-file cannot be less than 1",
        ),
        (&["--log-opt", "max-file=3"], "max-file needs max-size"),
        (
            &["--log-opt", "tag=x"],
            "unknown log opt 'tag' for json-file log driver",
        ),
        (&["--log-driver", "syslog"], "invalid log driver \"syslog\""),
        (
            &["--log-driver", "none", "--log-opt", "max-size=1k"],
            "the none log driver takes no options",
        ),
    ] {
        let mut args = vec!["run", "--network", "none"];
        args.extend_from_slice(flags);
        args.extend(["busybox", "true"]);
        sb.run(&args).fails(125, needle);
    }
    assert!(sb.container_ids().is_empty(), "a refused run made nothing");
}

/// The store is a 16 MiB tmpfs; a container prints far more than fits. The monitor still
/// records the exit code and state, reports the full disk once in the record (State.Error),
/// and leaves only whole entries in the log.
#[test]
fn a_log_that_fills_the_disk_loses_no_exit_code() {
    let sb = Sandbox::with_small_root(16 << 20);
    let name = unique_name("lf");
    let id = run_detached(
        &sb,
        &[
            "--name",
            &name,
            "busybox",
            "sh",
            "-c",
            "yes | head -c 3000000; exit 7",
        ],
    );
    assert_eq!(sb.run(["wait", &name]).ok().trim(), "7");
    let state = &sb.inspect(&name)["State"];
    assert_eq!(state["Status"], "exited", "{state}");
    assert_eq!(state["ExitCode"], 7, "{state}");
    let error = state["Error"].as_str().unwrap_or_default();
    assert!(
        error.contains("missing from the log") && error.contains("No space left on device"),
        "{state}"
    );
    let files = log_files(&sb, &id);
    assert_eq!(files.len(), 1, "{files:?}");
    let text = std::fs::read_to_string(&files[0].0).unwrap();
    assert!(text.len() > 1 << 20, "the log filled the disk");
    assert!(
        text.lines()
            .all(|l| serde_json::from_str::<serde_json::Value>(l).is_ok()),
        "only whole entries"
    );
    let logged = sb.run(["logs", "--tail", "2", &name]);
    assert_eq!(logged.ok(), "y\ny\n");
    assert_eq!(sb.run(["rm", &name]).ok().trim(), name);
    assert_freed(&sb.root());
}

/// Removing the container freed the store.
fn assert_freed(root: &Path) {
    let st = nix::sys::statvfs::statvfs(root).unwrap();
    let free = st.blocks_available() as u64 * st.fragment_size() as u64;
    assert!(free > 8 << 20, "{free} bytes free after rm");
}
