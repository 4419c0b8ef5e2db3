//! `rmi -f` of an image that containers use, as Docker (issue 11, "Fix"; checked against
//! dockerd 20.10): used only by stopped containers, the image is deleted — no record left,
//! not even `<none>` — yet those containers still start, and its layers go with the last of
//! them; used by a running container, it only loses its names.

mod common;

use common::{unique_name, Sandbox};

/// How many unpacked layers the sandbox's image store holds.
fn layers(sb: &Sandbox) -> usize {
    std::fs::read_dir(sb.root().join("image/layers"))
        .unwrap()
        .count()
}

/// The image's full ID (64 hex).
fn image_id(sb: &Sandbox, image: &str) -> String {
    let id = sb.inspect(image)["Id"].as_str().unwrap().to_owned();
    id.trim_start_matches("sha256:").to_owned()
}

#[test]
fn rmi_f_under_stopped_containers_leaves_no_record() {
    let sb = Sandbox::new();
    sb.run(["run", "--rm", "--network", "none", "busybox", "true"])
        .ok();
    let before = layers(&sb);
    let image = unique_name("img");
    sb.image_from_script(&image, "echo from-the-layer > /x");
    let id = image_id(&sb, &image);
    let c = unique_name("c");
    sb.run([
        "create",
        "--name",
        &c,
        "--network",
        "none",
        &image,
        "cat",
        "/x",
    ])
    .ok();
    sb.run(["rmi", &image]).fails(1, &image);
    let out = sb.run(["rmi", "-f", &image]);
    assert_eq!(
        out.ok(),
        format!("Untagged: {image}:latest\nDeleted: sha256:{id}\n")
    );
    let images = sb.run(["images"]);
    assert!(!images.ok().contains(&id[..12]), "{images:?}");
    assert!(sb.run(["inspect", &id]).code != 0, "no image by its ID");
    let row = sb.ps_row(&c).unwrap();
    assert!(row.contains(&id[..12]), "ps shows the image's ID: {row}");
    // the container still has its image
    assert_eq!(sb.run(["start", "-a", &c]).ok(), "from-the-layer\n");
    sb.run(["commit", &c, "kept"]).ok();
    sb.run(["rmi", "kept"]).ok();
    // and its layers go with it
    assert_eq!(layers(&sb), before + 1);
    sb.run(["rm", &c]).ok();
    assert_eq!(
        layers(&sb),
        before,
        "the image's layer went with the container"
    );
}

#[test]
fn rmi_f_under_a_running_container_only_untags() {
    let sb = Sandbox::new();
    let image = unique_name("img");
    sb.image_from_script(&image, "echo x > /x");
    let id = image_id(&sb, &image);
    let c = unique_name("c");
    sb.run([
        "run",
        "-d",
        "--name",
        &c,
        "--network",
        "none",
        &image,
        "sleep",
        "600",
    ])
    .ok();
    let out = sb.run(["rmi", "-f", &image]);
    assert_eq!(out.ok(), format!("Untagged: {image}:latest\n"));
    let images = sb.run(["images"]);
    let row = images.ok().lines().find(|l| l.contains(&id[..12]));
    assert!(
        row.is_some_and(|r| r.starts_with("<none>")),
        "kept, untagged: {images:?}"
    );
    sb.run(["rm", "-f", &c]).ok();
    assert!(
        sb.run(["images"]).ok().contains(&id[..12]),
        "as Docker: kept"
    );
}
