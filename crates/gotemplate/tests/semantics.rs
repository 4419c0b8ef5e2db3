//! Go's text/template rules on data: maps (missing key: `<no value>`), structs (missing
//! field: an error; methods with arguments), JSON values as `docker inspect -f` sees them,
//! variables, and Go's error messages.

use six_gotemplate::{docker, Struct, Template, Value};

fn inspect_doc() -> Value {
    Value::from_json(&serde_json::json!({
        "Id": "0123456789abcdef",
        "Name": "/web",
        "State": {"Status": "running", "Running": true, "Pid": 4242, "ExitCode": 0, "Health": null},
        "Config": {
            "Env": ["PATH=/usr/bin", "A=1"],
            "Labels": {"com.example.team": "infra", "tier": "web"},
            "Cmd": ["nginx", "-g", "daemon off;"]
        },
        "NetworkSettings": {"Networks": {
            "bridge": {"IPAddress": "172.17.0.2", "Gateway": "172.17.0.1"},
            "backend": {"IPAddress": "10.0.0.5", "Gateway": "10.0.0.1"}
        }, "Ports": {"80/tcp": [{"HostIp": "0.0.0.0", "HostPort": "8080"}]}}
    }))
}

fn render(template: &str, data: &Value) -> String {
    docker::parse(template)
        .and_then(|t| t.execute(data))
        .unwrap_or_else(|e| panic!("{template}: {e}"))
}

fn error(template: &str, data: &Value) -> String {
    match docker::parse(template).and_then(|t| t.execute(data)) {
        Ok(out) => panic!("{template} gave {out:?}"),
        Err(e) => e.to_string(),
    }
}

