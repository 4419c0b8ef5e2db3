//! The kind of every lower crate's error the engine hands out or wraps (six-runtime,
//! six-cgroups, six-image, six-network, six-registry), variant by variant, and the HTTP
//! status of each kind.

use super::*;
use crate::error::tests::{os, runtime_cgroup_error, s};

#[test]
fn runtime_errors_are_classified() {
    use six_runtime::Error as R;
    let cases: Vec<(R, ErrorKind)> = vec![
        (R::InvalidId(s("..")), InvalidArgument),
        (R::Exists(s("web")), Conflict),
        (R::NotFound(s("web")), NotFound),
        (R::NoBundle("/b".into()), InvalidArgument),
        (
            R::Config {
                path: "/b/config.json".into(),
                msg: s("not JSON"),
            },
            InvalidArgument,
        ),
        (
            R::Invalid {
                id: s("web"),
                msg: s("no process"),
            },
            InvalidArgument,
        ),
        (
            R::WrongState {
                id: s("web"),
                status: s("stopped"),
                what: s("cannot start"),
            },
            Conflict,
        ),
        (
            R::Setup {
                id: s("web"),
                msg: s("clone"),
            },
            Internal,
        ),
        (
            R::Hook {
                id: s("web"),
                hook: "prestart",
                path: "/h".into(),
                msg: s("exit 1"),
            },
            Internal,
        ),
        (
            R::Io {
                what: "reading",
                path: "/x".into(),
                source: os(libc::EIO),
            },
            Internal,
        ),
        (
            R::Sys {
                what: s("setns"),
                source: nix::Error::EPERM,
            },
            Internal,
        ),
        (R::Threaded(3), Internal),
        (runtime_cgroup_error(), Internal),
        (
            R::Cgroup {
                id: s("web"),
                source: six_cgroups::Error::BadPath {
                    path: s("../x"),
                    reason: "leads out",
                },
            },
            InvalidArgument,
        ),
    ];
    for (e, kind) in &cases {
        assert_eq!(e.kind(), *kind, "{e:?}");
    }
    // Unsealed (its error cannot be made outside six-runtime): a refusal of the host, 500.
    if let Err(e) = six_runtime::sealed_exe::check() {
        assert_eq!(R::Unsealed(e).kind(), Internal);
    }
}

#[test]
fn cgroup_errors_are_classified() {
    use six_cgroups::Error as C;
    let dir = || std::path::PathBuf::from("/sys/fs/cgroup/x");
    let cases: Vec<(C, ErrorKind)> = vec![
        (
            C::BadPath {
                path: s(".."),
                reason: "leads out",
            },
            InvalidArgument,
        ),
        (
            C::SubCgroup {
                value: s("../x"),
                reason: "leads out",
            },
            InvalidArgument,
        ),
        (
            C::BadValue {
                what: "cpu.weight",
                value: s("0"),
                expected: "1-10000",
            },
            InvalidArgument,
        ),
        (
            C::Unsupported {
                what: s("rdma"),
                context: "on cgroup v1",
            },
            InvalidArgument,
        ),
        (
            C::Write {
                file: s("pids.max"),
                value: s("1"),
                dir: dir(),
                source: os(libc::EBUSY),
            },
            Internal,
        ),
        (
            C::Read {
                path: dir(),
                source: os(libc::EIO),
            },
            Internal,
        ),
        (
            C::Parse {
                path: dir(),
                content: s("x"),
                expected: "a number",
            },
            Internal,
        ),
        (
            C::Create {
                path: dir(),
                source: os(libc::EACCES),
            },
            Internal,
        ),
        (
            C::Remove {
                path: dir(),
                source: os(libc::EBUSY),
            },
            Internal,
        ),
        (
            C::Join {
                path: dir(),
                source: os(libc::EBUSY),
            },
            Internal,
        ),
        (C::NoHierarchy, Internal),
        (
            C::Timeout {
                dir: dir(),
                state: "FROZEN",
                waited_ms: 2000,
            },
            Internal,
        ),
        (
            C::DeviceFilter {
                step: "attaching",
                dir: dir(),
                source: os(libc::EPERM),
            },
            Internal,
        ),
    ];
    for (e, kind) in &cases {
        assert_eq!(e.kind(), *kind, "{e:?}");
    }
}

