//! Interoperability with the real tools: Podman loads what `save` writes, and we load what
//! `podman save` (docker-archive and oci-archive) and `skopeo copy ... oci-archive:` write.
//! Podman runs with its own --root/--runroot/--tmpdir in the test's temp dir (vfs driver), which
//! the test removes afterwards.

mod common;

use std::fs;
use std::process::Command;

use common::TestRoot;
use six_image::{ImageConfig, Progress};
use six_testkit::podman::Podman;

#[test]
fn podman_loads_our_save_and_we_load_podmans_and_skopeos() {
    let t = TestRoot::new();
    let base = t.store.resolve("busybox").unwrap();
    let m = t.store.mount_rootfs(&base, &t.container_dir("a")).unwrap();
    fs::write(m.merged.join("etc/motd"), "committed\n").unwrap();
    fs::remove_file(m.merged.join("bin/ls")).unwrap();
    let child = t
        .store
        .commit(&base, &m.upper, ImageConfig::default(), Some("child:1"))
        .unwrap();
    m.unmount().unwrap();

    let saved = t.path().join("saved.tar");
    let mut f = fs::File::create(&saved).unwrap();
    t.store
        .save(&["busybox", "child:1"], &mut f, &Progress::hidden())
        .unwrap();
    drop(f);

    let podman = Podman::new(t.path());
    podman.run(&["load", "-i", saved.to_str().unwrap()]);
    let images = podman.run(&["images", "--format", "{{.Repository}}:{{.Tag}} {{.ID}}"]);
    assert!(images.contains("/busybox:latest"), "{images}");
    assert!(images.contains("/child:1"), "{images}");
    assert!(
        images.contains(&child.id[..12]),
        "podman keeps our image ID: {images}"
    );
    assert!(
        images.contains(&base.id[..12]),
        "podman keeps our image ID: {images}"
    );

    // Back again from Podman, in both of its formats, into fresh stores.
    let from_podman = t.path().join("podman-docker.tar");
    let from_podman_oci = t.path().join("podman-oci.tar");
    podman.run(&["save", "-o", from_podman.to_str().unwrap(), "child:1"]);
    podman.run(&[
        "save",
        "--format",
        "oci-archive",
        "-o",
        from_podman_oci.to_str().unwrap(),
        "child:1",
    ]);
    for archive in [&from_podman, &from_podman_oci] {
        let u = TestRoot::new();
        let loaded = u
            .store
            .load(&mut fs::File::open(archive).unwrap(), &Progress::hidden())
            .unwrap();
        assert_eq!(loaded.len(), 1);
        assert_eq!(loaded[0].repo_tags, ["child:1"], "{}", archive.display());
        assert_eq!(loaded[0].layers, child.layers, "{}", archive.display());
        let m = u
            .store
            .mount_rootfs(&loaded[0], &u.container_dir("p"))
            .unwrap();
        assert_eq!(
            fs::read_to_string(m.merged.join("etc/motd")).unwrap(),
            "committed\n"
        );
        assert!(fs::symlink_metadata(m.merged.join("bin/ls")).is_err());
        m.unmount().unwrap();
        assert!(u.mounts().is_empty());
    }

    // skopeo converts our archive to an OCI archive (gzip layers); we load that too.
    let oci = t.path().join("skopeo-oci.tar");
    let out = Command::new("skopeo")
        .args([
            "copy",
            &format!("docker-archive:{}:child:1", saved.display()),
            &format!("oci-archive:{}:child:2", oci.display()),
        ])
        .output()
        .expect("skopeo must be installed (Debian package skopeo)");
    assert!(
        out.status.success(),
        "skopeo: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let u = TestRoot::new();
    let loaded = u
        .store
        .load(&mut fs::File::open(&oci).unwrap(), &Progress::hidden())
        .unwrap();
    assert_eq!(loaded[0].layers, child.layers);
    assert_eq!(u.store.resolve("child:2").unwrap().id, loaded[0].id);
    drop(podman);
    assert!(!t.path().join("podman-root").exists());
    assert!(t.mounts().is_empty());
}
