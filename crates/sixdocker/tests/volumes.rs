//! Named and anonymous volumes through the real `sixdocker`, as a Docker user types them:
//! `-v NAME:/path`, `-v /path`, image `VOLUME`s with copy-up, `volume create/ls/inspect/rm/
//! prune` with filters and formats, `rm -v`, volumes in use, the `local` driver's options,
//! and the events they record. Errors are Docker's words and exit codes.

mod common;

use common::image_config::image_with_volumes;
use common::{unique_name, Sandbox};

/// `run --rm --network none ARGS...`, its stdout.
fn run_rm(sb: &Sandbox, args: &[&str]) -> String {
    let mut all = vec!["run", "--rm", "--network", "none"];
    all.extend_from_slice(args);
    sb.run(all).ok().to_owned()
}

fn volume_names(sb: &Sandbox) -> Vec<String> {
    sb.sh("volume ls -q")
        .ok()
        .lines()
        .map(str::to_owned)
        .collect()
}

#[test]
fn named_volumes_keep_data_across_containers_and_cannot_go_while_used() {
    let sb = Sandbox::new();
    assert_eq!(sb.sh("volume create --label tier=db data").ok(), "data\n");
    assert_eq!(
        sb.sh("volume create data").ok(),
        "data\n",
        "making it again gives it back"
    );
    run_rm(
        &sb,
        &["-v", "data:/d", "busybox", "sh", "-c", "echo kept > /d/f"],
    );
    assert_eq!(
        run_rm(&sb, &["-v", "data:/x:ro", "busybox", "cat", "/x/f"]),
        "kept\n"
    );
    let ro = sb.run([
        "run",
        "--rm",
        "--network",
        "none",
        "-v",
        "data:/x:ro",
        "busybox",
        "touch",
        "/x/g",
    ]);
    assert_ne!(ro.code, 0, ":ro is read-only: {ro:?}");
    // A volume named in -v that does not exist yet is made (empty, then filled from the image).
    run_rm(&sb, &["-v", "made:/etc", "busybox", "true"]);
    let inspect: serde_json::Value =
        serde_json::from_str(sb.sh("volume inspect data made").ok()).unwrap();
    assert_eq!(inspect[0]["Name"], "data");
    assert_eq!(inspect[0]["Driver"], "local");
    assert_eq!(inspect[0]["Scope"], "local");
    assert_eq!(inspect[0]["Labels"]["tier"], "db");
    assert_eq!(inspect[0]["Options"], serde_json::Value::Null);
    let mountpoint = sb.root().join("volumes/made/_data");
    assert_eq!(inspect[1]["Mountpoint"], mountpoint.to_str().unwrap());
    assert!(
        mountpoint.join("passwd").is_file(),
        "copy-up filled it from the image's /etc"
    );

    let user = unique_name("user");
    sb.run([
        "create", "--name", &user, "-v", "data:/d", "busybox", "true",
    ])
    .ok();
    let id = sb.id_of(&user);
    let refused = sb.sh("volume rm data");
    refused.fails(1, &format!("remove data: volume is in use - [{id}]"));
    sb.sh("volume rm -f data").fails(1, "volume is in use");
    sb.sh("volume rm nope").fails(1, "no such volume: nope");
    assert_eq!(sb.sh("volume rm -f nope").ok(), "nope\n");
    sb.run(["rm", &user]).ok();
    assert_eq!(sb.sh("volume rm data made").ok(), "data\nmade\n");
    assert!(volume_names(&sb).is_empty());
    assert!(!sb.root().join("volumes/data").exists());
}

