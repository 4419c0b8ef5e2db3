//! Docker's own cases (distribution/reference normalize_test.go and reference_test.go),
//! and the messages `docker pull` prints for bad names.

use super::*;

const HEX: &str = "86e0e091d0da6bde2456dbb48306f3956bbeb2eae1b5b9a43045843f69fe4aaa";

fn p(s: &str) -> Reference {
    Reference::parse(s).unwrap_or_else(|e| panic!("{s}: {e}"))
}

fn err(s: &str) -> String {
    match Reference::parse(s) {
        Ok(r) => panic!("{s:?} accepted as {r}"),
        Err(e) => e.to_string(),
    }
}

#[test]
fn valid_repository_names() {
    for name in [
        "docker/docker",
        "library/debian",
        "debian",
        "docker.io/docker/docker",
        "docker.io/library/debian",
        "docker.io/debian",
        "index.docker.io/docker/docker",
        "index.docker.io/library/debian",
        "index.docker.io/debian",
        "127.0.0.1:5000/docker/docker",
        "127.0.0.1:5000/library/debian",
        "127.0.0.1:5000/debian",
        "192.168.0.1",
        "192.168.0.1:80",
        "192.168.0.1:8/debian",
        "192.168.0.2:25000/debian",
        "thisisthesongthatneverendsitgoesonandonandonthisisthesongthatnev",
        "[fc00::1]:5000/docker",
        "[fc00::1]:5000/docker/docker",
        "[fc00:1:2:3:4:5:6:7]:5000/library/debian",
        "docker.io/1a3f5e7d9c1b3a5f7e9d1c3b5a7f9e1d3c5b7a9f1e3d5d7c9b1a3f5e7d9c1b3a",
        "Docker/docker",
        "DOCKER/docker",
        "docker-rules/docker",
        "docker---rules/docker",
        "doc/docker",
        "d/docker",
        "jess/t",
        "dock__er/docker",
    ] {
        p(name);
    }
}

#[test]
fn invalid_repository_names() {
    for name in [
        "https://github.com/docker/docker",
        "docker/Docker",
        "-docker",
        "-docker/docker",
        "-docker.io/docker/docker",
        "docker///docker",
        "docker.io/docker/Docker",
        "docker.io/docker///docker",
        "[fc00::1]",
        "[fc00::1]:5000",
        "fc00::1:5000/debian",
        "[fe80::1%eth0]:5000/debian",
        "[2001:db8:3:4::192.0.2.33]:5000/debian",
        "1a3f5e7d9c1b3a5f7e9d1c3b5a7f9e1d3c5b7a9f1e3d5d7c9b1a3f5e7d9c1b3a",
        "docker-/docker",
        "-docker-/docker",
        "____/____",
        "_docker/_docker",
        "dock..er/docker",
        "dock_.er/docker",
        "dock-.er/docker",
        "docker/",
        "",
        "a:b:c",
        "busybox:",
        "busybox:-x",
        "busybox:.x",
        "busybox@sha256:abc",
        "busybox@",
        "a//b",
    ] {
        err(name);
    }
    let long = format!("{}/docker", "a".repeat(300));
    assert_eq!(
        err(&long),
        "repository name must not be more than 255 characters"
    );
}

#[test]
fn normalises_domain_and_path_as_docker() {
    for (input, domain, path) in [
        ("test.com/foo", "test.com", "foo"),
        ("test_com/foo", "docker.io", "test_com/foo"),
        ("docker/migrator", "docker.io", "docker/migrator"),
        ("test.com:8080/foo", "test.com:8080", "foo"),
        ("test-com:8080/foo", "test-com:8080", "foo"),
        ("foo", "docker.io", "library/foo"),
        ("xn--n3h.com/foo", "xn--n3h.com", "foo"),
        ("xn--n3h.com:18080/foo", "xn--n3h.com:18080", "foo"),
        ("docker.io/foo", "docker.io", "library/foo"),
        ("docker.io/library/foo", "docker.io", "library/foo"),
        ("docker.io/library/foo/bar", "docker.io", "library/foo/bar"),
        ("localhost/foo", "localhost", "foo"),
        ("localhost:5000/foo", "localhost:5000", "foo"),
        ("Foo/bar", "Foo", "bar"),
        ("[::1]:5000/foo", "[::1]:5000", "foo"),
    ] {
        let r = p(input);
        assert_eq!((r.domain(), r.path()), (domain, path), "{input}");
    }
}

