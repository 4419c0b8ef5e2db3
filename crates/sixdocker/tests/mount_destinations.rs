//! CVE-2019-19921 through the real `sixdocker`: an image whose symlinks lead onto /proc
//! (`/evilsys -> /proc/sys`, `/evilproc -> /proc`, relative links, chains) cannot carry a
//! `-v` volume there. Each is refused before anything starts, with one line naming the
//! volume and where it leads (exit 125, as the same volume spelt `/proc/sys` is), and leaves
//! no container behind. Ordinary volumes, through symlinks too, still work.

mod common;

use common::{Ran, Sandbox};

/// Commits an image `evil` whose rootfs holds the hostile links.
fn evil_image(sb: &Sandbox) {
    let script = "ln -s /proc/sys /evilsys && ln -s /proc /evilproc && ln -s proc/sys /rel \
         && mkdir /d && ln -s ../proc/sys /d/up && ln -s /evilsys /chain \
         && ln -s /srv/data /data";
    sb.image_from_script("evil", script);
}

/// `run MODE --network none -v VOLUME evil CMD...`
fn run_with(sb: &Sandbox, mode: &str, volume: &str, cmd: &[&str]) -> Ran {
    let args = ["run", mode, "--network", "none", "-v", volume, "evil"];
    sb.run(args.iter().chain(cmd))
}

#[test]
fn volumes_leading_onto_proc_through_symlinks_are_refused_clearly() {
    let sb = Sandbox::new();
    evil_image(&sb);
    let host = sb.dir.path().join("host");
    std::fs::create_dir(&host).unwrap();
    let cases = [
        ("/proc/sys", "volume HOST:/proc/sys: below /proc only"),
        ("/evilsys", "/evilsys leads to /proc/sys in image evil"),
        (
            "/evilproc",
            "/evilproc leads to /proc in image evil, and only a proc mount",
        ),
        ("/rel", "/rel leads to /proc/sys in image evil"),
        ("/d/up", "/d/up leads to /proc/sys in image evil"),
        ("/chain", "/chain leads to /proc/sys in image evil"),
        (
            "/chain/net",
            "/chain/net leads to /proc/sys/net in image evil",
        ),
    ];
    for (destination, want) in cases {
        let volume = format!("{}:{destination}", host.display());
        let want = want.replace("HOST", &host.display().to_string());
        run_with(&sb, "--rm", &volume, &["true"]).fails(125, &want);
        run_with(&sb, "-d", &volume, &["sleep", "60"]).fails(125, &want);
    }
    assert!(
        sb.container_ids().is_empty(),
        "a refused run left a container"
    );
}

#[test]
fn ordinary_volumes_still_work_through_symlinks() {
    let sb = Sandbox::new();
    evil_image(&sb);
    let host = sb.dir.path().join("host");
    std::fs::create_dir(&host).unwrap();
    std::fs::write(host.join("MARK"), "from the host").unwrap();
    let volume = format!("{}:/data", host.display());
    let out = run_with(&sb, "--rm", &volume, &["cat", "/srv/data/MARK"]);
    assert_eq!(out.ok(), "from the host");
    let volume = format!("{}:/proc/meminfo", host.join("MARK").display());
    let out = run_with(&sb, "--rm", &volume, &["cat", "/proc/meminfo"]);
    assert_eq!(
        out.ok(),
        "from the host",
        "the lxcfs files may still be bound"
    );
}
