//! `--filter` as a user types it: `ps`, `images` and `network ls`, with Docker's semantics
//! (see six-engine's filters module for the table tests of each rule) and its errors.

mod common;

use common::{unique_name, Sandbox};

/// The NAMES column (the last) of `ps` with `args`.
fn ps_names(sb: &Sandbox, args: &[&str]) -> Vec<String> {
    let mut all = vec!["ps"];
    all.extend_from_slice(args);
    let out = sb.run(&all);
    let out = out.ok();
    out.lines()
        .skip(1)
        .filter_map(|l| l.split_whitespace().last().map(str::to_owned))
        .collect()
}

/// Each command fails with its exit code and one line naming what was wrong.
fn refused(sb: &Sandbox, cases: &[(&[&str], i32, &str)]) {
    for (args, code, needle) in cases {
        sb.run(*args).fails(*code, needle);
    }
}

/// The REPOSITORY:TAG pairs of `images` with `args`.
fn image_names(sb: &Sandbox, args: &[&str]) -> Vec<String> {
    let mut all = vec!["images"];
    all.extend_from_slice(args);
    let out = sb.run(&all);
    out.ok()
        .lines()
        .skip(1)
        .map(|l| {
            let cols: Vec<&str> = l.split_whitespace().collect();
            format!("{}:{}", cols[0], cols[1])
        })
        .collect()
}

#[test]
fn ps_filters_as_docker() {
    let sb = Sandbox::new();
    let [web, ex, cr, child, vol] =
        ["web", "ex", "cr", "child", "vol"].map(|n| &*unique_name(n).leak());
    sb.sh(&format!(
        "run -d --network none --name {web} busybox sleep 1000"
    ))
    .ok();
    let r = sb.run([
        "run",
        "--network",
        "none",
        "--name",
        ex,
        "busybox",
        "sh",
        "-c",
        "exit 3",
    ]);
    assert_eq!(r.code, 3, "{r:?}");
    sb.sh(&format!("create --network none --name {cr} busybox true"))
        .ok();
    let image: &str = unique_name("img").leak();
    sb.sh(&format!("commit {ex} {image}")).ok();
    sb.sh(&format!(
        "create --network none --name {child} {image} true"
    ))
    .ok();
    let data = sb.dir.path().join("data");
    std::fs::create_dir_all(&data).unwrap();
    let bind = format!("{}:/data", data.display());
    sb.sh(&format!(
        "create --network none -v {bind} --name {vol} busybox true"
    ))
    .ok();

    // Newest first, as ps lists them.
    assert_eq!(ps_names(&sb, &["-a"]), [vol, child, cr, ex, web]);
    assert_eq!(ps_names(&sb, &[]), [web]);
    assert_eq!(
        ps_names(&sb, &["--filter", "status=exited"]),
        [ex],
        "status implies -a"
    );
    assert_eq!(
        ps_names(&sb, &["-f", "status=created", "-f", "status=running"]),
        [vol, child, cr, web],
        "two values of one key: either"
    );
    assert_eq!(ps_names(&sb, &["-a", "--filter", "exited=3"]), [ex]);
    assert!(ps_names(&sb, &["-a", "--filter", "exited=0"]).is_empty());
    assert_eq!(
        ps_names(&sb, &["-a", "--filter", &format!("name={web}")]),
        [web]
    );
    assert_eq!(
        ps_names(&sb, &["-a", "--filter", &format!("name=^/{ex}$")]),
        [ex],
        "names match with their leading slash too, as regular expressions"
    );
    assert_eq!(
        ps_names(
            &sb,
            &["-a", "-f", &format!("name={web}"), "-f", "status=exited"]
        ),
        Vec::<String>::new(),
        "two keys: both"
    );
    let id = sb.id_of(cr);
    assert_eq!(
        ps_names(&sb, &["-a", "--filter", &format!("id={}", &id[..10])]),
        [cr]
    );
    assert_eq!(
        ps_names(&sb, &["-a", "--filter", "ancestor=busybox"]),
        [vol, child, cr, ex, web],
        "busybox's descendants count"
    );
    assert_eq!(
        ps_names(&sb, &["-a", "--filter", &format!("ancestor={image}")]),
        [child]
    );
    assert!(ps_names(&sb, &["-a", "--filter", "ancestor=nosuchimage"]).is_empty());
    assert_eq!(
        ps_names(&sb, &["-a", "--filter", &format!("before={cr}")]),
        [ex, web]
    );
    assert_eq!(
        ps_names(&sb, &["-a", "--filter", &format!("since={cr}")]),
        [vol, child]
    );
    assert_eq!(
        ps_names(&sb, &["-a", "--filter", "network=none"]),
        [vol, child, cr, ex, web],
        "created ones too: dockerd 20.10 lists a container on its networks from create"
    );
    assert_eq!(ps_names(&sb, &["-a", "--filter", "volume=/data"]), [vol]);
    assert_eq!(
        ps_names(
            &sb,
            &["-a", "--filter", &format!("volume={}", data.display())]
        ),
        [vol]
    );
    assert_eq!(ps_names(&sb, &["-a", "--filter", "health=none"]).len(), 5);
    assert_eq!(ps_names(&sb, &["-a", "--filter", "is-task=false"]).len(), 5);
    assert!(ps_names(&sb, &["-a", "--filter", "is-task=true"]).is_empty());
    assert!(ps_names(&sb, &["-a", "--filter", "label=team"]).is_empty());
    assert!(ps_names(&sb, &["-a", "--filter", "publish=80"]).is_empty());
    let quiet = sb.run(["ps", "-a", "-q", "--filter", &format!("name={web}")]);
    assert_eq!(quiet.ok().trim(), &sb.id_of(web)[..12]);

    refused(
        &sb,
        &[
            (&["ps", "--filter", "foo=1"], 1, "invalid filter 'foo'"),
            (
                &["ps", "--filter", "status=bogus"],
                1,
                "invalid filter 'status=bogus'",
            ),
            (
                &["ps", "--filter", "is-task=x"],
                1,
                "invalid filter 'is-task=[x]'",
            ),
            (
                &["ps", "--filter", "exited=x"],
                1,
                "invalid filter 'exited=x'",
            ),
            (
                &["ps", "--filter", "health=x"],
                1,
                "Unrecognised filter value for health: x",
            ),
            (
                &["ps", "--filter", "before=nosuch"],
                1,
                "no such container: nosuch",
            ),
            (
                &["ps", "--filter", "publish=80:80"],
                1,
                "filter for 'publish' should not contain ':': 80:80",
            ),
            (
                &["ps", "--filter", "name"],
                125,
                "bad format of filter (expected name=value)",
            ),
        ],
    );
}