#[test]
fn familiar_and_full_names() {
    for (familiar, full, ambiguous) in [
        (
            "fooo/bar",
            "docker.io/fooo/bar",
            Some("index.docker.io/fooo/bar"),
        ),
        ("ubuntu", "docker.io/library/ubuntu", Some("library/ubuntu")),
        ("nonlibrary/ubuntu", "docker.io/nonlibrary/ubuntu", None),
        ("other/library", "docker.io/other/library", None),
        (
            "127.0.0.1:8000/private/moonbase",
            "127.0.0.1:8000/private/moonbase",
            None,
        ),
        (
            "127.0.0.1:8000/privatebase",
            "127.0.0.1:8000/privatebase",
            None,
        ),
        (
            "example.com:8000/privatebasee",
            "example.com:8000/privatebasee",
            None,
        ),
        (
            "ubuntu-12.04-base",
            "docker.io/library/ubuntu-12.04-base",
            Some("index.docker.io/library/ubuntu-12.04-base"),
        ),
        ("foo", "docker.io/library/foo", Some("docker.io/foo")),
        ("library/foo/bar", "docker.io/library/foo/bar", None),
        ("store/foo/bar", "docker.io/store/foo/bar", None),
        ("Foo/bar", "Foo/bar", None),
        ("FOO/bar", "FOO/bar", None),
    ] {
        for input in [Some(familiar), Some(full), ambiguous]
            .into_iter()
            .flatten()
        {
            let r = p(input);
            assert_eq!(r.familiar_name(), familiar, "{input}");
            assert_eq!(r.name(), full, "{input}");
            assert_eq!(r.to_string(), full, "{input}");
        }
    }
}

#[test]
fn tags_digests_and_the_default_tag() {
    let both = format!("busybox:latest@sha256:{HEX}");
    let r = p(&both);
    assert_eq!(r.to_string(), format!("docker.io/library/{both}"));
    assert_eq!(r.familiar_string(), both);
    assert_eq!(r.tag(), Some("latest"));
    assert_eq!(r.tag_or_digest(), format!("sha256:{HEX}"));

    let r = p("busybox").with_default_tag();
    assert_eq!(r.to_string(), "docker.io/library/busybox:latest");
    assert_eq!(r.familiar_string(), "busybox:latest");
    let pinned = p(&format!("busybox@sha256:{HEX}")).with_default_tag();
    assert_eq!(pinned.tag(), None, "a digest reference gets no tag");

    let r = p("localhost:5000/app:v1.2_rc-3");
    assert_eq!(
        (r.domain(), r.path(), r.tag()),
        ("localhost:5000", "app", Some("v1.2_rc-3"))
    );
    assert_eq!(r.familiar_string(), "localhost:5000/app:v1.2_rc-3");
    assert_eq!(
        p("192.168.0.1:80").to_string(),
        "docker.io/library/192.168.0.1:80"
    );
    assert_eq!(
        p(&format!("x:{}", "t".repeat(128))).tag().map(str::len),
        Some(128)
    );
    err(&format!("x:{}", "t".repeat(129)));
    assert_eq!(
        p("x").with_tag("-bad").unwrap_err(),
        ReferenceError::TagFormat
    );
    assert_eq!(
        p("x").with_tag("v2").unwrap().to_string(),
        "docker.io/library/x:v2"
    );
}

#[test]
fn docker_messages_for_bad_references() {
    assert_eq!(
        err("Foo"),
        "invalid reference format: repository name (library/Foo) must be lowercase"
    );
    assert_eq!(
        err("docker.io/docker/Docker"),
        "invalid reference format: repository name (docker/Docker) must be lowercase"
    );
    assert_eq!(err("a:b:c"), "invalid reference format");
    assert_eq!(err("busybox:-x"), "invalid reference format");
    assert_eq!(err(""), "invalid reference format");
    assert_eq!(
        err(&HEX[..64]),
        format!("invalid repository name ({HEX}), cannot specify 64-byte hexadecimal strings")
    );
    assert_eq!(
        err(&format!("busybox@sha256:{}", &HEX[..40])),
        "invalid checksum digest length"
    );
    assert_eq!(
        err(&format!("busybox@md5:{}", &HEX[..32])),
        "unsupported digest algorithm"
    );
    assert_eq!(
        err(&format!("busybox@sha256:{}", HEX.to_uppercase())),
        "invalid checksum digest format"
    );
}

#[test]
fn digest_validation() {
    assert_eq!(validate_digest(&format!("sha256:{HEX}")), Ok(()));
    assert_eq!(validate_digest(&format!("sha512:{HEX}{HEX}")), Ok(()));
    assert_eq!(validate_digest("sha256"), Err(ReferenceError::DigestFormat));
    assert_eq!(
        validate_digest("sha256:"),
        Err(ReferenceError::DigestFormat)
    );
    assert_eq!(
        validate_digest("sha256:abc"),
        Err(ReferenceError::DigestLength)
    );
    assert_eq!(
        validate_digest(&format!("foo:{HEX}")),
        Err(ReferenceError::DigestUnsupported)
    );
}