#[test]
fn docker_inspect_idioms() {
    let doc = inspect_doc();
    for (template, want) in [
        ("{{.State.Status}} {{.State.Pid}} {{.State.Running}}", "running 4242 true"),
        ("{{.Name}}", "/web"),
        ("{{.Config.Env}}", "[PATH=/usr/bin A=1]"),
        ("{{join .Config.Cmd \" \"}}", "nginx -g daemon off;"),
        ("{{json .Config.Labels}}", r#"{"com.example.team":"infra","tier":"web"}"#),
        ("{{index .Config.Labels \"com.example.team\"}}", "infra"),
        ("{{index .Config.Labels \"nope\"}}", ""),
        ("{{.Config.Labels.tier}}", "web"),
        ("{{.Config.Labels.nope}}", "<no value>"),
        ("{{.Nope}}", "<no value>"),
        ("{{.Nope.Deeper}}", "<no value>"),
        ("{{.State.Health}}", "<nil>"),
        (
            "{{range .NetworkSettings.Networks}}{{.IPAddress}} {{end}}",
            "10.0.0.5 172.17.0.2 ",
        ),
        (
            "{{range $name, $n := .NetworkSettings.Networks}}{{$name}}={{$n.Gateway}};{{end}}",
            "backend=10.0.0.1;bridge=172.17.0.1;",
        ),
        (
            "{{range $p, $conf := .NetworkSettings.Ports}}{{$p}} -> {{(index $conf 0).HostPort}}{{end}}",
            "80/tcp -> 8080",
        ),
        ("{{if eq .State.ExitCode 0}}ok{{end}}", "ok"),
        ("{{with .State}}{{.Status}}{{end}}", "running"),
        ("{{$.Id}} {{len .Config.Env}}", "0123456789abcdef 2"),
        ("{{.Config.Labels}}", "map[com.example.team:infra tier:web]"),
        ("{{range .Config.Env}}{{println .}}{{end}}", "PATH=/usr/bin\nA=1\n"),
        ("{{upper (index (split .Name \"/\") 1)}}", "WEB"),
        ("{{json .State}}", r#"{"ExitCode":0,"Health":null,"Pid":4242,"Running":true,"Status":"running"}"#),
    ] {
        assert_eq!(render(template, &doc), want, "{template}");
    }
}

fn container_context() -> Value {
    Struct::new("*formatter.ContainerContext")
        .field("ID", "0123456789ab")
        .field("Image", "busybox")
        .field("Labels", "a=b,tier=web")
        .field("Names", "web")
        .method("Label", |args| {
            let [Value::String(key)] = args else {
                return Err("wrong number of args for Label: want 1".into());
            };
            Ok(Value::from(match &**key {
                "tier" => "web",
                "a" => "b",
                _ => "",
            }))
        })
        .into()
}

#[test]
fn structs_have_fields_and_methods() {
    let c = container_context();
    assert_eq!(render("{{.ID}} {{.Names}}", &c), "0123456789ab web");
    assert_eq!(render("{{.Label \"tier\"}}|{{.Label \"x\"}}", &c), "web|");
    assert_eq!(render("{{\"a\" | .Label}}", &c), "b");
    assert_eq!(
        error("{{.Foo}}", &c),
        "template: :1:2: executing \"\" at <.Foo>: can't evaluate field Foo in type *formatter.ContainerContext"
    );
    assert_eq!(
        error("{{.ID \"x\"}}", &c),
        "template: :1:2: executing \"\" at <.ID>: ID has arguments but cannot be invoked as function"
    );
    assert_eq!(
        render("{{json .}}", &c),
        r#"{"ID":"0123456789ab","Image":"busybox","Labels":"a=b,tier=web","Names":"web"}"#
    );
}

#[test]
fn go_error_messages() {
    let doc = inspect_doc();
    assert_eq!(
        error("{{.Name.Foo}}", &doc),
        "template: :1:7: executing \"\" at <.Name.Foo>: can't evaluate field Foo in type string"
    );
    assert_eq!(
        error("{{index .Config.Env 9}}", &doc),
        "template: :1:2: executing \"\" at <index>: error calling index: index out of range: 9"
    );
    assert_eq!(
        error("\n{{upper .State.Pid}}", &doc),
        "template: :2:2: executing \"\" at <upper>: wrong type for value; expected string; got int"
    );
    assert_eq!(
        error("{{.Config.Labels.tier \"x\"}}", &doc),
        "template: :1:9: executing \"\" at <.Config.Labels.tier>: tier is not a method but has arguments"
    );
    assert!(error("{{template \"nope\"}}", &doc).contains("template \"nope\" not defined"));
}

#[test]
fn output_before_an_error_is_kept() {
    let t = Template::parse("a{{.X.Y}}b").unwrap();
    let mut out = String::new();
    assert!(t.execute_into(&Value::from(3), &mut out).is_err());
    assert_eq!(out, "a");
}

#[test]
fn variables_scope_and_assignment() {
    let data = Value::from(vec!["a", "b"]);
    assert_eq!(
        render("{{$n := 0}}{{range .}}{{$n = .}}{{end}}{{$n}}", &data),
        "b"
    );
    assert_eq!(
        render("{{range $i, $e := .}}{{$i}}{{$e}}{{end}}", &data),
        "0a1b"
    );
    assert_eq!(render("{{range .}}{{$}}{{end}}", &data), "[a b][a b]");
    assert_eq!(render("{{range $e := .}}{{$e}}{{end}}", &data), "ab");
}

#[test]
fn mentions_field_sees_every_use() {
    for (template, mentions) in [
        ("{{.Size}}", true),
        ("{{if .Size}}x{{end}}", true),
        ("{{range .}}{{$.Size}}{{end}}", true),
        ("{{printf \"%s\" (.Size)}}", true),
        ("{{.SizeRw}} {{.ID}}", false),
        ("{{\"Size\"}}", false),
    ] {
        assert_eq!(
            docker::parse(template).unwrap().mentions_field("Size"),
            mentions,
            "{template}"
        );
    }
}

#[test]
fn inspect_documents_as_docker_28_reads_them() {
    let doc = docker::inspect_value(&serde_json::json!({
        "Name": "/web",
        "State": {"Status": "running", "Pid": 7},
        "Config": {"Labels": {"tier": "web"}, "Env": null},
        "HostConfig": {"LogConfig": {"Type": "json-file", "Config": {}}}
    }));
    assert_eq!(
        render(
            "{{.Config.Labels.nope}}|{{index .Config.Labels \"nope\"}}",
            &doc
        ),
        "<no value>|"
    );
    assert_eq!(
        render("{{.HostConfig.LogConfig.Config.max}}", &doc),
        "<no value>"
    );
    // Docker prints the typed State: its fields in Docker's order (Status first).
    assert_eq!(render("{{.State.Pid}} {{.State}}", &doc), "7 {running 7}");
    assert_eq!(
        render("{{json .State}}", &doc),
        r#"{"Status":"running","Pid":7}"#
    );
    // A struct cannot be ranged over or measured: Docker does it on the decoded map, whose
    // keys range in order (docker 28: `{{range $k, $v := .State}}` gives Dead,Error,...).
    assert_eq!(
        render(
            "{{range $k, $v := .State}}{{$k}}={{$v}},{{end}} {{len .State}}",
            &doc
        ),
        "Pid=7,Status=running, 2"
    );
    // Docker 28: template parsing error: template: :1:2: executing "" at <.Foo>: map has no entry for key "Foo"
    assert_eq!(
        error("{{.Foo}}", &doc),
        "template: :1:2: executing \"\" at <.Foo>: map has no entry for key \"Foo\""
    );
    assert_eq!(
        error("{{.State.Nope}}", &doc),
        "template: :1:8: executing \"\" at <.State.Nope>: map has no entry for key \"Nope\""
    );
}

/// Docker runs `inspect -f` and `version -f` on the typed value first, so the Go names of
/// fields whose JSON key differs work too (dockerd 20.10 + docker 28: `inspect -f '{{.ID}}'`
/// of a container, image or network prints its id; `version -f '{{.Server.APIVersion}}'`
/// prints 1.41); `{{.Id}}` stays, `.CPUShares` is refused there too.
#[test]
fn go_field_names_of_typed_documents() {
    let doc = docker::inspect_value(&serde_json::json!({
        "Id": "abc",
        "Server": {"ApiVersion": "1.41"},
        "HostConfig": {"CpuShares": 0},
        "Config": {"Labels": {"Id": "x"}}
    }));
    assert_eq!(
        render("{{.ID}} {{.Id}} {{.Server.APIVersion}}", &doc),
        "abc abc 1.41"
    );
    assert_eq!(render("{{.Config.Labels.ID}}", &doc), "<no value>");
    assert_eq!(
        error("{{.HostConfig.CPUShares}}", &doc),
        "template: :1:13: executing \"\" at <.HostConfig.CPUShares>: map has no entry for key \"CPUShares\""
    );
    // No health check: State has no Health, which Docker reads as its nil *Health
    // (dockerd 20.10: `<nil>`, `no`, `null`; `.State.Health.Status` is an error).
    let doc = docker::inspect_value(&serde_json::json!({
        "State": {"Status": "running", "OOMKilled": false},
        "Config": {"Labels": {}}
    }));
    assert_eq!(
        render(
            "{{.State.Health}} {{if .State.Health}}h{{else}}no{{end}} {{json .State.Health}}",
            &doc
        ),
        "<nil> no null"
    );
    assert!(error("{{.State.Health.Status}}", &doc).contains("nil pointer evaluating"));
    assert!(error("{{.Config.Health}}", &doc).contains("map has no entry for key"));
}

#[test]
fn formatter_contexts_marshal_as_docker_does() {
    // docker ps --format '{{json .}}' prints "Ports":"0.0.0.0:8080-\u003e80/tcp" and keys in order.
    let row: Value = Struct::formatter_context("*formatter.ContainerContext")
        .field("Ports", "0.0.0.0:8080->80/tcp")
        .field("Image", "a&b <none>")
        .into();
    assert_eq!(
        render("{{json .}}", &row),
        r#"{"Image":"a\u0026b \u003cnone\u003e","Ports":"0.0.0.0:8080-\u003e80/tcp"}"#
    );
    // A single field is a plain string: no escaping.
    assert_eq!(render("{{json .Ports}}", &row), r#""0.0.0.0:8080->80/tcp""#);
}
