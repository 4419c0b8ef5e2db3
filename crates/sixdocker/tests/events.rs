//! `events` as a user types it: what each command records (Docker's actions and attributes),
//! the history between `--since` and `--until`, the live stream, `--filter`, `--format
//! '{{json .}}'` in Docker's shape, and Docker's text line.

mod common;

use std::io::{BufRead, BufReader};
use std::process::Stdio;
use std::sync::mpsc;
use std::time::{Duration, Instant};

use common::{unique_name, Sandbox};

/// `events --since 0 --until now` with `extra` arguments: the lines printed.
fn history(sb: &Sandbox, extra: &[&str]) -> Vec<String> {
    between(sb, "0", &unix(chrono::Utc::now()), extra)
}

/// "seconds.nanoseconds", a form `--since` and `--until` take.
fn unix(t: chrono::DateTime<chrono::Utc>) -> String {
    format!("{}.{:09}", t.timestamp(), t.timestamp_subsec_nanos())
}

/// `events --since SINCE --until UNTIL` with `extra` arguments: the lines printed.
fn between(sb: &Sandbox, since: &str, until: &str, extra: &[&str]) -> Vec<String> {
    let mut args = vec!["events", "--since", since, "--until", until];
    args.extend_from_slice(extra);
    let r = sb.run(&args);
    r.ok().lines().map(str::to_owned).collect()
}

/// "type action" of each JSON event line.
fn actions(lines: &[String]) -> Vec<String> {
    lines
        .iter()
        .map(|l| {
            let v: serde_json::Value = serde_json::from_str(l).unwrap();
            format!(
                "{} {}",
                v["Type"].as_str().unwrap(),
                v["Action"].as_str().unwrap()
            )
        })
        .collect()
}

