//! `--format` and the listing flags through the real binary (issue 12): `ps` (-n, -l, -s,
//! --no-trunc, -q, templates, table, json), `images` (--digests, --no-trunc, -a),
//! `inspect -f`, `network ls/inspect` (with Docker's predefined `host` and `none`),
//! `info -f`, `version -f`, `stats --format`, `system df --format`. Outputs are compared with
//! what Docker 28 prints for the same templates.

mod common;

use common::{unique_name, Sandbox};

/// Creates containers (not started: quick) and returns their names, oldest first.
fn created(sb: &Sandbox, n: usize) -> Vec<String> {
    (0..n)
        .map(|i| {
            let name = unique_name(&format!("fmt{i}"));
            sb.run(["create", "--name", &name, "busybox", "true"]).ok();
            name
        })
        .collect()
}

#[test]
fn ps_templates_limits_and_quiet() {
    let sb = Sandbox::new();
    let names = created(&sb, 3);
    let newest_first: Vec<&str> = names.iter().rev().map(String::as_str).collect();

    let out = sb.sh("ps -a --format {{.Names}}");
    assert_eq!(out.ok().lines().collect::<Vec<_>>(), newest_first);
    // Created containers are not running: only -a, -n and -l list them.
    assert_eq!(sb.sh("ps --format {{.Names}}").ok(), "");
    let last_two = sb.sh("ps -n 2 --format {{.Names}}");
    assert_eq!(
        last_two.ok().lines().collect::<Vec<_>>(),
        &newest_first[..2]
    );
    assert_eq!(
        sb.sh("ps -l --format {{.Names}}").ok(),
        format!("{}\n", names[2])
    );
    assert_eq!(sb.sh("ps -n -1 -a -q").ok().lines().count(), 3);
    // -n 0 is no limit, as Docker's daemon reads it (and does not imply -a).
    assert_eq!(sb.sh("ps -n 0 --format {{.Names}}").ok(), "");
    assert_eq!(sb.sh("ps -n 0 -a -q").ok().lines().count(), 3);

    // A table: the header from Docker's column titles, columns at least 10 wide.
    let table = sb.run([
        "ps",
        "-a",
        "--format",
        "table {{.Names}}\\t{{.State}}\\t{{.Command}}",
    ]);
    let lines: Vec<&str> = table.ok().lines().collect();
    let width = names[2].len() + 3;
    assert_eq!(lines[0], format!("{:width$}{:10}COMMAND", "NAMES", "STATE"));
    assert_eq!(
        lines[1],
        format!("{:width$}{:10}\"true\"", names[2], "created")
    );

    // json: one object a line, keys as Docker's, '>' escaped as Docker's MarshalJSON does.
    let json = sb.run(["ps", "-l", "--format", "json"]);
    let row: serde_json::Value = serde_json::from_str(json.ok().trim()).unwrap();
    let keys: Vec<&str> = row
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(
        keys,
        [
            "Command",
            "CreatedAt",
            "ID",
            "Image",
            "Labels",
            "LocalVolumes",
            "Mounts",
            "Names",
            "Networks",
            "Ports",
            "RunningFor",
            "Size",
            "State",
            "Status"
        ]
    );
    assert_eq!(row["Names"], names[2].as_str());
    assert_eq!(row["ID"].as_str().unwrap().len(), 12);

    // -q wins over a custom format, with Docker's warning.
    let both = sb.run(["ps", "-a", "-q", "--no-trunc", "--format", "{{.Names}}"]);
    assert_eq!(both.code, 0);
    assert!(both.stdout.lines().all(|l| l.len() == 64), "{both:?}");
    assert_eq!(
        both.stderr,
        "WARNING: Ignoring custom format, because both --format and --quiet are set.\n"
    );
}

