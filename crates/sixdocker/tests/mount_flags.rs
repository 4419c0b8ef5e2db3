//! `--mount`, `--tmpfs`, `--volumes-from`, `:z`/`:Z` and bind propagation through the real
//! `sixdocker`, as Docker users type them; refusals are Docker's words with exit 125.

mod common;

use common::{unique_name, Sandbox};

/// `run --rm --network none ARGS...`, its stdout.
fn run_rm(sb: &Sandbox, args: &[&str]) -> String {
    let mut all = vec!["run", "--rm", "--network", "none"];
    all.extend_from_slice(args);
    sb.run(all).ok().to_owned()
}

#[test]
fn mount_flag_binds_volumes_and_tmpfs_mounts() {
    let sb = Sandbox::new();
    let host = sb.dir.path().join("host");
    std::fs::create_dir(&host).unwrap();
    std::fs::write(host.join("f"), "from-host\n").unwrap();
    let bind = format!("type=bind,source={},target=/b,readonly", host.display());
    let z = format!("{}:/z:Z", host.display());
    let c = unique_name("m");
    let script = "cat /b/f /z/f; touch /b/x 2>/dev/null || echo b-read-only; \
                  echo w > /v/w; grep -E ' /t2? ' /proc/mounts | cut -d' ' -f2,3,4; stat -c %a /t";
    let out = sb
        .run([
            "run",
            "--name",
            &c,
            "--network",
            "none",
            "--mount",
            &bind,
            "-v",
            &z,
            "--mount",
            "type=volume,src=mv,dst=/v,volume-label=team=a",
            "--mount",
            "type=tmpfs,destination=/t,tmpfs-size=1m,tmpfs-mode=1770",
            "--tmpfs",
            "/t2:size=2m,uid=5",
            "busybox",
            "sh",
            "-c",
            script,
        ])
        .ok()
        .to_owned();
    assert_eq!(
        out,
        "from-host\nfrom-host\nb-read-only\n\
         /t tmpfs rw,nosuid,nodev,noexec,relatime,size=1024k,mode=1770\n\
         /t2 tmpfs rw,nosuid,nodev,noexec,relatime,size=2048k,uid=5\n1770\n"
    );
    let labels = sb.run(["volume", "inspect", "-f", "{{json .Labels}}", "mv"]);
    assert_eq!(
        labels.ok(),
        "{\"team\":\"a\"}\n",
        "volume-label labels the volume it makes"
    );
    let doc = sb.inspect(&c);
    let hc = &doc["HostConfig"];
    assert_eq!(hc["Tmpfs"], serde_json::json!({"/t2": "size=2m,uid=5"}));
    assert_eq!(hc["Binds"], serde_json::json!([z]));
    assert_eq!(hc["Mounts"][0]["Type"], "bind");
    assert_eq!(hc["Mounts"][0]["ReadOnly"], true);
    assert_eq!(hc["Mounts"][1]["VolumeOptions"]["Labels"]["team"], "a");
    assert_eq!(
        hc["Mounts"][2]["TmpfsOptions"],
        serde_json::json!({"SizeBytes": 1048576, "Mode": 1016})
    );
    let mounts = doc["Mounts"].as_array().unwrap();
    let at = |d: &str| {
        mounts
            .iter()
            .find(|m| m["Destination"] == d)
            .unwrap()
            .clone()
    };
    assert_eq!(
        (at("/b")["RW"].clone(), at("/b")["Propagation"].clone()),
        (false.into(), "rprivate".into())
    );
    assert_eq!(at("/z")["Mode"], "Z");
    assert_eq!(
        (at("/v")["Type"].clone(), at("/v")["Name"].clone()),
        ("volume".into(), "mv".into())
    );
    assert_eq!(at("/t")["Type"], "tmpfs");
    assert!(
        !mounts.iter().any(|m| m["Destination"] == "/t2"),
        "--tmpfs is in HostConfig.Tmpfs only, as Docker: {mounts:?}"
    );

    // An anonymous --mount volume goes with --rm; a nocopy one starts empty.
    let out = run_rm(
        &sb,
        &[
            "--mount",
            "type=volume,target=/etc,volume-nocopy",
            "busybox",
            "ls",
            "-A",
            "/etc",
        ],
    );
    assert_eq!(out, "");
    let volumes = sb.sh("volume ls -q").ok().to_owned();
    assert_eq!(
        volumes, "mv\n",
        "the anonymous --mount volume went with --rm"
    );
    // A read-only root with a tmpfs to write to, as Docker users run it.
    let out = run_rm(
        &sb,
        &[
            "--read-only",
            "--tmpfs",
            "/tmp",
            "busybox",
            "sh",
            "-c",
            "touch /x 2>/dev/null || echo root-ro; touch /tmp/y && echo tmp-rw",
        ],
    );
    assert_eq!(out, "root-ro\ntmp-rw\n");
}

