//! Unit tests of mount planning: precedence, duplicates, anonymous names.

use super::*;
use crate::mount_points::ANONYMOUS_LABEL;

fn plan_with(r: &RunRequest, image_volumes: &[String], from: Vec<From>) -> Result<Vec<MountPoint>> {
    let mut n = 0;
    let mut new_volume = move || {
        n += 1;
        Ok(format!("anon{n}"))
    };
    let data_dir = |name: &str| PathBuf::from(format!("/v/{name}/_data"));
    let namer = Namer {
        new_volume: &mut new_volume,
        data_dir: &data_dir,
    };
    plan(r, image_volumes, from, namer)
}

fn plan_of(r: &RunRequest, image_volumes: &[String]) -> Result<Vec<MountPoint>> {
    plan_with(r, image_volumes, Vec::new())
}

fn req(volumes: &[&str]) -> RunRequest {
    RunRequest {
        volumes: volumes.iter().map(|v| v.parse().unwrap()).collect(),
        ..Default::default()
    }
}

fn summary(p: &[MountPoint]) -> Vec<(MountKind, &str, &str, bool, bool)> {
    p.iter()
        .map(|m| {
            (
                m.kind,
                m.name.as_str(),
                m.destination.to_str().unwrap(),
                m.anonymous,
                m.copy_up,
            )
        })
        .collect()
}

#[test]
fn binds_named_and_anonymous_volumes_and_image_volumes() {
    let r = req(&["/h:/b:ro", "data:/d:nocopy", "/a"]);
    let p = plan_of(&r, &["/img".into(), "/d".into()]).unwrap();
    assert_eq!(
        summary(&p),
        [
            (MountKind::Bind, "", "/b", false, false),
            (MountKind::Volume, "data", "/d", false, false),
            (MountKind::Volume, "anon1", "/a", true, true),
            (MountKind::Volume, "anon2", "/img", true, true),
        ]
    );
    assert!(p[0].read_only);
    assert_eq!(p[0].propagation, "rprivate");
    assert_eq!(p[1].source, PathBuf::from("/v/data/_data"));
    assert_eq!(
        p[2].new_volume_labels().keys().collect::<Vec<_>>(),
        [ANONYMOUS_LABEL]
    );
}

#[test]
fn an_anonymous_volume_under_a_user_mount_is_dropped_and_duplicates_refused() {
    let p = plan_of(&req(&["/data", "v1:/data/"]), &["/data".into()]).unwrap();
    assert_eq!(p.len(), 1);
    assert_eq!(p[0].name, "v1");
    let e = plan_of(&req(&["v1:/data", "/h:/data"]), &[]).unwrap_err();
    assert_eq!(e.to_string(), "Duplicate mount point: /data");
    let e = plan_of(&req(&["bad/x:/data"]), &[]).unwrap_err();
    assert!(
        e.to_string()
            .starts_with("create bad/x: \"bad/x\" includes invalid characters"),
        "{e}"
    );
}

#[test]
fn mount_flags_tmpfs_and_volumes_from() {
    let mut r = req(&["v1:/x"]);
    r.mounts = vec![
        "type=bind,src=/h,dst=/b,bind-propagation=rslave,bind-nonrecursive"
            .parse()
            .unwrap(),
        "type=volume,dst=/anon".parse().unwrap(),
        "type=volume,src=named,dst=/n,volume-nocopy,volume-label=a=b"
            .parse()
            .unwrap(),
        "type=tmpfs,dst=/t,tmpfs-size=1k".parse().unwrap(),
    ];
    r.tmpfs = vec!["/run:ro,size=1m".parse().unwrap()];
    let from = From {
        mounts: vec![
            MountPoint::volume(
                "shared".into(),
                "/v/shared/_data".into(),
                Path::new("/s"),
                false,
                true,
            ),
            MountPoint::volume(
                "old".into(),
                "/v/old/_data".into(),
                Path::new("/x"),
                false,
                false,
            ),
        ],
        read_only: true,
    };
    let p = plan_with(&r, &["/t".into()], vec![from]).unwrap();
    assert_eq!(
        summary(&p),
        [
            (MountKind::Volume, "shared", "/s", true, false),
            (MountKind::Volume, "v1", "/x", false, true),
            (MountKind::Bind, "", "/b", false, false),
            (MountKind::Volume, "anon1", "/anon", true, true),
            (MountKind::Volume, "named", "/n", false, false),
            (MountKind::Tmpfs, "", "/t", false, false),
            (MountKind::Tmpfs, "", "/run", false, false),
        ]
    );
    assert!(p[0].read_only, "volumes-from :ro");
    assert!(!p[1].read_only, "-v replaces the volumes-from mount at /x");
    assert_eq!(
        (p[2].propagation.as_str(), p[2].non_recursive),
        ("rslave", true)
    );
    assert_eq!(p[4].new_volume_labels()["a"], "b");
    assert_eq!(p[5].tmpfs_options, ["noexec", "nosuid", "nodev", "size=1k"]);
    assert!(p[6].read_only);
    let mut dup = req(&["/h:/t"]);
    dup.tmpfs = vec!["/t".parse().unwrap()];
    assert_eq!(
        plan_of(&dup, &[]).unwrap_err().to_string(),
        "Duplicate mount point: /t"
    );
    let mut bad = RunRequest {
        mounts: vec!["type=volume,dst=/x,volume-opt=bogus=1".parse().unwrap()],
        ..Default::default()
    };
    let e = plan_of(&bad, &[]).unwrap_err().to_string();
    assert_eq!(e, "create anon1: invalid option: \"bogus\"");
    bad.mounts = vec!["type=volume,src=v,dst=/x,volume-driver=foo"
        .parse()
        .unwrap()];
    let e = plan_of(&bad, &[]).unwrap_err().to_string();
    assert_eq!(
        e,
        "create v: error looking up volume plugin foo: plugin \"foo\" not found"
    );
}
