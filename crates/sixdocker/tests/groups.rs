//! Docker's command groups (`container …`, `image …`, `system info`) through the real binary:
//! the same flags and output as the top-level commands, Docker's aliases, `inspect --type`,
//! and `history` (issue 12, items 2 and 4).

mod common;

use common::{unique_name, Sandbox};

#[test]
fn container_group_is_the_top_level_commands() {
    let sb = Sandbox::new();
    let name = unique_name("grp");
    // The original's single-dash -name works inside the group too; run is sealed as usual.
    assert_eq!(
        sb.run(["container", "run", "-name", &name, "busybox", "echo", "hi"])
            .ok(),
        "hi\n"
    );
    let top = sb.sh("ps -a --format {{.Names}}:{{.State}}");
    for alias in ["ls", "ps", "list"] {
        let grouped = sb.run([
            "container",
            alias,
            "-a",
            "--format",
            "{{.Names}}:{{.State}}",
        ]);
        assert_eq!(grouped.ok(), top.ok(), "container {alias}");
    }
    assert_eq!(top.ok(), format!("{name}:exited\n"));
    let inspected = sb.run(["container", "inspect", "-f", "{{.Name}}", &name]);
    assert_eq!(inspected.ok(), format!("/{name}\n"));
    // container inspect looks at containers only.
    sb.run(["container", "inspect", "busybox"])
        .fails(1, "busybox");
    assert_eq!(sb.run(["container", "logs", &name]).ok(), "hi\n");
    assert_eq!(
        sb.run(["container", "remove", &name]).ok(),
        format!("{name}\n")
    );
    assert_eq!(sb.sh("container ls -a -q").ok(), "");
}

#[test]
fn image_group_and_history() {
    let sb = Sandbox::new();
    sb.sh("run --rm busybox true").ok();
    let tag = unique_name("img");
    sb.run(["image", "tag", "busybox", &format!("{tag}:v1")])
        .ok();
    for alias in ["ls", "list", "images"] {
        let out = sb.run(["image", alias, "--format", "{{.Repository}}"]);
        assert!(out.ok().contains(&tag), "image {alias}: {out:?}");
    }
    let id = sb.run(["image", "inspect", "-f", "{{.Id}}", &format!("{tag}:v1")]);
    assert!(id.ok().starts_with("sha256:"), "{id:?}");
    sb.run(["image", "inspect", &unique_name("nope")])
        .fails(1, "no such image");
    assert_eq!(
        sb.run(["inspect", "--type", "image", "-f", "{{.Id}}", "busybox"])
            .ok(),
        id.ok()
    );

    // history: the image's one step, its ID on top; a commit adds a step whose parent row
    // carries the parent's ID, as Docker shows local images.
    let history = sb.sh("history busybox");
    let lines: Vec<&str> = history.ok().lines().collect();
    assert!(
        lines[0].starts_with("IMAGE          CREATED"),
        "{history:?}"
    );
    assert!(
        lines[0].contains("CREATED BY") && lines[0].ends_with("COMMENT"),
        "{history:?}"
    );
    assert_eq!(lines.len(), 2, "{history:?}");
    let short = &id.ok()["sha256:".len()..][..12];
    assert!(lines[1].starts_with(short), "{history:?}");
    let box_name = unique_name("hist");
    sb.run([
        "run",
        "--name",
        &box_name,
        "busybox",
        "sh",
        "-c",
        "echo x > /x",
    ])
    .ok();
    let committed = format!("{tag}:c");
    sb.run(["commit", &box_name, &committed]).ok();
    let steps = sb.run([
        "image",
        "history",
        "--no-trunc",
        "--format",
        "{{.ID}}|{{.CreatedBy}}",
        &committed,
    ]);
    let rows: Vec<&str> = steps.ok().lines().collect();
    assert_eq!(rows.len(), 2, "{steps:?}");
    let committed_id = sb.run(["image", "inspect", "-f", "{{.Id}}", &committed]);
    assert_eq!(
        rows[0],
        format!("{}|sixdocker commit", committed_id.ok().trim()),
        "{steps:?}"
    );
    assert_eq!(rows[1].split('|').next(), Some(id.ok().trim()), "{steps:?}");
    let raw = sb.run([
        "history",
        "-H=false",
        "--format",
        "{{.Size}} {{.CreatedAt}}",
        "busybox",
    ]);
    let (size, at) = raw.ok().trim().split_once(' ').unwrap();
    assert!(size.parse::<u64>().is_ok_and(|n| n > 0), "{raw:?}");
    assert!(at.ends_with('Z') && at.contains('T'), "{raw:?}");
    assert_eq!(sb.sh("history -q busybox").ok().trim(), short);

    assert!(sb
        .run(["image", "rm", &format!("{tag}:v1")])
        .ok()
        .contains("Untagged"));
    sb.run(["image", "rmi", &committed]).ok();
}

#[test]
fn system_info_is_info() {
    let sb = Sandbox::new();
    assert_eq!(
        sb.sh("system info -f {{.Containers}}").ok(),
        sb.sh("info --format {{.Containers}}").ok()
    );
}
