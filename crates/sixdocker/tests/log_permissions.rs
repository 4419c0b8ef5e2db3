//! Container log files are not world-readable (issue 11, "Fix"): 0640, as Docker's
//! json-file driver makes them, rotated files too.

mod common;

use std::os::unix::fs::PermissionsExt;
use std::path::Path;

use common::{unique_name, Sandbox};

#[test]
fn log_files_are_0640_rotated_ones_too() {
    let sb = Sandbox::new();
    let name = unique_name("logmode");
    sb.run([
        "run",
        "--name",
        &name,
        "--network",
        "none",
        "--log-opt",
        "max-size=1k",
        "--log-opt",
        "max-file=3",
        "busybox",
        "seq",
        "1",
        "2000",
    ])
    .ok();
    let log = sb.inspect(&name)["LogPath"]
        .as_str()
        .expect("inspect has a LogPath")
        .to_owned();
    let dir = Path::new(&log).parent().unwrap();
    let prefix = Path::new(&log)
        .file_name()
        .unwrap()
        .to_string_lossy()
        .into_owned();
    let mut files = Vec::new();
    for e in std::fs::read_dir(dir).unwrap().flatten() {
        let file = e.file_name().to_string_lossy().into_owned();
        if file.starts_with(&prefix) {
            let mode = e.metadata().unwrap().permissions().mode() & 0o7777;
            files.push((file, mode));
        }
    }
    assert_eq!(files.len(), 3, "the log and two rotated files: {files:?}");
    for (file, mode) in files {
        assert_eq!(mode, 0o640, "{file}");
    }
}