#[test]
fn bad_names_drivers_and_options_are_refused_as_docker_refuses_them() {
    let sb = Sandbox::new();
    sb.sh("volume create a").fails(
        1,
        "create a: volume name is too short, names should be at least two alphanumeric characters",
    );
    sb.sh("volume create bad/name").fails(
        1,
        "create bad/name: \"bad/name\" includes invalid characters for a local volume name, only \"[a-zA-Z0-9][a-zA-Z0-9_.-]\" are allowed",
    );
    sb.sh("volume create -d foo v2").fails(
        1,
        "create v2: error looking up volume plugin foo: plugin \"foo\" not found",
    );
    sb.sh("volume create -o bogus=1 v3")
        .fails(1, "create v3: invalid option: \"bogus\"");
    sb.sh("volume create -o type=tmpfs v4")
        .fails(1, "create v4: missing required option: \"device\"");
    sb.sh("volume create -o device=tmpfs v4")
        .fails(1, "create v4: missing required option: \"type\"");
    sb.sh("run --rm -v bad/x:/y busybox true")
        .fails(125, "create bad/x: \"bad/x\" includes invalid characters");
    sb.sh("run --rm -v v1:/d -v v2:/d busybox true")
        .fails(125, "Duplicate mount point: /d");
    sb.sh("run --rm -v /x:ro busybox true")
        .fails(125, "invalid volume \"/x:ro\"");
    sb.sh("run --rm -v v1:/x:bogus busybox true")
        .fails(125, "invalid mode \"bogus\"");
    sb.sh("run --rm -v /h:/x:nocopy busybox true")
        .fails(125, "nocopy is for volumes, not for a bind");
    sb.sh("volume inspect nope")
        .fails(1, "no such volume: nope");
    assert!(volume_names(&sb).is_empty(), "nothing was made");
    assert!(sb.container_ids().is_empty());
}

#[test]
fn image_volumes_and_anonymous_volumes_are_filled_and_go_with_rm_v() {
    let sb = Sandbox::new();
    image_with_volumes(
        &sb,
        "withvol",
        "mkdir -p /data/sub && echo from-image > /data/sub/f && chown -R 1234:5678 /data && chmod 0750 /data",
        &["/data"],
    );
    let c = unique_name("anon");
    let out = sb
        .run([
            "run",
            "--name",
            &c,
            "--network",
            "none",
            "-v",
            "/scratch",
            "-v",
            "keep:/keep",
            "withvol",
            "sh",
            "-c",
            "cat /data/sub/f; stat -c '%u:%g %a' /data; ls -A /scratch | wc -l",
        ])
        .ok()
        .to_owned();
    assert_eq!(out, "from-image\n1234:5678 750\n0\n");
    let doc = sb.inspect(&c);
    let mounts = doc["Mounts"].as_array().unwrap();
    let by_dest = |d: &str| {
        mounts
            .iter()
            .find(|m| m["Destination"] == d)
            .unwrap()
            .clone()
    };
    let data = by_dest("/data");
    assert_eq!(data["Type"], "volume");
    assert_eq!(data["Driver"], "local");
    assert_eq!(data["RW"], true);
    let anon = data["Name"].as_str().unwrap().to_owned();
    assert_eq!(
        anon.len(),
        64,
        "an anonymous volume has a 64-hex name: {anon}"
    );
    let scratch = by_dest("/scratch")["Name"].as_str().unwrap().to_owned();
    assert_eq!(by_dest("/keep")["Name"], "keep");
    assert_eq!(doc["Config"]["Volumes"]["/data"], serde_json::json!({}));
    assert_eq!(
        doc["HostConfig"]["Binds"],
        serde_json::json!(["keep:/keep"])
    );
    let labels = sb.run(["volume", "inspect", "-f", "{{json .Labels}}", &anon]);
    assert_eq!(labels.ok(), "{\"com.docker.volume.anonymous\":\"\"}\n");
    let listed = volume_names(&sb);
    assert!(
        listed.contains(&anon) && listed.contains(&scratch),
        "{listed:?}"
    );
    // The volume's content survives the container's restarts; `rm` without -v keeps it.
    sb.run(["start", "-a", &c]).ok();
    sb.run(["rm", "-v", &c]).ok();
    let left = volume_names(&sb);
    assert_eq!(
        left,
        ["keep"],
        "rm -v removes anonymous volumes, never named ones"
    );

    // --rm removes the anonymous volumes too; -v NAME:/data wins over the image's volume.
    run_rm(&sb, &["-v", "/scratch", "withvol", "true"]);
    assert_eq!(volume_names(&sb), ["keep"]);
    let out = run_rm(&sb, &["-v", "keep:/data", "withvol", "ls", "/data"]);
    assert_eq!(
        out, "sub\n",
        "the empty named volume was filled from the image"
    );
    let out = run_rm(
        &sb,
        &["-v", "nocp:/data:nocopy", "withvol", "ls", "-A", "/data"],
    );
    assert_eq!(out, "", "nocopy leaves a new volume empty");
    assert_eq!(volume_names(&sb), ["keep", "nocp"]);
    // A bind is never filled.
    let host = sb.dir.path().join("bind");
    std::fs::create_dir(&host).unwrap();
    let bind = format!("{}:/data", host.display());
    assert_eq!(
        run_rm(&sb, &["-v", &bind, "withvol", "ls", "-A", "/data"]),
        ""
    );
}