#[test]
fn bad_mounts_are_refused_with_dockers_words() {
    let sb = Sandbox::new();
    for (mount, want) in [
        ("type=bind,src=/tmp,dst=/x,readonly=maybe", "invalid value for readonly: maybe"),
        ("type=volume,source=v1", "target is required"),
        ("type=tmpfs,target=/x,tmpfs-size=abc", "invalid value for tmpfs-size: abc"),
        ("type=volume,src=v1,dst=/x,bind-propagation=shared", "cannot mix 'bind-*' options with mount type 'volume'"),
        ("type=volume,dst=/x,foo=bar", "unexpected key 'foo' in 'foo=bar'"),
        ("type=bogus,target=/x", "invalid mount config for type \"bogus\": mount type unknown"),
        ("type=bind,target=/x", "invalid mount config for type \"bind\": field Source must not be empty"),
        ("type=bind,src=/nonexistent-source,dst=/x", "invalid mount config for type \"bind\": bind source path does not exist: /nonexistent-source"),
        ("type=bind,src=/tmp,dst=/x,bind-propagation=bogus", "invalid propagation mode: bogus"),
        ("type=volume,dst=/x,ro", "must not set ReadOnly mode when using anonymous volumes"),
        ("type=tmpfs,source=x,target=/x", "invalid mount config for type \"tmpfs\": field Source must not be specified"),
        ("type=volume,src=/abs,dst=/x", "create /abs: \"/abs\" includes invalid characters for a local volume name"),
        ("type=volume,src=v,dst=/x,volume-driver=foo", "create v: error looking up volume plugin foo: plugin \"foo\" not found"),
        ("type=volume,src=v,dst=/x,volume-opt=type=tmpfs", "create v: missing required option: \"device\""),
    ] {
        sb.run(["run", "--rm", "--mount", mount, "busybox", "true"]).fails(125, want);
    }
    sb.sh("run --rm --tmpfs rel busybox true")
        .fails(125, "invalid mount path: 'rel' mount path must be absolute");
    sb.sh("run --rm --tmpfs /x:bogus busybox true")
        .fails(125, "invalid tmpfs option [\"bogus\"]");
    sb.sh("run --rm --mount type=volume,dst=/d -v v1:/d busybox true")
        .fails(125, "Duplicate mount point: /d");
    sb.sh("run --rm --volumes-from nope busybox true")
        .fails(125, "no such container: nope");
    sb.sh("run --rm --volumes-from x:bogus busybox true")
        .fails(125, "invalid mode: bogus");
    assert!(sb.container_ids().is_empty(), "nothing was made");
    assert_eq!(sb.sh("volume ls -q").ok(), "");
}

