//! A container's files and resources through the Engine API, as Docker's CLI uses them:
//! `docker cp` both ways (a file, a directory, a tar on stdin and stdout, a symlink),
//! `docker diff`, `docker export`, `docker stats --no-stream` and the stream, `docker update`.

mod common;

use std::time::Duration;

use common::api::{body_of, Service};
use common::Sandbox;

#[test]
fn docker_cp_both_ways_and_diff_and_export() {
    let sb = Sandbox::new();
    let svc = Service::start(&sb);
    let c = common::unique_name("cp");
    svc.docker_ok(&[
        "run", "-d", "--name", &c, "busybox", "sh", "-c",
        "mkdir /work && echo inside > /work/in.txt && ln -s /work/in.txt /work/link && exec sleep 1000",
    ]);
    sb.wait_for("the container's files", Duration::from_secs(30), || {
        let (code, ..) = svc.docker(&["cp", &format!("{c}:/work/link"), "-"]);
        (code == 0).then_some(())
    });
    let host = sb.dir.path().join("host");
    std::fs::create_dir_all(host.join("dir/sub")).unwrap();
    std::fs::write(host.join("file.txt"), "from the host\n").unwrap();
    std::fs::write(host.join("dir/sub/deep.txt"), "deep\n").unwrap();

    // Into the container: a file into a directory, a directory under a new name.
    svc.docker_ok(&[
        "cp",
        host.join("file.txt").to_str().unwrap(),
        &format!("{c}:/work/"),
    ]);
    svc.docker_ok(&[
        "cp",
        host.join("dir").to_str().unwrap(),
        &format!("{c}:/work/copied"),
    ]);
    // Out of it: back to the host, and checked there.
    let back = sb.dir.path().join("back");
    svc.docker_ok(&["cp", &format!("{c}:/work"), back.to_str().unwrap()]);
    assert_eq!(
        std::fs::read_to_string(back.join("file.txt")).unwrap(),
        "from the host\n"
    );
    assert_eq!(
        std::fs::read_to_string(back.join("copied/sub/deep.txt")).unwrap(),
        "deep\n"
    );
    assert_eq!(
        std::fs::read_to_string(back.join("in.txt")).unwrap(),
        "inside\n"
    );
    // A symlink comes out as a symlink; with -L as the file it leads to.
    assert_eq!(
        std::fs::read_link(back.join("link")).unwrap(),
        std::path::Path::new("/work/in.txt")
    );
    let followed = sb.dir.path().join("followed.txt");
    svc.docker_ok(&[
        "cp",
        "-L",
        &format!("{c}:/work/link"),
        followed.to_str().unwrap(),
    ]);
    assert_eq!(std::fs::read_to_string(&followed).unwrap(), "inside\n");

    // A tar on stdin and on stdout.
    let mut tar = tar::Builder::new(Vec::new());
    let mut h = tar::Header::new_gnu();
    h.set_mode(0o600);
    h.set_size(6);
    tar.append_data(&mut h, "piped.txt", &b"piped\n"[..])
        .unwrap();
    let tar = tar.into_inner().unwrap();
    let (code, _, err) = svc.docker_in(&["cp", "-", &format!("{c}:/work")], Some(&tar));
    assert_eq!(code, 0, "{err}");
    let out = std::process::Command::new("docker")
        .env("DOCKER_CONFIG", &svc.docker_config)
        .args([
            "-H",
            &svc.host(),
            "cp",
            &format!("{c}:/work/piped.txt"),
            "-",
        ])
        .output()
        .unwrap();
    let mut archive = tar::Archive::new(&out.stdout[..]);
    let mut entries = archive.entries().unwrap();
    let mut entry = entries.next().unwrap().unwrap();
    assert_eq!(entry.path().unwrap().to_str(), Some("piped.txt"));
    assert_eq!(entry.header().mode().unwrap() & 0o777, 0o600);
    let mut text = String::new();
    std::io::Read::read_to_string(&mut entry, &mut text).unwrap();
    assert_eq!(text, "piped\n");

    svc.docker_fails(
        &["cp", &format!("{c}:/nothing/here"), "-"],
        "Could not find the file",
    );
    let (code, ..) = svc.docker(&[
        "cp",
        host.join("file.txt").to_str().unwrap(),
        &format!("{c}:/no/such/dir/"),
    ]);
    assert_eq!(code, 1, "a copy into a directory that is not there");
    // The raw stat header clients ask for.
    let head = svc.raw(
        format!("HEAD /v1.41/containers/{c}/archive?path=/work HTTP/1.1\r\nHost: d\r\nConnection: close\r\n\r\n")
            .as_bytes(),
    );
    let stat = head
        .lines()
        .find_map(|l| l.strip_prefix("x-docker-container-path-stat: "))
        .unwrap_or_else(|| panic!("no stat header in {head}"));
    use base64::Engine as _;
    let stat: serde_json::Value = serde_json::from_slice(
        &base64::engine::general_purpose::STANDARD
            .decode(stat.trim())
            .unwrap(),
    )
    .unwrap();
    assert_eq!(stat["name"], "work");
    assert_eq!(
        stat["mode"].as_u64().unwrap() & (1 << 31),
        1 << 31,
        "a directory: {stat}"
    );

    let diff = svc.docker_ok(&["diff", &c]);
    for line in ["A /work", "A /work/file.txt", "A /work/copied/sub/deep.txt"] {
        assert!(diff.lines().any(|l| l == line), "{line} in {diff}");
    }
    let export = std::process::Command::new("docker")
        .env("DOCKER_CONFIG", &svc.docker_config)
        .args(["-H", &svc.host(), "export", &c])
        .output()
        .unwrap();
    assert!(export.status.success());
    let names: Vec<String> = tar::Archive::new(&export.stdout[..])
        .entries()
        .unwrap()
        .map(|e| e.unwrap().path().unwrap().display().to_string())
        .collect();
    assert!(
        names
            .iter()
            .any(|n| n.trim_start_matches("./") == "work/in.txt"),
        "{names:?}"
    );
    assert!(
        names
            .iter()
            .any(|n| n.trim_start_matches("./") == "bin/busybox"),
        "{names:?}"
    );
    svc.docker_ok(&["rm", "-f", &c]);
}