#[test]
fn anonymous_volumes_another_container_uses_survive_rm_v() {
    let sb = Sandbox::new();
    let (a, b) = (unique_name("a"), unique_name("b"));
    sb.run(["create", "--name", &a, "-v", "/shared", "busybox", "true"])
        .ok();
    let name = sb.inspect(&a)["Mounts"][0]["Name"]
        .as_str()
        .unwrap()
        .to_owned();
    sb.run([
        "create",
        "--name",
        &b,
        "-v",
        &format!("{name}:/s"),
        "busybox",
        "true",
    ])
    .ok();
    sb.run(["rm", "-v", &a]).ok();
    assert_eq!(
        volume_names(&sb),
        std::slice::from_ref(&name),
        "still used by {b}"
    );
    sb.run(["rm", &b]).ok();
    assert_eq!(volume_names(&sb), [name]);
}

#[test]
fn ls_filters_formats_and_prune() {
    let sb = Sandbox::new();
    sb.sh("volume create --label env=prod --label solo prodvol")
        .ok();
    sb.sh("volume create --label env=dev devvol").ok();
    sb.sh("volume create other").ok();
    let user = unique_name("user");
    sb.run([
        "create",
        "--name",
        &user,
        "-v",
        "prodvol:/p",
        "-v",
        "/anon",
        "busybox",
        "true",
    ])
    .ok();
    let anon = sb.volume_at(&user, "/anon");
    let q = |filters: &str| -> Vec<String> {
        let mut args = vec!["volume", "ls", "-q"];
        args.extend(filters.split(' ').filter(|s| !s.is_empty()));
        sb.run(args).ok().lines().map(str::to_owned).collect()
    };
    assert_eq!(q("-f dangling=true"), ["devvol", "other"]);
    let mut used = vec![anon.clone(), "prodvol".to_owned()];
    used.sort();
    assert_eq!(q("--filter dangling=false"), used);
    assert_eq!(q("-f label=env"), ["devvol", "prodvol"]);
    assert_eq!(q("-f label=env=prod -f label=solo"), ["prodvol"]);
    assert_eq!(q("-f name=vol"), ["devvol", "prodvol"]);
    assert_eq!(q("-f driver=local -f name=other"), ["other"]);
    sb.sh("volume ls -f foo=bar")
        .fails(1, "invalid filter 'foo'");
    sb.sh("volume ls -f dangling=maybe")
        .fails(1, "invalid filter 'dangling=[maybe]'");
    let table = sb.sh("volume ls -f name=other").ok().to_owned();
    assert_eq!(table, "DRIVER    VOLUME NAME\nlocal     other\n");
    let custom = sb.run([
        "volume",
        "ls",
        "-f",
        "name=prodvol",
        "--format",
        "{{.Name}} {{.Driver}} {{.Labels}} {{.Label \"env\"}} {{.Scope}} {{.Mountpoint}}",
    ]);
    let mountpoint = sb.root().join("volumes/prodvol/_data");
    assert_eq!(
        custom.ok(),
        format!(
            "prodvol local env=prod,solo= prod local {}\n",
            mountpoint.display()
        )
    );
    let json = sb
        .sh("volume ls -f name=other --format json")
        .ok()
        .to_owned();
    let row: serde_json::Value = serde_json::from_str(json.trim()).unwrap();
    assert_eq!(
        (row["Name"].as_str(), row["Driver"].as_str()),
        (Some("other"), Some("local"))
    );

    // prune asks first; "n" (or no answer) cancels quietly.
    let mut ask = sb.command(["volume", "prune"]);
    let cancelled = ask.stdin(std::process::Stdio::piped()).output().unwrap();
    assert!(cancelled.status.success());
    assert!(String::from_utf8_lossy(&cancelled.stdout)
        .starts_with("WARNING! This will remove anonymous local volumes not used by at least one container.\nAre you sure you want to continue? [y/N] "));
    assert_eq!(q("").len(), 4);
    // Anonymous volumes only: this one is in use, so nothing goes.
    assert_eq!(sb.sh("volume prune -f").ok(), "Total reclaimed space: 0B\n");
    sb.run(["rm", &user]).ok();
    assert_eq!(
        sb.sh("volume prune -f").ok(),
        format!("Deleted Volumes:\n{anon}\n\nTotal reclaimed space: 0B\n")
    );
    std::fs::write(sb.root().join("volumes/devvol/_data/f"), vec![b'x'; 2048]).unwrap();
    let out = sb
        .sh("volume prune -a -f --filter label!=env=prod")
        .ok()
        .to_owned();
    assert_eq!(
        out,
        "Deleted Volumes:\ndevvol\nother\n\nTotal reclaimed space: 2.048kB\n"
    );
    assert_eq!(q(""), ["prodvol"]);
    sb.sh("volume prune -f --filter until=1h")
        .fails(1, "invalid filter 'until'");
}

