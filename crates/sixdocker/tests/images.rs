//! Image commands through the real binary: images, tag, rmi, commit (Docker's form),
//! save/load and import/export round trips.

mod common;

use common::{unique_name, Sandbox};

#[test]
fn images_tag_rmi() {
    let sb = Sandbox::new();
    sb.sh("run --rm busybox true").ok();
    let tag = unique_name("mine");
    sb.run(["tag", "busybox", &format!("{tag}:v1")]).ok();
    let images = sb.sh("images");
    let rows: Vec<&str> = images.ok().lines().collect();
    assert!(
        rows[0].starts_with("REPOSITORY   TAG       IMAGE ID"),
        "{}",
        rows[0]
    );
    let busybox_id = rows
        .iter()
        .find(|r| r.starts_with("busybox "))
        .unwrap()
        .split_whitespace()
        .nth(2)
        .unwrap();
    let mine = rows
        .iter()
        .find(|r| r.starts_with(&tag))
        .expect("the new tag is listed");
    assert!(mine.contains("v1") && mine.contains(busybox_id), "{mine}");
    // Docker prints the ID once a name (docker images -q lists 7b558e890a0f twice).
    let quiet = sb.sh("images -q");
    assert_eq!(
        quiet.ok().lines().collect::<Vec<_>>(),
        [busybox_id, busybox_id],
        "one ID for each of the two names"
    );
    let out = sb.run(["rmi", &format!("{tag}:v1")]);
    assert!(out.ok().contains("Untagged"), "{out:?}");
    assert!(!sb.sh("images").ok().contains(&tag));
}

#[test]
fn rmi_of_an_image_in_use_is_refused_then_forced_after_rm() {
    let sb = Sandbox::new();
    let name = unique_name("u");
    sb.run(["run", "--name", &name, "busybox", "true"]).ok();
    sb.sh("rmi busybox").fails(1, "busybox");
    assert!(sb.sh("images").ok().contains("busybox"), "nothing removed");
    sb.run(["rm", &name]).ok();
    sb.sh("rmi busybox").ok();
    assert!(!sb.sh("images").ok().contains("busybox"));
}

#[test]
fn commit_docker_form_keeps_changes_and_config() {
    let sb = Sandbox::new();
    let name = unique_name("c");
    let image = format!("{}:v2", unique_name("repo"));
    sb.run([
        "run",
        "--name",
        &name,
        "-w",
        "/tmp",
        "busybox",
        "sh",
        "-c",
        "mkdir -p /srv && echo layer > /srv/f && rm /bin/vi",
    ])
    .ok();
    sb.run(["commit", &name, &image]).ok();
    assert_eq!(
        sb.run(["run", "--rm", &image, "cat", "/srv/f"]).ok(),
        "layer\n"
    );
    let vi = sb.run([
        "run",
        "--rm",
        &image,
        "sh",
        "-c",
        "test -e /bin/vi && echo present || echo deleted",
    ]);
    assert_eq!(vi.ok(), "deleted\n");
    let pwd = sb.run(["run", "--rm", &image, "pwd"]);
    assert_eq!(pwd.ok(), "/tmp\n", "the workdir is kept");
    let base = sb.run([
        "run",
        "--rm",
        "busybox",
        "sh",
        "-c",
        "test -e /srv/f && echo leaked || echo clean",
    ]);
    assert_eq!(base.ok(), "clean\n", "the base image is untouched");
}

#[test]
fn save_load_round_trip() {
    let sb = Sandbox::new();
    let name = unique_name("s");
    let image = unique_name("saved");
    sb.run([
        "run",
        "--name",
        &name,
        "busybox",
        "sh",
        "-c",
        "echo saved > /f",
    ])
    .ok();
    sb.run(["commit", &name, &image]).ok();
    let archive = sb.dir.path().join("saved.tar");
    sb.run(["save", "-o", archive.to_str().unwrap(), &image])
        .ok();
    assert!(archive.metadata().unwrap().len() > 0);

    let other = Sandbox::new();
    let out = other.run(["load", "-i", archive.to_str().unwrap()]);
    assert!(
        out.ok().contains(&format!("Loaded image: {image}:latest")),
        "{out:?}"
    );
    assert_eq!(
        other.run(["run", "--rm", &image, "cat", "/f"]).ok(),
        "saved\n"
    );

    // From stdin too.
    let third = Sandbox::new();
    let loaded = third
        .command(["load"])
        .stdin(std::fs::File::open(&archive).unwrap())
        .output()
        .unwrap();
    assert!(loaded.status.success(), "{loaded:?}");
    assert!(third.sh("images").ok().contains(&image));
}

#[test]
fn export_import_round_trip() {
    let sb = Sandbox::new();
    let name = unique_name("e");
    sb.run([
        "run",
        "--name",
        &name,
        "busybox",
        "sh",
        "-c",
        "echo exported > /e",
    ])
    .ok();
    let tar = sb.dir.path().join("rootfs.tar");
    sb.run(["export", "-o", tar.to_str().unwrap(), &name]).ok();
    let image = unique_name("imp");
    let id = sb
        .run(["import", tar.to_str().unwrap(), &image])
        .ok()
        .trim()
        .to_owned();
    assert!(id.starts_with("sha256:"), "{id}");
    assert_eq!(
        sb.run(["run", "--rm", &image, "cat", "/e"]).ok(),
        "exported\n"
    );

    // Export to stdout, import from stdin.
    let piped = sb.command(["export", &name]).output().unwrap();
    assert!(piped.status.success() && !piped.stdout.is_empty());
    let tar2 = sb.dir.path().join("stdout.tar");
    std::fs::write(&tar2, &piped.stdout).unwrap();
    let image2 = unique_name("imp");
    let imported = sb
        .command(["import", "-", &image2])
        .stdin(std::fs::File::open(&tar2).unwrap())
        .output()
        .unwrap();
    assert!(imported.status.success(), "{imported:?}");
    assert_eq!(
        sb.run(["run", "--rm", &image2, "cat", "/e"]).ok(),
        "exported\n"
    );
}

#[test]
fn bad_image_input() {
    let sb = Sandbox::new();
    sb.sh("run --rm --pull never no-such-image true")
        .fails(125, "no-such-image");
    sb.sh("rmi no-such-image").fails(1, "no-such-image");
    sb.sh("tag no-such-image x:y").fails(1, "no-such-image");
    let missing = sb.dir.path().join("missing.tar");
    sb.run(["load", "-i", missing.to_str().unwrap()])
        .fails(1, "missing.tar");
    let junk = sb.dir.path().join("junk.tar");
    std::fs::write(&junk, b"this is not a tar archive at all").unwrap();
    let r = sb.run(["load", "-i", junk.to_str().unwrap()]);
    assert_eq!(r.code, 1);
    assert_eq!(r.stderr.lines().count(), 1, "{r:?}");
    sb.sh("commit no-such-container img")
        .fails(1, "no-such-container");
    sb.sh("commit").fails(125, "commit needs a container");
    assert!(!sb.sh("images").ok().contains("img"), "nothing half-made");
}
