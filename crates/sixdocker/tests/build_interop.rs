//! Images `sixdocker build` makes are Docker images others take: one runs under Podman after
//! `save` and `podman load` (a private Podman: storage, locks and config in the test's dir,
//! its container below the test's cgroup), and its file tree is the one `buildah bud` makes
//! of the same Dockerfile (a private Buildah, chroot isolation) — paths, kinds, modes,
//! owners, sizes, content and link targets; times aside, and the files both make for a
//! container's mounts (/etc/hosts, /etc/hostname, /etc/resolv.conf).

mod common;

use std::collections::BTreeMap;
use std::io::Read;
use std::os::unix::fs::MetadataExt;
use std::path::Path;

use common::build::{build, tar_of, Context};
use common::{unique_name, Sandbox};
use sha2::Digest as _;
use six_testkit::podman::{Buildah, Podman};

const DOCKERFILE: &str = "FROM busybox
RUN echo hi > /hi.txt && mkdir -p /made/deep && ln -s /hi.txt /link && rm -rf /home && chmod 700 /tmp
COPY a.txt dir/ /app/
COPY --chown=1000:1000 --chmod=600 a.txt /owned.txt
ADD archive.tar /extracted/
WORKDIR /work/sub
ENV X=1
USER 1000
CMD [\"cat\", \"/hi.txt\"]
";

fn context() -> Context {
    let ctx = Context::new(&[
        ("Dockerfile", DOCKERFILE),
        ("a.txt", "aaa\n"),
        ("dir/b.txt", "bbb\n"),
        ("dir/sub/c.txt", "ccc\n"),
    ]);
    let archive = tar_of(&[("x/inside.txt", "from the archive\n")], (7, 8));
    std::fs::write(ctx.file("archive.tar"), archive).unwrap();
    ctx
}

/// What both trees must agree on for one path.
fn describe(kind: char, mode: u32, uid: u64, gid: u64, size: u64, extra: &str) -> String {
    format!("{kind} {:o} {uid}:{gid} {size} {extra}", mode & 0o7777)
}

/// The mounts every container gets: made by each tool in its own way.
fn skipped(path: &str) -> bool {
    matches!(path, "etc/hosts" | "etc/hostname" | "etc/resolv.conf")
}

/// Our image's tree, through `create` + `export`.
fn our_tree(sb: &Sandbox, image: &str) -> BTreeMap<String, String> {
    let name = unique_name("export");
    sb.run([
        "create",
        "--name",
        &name,
        "--network",
        "none",
        image,
        "true",
    ])
    .ok();
    let out = sb
        .command(["export", &name])
        .output()
        .expect("running sixdocker export");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    sb.run(["rm", &name]).ok();
    let mut tree = BTreeMap::new();
    let mut archive = tar::Archive::new(&out.stdout[..]);
    for entry in archive.entries().unwrap() {
        let mut e = entry.unwrap();
        let path = e
            .path()
            .unwrap()
            .to_string_lossy()
            .trim_start_matches("./")
            .trim_end_matches('/')
            .to_owned();
        if path.is_empty() || skipped(&path) {
            continue;
        }
        let h = e.header().clone();
        let (mode, uid, gid) = (h.mode().unwrap(), h.uid().unwrap(), h.gid().unwrap());
        let d = match h.entry_type() {
            tar::EntryType::Directory => describe('d', mode, uid, gid, 0, ""),
            tar::EntryType::Symlink => {
                let target = e
                    .link_name()
                    .unwrap()
                    .unwrap()
                    .to_string_lossy()
                    .into_owned();
                describe('l', 0, uid, gid, 0, &target)
            }
            tar::EntryType::Link => continue, // a second name of a file listed already
            _ => {
                let mut data = Vec::new();
                e.read_to_end(&mut data).unwrap();
                let sum = format!("{:x}", sha2::Sha256::digest(&data));
                describe('f', mode, uid, gid, data.len() as u64, &sum)
            }
        };
        tree.insert(path, d);
    }
    tree
}

/// A directory's tree, as our_tree describes it.
fn dir_tree(root: &Path) -> BTreeMap<String, String> {
    let mut tree = BTreeMap::new();
    let mut todo = vec![root.to_path_buf()];
    while let Some(dir) = todo.pop() {
        for e in std::fs::read_dir(&dir).unwrap().flatten() {
            let p = e.path();
            let rel = p.strip_prefix(root).unwrap().to_string_lossy().into_owned();
            if skipped(&rel) {
                continue;
            }
            let m = std::fs::symlink_metadata(&p).unwrap();
            let d = if m.is_dir() {
                todo.push(p.clone());
                describe('d', m.mode(), m.uid().into(), m.gid().into(), 0, "")
            } else if m.file_type().is_symlink() {
                let target = std::fs::read_link(&p)
                    .unwrap()
                    .to_string_lossy()
                    .into_owned();
                describe('l', 0, m.uid().into(), m.gid().into(), 0, &target)
            } else {
                let data = std::fs::read(&p).unwrap();
                let sum = format!("{:x}", sha2::Sha256::digest(&data));
                describe('f', m.mode(), m.uid().into(), m.gid().into(), m.len(), &sum)
            };
            tree.insert(rel, d);
        }
    }
    tree
}

#[test]
fn an_image_we_build_runs_under_podman_after_save_and_load() {
    let sb = Sandbox::new();
    let ctx = context();
    build(&sb, &ctx, &["-t", "interop:v1"]).ok();
    let archive = sb.dir.path().join("interop.tar");
    sb.run(["save", "-o", &archive.to_string_lossy(), "interop:v1"])
        .ok();

    let podman = Podman::for_containers(sb.dir.path());
    podman.run(&["load", "-q", "-i", &archive.to_string_lossy()]);
    let cgroup = six_testkit::TestCgroupPath::new(&unique_name("podman-build"));
    let run = |args: &[&str]| {
        let mut all = vec![
            "--runtime",
            "runc",
            "run",
            "--rm",
            "--network",
            "none",
            "--cgroup-parent",
            &cgroup.path,
        ];
        all.extend_from_slice(args);
        podman.run(&all)
    };
    assert_eq!(run(&["localhost/interop:v1"]), "hi\n", "its CMD");
    assert_eq!(
        run(&[
            "localhost/interop:v1",
            "sh",
            "-c",
            "id -u; pwd; echo $X; cat /app/a.txt /app/sub/c.txt /extracted/x/inside.txt; readlink /link",
        ]),
        "1000\n/work/sub\n1\naaa\nccc\nfrom the archive\n/hi.txt\n"
    );
}

#[test]
fn the_same_file_tree_as_buildah_bud() {
    let sb = Sandbox::new();
    let ctx = context();
    build(&sb, &ctx, &["-t", "ours"]).ok();
    let ours = our_tree(&sb, "ours");

    let buildah = Buildah::new(sb.dir.path());
    let base = sb.dir.path().join("busybox.tar");
    sb.run(["save", "-o", &base.to_string_lossy(), "busybox"])
        .ok();
    let pulled = buildah.try_run(&["pull", "-q", &format!("docker-archive:{}", base.display())]);
    pulled.unwrap_or_else(|e| panic!("buildah pull: {e}"));
    let dockerfile = ctx.file("Dockerfile");
    let built = buildah.try_run(&[
        "bud",
        "--pull=never",
        "--isolation",
        "chroot",
        "-q",
        "-t",
        "theirs",
        "-f",
        &dockerfile.to_string_lossy(),
        &ctx.path().to_string_lossy(),
    ]);
    built.unwrap_or_else(|e| panic!("buildah bud: {e}"));
    let container = buildah
        .try_run(&["from", "--pull=never", "theirs"])
        .unwrap();
    let mounted = buildah.try_run(&["mount", container.trim()]).unwrap();
    let theirs = dir_tree(Path::new(mounted.trim()));
    buildah.try_run(&["rm", container.trim()]).unwrap();

    let only = |a: &BTreeMap<String, String>, b: &BTreeMap<String, String>| -> Vec<String> {
        a.iter()
            .filter(|(k, v)| b.get(*k) != Some(v))
            .map(|(k, v)| format!("{k}: {v}"))
            .collect()
    };
    assert_eq!(
        (only(&ours, &theirs), only(&theirs, &ours)),
        (Vec::new(), Vec::new()),
        "(ours only, buildah's only)"
    );
    assert!(ours.len() > 20, "a whole image's tree: {ours:?}");
    assert!(
        ours.contains_key("made/deep") && !ours.contains_key("home"),
        "{ours:?}"
    );
}