#[test]
fn ps_size_is_computed_when_asked_or_used() {
    let sb = Sandbox::new();
    let name = unique_name("fmtsize");
    sb.run([
        "run",
        "--name",
        &name,
        "busybox",
        "sh",
        "-c",
        "head -c 5000 /dev/zero > /five",
    ])
    .ok();
    // The template reads .Size: sizes are computed without -s (as Docker does).
    let size = sb.run(["ps", "-a", "--format", "{{.Names}} {{.Size}}"]);
    let line = size.ok().trim();
    assert!(line.starts_with(&format!("{name} 5kB (virtual ")), "{line}");
    // -s adds Docker's SIZE column to the default table.
    let table = sb.sh("ps -a -s");
    let header = table.ok().lines().next().unwrap();
    assert!(
        header.ends_with("NAMES     SIZE") || header.ends_with("   SIZE"),
        "{header}"
    );
}

#[test]
fn ps_template_errors_read_as_dockers() {
    let sb = Sandbox::new();
    created(&sb, 1);
    sb.run(["ps", "-a", "--format", "{{foo}}"]).fails(
        1,
        "failed to parse template: template: :1: function \"foo\" not defined",
    );
    sb.run(["ps", "-a", "--format", "{{.Nope}}"]).fails(
        1,
        "template: :1:2: executing \"\" at <.Nope>: can't evaluate field Nope in type *formatter.ContainerContext",
    );
}

#[test]
fn inspect_f_runs_the_template_per_object() {
    let sb = Sandbox::new();
    let names = created(&sb, 2);
    let out = sb.run([
        "inspect",
        "-f",
        "{{.Name}} {{.State.Status}}",
        &names[0],
        &names[1],
    ]);
    assert_eq!(
        out.ok(),
        format!("/{} created\n/{} created\n", names[0], names[1])
    );
    let json = sb.run(["inspect", "--format", "{{json .State.Status}}", &names[0]]);
    assert_eq!(json.ok(), "\"created\"\n");
    // Docker 28: a field that is not there is an error, not "<no value>".
    sb.run(["inspect", "-f", "{{.Nope}}", &names[0]]).fails(
        1,
        "template parsing error: template: :1:2: executing \"\" at <.Nope>: map has no entry for key \"Nope\"",
    );
    let image = sb.run(["inspect", "-f", "{{index .RepoTags 0}}", "busybox"]);
    assert_eq!(image.ok(), "busybox:latest\n");
    // `.ID` as on Docker's typed document (dockerd 20.10: the same as `.Id`).
    let ids = sb.run(["inspect", "-f", "{{.ID}}={{.Id}}", &names[0], "busybox"]);
    let lines: Vec<&str> = ids.ok().lines().collect();
    let full = sb.id_of(&names[0]);
    assert_eq!(lines[0], format!("{full}={full}"));
    assert!(lines[1].starts_with("sha256:"), "{lines:?}");
    // No health check: Docker's nil State.Health (dockerd 20.10: `no null`).
    let health = sb.run([
        "inspect",
        "-f",
        "{{if .State.Health}}yes{{else}}no{{end}} {{json .State.Health}}",
        &names[0],
    ]);
    assert_eq!(health.ok(), "no null\n");
}

