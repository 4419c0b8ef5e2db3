//! The original sixDocker kept image tarballs in /var/run/sixDocker/images/ (busybox.tar,
//! nginx.tar): a `NAME.tar` there becomes image NAME on first use, after our own import
//! folder, and a missing image's error says where we looked (issue 15). The tests point
//! SIXDOCKER_ORIGINAL_IMAGE_DIR at a folder of their own sandbox, never the host's.

mod common;

use common::{unique_name, Sandbox};

/// A flat rootfs tarball of busybox with `/hello` saying `text`, at `path`.
fn flat_tar(sb: &Sandbox, path: &std::path::Path, text: &str) {
    let name = unique_name("src");
    let script = format!("echo {text} > /hello");
    sb.run([
        "run",
        "--network",
        "none",
        "--name",
        &name,
        "busybox",
        "sh",
        "-c",
        &script,
    ])
    .ok();
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    sb.run(["export", "-o", path.to_str().unwrap(), &name]).ok();
    sb.run(["rm", &name]).ok();
}

#[test]
fn a_tar_in_the_original_folder_is_an_image_after_our_own_folder() {
    let sb = Sandbox::new();
    let original = sb.original_image_dir();
    flat_tar(&sb, &original.join("hello.tar"), "from-the-original-folder");
    flat_tar(&sb, &original.join("both.tar"), "original");
    flat_tar(&sb, &sb.image_dir().join("both.tar"), "ours");
    let hello = |image: &str| {
        let args = [
            "run",
            "--pull",
            "never",
            "--rm",
            "--network",
            "none",
            image,
            "cat",
            "/hello",
        ];
        sb.run(args).ok().to_owned()
    };
    assert_eq!(hello("hello"), "from-the-original-folder\n");
    assert_eq!(hello("both"), "ours\n", "our import folder comes first");
    assert!(
        sb.sh("images").ok().contains("hello"),
        "hello is an image now"
    );

    // --pull never: tests never reach a registry beyond loopback.
    let missing = sb.run(["run", "--pull", "never", "--rm", "nosuch", "true"]);
    missing.fails(125, "nosuch");
    let expected = format!(
        "(looked for nosuch.tar in {} and {})",
        sb.image_dir().display(),
        original.display()
    );
    assert!(missing.stderr.contains(&expected), "{missing:?}");
}
