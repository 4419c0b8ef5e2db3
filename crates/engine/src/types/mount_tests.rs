//! Unit tests of `--mount`, `--tmpfs` and `--volumes-from` parsing: Docker's forms and words.

use super::*;

fn mount(s: &str) -> MountSpec {
    s.parse().unwrap_or_else(|e| panic!("{s}: {e}"))
}

#[test]
fn mounts_of_each_type_parse_as_dockers_cli_reads_them() {
    let m = mount("type=bind,source=/h,target=/c,readonly,bind-propagation=rslave");
    assert_eq!(
        (m.kind, m.source.as_deref(), m.target.to_str(), m.read_only),
        (MountType::Bind, Some("/h"), Some("/c"), true)
    );
    assert_eq!(m.bind_propagation.as_deref(), Some("rslave"));
    let m = mount("src=data,dst=/d,volume-nocopy,volume-label=a=b,volume-opt=type=tmpfs");
    assert_eq!(m.kind, MountType::Volume, "volume is the default type");
    assert!(m.volume_nocopy);
    assert_eq!(m.volume_labels["a"], "b");
    assert_eq!(m.volume_options["type"], "tmpfs");
    let m = mount("type=tmpfs,destination=/t,tmpfs-size=1m,tmpfs-mode=1770,ro=true");
    assert_eq!(m.tmpfs_size, Some(1 << 20));
    assert_eq!(m.tmpfs_mode, Some(0o1770));
    assert_eq!(
        m.tmpfs_options(),
        ["noexec", "nosuid", "nodev", "size=1m", "mode=1770", "ro"]
    );
    assert_eq!(
        mount("type=tmpfs,dst=/t,tmpfs-size=1000").tmpfs_options()[3],
        "size=1000"
    );
    assert_eq!(mount("type=volume,target=/x").source, None);
    let m = mount("\"type=bind\",\"src=/a,b\",dst=/c");
    assert_eq!(
        m.source.as_deref(),
        Some("/a,b"),
        "a quoted field may hold commas"
    );
}

#[test]
fn bad_mounts_get_dockers_words() {
    for (s, want) in [
        ("type=bind,src=/tmp,dst=/x,readonly=maybe", "invalid value for readonly: maybe"),
        ("type=volume,source=v1", "target is required"),
        ("type=tmpfs,target=/x,tmpfs-size=abc", "invalid value for tmpfs-size: abc"),
        ("type=tmpfs,target=/x,tmpfs-mode=999", "invalid value for tmpfs-mode: 999"),
        ("type=volume,src=v1,dst=/x,bind-propagation=shared", "cannot mix 'bind-*' options with mount type 'volume'"),
        ("type=bind,src=/tmp,dst=/x,volume-nocopy", "cannot mix 'volume-*' options with mount type 'bind'"),
        ("type=volume,dst=/x,tmpfs-size=1m", "cannot mix 'tmpfs-*' options with mount type 'volume'"),
        ("type=volume,dst=/x,foo=bar", "unexpected key 'foo' in 'foo=bar'"),
        ("type=volume,dst=/x,bogus", "invalid field 'bogus' must be a key=value pair"),
        ("type=bogus,target=/x", "invalid mount config for type \"bogus\": mount type unknown"),
        ("type=bind,target=/x", "invalid mount config for type \"bind\": field Source must not be empty"),
        ("type=bind,src=rel,dst=/x", "invalid mount config for type \"bind\": invalid mount path: 'rel' mount path must be absolute"),
        ("type=bind,src=/h,dst=/x,bind-propagation=bogus", "invalid mount config for type \"bind\": invalid propagation mode: bogus"),
        ("type=volume,dst=rel", "invalid mount config for type \"volume\": invalid mount path: 'rel' mount path must be absolute"),
        ("type=volume,dst=/x,ro", "must not set ReadOnly mode when using anonymous volumes"),
        ("type=tmpfs,source=x,target=/x", "invalid mount config for type \"tmpfs\": field Source must not be specified"),
        ("type=volume,dst=/", "destination can't be '/'"),
        ("type=bind,\"src=/a,dst=/x", "extraneous or missing \" in quoted-field"),
    ] {
        let e = s.parse::<MountSpec>().unwrap_err().to_string();
        assert!(e.contains(want), "{s}: {e}");
    }
}

#[test]
fn tmpfs_flags_and_their_options() {
    let t: TmpfsSpec = "/run:size=1m,uid=5,exec".parse().unwrap();
    assert_eq!(t.target, PathBuf::from("/run"));
    assert_eq!(
        t.mount_options(),
        ["noexec", "nosuid", "nodev", "size=1m", "uid=5", "exec"]
    );
    assert_eq!("/t".parse::<TmpfsSpec>().unwrap().options, "");
    for (s, want) in [
        (
            "rel",
            "invalid mount path: 'rel' mount path must be absolute",
        ),
        ("/x:bogus", "invalid tmpfs option [\"bogus\"]"),
        ("/x:size", "invalid tmpfs option [\"size\"]"),
        ("/", "destination can't be '/'"),
    ] {
        let e = s.parse::<TmpfsSpec>().unwrap_err().to_string();
        assert!(e.contains(want), "{s}: {e}");
    }
}

#[test]
fn volumes_from_modes() {
    let v: VolumesFrom = "data:ro".parse().unwrap();
    assert_eq!((v.container.as_str(), v.read_only), ("data", true));
    let v: VolumesFrom = "data".parse().unwrap();
    assert!(!v.read_only);
    assert!("data:rw,z".parse::<VolumesFrom>().is_ok());
    let e = "data:bogus".parse::<VolumesFrom>().unwrap_err().to_string();
    assert!(e.contains("invalid mode: bogus"), "{e}");
    assert!("data:rshared".parse::<VolumesFrom>().is_err());
    assert!("data:ro,rw".parse::<VolumesFrom>().is_err());
}
