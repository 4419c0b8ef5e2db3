//! What `load` says when it cannot load, through the real binary: a hostile image anywhere
//! in the archive loads nothing and names the entry (control characters escaped, never
//! sent raw to the terminal); a full disk is called a full disk, naming the store.

mod common;

use std::path::PathBuf;

use common::Sandbox;

fn add_file(b: &mut tar::Builder<Vec<u8>>, path: &str, data: &[u8]) {
    let mut h = tar::Header::new_gnu();
    h.set_mode(0o644);
    h.set_size(data.len() as u64);
    b.append_data(&mut h, path, data).unwrap();
}

/// A layer tar with one file whose name is written as is (`..` included).
fn layer_with(name: &str, data: &[u8]) -> Vec<u8> {
    let mut h = tar::Header::new_gnu();
    h.set_mode(0o644);
    h.set_size(data.len() as u64);
    h.as_old_mut().name[..name.len()].copy_from_slice(name.as_bytes());
    h.set_cksum();
    let mut b = tar::Builder::new(Vec::new());
    b.append(&h, data).unwrap();
    b.into_inner().unwrap()
}

fn sha256_hex(data: &[u8]) -> String {
    use sha2::Digest;
    format!("{:x}", sha2::Sha256::digest(data))
}

/// A docker-archive of one-layer images: (layer tar, tag) each.
fn docker_archive(images: &[(Vec<u8>, &str)]) -> Vec<u8> {
    let mut b = tar::Builder::new(Vec::new());
    let mut manifest = Vec::new();
    for (i, (layer, tag)) in images.iter().enumerate() {
        let config = serde_json::to_vec(&serde_json::json!({
            "architecture": "amd64", "os": "linux",
            "config": {"Cmd": ["sh"]},
            "rootfs": {"type": "layers", "diff_ids": [format!("sha256:{}", sha256_hex(layer))]},
        }))
        .unwrap();
        add_file(&mut b, &format!("l{i}/layer.tar"), layer);
        add_file(&mut b, &format!("c{i}.json"), &config);
        manifest.push(
            serde_json::json!({"Config": format!("c{i}.json"), "RepoTags": [tag],
            "Layers": [format!("l{i}/layer.tar")]}),
        );
    }
    add_file(
        &mut b,
        "manifest.json",
        &serde_json::to_vec(&manifest).unwrap(),
    );
    b.into_inner().unwrap()
}

fn write(sb: &Sandbox, name: &str, bytes: &[u8]) -> PathBuf {
    let path = sb.dir.path().join(name);
    std::fs::write(&path, bytes).unwrap();
    path
}

#[test]
fn a_hostile_second_image_loads_nothing_and_its_name_is_shown_escaped() {
    let sb = Sandbox::new();
    let archive = docker_archive(&[
        (layer_with("good", b"good"), "good:1"),
        (layer_with("a/../../\x1b[31mevil\x07", b"x"), "evil:1"),
    ]);
    let path = write(&sb, "two.tar", &archive);
    let r = sb.run(["load", "-i", path.to_str().unwrap()]);
    r.fails(
        1,
        r#"refusing archive entry "a/../../\u{1b}[31mevil\u{7}": its path contains '..'"#,
    );
    assert!(
        !r.stderr.contains(['\x1b', '\x07']),
        "raw control characters on stderr: {r:?}"
    );
    assert_eq!(r.stdout, "", "nothing reported as loaded");
    let images = sb.sh("images");
    assert!(
        !images.ok().contains("good") && !images.ok().contains("evil"),
        "{images:?}"
    );
}

#[test]
fn a_full_disk_during_load_is_called_a_full_disk() {
    let sb = Sandbox::with_small_root(2 << 20);
    let store = sb.root().join("image");
    let mut x = 0x9e37_79b9_7f4a_7c15u64;
    let noise: Vec<u8> = (0..3 << 20)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x as u8
        })
        .collect();
    let archive = docker_archive(&[(layer_with("big", &noise), "big:1")]);
    let path = write(&sb, "big.tar", &archive);
    let r = sb.run(["load", "-i", path.to_str().unwrap()]);
    r.fails(
        1,
        &format!(
            "disk full: no space left for the image store {} (while writing ",
            store.display()
        ),
    );
    assert!(!r.stderr.contains("corrupt"), "{r:?}");
    let tmp = store.join("tmp");
    assert_eq!(
        std::fs::read_dir(&tmp).unwrap().count(),
        0,
        "work left in tmp"
    );
    assert!(!sb.sh("images").ok().contains("big"));
}
