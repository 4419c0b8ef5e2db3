//! `cp` through the real `sixdocker`, as a Docker user types it: files and directories both
//! ways with Docker's naming rules and words, `-` for a tar on stdin/stdout, `-a`, `-L`, running
//! and stopped containers, volumes and binds, read-only refusals, and hostile symlinks in the
//! container (and in a tar on stdin) that must never lead a copy outside the container.

mod common;

use std::io::Write;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::process::Stdio;

use common::{unique_name, Ran, Sandbox};

/// `sixdocker cp ARGS...` run in `cwd`.
fn cp_in(sb: &Sandbox, cwd: &Path, args: &[&str]) -> Ran {
    let mut all = vec!["cp"];
    all.extend_from_slice(args);
    let out = sb.command(&all).current_dir(cwd).output().unwrap();
    Ran {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

fn work_dir(sb: &Sandbox) -> PathBuf {
    let d = sb.dir.path().join("work");
    std::fs::create_dir_all(&d).unwrap();
    d
}

/// A container that ran `script` (and exited).
fn ran(sb: &Sandbox, script: &str) -> String {
    let name = unique_name("cp");
    sb.run([
        "run",
        "--name",
        &name,
        "--network",
        "none",
        "busybox",
        "sh",
        "-c",
        script,
    ])
    .ok();
    name
}

/// `cp - DEST` with `archive` on stdin.
fn put_tar(sb: &Sandbox, dest: &str, archive: &[u8]) -> std::process::Output {
    let mut child = sb
        .command(["cp", "-", dest])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(archive).unwrap();
    child.wait_with_output().unwrap()
}

/// The names in a tar, in order.
fn tar_names(bytes: &[u8]) -> Vec<String> {
    let mut a = tar::Archive::new(bytes);
    a.entries()
        .unwrap()
        .map(|e| e.unwrap().path().unwrap().display().to_string())
        .collect()
}

/// The files of a container's filesystem, as `export` lists them.
fn exported(sb: &Sandbox, c: &str) -> Vec<String> {
    let out = sb.command(["export", c]).output().unwrap();
    assert!(out.status.success());
    tar_names(&out.stdout)
}

#[test]
fn files_and_directories_both_ways_as_docker_names_them() {
    let sb = Sandbox::new();
    let w = work_dir(&sb);
    let c = ran(&sb, "echo x > /tmp/new; mkdir -p /srv/d/sub && echo s > /srv/d/sub/f; ln -s /x /lnk; ln -s /tmp/new /good");
    let ok = |args: &[&str]| cp_in(&sb, &w, args).ok().to_owned();
    assert_eq!(ok(&[&format!("{c}:/tmp/new"), "."]), "");
    assert_eq!(std::fs::read_to_string(w.join("new")).unwrap(), "x\n");
    ok(&[&format!("{c}:/srv/d"), "dcopy"]);
    assert_eq!(
        std::fs::read_to_string(w.join("dcopy/sub/f")).unwrap(),
        "s\n"
    );
    ok(&[&format!("{c}:/srv/d"), "dcopy"]);
    assert!(
        w.join("dcopy/d/sub/f").is_file(),
        "into an existing directory"
    );
    ok(&[&format!("{c}:/srv/d/."), "contents"]);
    assert!(w.join("contents/sub/f").is_file(), "SRC/. is the contents");
    std::fs::write(w.join("existing"), "old").unwrap();
    ok(&[&format!("{c}:/tmp/new"), "existing"]);
    assert_eq!(std::fs::read_to_string(w.join("existing")).unwrap(), "x\n");
    ok(&[&format!("{c}:/lnk"), "l"]);
    assert_eq!(
        std::fs::read_link(w.join("l")).unwrap(),
        Path::new("/x"),
        "a link stays a link"
    );
    ok(&["-L", &format!("{c}:/good"), "g"]);
    assert_eq!(
        std::fs::read_to_string(w.join("g")).unwrap(),
        "x\n",
        "-L follows it"
    );
    assert_eq!(std::fs::metadata(w.join("new")).unwrap().uid(), 0);

    std::fs::write(w.join("hostfile"), "h\n").unwrap();
    std::fs::create_dir_all(w.join("hostdir/in")).unwrap();
    std::fs::write(w.join("hostdir/in/f"), "hf\n").unwrap();
    ok(&["hostfile", &format!("{c}:/newname")]);
    ok(&["hostfile", &format!("{c}:/srv/")]);
    ok(&["hostdir", &format!("{c}:/srv")]);
    ok(&["hostdir/.", &format!("{c}:/opt")]);
    let files = exported(&sb, &c);
    for f in ["newname", "srv/hostfile", "srv/hostdir/in/f", "opt/in/f"] {
        assert!(
            files.iter().any(|n| n.trim_end_matches('/') == f),
            "{f} in {files:?}"
        );
    }

    let fails = |args: &[&str], want: &str| cp_in(&sb, &w, args).fails(1, want);
    fails(
        &[&format!("{c}:/nonexist"), "."],
        &format!("Could not find the file /nonexist in container {c}"),
    );
    fails(&["nope:/x", "."], "no such container: nope");
    fails(&[&format!("{c}:/tmp/new"), "nodir/"], "no such directory");
    let missing = w.join("nodir");
    fails(
        &[&format!("{c}:/tmp/new"), "nodir/x"],
        &format!(
            "invalid output path: directory \"{}\" does not exist",
            missing.display()
        ),
    );
    fails(
        &[&format!("{c}:/srv/d"), "existing"],
        "cannot copy directory",
    );
    fails(
        &["hostfile", &format!("{c}:/nonexistdir/x")],
        &format!("Could not find the file /nonexistdir in container {c}"),
    );
    fails(&["hostfile", &format!("{c}:/newdir/")], "no such directory");
    fails(&["x", "y"], "must specify at least one container source");
    fails(
        &[&format!("{c}:/a"), &format!("{c}:/b")],
        "copying between containers is not supported",
    );
    fails(
        &["nonexist", &format!("{c}:/")],
        &format!(
            "lstat {}: no such file or directory",
            w.join("nonexist").display()
        ),
    );
    fails(
        &["-L", &format!("{c}:/lnk"), "l2"],
        &format!("Could not find the file /x in container {c}"),
    );
}

#[test]
fn tars_on_stdin_and_stdout() {
    let sb = Sandbox::new();
    let c = ran(&sb, "mkdir /tmp/t && echo x > /tmp/t/new");
    let out = sb
        .command(["cp", &format!("{c}:/tmp/t"), "-"])
        .output()
        .unwrap();
    assert!(out.status.success());
    assert_eq!(tar_names(&out.stdout), ["t", "t/new"]);
    let out = sb
        .command(["cp", &format!("{c}:/tmp/t/new"), "-"])
        .output()
        .unwrap();
    assert_eq!(tar_names(&out.stdout), ["new"]);

    let mut b = tar::Builder::new(Vec::new());
    let mut h = tar::Header::new_gnu();
    h.set_size(3);
    h.set_mode(0o640);
    h.set_uid(1234);
    h.set_gid(5678);
    b.append_data(&mut h, "from-tar/f", &b"tar"[..]).unwrap();
    let archive = b.into_inner().unwrap();
    let put = |dest: &str| put_tar(&sb, dest, &archive);
    let out = put(&format!("{c}:/root"));
    assert!(out.status.success(), "{out:?}");
    let out = sb
        .command(["cp", &format!("{c}:/root/from-tar/f"), "-"])
        .output()
        .unwrap();
    let mut a = tar::Archive::new(&out.stdout[..]);
    let e = a.entries().unwrap().next().unwrap().unwrap();
    let h = e.header();
    assert_eq!(
        (h.uid().unwrap(), h.gid().unwrap(), h.mode().unwrap()),
        (1234, 5678, 0o640)
    );
    for dest in ["/tmp/t/new", "/nonexist"] {
        let out = put(&format!("{c}:{dest}"));
        assert_eq!(out.status.code(), Some(1));
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(
            err,
            format!("sixdocker: destination \"{c}:{dest}\" must be a directory\n")
        );
    }
}

#[test]
fn running_and_stopped_containers_volumes_binds_and_read_only_refusals() {
    let sb = Sandbox::new();
    let w = work_dir(&sb);
    std::fs::write(w.join("f"), "host\n").unwrap();
    let bind = sb.dir.path().join("bind");
    std::fs::create_dir(&bind).unwrap();
    let running = unique_name("running");
    let bind_arg = format!("{}:/b", bind.display());
    sb.run([
        "run",
        "-d",
        "--name",
        &running,
        "--network",
        "none",
        "-v",
        "data:/data",
        "-v",
        &bind_arg,
        "busybox",
        "sleep",
        "1000",
    ])
    .ok();
    cp_in(&sb, &w, &["f", &format!("{running}:/data/")]).ok();
    cp_in(&sb, &w, &["f", &format!("{running}:/b/")]).ok();
    let seen = sb.run(["exec", &running, "cat", "/data/f"]).ok().to_owned();
    assert_eq!(seen, "host\n", "into the running container's volume");
    assert_eq!(
        std::fs::read_to_string(bind.join("f")).unwrap(),
        "host\n",
        "and its bind"
    );
    cp_in(&sb, &w, &[&format!("{running}:/etc/hostname"), "hn"]).ok();
    let hostname = sb.run(["exec", &running, "hostname"]).ok().to_owned();
    assert_eq!(std::fs::read_to_string(w.join("hn")).unwrap(), hostname);

    let stopped = unique_name("stopped");
    sb.run([
        "create",
        "--name",
        &stopped,
        "--read-only",
        "-v",
        "data:/data",
        "-v",
        "rov:/rov:ro",
        "-u",
        "42:43",
        "busybox",
        "true",
    ])
    .ok();
    cp_in(&sb, &w, &[&format!("{stopped}:/data/f"), "back"]).ok();
    assert_eq!(
        std::fs::read_to_string(w.join("back")).unwrap(),
        "host\n",
        "a stopped container's volume"
    );
    cp_in(&sb, &w, &["f", &format!("{stopped}:/")])
        .fails(1, "container rootfs is marked read-only");
    cp_in(&sb, &w, &["f", &format!("{stopped}:/rov/")])
        .fails(1, "mounted volume is marked read-only");
    cp_in(&sb, &w, &["-a", "f", &format!("{stopped}:/data/owned")]).ok();
    let owned = sb.root().join("volumes/data/_data/owned");
    let md = std::fs::metadata(owned).unwrap();
    assert_eq!((md.uid(), md.gid()), (42, 43), "-a: the container's user");
    let merged = sb
        .root()
        .join("containers")
        .join(sb.id_of(&stopped))
        .join("merged");
    assert!(
        !std::fs::read_to_string("/proc/self/mountinfo")
            .unwrap()
            .contains(merged.to_str().unwrap()),
        "the stopped container's rootfs was mounted for the copy only, in its own namespace"
    );
}

#[test]
fn hostile_symlinks_never_lead_a_copy_out_of_the_container() {
    let sb = Sandbox::new();
    let w = work_dir(&sb);
    let marker = unique_name("cp-escape");
    let host_tmp = Path::new("/tmp").join(&marker);
    assert!(!host_tmp.exists());
    let c = ran(
        &sb,
        "echo inside > /etc/inside; ln -s / /escape; ln -s /../../../../etc /up; \
         ln -s ../../../.. /tmp/rel; mkdir /d; ln -s /etc/inside /d/pw; ln -s /proc/self/root /magic",
    );
    for src in ["/escape/etc/inside", "/up/inside", "/tmp/rel/etc/inside"] {
        let out = sb
            .command(["cp", &format!("{c}:{src}"), "-"])
            .output()
            .unwrap();
        // A failed copy says why on stderr (a CI run once got an empty tar here).
        assert!(out.status.success(), "cp {c}:{src} -: {out:?}");
        let mut a = tar::Archive::new(&out.stdout[..]);
        let first = a.entries().unwrap().next();
        let mut e = first
            .unwrap_or_else(|| panic!("cp {c}:{src} -: no entry in the tar: {out:?}"))
            .unwrap();
        let mut text = String::new();
        std::io::Read::read_to_string(&mut e, &mut text).unwrap();
        assert_eq!(text, "inside\n", "{src} is the container's file");
    }
    cp_in(&sb, &w, &[&format!("{c}:/magic/etc/hostname"), "m"])
        .fails(1, "Could not find the file /magic/etc/hostname");
    cp_in(&sb, &w, &[&format!("{c}:/d"), "dcopy"]).ok();
    assert_eq!(
        std::fs::read_link(w.join("dcopy/pw")).unwrap(),
        Path::new("/etc/inside")
    );

    std::fs::write(w.join(&marker), "x").unwrap();
    cp_in(&sb, &w, &[&marker, &format!("{c}:/escape/tmp/")]).ok();
    cp_in(&sb, &w, &[&marker, &format!("{c}:/tmp/rel/tmp/")]).ok();
    assert!(
        !host_tmp.exists(),
        "a symlink in the container led the copy to the host"
    );
    assert!(exported(&sb, &c).contains(&format!("tmp/{marker}")));

    // A tar whose entries climb out, or go through a symlink it made, stays inside too.
    let mut b = tar::Builder::new(Vec::new());
    let mut link = tar::Header::new_gnu();
    link.set_entry_type(tar::EntryType::Symlink);
    link.set_size(0);
    b.append_link(&mut link, "l", "/tmp").unwrap();
    let mut h = tar::Header::new_gnu();
    h.set_size(1);
    h.set_mode(0o644);
    b.append_data(&mut h, format!("l/{marker}-via-link"), &b"y"[..])
        .unwrap();
    let archive = b.into_inner().unwrap();
    let out = put_tar(&sb, &format!("{c}:/root"), &archive);
    assert!(out.status.success(), "{out:?}");
    assert!(!Path::new("/tmp")
        .join(format!("{marker}-via-link"))
        .exists());
    assert!(exported(&sb, &c).contains(&format!("tmp/{marker}-via-link")));
    let mut raw = Vec::new();
    let mut h = tar::Header::new_gnu();
    h.set_size(1);
    h.set_mode(0o644);
    let climbing = format!("../../../../tmp/{marker}-esc");
    h.as_gnu_mut().unwrap().name[..climbing.len()].copy_from_slice(climbing.as_bytes());
    h.set_cksum();
    raw.extend_from_slice(h.as_bytes());
    raw.extend_from_slice(&[b'z'; 512]);
    raw.extend_from_slice(&[0; 1024]);
    let out = put_tar(&sb, &format!("{c}:/root"), &raw);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("would be outside the destination"));
    assert!(!Path::new("/tmp").join(format!("{marker}-esc")).exists());
}