#[test]
fn commands_record_dockers_events() {
    let sb = Sandbox::new();
    let [ex, web] = ["ex", "web"].map(unique_name);
    let r = sb.run([
        "run",
        "--network",
        "none",
        "--name",
        &ex,
        "busybox",
        "sh",
        "-c",
        "exit 3",
    ]);
    assert_eq!(r.code, 3, "{r:?}");
    sb.sh(&format!(
        "run -d --network none --name {web} busybox sleep 1000"
    ))
    .ok();
    sb.sh(&format!("exec {web} true")).ok();
    sb.sh(&format!("kill -s USR1 {web}")).ok();
    let image = unique_name("img");
    sb.sh(&format!("commit {web} {image}")).ok();
    sb.sh(&format!("stop -t 1 {web}")).ok();
    sb.sh(&format!("rm {ex} {web}")).ok();
    sb.sh(&format!("rmi {image}")).ok();
    let net = unique_name("n");
    sb.sh(&format!("network create {net}")).ok();
    sb.sh(&format!("network rm {net}")).ok();

    let json = history(&sb, &["--format", "{{json .}}"]);
    let got = actions(&json);
    // As dockerd 20.10 records them: a container on `none` is connected to that network at
    // each start and disconnected when it ends.
    let expected = [
        "container create",
        "container attach",
        "network connect",
        "container start",
        "container die",
        "network disconnect",
        "container create",
        "network connect",
        "container start",
        "container exec_create: true ",
        "container exec_start: true ",
        "container exec_die",
        "container kill",
        "container pause",
        "container unpause",
        "image tag",
        "container commit",
        "container kill",
        "container kill",
        "container die",
        "network disconnect",
        "container stop",
        "container destroy",
        "container destroy",
        "image untag",
        "image delete",
        "network create",
        "network destroy",
    ];
    assert_eq!(got, expected, "{json:#?}");
    // The line of the `n`th (from 0) event with this "type action".
    let nth = |action: &str, n: usize| -> &String {
        let at = got.iter().enumerate().filter(|(_, a)| *a == action);
        &json[at.map(|(i, _)| i).nth(n).unwrap()]
    };

    // Docker's JSON shape and attributes.
    let die: serde_json::Value = serde_json::from_str(nth("container die", 0)).unwrap();
    let id = sb_id(&die);
    assert_eq!(die["status"], "die");
    assert_eq!(die["id"], id.as_str());
    assert_eq!(die["from"], "busybox");
    assert_eq!(die["scope"], "local");
    assert_eq!(die["Actor"]["ID"], id.as_str());
    assert_eq!(die["Actor"]["Attributes"]["exitCode"], "3");
    assert_eq!(die["Actor"]["Attributes"]["name"], ex.as_str());
    assert_eq!(die["Actor"]["Attributes"]["image"], "busybox");
    let nanos = die["timeNano"].as_i64().unwrap();
    assert_eq!(die["time"].as_i64().unwrap(), nanos / 1_000_000_000);
    let order = [
        "status", "id", "from", "Type", "Action", "Actor", "scope", "time", "timeNano",
    ];
    let at: Vec<usize> = order
        .iter()
        .map(|k| nth("container die", 0).find(&format!("\"{k}\":")).unwrap())
        .collect();
    assert!(
        at.windows(2).all(|w| w[0] < w[1]),
        "Docker's key order: {}",
        nth("container die", 0)
    );
    let none: serde_json::Value = serde_json::from_str(nth("network connect", 0)).unwrap();
    assert_eq!(none["Actor"]["Attributes"]["name"], "none");
    assert_eq!(none["Actor"]["Attributes"]["type"], "null");
    assert_eq!(none["Actor"]["Attributes"]["container"], id.as_str());
    assert!(none.get("status").is_none(), "{none}");
    let signal = |line: &str| -> String {
        let v: serde_json::Value = serde_json::from_str(line).unwrap();
        v["Actor"]["Attributes"]["signal"]
            .as_str()
            .unwrap()
            .to_owned()
    };
    assert_eq!(signal(nth("container kill", 0)), "10", "kill -s USR1");
    assert_eq!(
        (
            signal(nth("container kill", 1)),
            signal(nth("container kill", 2))
        ),
        ("15".into(), "9".into()),
        "stop"
    );
    let exec_die: serde_json::Value = serde_json::from_str(nth("container exec_die", 0)).unwrap();
    assert_eq!(exec_die["Actor"]["Attributes"]["exitCode"], "0");
    assert_eq!(
        exec_die["Actor"]["Attributes"]["execID"]
            .as_str()
            .unwrap()
            .len(),
        64
    );
    let commit: serde_json::Value = serde_json::from_str(nth("container commit", 0)).unwrap();
    assert_eq!(
        commit["Actor"]["Attributes"]["imageRef"],
        format!("{image}:latest")
    );
    let network: serde_json::Value = serde_json::from_str(nth("network create", 0)).unwrap();
    assert!(network.get("status").is_none() && network.get("from").is_none());
    assert_eq!(network["Actor"]["Attributes"]["name"], net.as_str());
    assert_eq!(network["Actor"]["Attributes"]["type"], "bridge");

    // Docker's text line: time with nanoseconds, type, action, actor, sorted attributes.
    let text = history(
        &sb,
        &[
            "--filter",
            "event=die",
            "--filter",
            &format!("container={ex}"),
        ],
    );
    assert_eq!(text.len(), 1, "{text:?}");
    let re = regex::Regex::new(&format!(
        r"^\d{{4}}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{{9}}(Z|[+-]\d\d:\d\d) container die {id} \(exitCode=3, image=busybox, name={ex}\)$"
    ))
    .unwrap();
    assert!(re.is_match(&text[0]), "{}", text[0]);
}

fn sb_id(event: &serde_json::Value) -> String {
    event["Actor"]["ID"].as_str().unwrap().to_owned()
}

#[test]
fn filters_since_and_until() {
    let sb = Sandbox::new();
    let [a, b] = ["a", "b"].map(unique_name);
    sb.sh(&format!("create --network none --name {a} busybox true"))
        .ok();
    let between_creates = chrono::Utc::now();
    sb.sh(&format!("create --network none --name {b} busybox true"))
        .ok();
    sb.run(["tag", "busybox", &unique_name("t")]).ok();
    let names = |lines: Vec<String>| -> Vec<String> {
        lines
            .iter()
            .map(|l| {
                let v: serde_json::Value = serde_json::from_str(l).unwrap();
                let attrs = &v["Actor"]["Attributes"];
                format!(
                    "{} {}",
                    v["Action"].as_str().unwrap(),
                    attrs["name"].as_str().unwrap()
                )
            })
            .collect()
    };
    let json = ["--format", "{{json .}}"];
    let with = |extra: &[&str]| {
        let mut args = json.to_vec();
        args.extend_from_slice(extra);
        names(history(&sb, &args))
    };
    assert_eq!(
        with(&["--filter", "type=container"]),
        [format!("create {a}"), format!("create {b}")]
    );
    assert_eq!(
        with(&["--filter", &format!("container={b}")]),
        [format!("create {b}")]
    );
    assert_eq!(with(&["--filter", "type=image"]).len(), 1);
    assert_eq!(
        with(&["--filter", "image=busybox"]).len(),
        2,
        "the containers of busybox"
    );
    assert_eq!(
        with(&["--filter", "event=create", "--filter", "event=tag"]).len(),
        3
    );
    // --since: from then on; --until: up to then (both inclusive).
    let at = unix(between_creates);
    let now = unix(chrono::Utc::now());
    let containers = ["--format", "{{json .}}", "--filter", "type=container"];
    assert_eq!(
        names(between(&sb, &at, &now, &containers)),
        [format!("create {b}")]
    );
    assert_eq!(
        names(between(&sb, "0", &at, &containers)),
        [format!("create {a}")]
    );
    let r = sb.sh(&format!(
        "events --since 10m --until {now} --filter type=container"
    ));
    assert_eq!(r.ok().lines().count(), 2, "a duration counts back from now");
    let template = "{{.Type}} {{.Status}} {{.Actor.Attributes.name}} {{json .Actor.Attributes}}";
    let lines = between(
        &sb,
        "0",
        &now,
        &["--format", template, "--filter", &format!("container={a}")],
    );
    assert_eq!(
        lines,
        [format!(
            "container create {a} {{\"image\":\"busybox\",\"name\":\"{a}\"}}"
        )],
        "a Go template sees Docker's events.Message"
    );
    let r = sb.sh("events --since 0 --until 2000-01-01T00:00:00Z");
    assert_eq!(r.ok(), "", "RFC 3339");

    sb.sh("events --filter foo=1 --until 0s")
        .fails(1, "invalid filter 'foo'");
    sb.sh("events --since yesterday").fails(
        1,
        "failed to parse value as time or duration: \"yesterday\"",
    );
}

