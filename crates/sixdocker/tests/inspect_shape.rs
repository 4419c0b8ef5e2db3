//! `inspect` prints Docker's documents: the key sets of containers (running and exited),
//! images and networks match what dockerd 20.10 printed for the same kind of object
//! (fixtures/dockerd-20.10/*.json: `docker inspect` of `run -d --network N -p 8080:80 -v
//! /tmp:/data:ro -e A=b --restart on-failure:3 -m 100m -l team=a busybox sleep 1000`, of
//! `run --network N busybox sh -c 'exit 3'`, of the busybox image, of network N and of
//! `volume create --label team=a v1`, from a private dockerd with --storage-driver=vfs), in
//! Docker's key order, and a container's State stays current across restarts.

mod common;

use std::collections::BTreeSet;

use common::{free_port, unique_name, Sandbox};
use serde_json::Value;

/// Keys whose children are names (networks, ports, container ids): one `*` for all.
const NAMED_CHILDREN: &[&str] = &[
    "Networks",
    "Ports",
    "PortBindings",
    "Containers",
    "Runtimes",
    "IndexConfigs",
];

/// Maps of free-form entries (labels, options): what is in them is the user's, not a shape.
const FREE_FORM: &[&str] = &[
    "Labels",
    "Options",
    "ExposedPorts",
    "LogConfig.Config",
    "GraphDriver.Data",
];

/// Every key path of `v` ("State.Pid", "NetworkSettings.Networks.*.IPAddress").
fn key_paths(v: &Value) -> BTreeSet<String> {
    let mut paths = BTreeSet::new();
    collect(v, "", &mut paths);
    paths
}

fn collect(v: &Value, prefix: &str, paths: &mut BTreeSet<String>) {
    let Value::Object(map) = v else { return };
    if FREE_FORM.iter().any(|f| prefix.ends_with(f)) {
        return;
    }
    let parent = prefix.rsplit('.').next().unwrap_or("");
    let named = NAMED_CHILDREN.contains(&parent);
    for (k, child) in map {
        let k = if named { "*" } else { k.as_str() };
        let path = if prefix.is_empty() {
            k.to_owned()
        } else {
            format!("{prefix}.{k}")
        };
        paths.insert(path.clone());
        collect(child, &path, paths);
    }
}

fn fixture(name: &str) -> Value {
    let path = format!(
        "{}/tests/fixtures/dockerd-20.10/{name}.json",
        env!("CARGO_MANIFEST_DIR")
    );
    let text = std::fs::read_to_string(&path).unwrap();
    let docs: Value = serde_json::from_str(&text).unwrap();
    docs[0].clone()
}

#[track_caller]
fn same_keys(ours: &Value, docker: &Value, what: &str) {
    let (ours, docker) = (key_paths(ours), key_paths(docker));
    let missing: Vec<_> = docker.difference(&ours).collect();
    let extra: Vec<_> = ours.difference(&docker).collect();
    assert!(
        missing.is_empty() && extra.is_empty(),
        "{what}: missing {missing:?}, not in Docker's {extra:?}"
    );
}

/// Where the keys of `ours` that Docker's document has too come in another order than in
/// Docker's (one line per object), and Go maps (`NAMED_CHILDREN`) whose keys are not sorted.
fn order_differences(ours: &Value, docker: &Value, path: &str, found: &mut Vec<String>) {
    match (ours, docker) {
        (Value::Object(o), Value::Object(d)) => {
            if FREE_FORM.iter().any(|f| path.ends_with(f)) {
                return;
            }
            let parent = path.rsplit('.').next().unwrap_or("");
            if NAMED_CHILDREN.contains(&parent) {
                let keys: Vec<&String> = o.keys().collect();
                if !keys.is_sorted() {
                    found.push(format!("{path}: a Go map, keys not sorted: {keys:?}"));
                }
                if let (Some(a), Some(b)) = (o.values().next(), d.values().next()) {
                    order_differences(a, b, &format!("{path}.*"), found);
                }
                return;
            }
            let ours_keys: Vec<&String> = o.keys().filter(|k| d.contains_key(*k)).collect();
            let docker_keys: Vec<&String> = d.keys().filter(|k| o.contains_key(*k)).collect();
            if ours_keys != docker_keys {
                found.push(format!("{path}: {ours_keys:?}, Docker: {docker_keys:?}"));
            }
            for (k, v) in o {
                if let Some(dv) = d.get(k) {
                    order_differences(v, dv, &format!("{path}.{k}"), found);
                }
            }
        }
        (Value::Array(a), Value::Array(b)) => {
            if let (Some(a), Some(b)) = (a.first(), b.first()) {
                order_differences(a, b, &format!("{path}[0]"), found);
            }
        }
        _ => {}
    }
}

/// The keys Docker prints come in Docker's order.
#[track_caller]
fn same_order(ours: &Value, docker: &Value, what: &str) {
    let mut found = Vec::new();
    order_differences(ours, docker, "", &mut found);
    assert!(found.is_empty(), "{what}:\n{}", found.join("\n"));
}