#[test]
fn image_errors_are_classified() {
    use six_image::Error as I;
    let cases: Vec<(I, ErrorKind)> = vec![
        (
            I::Io {
                context: s("writing x"),
                source: os(libc::EIO),
            },
            Internal,
        ),
        (I::NotFound(s("nginx")), NotFound),
        (
            I::Ambiguous {
                prefix: s("ab"),
                count: 2,
            },
            InvalidArgument,
        ),
        (
            I::BadReference {
                reference: s("UP"),
                reason: s("lowercase"),
            },
            InvalidArgument,
        ),
        (
            I::UnsafeEntry {
                entry: s("../x"),
                reason: s("leads out"),
            },
            InvalidArgument,
        ),
        (
            I::CorruptArchive {
                what: s("layer"),
                detail: s("truncated"),
            },
            InvalidArgument,
        ),
        (
            I::DigestMismatch {
                what: s("layer"),
                expected: s("a"),
                actual: s("b"),
            },
            InvalidArgument,
        ),
        (I::InUse { image: s("x") }, Conflict),
        (
            I::MultipleNames {
                image: s("x"),
                names: s("a, b"),
            },
            Conflict,
        ),
        (
            I::DamagedStore {
                path: s("/s/repositories.json"),
                detail: s("bad JSON"),
            },
            Internal,
        ),
        (
            I::DiskFull {
                reason: "disk full",
                store: s("/s"),
                doing: s("writing"),
            },
            Internal,
        ),
        (
            I::Mount {
                context: s("mounting overlay"),
                source: nix::Error::EINVAL,
            },
            Internal,
        ),
    ];
    for (e, kind) in &cases {
        assert_eq!(e.kind(), *kind, "{e:?}");
    }
}

#[test]
fn network_errors_are_classified() {
    use six_network::Error as N;
    let net = || s("n");
    let cases: Vec<(N, ErrorKind)> = vec![
        (
            N::InvalidSubnet {
                value: s("x"),
                reason: s("not CIDR"),
            },
            InvalidArgument,
        ),
        (N::InvalidName(s("-n")), InvalidArgument),
        (N::InvalidContainerId(s("a b")), InvalidArgument),
        (N::UnsupportedDriver(s("overlay")), InvalidArgument),
        (
            N::GatewayOutsideSubnet {
                gateway: s("10.1.0.1"),
                subnet: s("10.0.0.0/24"),
            },
            InvalidArgument,
        ),
        (
            N::GatewayReserved {
                gateway: s("10.0.0.0"),
                subnet: s("10.0.0.0/24"),
            },
            InvalidArgument,
        ),
        (N::NameInUse(net()), Conflict),
        (N::UnknownNetwork(net()), NotFound),
        (
            N::SubnetOverlap {
                subnet: s("10.0.0.0/24"),
                other: s("10.0.0.0/16"),
            },
            Forbidden,
        ),
        (N::PoolExhausted(net()), Unavailable),
        (
            N::AddressesExhausted {
                network: net(),
                subnet: s("10.0.0.0/30"),
            },
            Unavailable,
        ),
        (
            N::InUse {
                network: net(),
                containers: s("web"),
            },
            Forbidden,
        ),
        (N::DefaultNetwork(s("bridge")), Forbidden),
        (
            N::AlreadyAttached {
                network: net(),
                container: s("web"),
            },
            Conflict,
        ),
        (
            N::NotAttached {
                network: net(),
                container: s("web"),
            },
            Conflict,
        ),
        (
            N::InvalidPort {
                value: s("0"),
                reason: s("port 0"),
            },
            InvalidArgument,
        ),
        (
            N::NotHostAddress {
                value: s("1.2.3.4:80:80"),
                address: s("1.2.3.4"),
            },
            InvalidArgument,
        ),
        (N::PortPublished(s("8080")), Conflict),
        (
            N::PortInUse {
                port: s("8080"),
                source: os(libc::EADDRINUSE),
            },
            Conflict,
        ),
        (N::NoFreePort(s("80/tcp")), Unavailable),
        (N::InternalPorts(net()), InvalidArgument),
        (
            N::Netns {
                path: "/proc/1/ns/net".into(),
                source: os(libc::ENOENT),
            },
            Internal,
        ),
        (
            N::Netlink {
                what: s("adding a veth"),
                source: os(libc::EEXIST),
            },
            Internal,
        ),
        (
            N::Io {
                what: s("writing"),
                source: os(libc::EIO),
            },
            Internal,
        ),
        (N::InvalidFirewallBackend(s("nft")), InvalidArgument),
        (
            N::Firewall {
                backend: "iptables",
                what: s("exit 4"),
            },
            Internal,
        ),
        (
            N::Record {
                path: "/n/x.json".into(),
                reason: s("bad JSON"),
            },
            Internal,
        ),
    ];
    for (e, kind) in &cases {
        assert_eq!(e.kind(), *kind, "{e:?}");
    }
}