#[test]
fn local_driver_options_mount_tmpfs_and_binds_while_containers_run() {
    let sb = Sandbox::new();
    sb.sh("volume create -o type=tmpfs -o device=tmpfs -o o=size=1m,uid=5 tv")
        .ok();
    let opts = sb
        .run(["volume", "inspect", "-f", "{{json .Options}}", "tv"])
        .ok()
        .to_owned();
    assert_eq!(
        opts,
        "{\"device\":\"tmpfs\",\"o\":\"size=1m,uid=5\",\"type\":\"tmpfs\"}\n"
    );
    let data = sb.root().join("volumes/tv/_data");
    let mounted = || {
        std::fs::read_to_string("/proc/self/mountinfo")
            .unwrap()
            .lines()
            .any(|l| l.split(' ').nth(4) == Some(data.to_str().unwrap()))
    };
    assert!(!mounted(), "mounted only while a container uses it");
    let keeper = unique_name("keeper");
    sb.run([
        "run",
        "-d",
        "--name",
        &keeper,
        "--network",
        "none",
        "-v",
        "tv:/t",
        "busybox",
        "sh",
        "-c",
        "echo shared > /t/x; echo ready; exec sleep 1000",
    ])
    .ok();
    sb.wait_for_log(&keeper, "ready");
    assert!(mounted());
    let seen = run_rm(
        &sb,
        &[
            "-v",
            "tv:/t",
            "busybox",
            "sh",
            "-c",
            "cat /t/x; grep ' /t ' /proc/mounts | cut -d' ' -f3",
        ],
    );
    assert_eq!(seen, "shared\ntmpfs\n", "both containers see the one tmpfs");
    assert!(mounted(), "still used by {keeper}");
    sb.run(["stop", "-t", "0", &keeper]).ok();
    assert!(!mounted(), "the last user stopped: the tmpfs is gone");
    assert_eq!(
        run_rm(&sb, &["-v", "tv:/t", "busybox", "ls", "-A", "/t"]),
        "",
        "a new tmpfs"
    );
    sb.run(["rm", &keeper]).ok();

    // type=none,o=bind: a host directory as a volume.
    let host = sb.dir.path().join("host-dir");
    std::fs::create_dir(&host).unwrap();
    std::fs::write(host.join("from-host"), "h\n").unwrap();
    let device = format!("device={}", host.display());
    sb.run([
        "volume",
        "create",
        "-o",
        "type=none",
        "-o",
        &device,
        "-o",
        "o=bind",
        "hv",
    ])
    .ok();
    assert_eq!(
        run_rm(&sb, &["-v", "hv:/h", "busybox", "cat", "/h/from-host"]),
        "h\n"
    );
    run_rm(
        &sb,
        &[
            "-v",
            "hv:/h",
            "busybox",
            "sh",
            "-c",
            "echo back > /h/from-container",
        ],
    );
    assert_eq!(
        std::fs::read_to_string(host.join("from-container")).unwrap(),
        "back\n"
    );
    assert!(!mounted());
    sb.sh("volume rm tv hv").ok();
    assert!(
        host.join("from-host").exists(),
        "removing the volume left the host dir alone"
    );
}