fn inspect(sb: &Sandbox, args: &[&str]) -> Value {
    let mut all = vec!["inspect"];
    all.extend_from_slice(args);
    let out = sb.run(&all);
    let docs: Value = serde_json::from_str(out.ok()).unwrap();
    docs[0].clone()
}

/// A container's GraphDriver.Data as dockerd 20.10's overlay2 gives it: LowerDir (the
/// image's layers, `:`-separated, top first), MergedDir, UpperDir, WorkDir.
#[test]
fn graph_driver_names_the_image_layers() {
    let sb = Sandbox::new();
    let name = unique_name("g");
    sb.sh(&format!("create --network none --name {name} busybox true"))
        .ok();
    let doc = inspect(&sb, &[&name]);
    let data = doc["GraphDriver"]["Data"].as_object().unwrap();
    let keys: Vec<&String> = data.keys().collect();
    assert_eq!(keys, ["LowerDir", "MergedDir", "UpperDir", "WorkDir"]);
    let lower = data["LowerDir"].as_str().unwrap();
    let layers = inspect(&sb, &["busybox"])["RootFS"]["Layers"]
        .as_array()
        .unwrap()
        .len();
    assert_eq!(lower.split(':').count(), layers, "{lower}");
    assert!(
        lower.split(':').all(|d| std::path::Path::new(d).is_dir()),
        "{lower}"
    );
    // An image's: its top layer (UpperDir) and, with more than one, those under it.
    let image = inspect(&sb, &["busybox"]);
    let upper = image["GraphDriver"]["Data"]["UpperDir"].as_str().unwrap();
    assert_eq!(upper, lower.split(':').next().unwrap());
    assert!(image["GraphDriver"]["Data"].get("LowerDir").is_none());
}

#[test]
fn documents_have_dockers_keys() {
    let sb = Sandbox::new();
    let net = unique_name("n");
    sb.sh(&format!("network create {net}")).ok();
    let data = sb.dir.path().join("data");
    std::fs::create_dir_all(&data).unwrap();
    let (web, ex) = (unique_name("web"), unique_name("ex"));
    let port = free_port().to_string();
    sb.run([
        "run",
        "-d",
        "--network",
        &net,
        "--name",
        &web,
        "-p",
        &format!("{port}:80"),
        "-v",
        &format!("{}:/data:ro", data.display()),
        "-e",
        "A=b",
        "--restart",
        "on-failure:3",
        "-m",
        "100m",
        "busybox",
        "sleep",
        "1000",
    ])
    .ok();
    let r = sb.run([
        "run",
        "--network",
        &net,
        "--name",
        &ex,
        "busybox",
        "sh",
        "-c",
        "exit 3",
    ]);
    assert_eq!(r.code, 3, "{r:?}");

    let running = inspect(&sb, &[&web]);
    let exited = inspect(&sb, &[&ex]);
    let volume = unique_name("v");
    sb.sh(&format!("volume create --label team=a {volume}"))
        .ok();
    for (ours, docker, what) in [
        (&running, "container-running", "a running container"),
        (&exited, "container-exited", "an exited container"),
        (&inspect(&sb, &["busybox"]), "image", "an image"),
        (&inspect(&sb, &[&net]), "network", "a network"),
        (&inspect(&sb, &[&volume]), "volume", "a volume"),
    ] {
        same_keys(ours, &fixture(docker), what);
        same_order(ours, &fixture(docker), what);
    }
    // `{{json .}}` and `{{json .State}}` print the same document, in the same order.
    let json = sb.run(["inspect", "-f", "{{json .}}", &web]);
    let templated: Value = serde_json::from_str(json.ok()).unwrap();
    same_order(&templated, &fixture("container-running"), "{{json .}}");
    let state = sb.run(["inspect", "-f", "{{json .State}}", &web]);
    let keys: Vec<String> = serde_json::from_str::<serde_json::Map<String, Value>>(state.ok())
        .unwrap()
        .keys()
        .cloned()
        .collect();
    assert_eq!(keys[..3], ["Status", "Running", "Paused"], "{state:?}");
    // -s: SizeRw and SizeRootFs where dockerd 20.10 puts them (after GraphDriver).
    let sized = inspect(&sb, &["-s", &web]);
    let keys: Vec<&String> = sized.as_object().unwrap().keys().collect();
    let at = keys.iter().position(|k| *k == "GraphDriver").unwrap();
    assert_eq!(keys[at + 1..at + 4], ["SizeRw", "SizeRootFs", "Mounts"]);
    assert!(sized["SizeRootFs"].as_u64() >= sized["SizeRw"].as_u64());

    // The values Docker shows for them.
    assert_eq!(running["State"]["Status"], "running");
    assert!(running["State"]["Pid"].as_i64().unwrap() > 0);
    assert_eq!(running["Name"], format!("/{web}"));
    assert_eq!(running["HostConfig"]["Memory"], 100 << 20);
    assert_eq!(running["HostConfig"]["RestartPolicy"]["Name"], "on-failure");
    assert_eq!(
        running["HostConfig"]["RestartPolicy"]["MaximumRetryCount"],
        3
    );
    assert_eq!(
        running["HostConfig"]["PortBindings"]["80/tcp"][0]["HostPort"],
        port.as_str()
    );
    assert_eq!(
        running["HostConfig"]["Binds"][0],
        format!("{}:/data:ro", data.display())
    );
    assert_eq!(
        running["Config"]["ExposedPorts"]["80/tcp"],
        serde_json::json!({})
    );
    assert_eq!(
        running["NetworkSettings"]["Ports"]["80/tcp"][0]["HostPort"],
        port.as_str()
    );
    let on_net = &running["NetworkSettings"]["Networks"][net.as_str()];
    assert!(
        on_net["IPAddress"].as_str().unwrap().contains('.'),
        "{on_net}"
    );
    assert!(on_net["IPPrefixLen"].as_u64().unwrap() > 0);
    let net_doc = inspect(&sb, &[&net]);
    assert_eq!(on_net["NetworkID"], net_doc["Id"]);
    let id = running["Id"].as_str().unwrap();
    assert_eq!(net_doc["Containers"][id]["Name"], web.as_str());
    assert_eq!(running["Mounts"][0]["Destination"], "/data");
    assert_eq!(running["Mounts"][0]["RW"], false);
    assert_eq!(exited["State"]["ExitCode"], 3);
    assert_eq!(exited["State"]["Status"], "exited");
    let exited_net = &exited["NetworkSettings"]["Networks"][net.as_str()];
    assert_eq!(
        exited_net["IPAddress"], "",
        "no address once it has exited, as Docker"
    );
    assert_eq!(exited_net["NetworkID"], net_doc["Id"]);
    sb.sh(&format!("rm -f {web}")).ok();
}

