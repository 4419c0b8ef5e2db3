//! Docker's `--format` for list commands: `table` with its header row and tabwriter
//! columns, `json`, `\t`, plain templates; checked against the outputs in Docker's
//! documentation and against Docker 28's CLI.

use six_gotemplate::docker::Format;
use six_gotemplate::{Struct, Value};

const PS_TABLE: &str =
    "table {{.ID}}\t{{.Image}}\t{{.Command}}\t{{.RunningFor}}\t{{.Status}}\t{{.Ports}}\t{{.Names}}";

fn headers() -> Value {
    Value::map([
        ("ID", "CONTAINER ID"),
        ("Image", "IMAGE"),
        ("Command", "COMMAND"),
        ("RunningFor", "CREATED"),
        ("Status", "STATUS"),
        ("Ports", "PORTS"),
        ("Names", "NAMES"),
        ("Labels", "LABELS"),
    ])
}

fn row(id: &str, image: &str, command: &str, names: &str, ports: &str) -> Value {
    Struct::new("*formatter.ContainerContext")
        .field("Command", format!("\"{command}\""))
        .field("ID", id)
        .field("Image", image)
        .field(
            "Labels",
            "com.docker.swarm.node=ubuntu,com.docker.swarm.storage=ssd",
        )
        .field("Names", names)
        .field("Ports", ports)
        .field("RunningFor", "5 seconds ago")
        .field("Status", "Up 3 seconds")
        .method("Label", |_| Ok(Value::from("ssd")))
        .into()
}

fn rows() -> Vec<Value> {
    vec![
        row(
            "a87ecb4f327c",
            "busybox",
            "top",
            "web",
            "0.0.0.0:8080->80/tcp",
        ),
        row(
            "01946d9d34d8",
            "nginx:alpine",
            "nginx -g 'daemon of…",
            "proxy",
            "",
        ),
    ]
}

fn render(format: &str) -> String {
    Format::new(format, PS_TABLE)
        .unwrap()
        .render(&rows(), &headers())
        .unwrap()
}

#[test]
fn the_default_table() {
    let want = "\
CONTAINER ID   IMAGE          COMMAND                  CREATED         STATUS         PORTS                  NAMES
a87ecb4f327c   busybox        \"top\"                    5 seconds ago   Up 3 seconds   0.0.0.0:8080->80/tcp   web
01946d9d34d8   nginx:alpine   \"nginx -g 'daemon of…\"   5 seconds ago   Up 3 seconds                          proxy
";
    assert_eq!(render(""), want);
    assert_eq!(render("table"), want);
}

#[test]
fn a_custom_table_as_the_docs_show() {
    // docs: docker ps --format "table {{.ID}}\t{{.Labels}}"
    assert_eq!(
        render("table {{.ID}}\\t{{.Labels}}"),
        "\
CONTAINER ID   LABELS
a87ecb4f327c   com.docker.swarm.node=ubuntu,com.docker.swarm.storage=ssd
01946d9d34d8   com.docker.swarm.node=ubuntu,com.docker.swarm.storage=ssd
"
    );
    // A short column is still 10 wide (tabwriter's minimum width).
    assert_eq!(
        render("table {{.Names}}\t{{.ID}}"),
        "NAMES     CONTAINER ID\nweb       a87ecb4f327c\nproxy     01946d9d34d8\n"
    );
}

#[test]
fn plain_templates_print_one_line_per_row() {
    // docs: docker ps --format "{{.ID}}: {{.Command}}"
    assert_eq!(
        render("{{.ID}}: {{.Command}}"),
        "a87ecb4f327c: \"top\"\n01946d9d34d8: \"nginx -g 'daemon of…\"\n"
    );
    // Without "table", \t is a tab but nothing is aligned.
    assert_eq!(
        render("{{.Names}}\\t{{.ID}}"),
        "web\ta87ecb4f327c\nproxy\t01946d9d34d8\n"
    );
}

#[test]
fn header_cells_are_titles_whatever_the_functions() {
    assert_eq!(
        render("table {{upper .Names}}\t{{json .ID}}\t{{truncate .Image 3}}"),
        "NAMES     CONTAINER ID     IMAGE\nWEB       \"a87ecb4f327c\"   bus\nPROXY     \"01946d9d34d8\"   ngi\n"
    );
    // A method with arguments cannot run on the header map: the header keeps what it had.
    assert_eq!(
        render("table {{.Names}}\t{{.Label \"tier\"}}"),
        "NAMES     \nweb       ssd\nproxy     ssd\n"
    );
}

#[test]
fn json_is_one_object_a_line() {
    let out = render("json");
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines.len(), 2);
    assert!(
        lines[0].starts_with(r#"{"Command":"\"top\"","ID":"a87ecb4f327c""#),
        "{}",
        lines[0]
    );
}

#[test]
fn no_rows_is_a_header_alone_or_nothing() {
    let f = Format::new("", PS_TABLE).unwrap();
    assert_eq!(
        f.render(&[], &headers()).unwrap(),
        "CONTAINER ID   IMAGE     COMMAND   CREATED   STATUS    PORTS     NAMES\n"
    );
    let f = Format::new("{{.ID}}", PS_TABLE).unwrap();
    assert_eq!(f.render(&[], &headers()).unwrap(), "");
}

#[test]
fn errors_read_like_dockers() {
    let e = Format::new("{{.ID", PS_TABLE).unwrap_err().to_string();
    assert!(
        e.starts_with("template parsing error: template: :1:"),
        "{e}"
    );
    let e = Format::new("{{nope .ID}}", PS_TABLE)
        .unwrap_err()
        .to_string();
    assert_eq!(
        e,
        "template parsing error: template: :1: function \"nope\" not defined"
    );
    let f = Format::new("{{.Nope}}", PS_TABLE).unwrap();
    let e = f.render(&rows(), &headers()).unwrap_err().to_string();
    assert_eq!(
        e,
        "template: :1:2: executing \"\" at <.Nope>: can't evaluate field Nope in type *formatter.ContainerContext"
    );
}