#[test]
fn volume_events_are_recorded() {
    let sb = Sandbox::new();
    sb.sh("volume create ev").ok();
    let c = unique_name("ev");
    sb.run([
        "run",
        "--name",
        &c,
        "--network",
        "none",
        "-v",
        "ev:/e",
        "busybox",
        "true",
    ])
    .ok();
    let id = sb.id_of(&c);
    sb.run(["rm", &c]).ok();
    sb.sh("volume rm ev").ok();
    // until the next whole second (events' times are to the second)
    let until = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs()
        + 1;
    let format = "{{.Action}} {{.Actor.ID}} {{.Actor.Attributes.container}}";
    let until = until.to_string();
    let args = [
        "events",
        "--since",
        "0",
        "--until",
        &until,
        "--filter",
        "type=volume",
        "--format",
        format,
    ];
    let out = sb.run(args).ok().to_owned();
    // dockerd 20.10 records `create` again when a container names the existing volume.
    assert_eq!(
        out,
        format!("create ev <no value>\ncreate ev <no value>\nmount ev {id}\nunmount ev {id}\ndestroy ev <no value>\n")
    );
}

#[test]
fn system_df_counts_volumes_and_system_prune_volumes_takes_anonymous_ones() {
    let sb = Sandbox::new();
    sb.sh("volume create spare").ok();
    std::fs::write(sb.root().join("volumes/spare/_data/f"), vec![b'x'; 2048]).unwrap();
    let user = unique_name("user");
    sb.run([
        "run",
        "-d",
        "--name",
        &user,
        "--network",
        "none",
        "-v",
        "used:/u",
        "-v",
        "/a",
        "busybox",
        "sleep",
        "1000",
    ])
    .ok();
    let anon = sb.volume_at(&user, "/a");
    let df = sb.sh("system df").ok().to_owned();
    let row = df.lines().find(|l| l.starts_with("Local Volumes")).unwrap();
    assert_eq!(
        row, "Local Volumes   3         2         2.048kB   2.048kB (100%)",
        "{df}"
    );
    let verbose = sb.sh("system df -v").ok().to_owned();
    assert!(
        verbose.contains("spare  ") && verbose.contains(&anon),
        "{verbose}"
    );
    let containers = verbose
        .lines()
        .find(|l| l.ends_with(&user))
        .unwrap()
        .to_owned();
    assert!(
        containers.contains("\"sleep 1000\"   2  "),
        "LOCAL VOLUMES: {containers}"
    );

    sb.sh("system prune -f --volumes --filter until=1h").fails(
        1,
        "The \"until\" filter is not supported with \"--volumes\"",
    );
    let out = sb.sh("system prune -f --volumes").ok().to_owned();
    assert_eq!(
        out, "Total reclaimed space: 0B\n",
        "all in use but spare, which is named"
    );
    sb.run(["rm", "-f", &user]).ok();
    let out = sb.sh("system prune -f --volumes").ok().to_owned();
    assert_eq!(
        out,
        format!("Deleted Volumes:\n{anon}\n\nTotal reclaimed space: 0B\n")
    );
    assert_eq!(volume_names(&sb), ["spare", "used"]);
}