/// State is read from the record each time: a second run updates ExitCode and the times.
#[test]
fn state_stays_current_across_restarts() {
    let sb = Sandbox::new();
    let name = unique_name("c");
    let flag = sb.dir.path().join("second");
    let script = "if [ -e /flag/second ]; then exit 7; fi; touch /flag/second; exit 3";
    sb.run([
        "run",
        "--network",
        "none",
        "-v",
        &format!("{}:/flag", sb.dir.path().display()),
        "--name",
        &name,
        "busybox",
        "sh",
        "-c",
        script,
    ]);
    let first = inspect(&sb, &[&name]);
    assert_eq!(first["State"]["ExitCode"], 3);
    assert!(flag.exists());
    let r = sb.sh(&format!("start -a {name}"));
    assert_eq!(r.code, 7, "{r:?}");
    let second = inspect(&sb, &[&name]);
    assert_eq!(second["State"]["ExitCode"], 7);
    assert_eq!(second["State"]["Status"], "exited");
    for time in ["StartedAt", "FinishedAt"] {
        assert!(
            second["State"][time].as_str() > first["State"][time].as_str(),
            "{time}: {} then {}",
            first["State"][time],
            second["State"][time]
        );
    }
    // Running again: a new pid, and running.
    sb.run([
        "run",
        "-d",
        "--network",
        "none",
        "--name",
        &format!("{name}-2"),
        "busybox",
        "sleep",
        "1000",
    ])
    .ok();
    let before = inspect(&sb, &[&format!("{name}-2")]);
    sb.sh(&format!("restart -t 1 {name}-2")).ok();
    let after = inspect(&sb, &[&format!("{name}-2")]);
    assert_eq!(after["State"]["Running"], true);
    assert_ne!(after["State"]["Pid"], before["State"]["Pid"]);
    assert!(after["State"]["StartedAt"].as_str() > before["State"]["StartedAt"].as_str());
    assert_eq!(
        after["State"]["ExitCode"], 137,
        "the stop's SIGKILL, as Docker keeps it"
    );
    sb.sh(&format!("rm -f {name}-2")).ok();
}

/// `info` and `version` documents (`-f '{{json .}}'`) have the keys dockerd 20.10 and its
/// CLI print (fixtures/dockerd-20.10/{info,version}.json), in their order.
#[test]
fn info_and_version_are_dockers_documents() {
    let sb = Sandbox::new();
    let doc = |args: &[&str]| -> Value { serde_json::from_str(sb.run(args).ok()).unwrap() };
    let info = doc(&["info", "-f", "{{json .}}"]);
    same_keys(&info, &fixture_object("info"), "info");
    same_order(&info, &fixture_object("info"), "info");
    let version = doc(&["version", "-f", "{{json .}}"]);
    // Docker's has more components (containerd, runc, docker-init); the Engine's is first.
    let mut docker = fixture_object("version");
    docker["Server"]["Components"] = serde_json::json!([docker["Server"]["Components"][0]]);
    same_keys(&version, &docker, "version");
    same_order(&version, &docker, "version");
}

/// A fixture that is one object (not inspect's array of them).
fn fixture_object(name: &str) -> Value {
    let path = format!(
        "{}/tests/fixtures/dockerd-20.10/{name}.json",
        env!("CARGO_MANIFEST_DIR")
    );
    serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap()
}
