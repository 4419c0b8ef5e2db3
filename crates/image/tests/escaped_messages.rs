//! An archive cannot write to the user's terminal through an error message: entry names,
//! link targets and manifest strings with control characters (ESC, BEL) are shown escaped
//! (`\u{1b}`) wherever they appear — in our own words, in file paths, and in the messages
//! of the tar reader, which quote raw headers.

mod common;

use common::{add_file, store_state, tar_of, TestRoot, E};
use six_image::Progress;

const ESC_NAME: &str = "\x1b[31mred\x1b]0;title\x07";
const ESC_SHOWN: &str = "\\u{1b}[31mred\\u{1b}]0;title\\u{7}";

#[track_caller]
fn assert_escaped(e: &six_image::Error) {
    let text = e.to_string();
    assert!(
        !text.chars().any(|c| c.is_control()),
        "raw control characters in {text:?}"
    );
    assert!(text.contains(ESC_SHOWN), "{text:?} lacks {ESC_SHOWN:?}");
}

fn load_err(t: &TestRoot, archive: &[u8]) -> six_image::Error {
    let before = store_state(&t.store);
    let e = t
        .store
        .load(&mut &archive[..], &Progress::hidden())
        .unwrap_err();
    assert_eq!(store_state(&t.store), before);
    e
}

fn import_err(t: &TestRoot, tar: &[u8]) -> six_image::Error {
    t.store
        .import(&mut &tar[..], None, &Progress::hidden())
        .unwrap_err()
}

/// A tar header named `name` (raw bytes) whose numeric field at `field` is garbage.
fn bad_numeric_field(name: &str, field: std::ops::Range<usize>) -> Vec<u8> {
    let mut h = tar::Header::new_gnu();
    h.set_size(0);
    h.set_mode(0o644);
    h.as_old_mut().name[..name.len()].copy_from_slice(name.as_bytes());
    h.as_mut_bytes()[field].copy_from_slice(b"zzzzzzz");
    h.set_cksum();
    let mut b = tar::Builder::new(Vec::new());
    b.append(&h, std::io::empty()).unwrap();
    b.into_inner().unwrap()
}

#[test]
fn names_in_the_tar_readers_own_messages_are_escaped() {
    let t = TestRoot::new();
    // The outer archive: an unreadable size field (bytes 124..131).
    let e = load_err(&t, &bad_numeric_field(ESC_NAME, 124..131));
    assert!(e.to_string().starts_with("corrupt archive"), "{e}");
    assert_escaped(&e);
    // A layer: an unreadable mode field (bytes 100..107).
    let e = import_err(&t, &bad_numeric_field(ESC_NAME, 100..107));
    assert!(
        e.to_string().starts_with("corrupt archive (rootfs tar)"),
        "{e}"
    );
    assert_escaped(&e);
}

#[test]
fn layer_file_names_from_the_manifest_are_escaped() {
    let t = TestRoot::new();
    let layer_name = format!("{ESC_NAME}/layer.tar");
    let layer = tar_of(&[E::File("f", b"f")]);
    let config = common::config_for(std::slice::from_ref(&layer), &["sh"]);
    // A gzip stream whose body is garbage.
    let mut gz = common::compress(&layer, common::Z::Gzip);
    let n = gz.len();
    for b in &mut gz[12..n - 8] {
        *b ^= 0x5a;
    }
    let mut b = tar::Builder::new(Vec::new());
    add_file(&mut b, &layer_name, &gz);
    add_file(&mut b, "c.json", &config);
    let manifest =
        serde_json::json!([{"Config": "c.json", "RepoTags": ["x:1"], "Layers": [layer_name]}]);
    add_file(
        &mut b,
        "manifest.json",
        &serde_json::to_vec(&manifest).unwrap(),
    );
    let e = load_err(&t, &b.into_inner().unwrap());
    assert!(e.to_string().contains("cannot decompress"), "{e}");
    assert_escaped(&e);

    // A manifest naming a config file the archive lacks, and a name that is no reference.
    for (config, tag) in [(ESC_NAME, "x:1"), ("c.json", ESC_NAME)] {
        let mut b = tar::Builder::new(Vec::new());
        add_file(&mut b, "l/layer.tar", &layer);
        add_file(&mut b, "c.json", &config_bytes(&layer));
        let manifest =
            serde_json::json!([{"Config": config, "RepoTags": [tag], "Layers": ["l/layer.tar"]}]);
        add_file(
            &mut b,
            "manifest.json",
            &serde_json::to_vec(&manifest).unwrap(),
        );
        assert_escaped(&load_err(&t, &b.into_inner().unwrap()));
    }
}

fn config_bytes(layer: &[u8]) -> Vec<u8> {
    common::config_for(&[layer.to_vec()], &["sh"])
}

#[test]
fn paths_in_file_system_errors_are_escaped() {
    let t = TestRoot::new();
    // A name too long for the file system: the error quotes the path it tried to create.
    let long = format!("{ESC_NAME}{}", "a".repeat(300));
    let mut b = tar::Builder::new(Vec::new());
    add_file(&mut b, &long, b"x");
    let e = import_err(&t, &b.into_inner().unwrap());
    // The errno is the error's source (the chain a CLI prints), the path its message.
    let line = six_testkit::error_chain(&e);
    assert!(line.contains("File name too long"), "{line}");
    assert_escaped(&e);
}

#[test]
fn entry_names_and_link_targets_are_escaped() {
    let t = TestRoot::new();
    let up = format!("../../{ESC_NAME}");
    for tar in [
        tar_of(&[E::File(&format!("a/../../{ESC_NAME}"), b"x")]),
        tar_of(&[E::Symlink("s", &up)]),
        tar_of(&[E::Hardlink("h", ESC_NAME)]),
        tar_of(&[E::CharDev(ESC_NAME, 1, 3)]),
    ] {
        assert_escaped(&import_err(&t, &tar));
    }
}