#[test]
fn registry_errors_are_classified() {
    use six_registry::Error as G;
    let http = |status| G::Http {
        method: "GET",
        url: s("https://r/v2/"),
        status,
        detail: s(""),
    };
    let reference = six_registry::Reference::parse("UP").unwrap_err();
    assert_eq!(reference.kind(), InvalidArgument);
    let cases: Vec<(G, ErrorKind)> = vec![
        (G::Reference(reference), InvalidArgument),
        (
            G::Connect {
                method: "GET",
                url: s("https://r/v2/"),
                detail: s("connection refused"),
            },
            Unavailable,
        ),
        (
            G::ManifestUnknown {
                reference: s("x:1"),
            },
            NotFound,
        ),
        (
            G::AccessDenied {
                action: "pull",
                repository: s("x"),
                detail: s("denied"),
            },
            NotFound,
        ),
        (
            G::AccessDenied {
                action: "push",
                repository: s("x"),
                detail: s("denied"),
            },
            Forbidden,
        ),
        (
            G::Unauthorized {
                registry: s("r"),
                detail: s("bad password"),
            },
            Unauthorized,
        ),
        (http(404), NotFound),
        (http(401), Unauthorized),
        (http(403), Forbidden),
        (http(429), Unavailable),
        (http(503), Unavailable),
        (http(500), Internal),
        (
            G::DigestMismatch {
                what: s("layer"),
                expected: s("a"),
                actual: s("b"),
            },
            Internal,
        ),
        (
            G::Truncated {
                what: s("layer"),
                expected: 10,
                got: 5,
            },
            Internal,
        ),
        (
            G::NoMatchingPlatform {
                platform: s("linux/arm64"),
                available: s("linux/amd64"),
            },
            NotFound,
        ),
        (
            G::WrongPlatform {
                reference: s("x"),
                wanted: s("linux/arm64"),
                actual: s("linux/amd64"),
            },
            NotFound,
        ),
        (
            G::Invalid {
                what: s("manifest"),
                detail: s("bad JSON"),
            },
            Internal,
        ),
        (
            G::Io {
                context: s("reading config.json"),
                source: os(libc::EACCES),
            },
            Internal,
        ),
        (G::Store(six_image::Error::NotFound(s("x"))), NotFound),
        (G::Usage(s("--platform x")), InvalidArgument),
        (G::Cancelled, Internal),
    ];
    for (e, kind) in &cases {
        assert_eq!(e.kind(), *kind, "{e:?}");
    }
}

#[test]
fn kinds_have_dockers_http_status() {
    let statuses = [
        (NotFound, 404),
        (InvalidArgument, 400),
        (Conflict, 409),
        (Unauthorized, 401),
        (Forbidden, 403),
        (NotImplemented, 501),
        (Unavailable, 503),
        (Internal, 500),
    ];
    for (kind, status) in statuses {
        assert_eq!(kind.http_status(), status, "{kind:?}");
    }
}