/// `events` keeps streaming what happens after it started, until interrupted.
#[test]
fn the_live_stream_follows() {
    let sb = Sandbox::new();
    let net = unique_name("n");
    let start = chrono::Utc::now().timestamp().to_string();
    sb.sh(&format!("network create {net}")).ok();
    let mut child = sb
        .command(["events", "--since", &start])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let (tx, rx) = mpsc::channel();
    let out = child.stdout.take().unwrap();
    std::thread::spawn(move || {
        for line in BufReader::new(out).lines() {
            if tx.send(line.unwrap_or_default()).is_err() {
                return;
            }
        }
    });
    let deadline = Instant::now() + Duration::from_secs(60);
    let wait_for = |needle: &str| {
        while let Ok(line) = rx.recv_timeout(deadline.saturating_duration_since(Instant::now())) {
            if line.contains(needle) {
                return line;
            }
        }
        panic!("no event with {needle:?}");
    };
    // The history came first: the stream now follows.
    wait_for("network create");
    let name = unique_name("live");
    sb.sh(&format!(
        "run --rm --network none --name {name} busybox true"
    ))
    .ok();
    wait_for("container start");
    let destroy = wait_for("container destroy");
    assert!(destroy.contains(&format!("name={name}")), "{destroy}");
    sb.sh(&format!("network rm {net}")).ok();
    wait_for("network destroy");
    assert!(child.try_wait().unwrap().is_none(), "it keeps following");
    child.kill().unwrap();
    child.wait().unwrap();
}

/// Volumes and the `host` network as dockerd 20.10 records them: `volume create` for a named
/// volume at each container create (made or not), `mount` and `unmount` around each run,
/// and a container on `host` connected to that network while it runs.
#[test]
fn volume_and_host_network_events_are_dockers() {
    let sb = Sandbox::new();
    let (volume, name) = (unique_name("v"), unique_name("c"));
    let since = unix(chrono::Utc::now());
    sb.run(["volume", "create", &volume]).ok();
    sb.run([
        "create",
        "--network",
        "host",
        "-v",
        &format!("{volume}:/data"),
        "--name",
        &name,
        "busybox",
        "true",
    ])
    .ok();
    sb.run(["start", "-a", &name]).ok();
    sb.run(["rm", &name]).ok();
    sb.run(["volume", "rm", &volume]).ok();
    let json = between(
        &sb,
        &since,
        &unix(chrono::Utc::now()),
        &[
            "--filter",
            "type=volume",
            "--filter",
            "type=network",
            "--format",
            "{{json .}}",
        ],
    );
    let mut got = actions(&json);
    got.sort();
    assert_eq!(
        got,
        [
            "network connect",
            "network disconnect",
            "volume create",
            "volume create",
            "volume destroy",
            "volume mount",
            "volume unmount",
        ],
        "{json:#?}"
    );
    let host: serde_json::Value =
        serde_json::from_str(json.iter().find(|l| l.contains("\"connect\"")).unwrap()).unwrap();
    assert_eq!(host["Actor"]["Attributes"]["name"], "host");
    assert_eq!(host["Actor"]["Attributes"]["type"], "host");
}