#[test]
fn stats_and_update_as_docker_stats_prints_them() {
    let sb = Sandbox::new();
    let svc = Service::start(&sb);
    let c = common::unique_name("st");
    svc.docker_ok(&[
        "run", "-d", "--name", &c, "-m", "64m", "busybox", "sleep", "1000",
    ]);
    let row = svc.docker_ok(&[
        "stats",
        "--no-stream",
        "--format",
        "{{.Name}} {{.PIDs}} {{.MemUsage}} {{.CPUPerc}}",
        &c,
    ]);
    let fields: Vec<&str> = row.split_whitespace().collect();
    assert_eq!(fields[0], c, "{row}");
    assert_eq!(fields[1], "1", "{row}");
    assert_eq!(fields[4], "64MiB", "the limit: {row}");
    assert!(fields[5].ends_with('%'), "{row}");

    svc.docker_ok(&["update", "-m", "128m", "--memory-swap", "256m", &c]);
    let memory = svc.docker_ok(&["inspect", "-f", "{{.HostConfig.Memory}}", &c]);
    assert_eq!(memory.trim(), (128u64 << 20).to_string());
    let row = svc.docker_ok(&["stats", "--no-stream", "--format", "{{.MemUsage}}", &c]);
    assert!(row.trim().ends_with("/ 128MiB"), "{row}");
    svc.docker_fails(&["update", "--kernel-memory", "10m", &c], "KernelMemory");

    // The raw stream: documents a second apart, each with the one before as precpu_stats.
    let mut sock = std::os::unix::net::UnixStream::connect(&svc.socket).unwrap();
    std::io::Write::write_all(
        &mut sock,
        format!("GET /v1.41/containers/{c}/stats HTTP/1.1\r\nHost: d\r\n\r\n").as_bytes(),
    )
    .unwrap();
    sock.set_read_timeout(Some(Duration::from_secs(30)))
        .unwrap();
    let mut got = Vec::new();
    let mut buf = [0u8; 65536];
    let answer = loop {
        let n = std::io::Read::read(&mut sock, &mut buf).unwrap();
        assert!(n > 0, "the stream ended: {}", String::from_utf8_lossy(&got));
        got.extend_from_slice(&buf[..n]);
        let text = String::from_utf8_lossy(&got).into_owned();
        if body_of(&text)
            .lines()
            .filter(|l| l.starts_with('{'))
            .count()
            >= 2
        {
            break text;
        }
    };
    drop(sock);
    let docs: Vec<serde_json::Value> = body_of(&answer)
        .lines()
        .filter_map(|l| serde_json::from_str(l).ok())
        .collect();
    assert!(docs.len() >= 2, "{answer}");
    assert_eq!(
        docs[1]["precpu_stats"]["cpu_usage"],
        docs[0]["cpu_stats"]["cpu_usage"]
    );
    assert!(docs[1]["cpu_stats"]["system_cpu_usage"].as_u64().unwrap() > 0);
    assert_eq!(docs[1]["memory_stats"]["limit"], 128u64 << 20);
    assert_eq!(docs[1]["name"], format!("/{c}"));
    svc.docker_ok(&["rm", "-f", &c]);

    // A stopped container: zeros, as dockerd sends them.
    svc.docker_ok(&["create", "--name", &c, "busybox", "true"]);
    let row = svc.docker_ok(&[
        "stats",
        "--no-stream",
        "--format",
        "{{.Name}} {{.PIDs}}",
        &c,
    ]);
    assert_eq!(row.trim(), format!("{c} 0"));
}