#[test]
fn images_filters_as_docker() {
    let sb = Sandbox::new();
    let c: &str = unique_name("c").leak();
    sb.sh(&format!("create --network none --name {c} busybox true"))
        .ok();
    let image: &str = unique_name("img").leak();
    sb.run(["commit", c, &format!("{image}:v1")]).ok();
    sb.run(["tag", &format!("{image}:v1"), &format!("{image}:v2")])
        .ok();
    let v1: &str = format!("{image}:v1").leak();
    let v2: &str = format!("{image}:v2").leak();

    assert_eq!(image_names(&sb, &[]), [v1, v2, "busybox:latest"]);
    assert_eq!(
        image_names(&sb, &["--filter", &format!("reference={image}:v2")]),
        [v2],
        "only the names that match are shown"
    );
    assert_eq!(
        image_names(&sb, &["--filter", &format!("reference={image}")]),
        [v1, v2]
    );
    assert_eq!(
        image_names(&sb, &["--filter", "reference=busy*"]),
        ["busybox:latest"]
    );
    assert_eq!(
        image_names(
            &sb,
            &[
                "-f",
                "reference=busy*",
                "-f",
                &format!("reference={image}:v1")
            ]
        ),
        [v1, "busybox:latest"]
    );
    assert_eq!(
        image_names(&sb, &["--filter", &format!("before={v1}")]),
        ["busybox:latest"]
    );
    assert_eq!(image_names(&sb, &["--filter", "since=busybox"]), [v1, v2]);
    assert!(image_names(&sb, &["--filter", "dangling=true"]).is_empty());
    assert_eq!(image_names(&sb, &["--filter", "dangling=false"]).len(), 3);
    assert!(image_names(&sb, &["--filter", "label=a"]).is_empty());

    // Untagged, it is dangling.
    sb.sh(&format!("rm {c}")).ok();
    sb.run(["rmi", v1]).ok();
    sb.run(["rmi", v2]).ok();
    sb.sh(&format!("create --network none --name {c} busybox true"))
        .ok();
    sb.sh(&format!("commit {c}")).ok();
    assert_eq!(
        image_names(&sb, &["--filter", "dangling=true"]),
        ["<none>:<none>"]
    );
    assert_eq!(
        image_names(&sb, &["--filter", "dangling=false"]),
        ["busybox:latest"]
    );
    let quiet = sb.sh("images -q --filter dangling=true");
    assert_eq!(quiet.ok().lines().count(), 1);

    refused(
        &sb,
        &[
            (&["images", "--filter", "foo=1"], 1, "invalid filter 'foo'"),
            (
                &["images", "--filter", "dangling=x"],
                1,
                "invalid filter 'dangling=[x]'",
            ),
            (&["images", "--filter", "before=nosuch"], 1, "nosuch"),
            (
                &["images", "--filter", "reference=["],
                1,
                "syntax error in pattern",
            ),
        ],
    );
}

#[test]
fn network_ls_filters_as_docker() {
    let sb = Sandbox::new();
    let net: &str = unique_name("n").leak();
    let id = sb
        .sh(&format!("network create {net}"))
        .ok()
        .trim()
        .to_owned();
    let names = |args: &[&str]| -> Vec<String> {
        let mut all = vec!["network", "ls"];
        all.extend_from_slice(args);
        let out = sb.run(&all);
        out.ok()
            .lines()
            .skip(1)
            .map(|l| l.split_whitespace().nth(1).unwrap_or_default().to_owned())
            .collect()
    };
    assert!(names(&[]).contains(&net.to_owned()));
    assert_eq!(names(&["--filter", &format!("name={net}")]), [net]);
    assert_eq!(names(&["--filter", &format!("id={}", &id[..8])]), [net]);
    assert_eq!(names(&["--filter", "type=custom"]), [net]);
    assert!(!names(&["--filter", "type=builtin"]).contains(&net.to_owned()));
    assert!(names(&["--filter", "type=builtin"]).contains(&"bridge".to_owned()));
    assert_eq!(names(&["--filter", "dangling=true"]), [net]);
    assert!(names(&["--filter", "driver=null"]).iter().all(|n| n != net));
    assert!(names(&["--filter", "driver=bridge"]).contains(&net.to_owned()));
    let quiet = sb.run(["network", "ls", "-q", "--filter", &format!("name={net}")]);
    assert_eq!(quiet.ok().trim(), &id[..12]);
    refused(
        &sb,
        &[
            (
                &["network", "ls", "--filter", "foo=1"],
                1,
                "invalid filter 'foo'",
            ),
            (
                &["network", "ls", "--filter", "type=x"],
                1,
                "invalid filter 'type=x'",
            ),
        ],
    );
}
