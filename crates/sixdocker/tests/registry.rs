//! sixdocker against Debian's docker-registry (distribution 2.8), started by each test on
//! 127.0.0.1 with its own storage (six_testkit::registry): an image copied there by skopeo
//! pulls with the same image ID, runs, and pulls again without a transfer; `run` pulls a
//! missing image (and `--pull never` does not).

mod common;

use common::Sandbox;
use six_testkit::registry::TestRegistry;

fn seed(sb: &Sandbox, reg: &TestRegistry, repo_tag: &str) -> String {
    common::seed::seed(sb, &reg.domain(), repo_tag, None)
}

#[test]
fn an_image_pulls_runs_and_pulls_again_without_a_transfer() {
    let reg = TestRegistry::start().unwrap();
    let seeder = Sandbox::new();
    let id = seed(&seeder, &reg, "t/busybox:1");
    let r = format!("{}/t/busybox:1", reg.domain());

    let sb = Sandbox::new();
    let out = sb.run(["pull", &r]);
    let stdout = out.ok();
    assert!(stdout.contains(": Pull complete"), "{stdout}");
    assert!(
        stdout.contains("Status: Downloaded newer image for"),
        "{stdout}"
    );
    assert_eq!(stdout.lines().last(), Some(r.as_str()));
    assert_eq!(
        sb.sh("images -q").ok().trim(),
        id,
        "the same image ID as the seeded one"
    );
    let ran = sb.run([
        "run",
        "--rm",
        "--network",
        "none",
        &r,
        "echo",
        "pulled and ran",
    ]);
    assert_eq!(ran.ok().trim(), "pulled and ran");

    let again = sb.run(["pull", &r]);
    let stdout = again.ok();
    assert!(stdout.contains(": Already exists"), "{stdout}");
    assert!(
        stdout.contains(&format!("Status: Image is up to date for {r}")),
        "{stdout}"
    );

    let quiet = sb.run(["pull", "-q", &r]);
    assert_eq!(quiet.ok(), format!("{r}\n"));

    // By digest: the repo digest names the image, in inspect and for run.
    let digest = stdout
        .lines()
        .find_map(|l| l.strip_prefix("Digest: "))
        .unwrap()
        .to_owned();
    let pinned = format!("{}/t/busybox@{digest}", reg.domain());
    let info: serde_json::Value = serde_json::from_str(sb.run(["inspect", &r]).ok()).unwrap();
    assert_eq!(info[0]["RepoDigests"][0], pinned.as_str(), "{info}");
    let other = Sandbox::new();
    other.run(["pull", "-q", &pinned]).ok();
    let ran = other.run([
        "run",
        "--rm",
        "--pull",
        "never",
        "--network",
        "none",
        &pinned,
        "echo",
        "pinned",
    ]);
    assert_eq!(ran.ok(), "pinned\n");
}

#[test]
fn run_pulls_a_missing_image_unless_told_never() {
    let reg = TestRegistry::start().unwrap();
    let seeder = Sandbox::new();
    seed(&seeder, &reg, "t/app:v1");
    let sb = Sandbox::new();
    let r = format!("{}/t/app:v1", reg.domain());
    let never = sb.run([
        "run",
        "--rm",
        "--pull",
        "never",
        "--network",
        "none",
        &r,
        "true",
    ]);
    never.fails(125, "no such image");
    let ran = sb.run(["run", "--rm", "--network", "none", &r, "echo", "hi"]);
    assert_eq!(ran.ok(), "hi\n");
    assert!(
        ran.stderr
            .contains(&format!("Unable to find image '{r}' locally")),
        "{ran:?}"
    );
    let created = sb.run(["create", "--pull", "always", &r, "true"]);
    assert_eq!(created.ok().trim().len(), 64, "{created:?}");
    let missing = sb.run([
        "run",
        "--rm",
        "--network",
        "none",
        &format!("{}/t/app:v2", reg.domain()),
    ]);
    assert_eq!(missing.code, 125, "{missing:?}");
    let last = missing.stderr.lines().last().unwrap_or_default();
    assert!(
        last.starts_with("sixdocker: manifest for")
            && last.ends_with("not found: manifest unknown"),
        "{missing:?}"
    );
}