#[test]
fn images_formats_and_flags() {
    let sb = Sandbox::new();
    sb.sh("tag busybox mine:v1").ok();
    let out = sb.sh("images --format {{.Repository}}:{{.Tag}}");
    let mut names: Vec<&str> = out.ok().lines().collect();
    names.sort();
    assert_eq!(names, ["busybox:latest", "mine:v1"]);
    let ids = sb.sh("images --no-trunc --format {{.ID}}");
    assert!(
        ids.ok()
            .lines()
            .all(|l| l.starts_with("sha256:") && l.len() == 71),
        "{ids:?}"
    );
    assert_eq!(
        sb.sh("images -q").ok().lines().count(),
        2,
        "one ID a name, as Docker"
    );
    let digests = sb.sh("images -a --digests");
    let header = digests.ok().lines().next().unwrap();
    assert_eq!(
        header,
        "REPOSITORY   TAG       DIGEST    IMAGE ID       CREATED        SIZE"
    );
    let json = sb.sh("images --format json");
    let row: serde_json::Value = serde_json::from_str(json.ok().lines().next().unwrap()).unwrap();
    assert_eq!(row["Digest"], "<none>");
    assert!(
        json.ok().contains(r#""Digest":"\u003cnone\u003e""#),
        "escaped as Docker's"
    );
}

#[test]
fn networks_host_and_none_are_listed_and_inspected() {
    let sb = Sandbox::new();
    let out = sb.sh("network ls --format {{.Name}}/{{.Driver}}/{{.Scope}}");
    assert_eq!(
        out.ok(),
        "bridge/bridge/local\nhost/host/local\nnone/null/local\n"
    );
    let table = sb.sh("network ls");
    assert!(
        table
            .ok()
            .starts_with("NETWORK ID     NAME      DRIVER    SCOPE\n"),
        "{table:?}"
    );
    assert_eq!(sb.sh("network ls -q --no-trunc").ok().lines().count(), 3);
    assert_eq!(
        sb.sh("network inspect -f {{.Name}}:{{.Driver}} host none")
            .ok(),
        "host:host\nnone:null\n"
    );
    let doc = sb.sh("network inspect none");
    let v: serde_json::Value = serde_json::from_str(doc.ok()).unwrap();
    assert_eq!(v[0]["Scope"], "local");
    // dockerd 20.10: a running container on `none` is among its Containers (name, endpoint,
    // no addresses), with the endpoint and network ids its own document shows; a stopped
    // one is not.
    let (up, down) = (unique_name("up"), unique_name("down"));
    sb.sh(&format!(
        "run -d --network none --name {up} busybox sleep 1000"
    ))
    .ok();
    sb.sh(&format!("create --network none --name {down} busybox true"))
        .ok();
    let on_none = sb.run(["network", "inspect", "-f", "{{json .Containers}}", "none"]);
    let containers: serde_json::Value = serde_json::from_str(on_none.ok()).unwrap();
    let entries = containers.as_object().unwrap();
    assert_eq!(entries.len(), 1, "{containers}");
    let entry = &entries[&sb.id_of(&up)];
    assert_eq!(entry["Name"], up.as_str());
    assert_eq!(entry["IPv4Address"], "");
    let own = sb.sh(&format!(
        "inspect -f {{{{.NetworkSettings.Networks.none.EndpointID}}}}/{{{{.NetworkSettings.Networks.none.NetworkID}}}} {up}"
    ));
    assert_eq!(
        own.ok().trim(),
        format!(
            "{}/{}",
            entry["EndpointID"].as_str().unwrap(),
            v[0]["Id"].as_str().unwrap()
        )
    );
    assert_eq!(entry["EndpointID"].as_str().unwrap().len(), 64);
    // Never started: no network id yet (dockerd 20.10, on `none` as on a network of its own).
    let never = sb.run([
        "inspect",
        "-f",
        "[{{.NetworkSettings.Networks.none.NetworkID}}]",
        &down,
    ]);
    assert_eq!(never.ok(), "[]\n");
    sb.sh("network rm none")
        .fails(1, "none is a pre-defined network and cannot be removed");
    sb.sh("network create host")
        .fails(1, "network with name host already exists");
}

#[test]
fn info_and_version_templates() {
    let sb = Sandbox::new();
    created(&sb, 2);
    assert_eq!(
        sb.sh("info -f {{.Containers}}/{{.ContainersStopped}}/{{.Images}}")
            .ok(),
        "2/2/1\n"
    );
    let version = sb.sh("version --format {{.Client.Version}}={{.Server.Version}}");
    let v = env!("CARGO_PKG_VERSION");
    assert_eq!(version.ok(), format!("{v}={v}\n"));
    // The Go field names scripts use (docker 28 on dockerd 20.10: 1.41 1.41).
    let api = sb.sh("version --format {{.Client.APIVersion}}_{{.Server.APIVersion}}");
    assert_eq!(api.ok(), "1.41_1.41\n");
    let json = sb.sh("info --format json");
    let doc: serde_json::Value = serde_json::from_str(json.ok()).unwrap();
    assert_eq!(doc["Containers"], 2);
}

#[test]
fn stats_format_with_all() {
    let sb = Sandbox::new();
    let names = created(&sb, 1);
    let out = sb.run([
        "stats",
        "--no-stream",
        "-a",
        "--format",
        "{{.Name}} {{.CPUPerc}} {{.MemUsage}} {{.PIDs}}",
    ]);
    assert_eq!(out.ok(), format!("{} 0.00% 0B / 0B 0\n", names[0]));
    let table = sb.sh("stats --no-stream -a");
    assert!(table.ok().starts_with("CONTAINER ID   NAME"), "{table:?}");
    // Named, stopped: a row of zeros, as Docker (not "is not running").
    let named = sb.run(["stats", "--no-stream", "--format", "{{json .}}", &names[0]]);
    let row: serde_json::Value = serde_json::from_str(named.ok()).unwrap();
    assert_eq!(row["Name"], names[0].as_str());
    assert_eq!(row["MemUsage"], "0B / 0B");
}

/// `system df --format` as docker 28 prints it: the summary's rows (Type, TotalCount,
/// Active, Size, Reclaimable), a custom table, and with -v one document of lists.
#[test]
fn system_df_formats() {
    let sb = Sandbox::new();
    let names = created(&sb, 1);
    let out = sb.run(["system", "df", "--format", "{{json .}}"]);
    let rows: Vec<serde_json::Value> = out
        .ok()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let types: Vec<&str> = rows.iter().map(|r| r["Type"].as_str().unwrap()).collect();
    assert_eq!(
        types,
        ["Images", "Containers", "Local Volumes", "Build Cache"]
    );
    assert_eq!(rows[1]["TotalCount"], "1");
    assert!(
        out.ok().starts_with(r#"{"Active":"#),
        "keys sorted, as Docker's: {out:?}"
    );
    let table = sb.run([
        "system",
        "df",
        "--format",
        "table {{.Type}}\t{{.TotalCount}}",
    ]);
    assert_eq!(
        table.ok(),
        "TYPE            TOTAL\nImages          1\nContainers      1\nLocal Volumes   0\nBuild Cache     0\n"
    );
    let verbose = sb.run(["system", "df", "-v", "--format", "{{json .}}"]);
    let doc: serde_json::Value = serde_json::from_str(verbose.ok()).unwrap();
    let keys: Vec<&String> = doc.as_object().unwrap().keys().collect();
    assert_eq!(keys, ["Images", "Containers", "Volumes", "BuildCache"]);
    assert_eq!(doc["Containers"][0]["Names"], names[0].as_str());
    assert_eq!(doc["Images"][0]["Containers"], "1");
    let listed = sb.run([
        "system",
        "df",
        "-v",
        "--format",
        "{{range .Images}}{{.Repository}}{{end}}",
    ]);
    assert_eq!(listed.ok(), "busybox\n");
}

/// `images REPOSITORY[:TAG]` (`image ls` too): the operand narrows as a `reference` filter.
#[test]
fn images_take_a_repository() {
    let sb = Sandbox::new();
    sb.sh("tag busybox mine:v1").ok();
    sb.sh("tag busybox mine:v2").ok();
    let tags = |line: &str| sb.sh(line).ok().to_owned();
    assert_eq!(tags("images mine --format {{.Tag}}"), "v1\nv2\n");
    assert_eq!(tags("image ls mine:v2 --format {{.Tag}}"), "v2\n");
    assert_eq!(
        tags("images mi* --format {{.Repository}}:{{.Tag}}"),
        "mine:v1\nmine:v2\n"
    );
    assert_eq!(tags("images nothing-here -q"), "");
}

/// `ps`'s Command and Networks as docker 28 shows them for `run --network none busybox sh
/// -c 'exit 2'`: `"sh -c 'exit 2'"` and `none`, also once it has exited.
#[test]
fn ps_command_and_networks_as_docker() {
    let sb = Sandbox::new();
    let name = unique_name("q");
    let r = sb.run([
        "run",
        "--network",
        "none",
        "--name",
        &name,
        "busybox",
        "sh",
        "-c",
        "exit 2",
    ]);
    assert_eq!(r.code, 2, "{r:?}");
    let out = sb.run(["ps", "-a", "--format", "{{.Networks}}|{{.Command}}"]);
    assert_eq!(out.ok(), "none|\"sh -c 'exit 2'\"\n");
}