#[test]
fn volumes_from_shares_a_containers_mounts() {
    let sb = Sandbox::new();
    let host = sb.dir.path().join("host");
    std::fs::create_dir(&host).unwrap();
    let (data, user) = (unique_name("data"), unique_name("user"));
    let bind = format!("{}:/b", host.display());
    sb.run([
        "create", "--name", &data, "-v", "/anon", "-v", "named:/n", "-v", &bind, "busybox", "true",
    ])
    .ok();
    let script = "echo a > /anon/a; echo n > /n/n; echo b > /b/b; grep -E ' /(anon|n|b) ' /proc/mounts | wc -l";
    let out = run_rm(
        &sb,
        &["--volumes-from", &data, "busybox", "sh", "-c", script],
    );
    assert_eq!(out, "3\n");
    assert_eq!(std::fs::read_to_string(host.join("b")).unwrap(), "b\n");
    let out = run_rm(
        &sb,
        &[
            "--volumes-from",
            &format!("{data}:ro"),
            "busybox",
            "sh",
            "-c",
            "cat /anon/a /n/n; touch /anon/x 2>/dev/null || echo read-only",
        ],
    );
    assert_eq!(out, "a\nn\nread-only\n");
    sb.run([
        "create",
        "--name",
        &user,
        "--volumes-from",
        &data,
        "busybox",
        "true",
    ])
    .ok();
    let anon = sb.volume_at(&data, "/anon");
    assert_eq!(
        sb.inspect(&user)["HostConfig"]["VolumesFrom"],
        serde_json::json!([data])
    );
    sb.run(["rm", "-v", &data]).ok();
    assert!(
        sb.sh("volume ls -q").ok().contains(&anon),
        "{user} still uses it"
    );
    sb.run(["rm", "-v", &user]).ok();
    assert_eq!(
        sb.sh("volume ls -q").ok(),
        "named\n",
        "the last rm -v took the anonymous one"
    );
}

/// Makes `dir`'s tmpfs a shared mount (peers propagate mounts to each other).
fn make_shared(dir: &std::path::Path) {
    nix::mount::mount(
        None::<&str>,
        dir,
        None::<&str>,
        nix::mount::MsFlags::MS_SHARED,
        None::<&str>,
    )
    .expect("making the test's own tmpfs shared");
}

#[test]
fn bind_propagation_follows_docker() {
    let sb = Sandbox::new();
    let private = six_testkit::SmallTmpfs::mount(&sb.dir.path().join("private"), 1 << 20).unwrap();
    let shared = six_testkit::SmallTmpfs::mount(&sb.dir.path().join("shared"), 1 << 20).unwrap();
    make_shared(shared.path());
    let refuse = format!("{}:/p:rshared", private.path().display());
    sb.run(["run", "--rm", "-v", &refuse, "busybox", "true"])
        .fails(
            125,
            &format!(
                "path {} is mounted on {} but it is not a shared mount",
                private.path().display(),
                private.path().display()
            ),
        );
    let (slave, private) = (unique_name("slave"), unique_name("private"));
    for (name, mode) in [(&slave, ":rslave"), (&private, "")] {
        let vol = format!("{}:/p{mode}", shared.path().display());
        let args = [
            "run",
            "-d",
            "--name",
            name,
            "--network",
            "none",
            "-v",
            &vol,
            "busybox",
            "sleep",
            "1000",
        ];
        sb.run(args).ok();
    }
    // A mount made on the host after the start reaches the container through the slave bind
    // only (the default, rprivate, keeps what there was).
    let sub = six_testkit::SmallTmpfs::mount(&shared.path().join("sub"), 1 << 20).unwrap();
    std::fs::write(sub.path().join("late"), "propagated\n").unwrap();
    let out = sb
        .run(["exec", &slave, "cat", "/p/sub/late"])
        .ok()
        .to_owned();
    assert_eq!(out, "propagated\n");
    let missing = sb.run(["exec", &private, "cat", "/p/sub/late"]);
    assert_ne!(missing.code, 0, "rprivate: {missing:?}");
    sb.run(["rm", "-f", &slave, &private]).ok();
    drop(sub);
}
