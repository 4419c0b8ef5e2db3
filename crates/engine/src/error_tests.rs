//! The kind of each of the engine's own errors, their exit codes, and the one-line chain:
//! each cause once. (The lower crates' kinds: `error_kind_tests.rs`.)

use std::error::Error as StdError;
use std::io;

use super::*;
use crate::error_kind::ErrorKind::{self, *};

pub(crate) fn os(errno: i32) -> io::Error {
    io::Error::from_raw_os_error(errno)
}

pub(crate) fn s(text: &str) -> String {
    text.to_owned()
}

pub(crate) fn runtime_cgroup_error() -> six_runtime::Error {
    six_runtime::Error::Cgroup {
        id: s("web"),
        source: six_cgroups::Error::Write {
            file: s("pids.max"),
            value: s("10"),
            dir: "/sys/fs/cgroup/web".into(),
            source: os(libc::EINVAL),
        },
    }
}

#[test]
fn every_engine_error_has_dockers_kind() {
    let cases: Vec<(Error, ErrorKind)> = vec![
        (
            Error::Type(crate::types::TypeError::new("memory size", "10x", "a size")),
            InvalidArgument,
        ),
        (Error::NoSuchContainer(s("x")), NotFound),
        (
            Error::AmbiguousPrefix {
                prefix: s("ab"),
                count: 2,
            },
            InvalidArgument,
        ),
        (
            Error::NameInUse {
                name: s("web"),
                id: s("abc"),
            },
            Conflict,
        ),
        (Error::Running { name: s("web") }, Conflict),
        (Error::NotRunning { name: s("web") }, Conflict),
        (
            Error::CommandNotFound {
                cmd: s("nginx"),
                image: s("busybox"),
            },
            InvalidArgument,
        ),
        (
            Error::NotExecutable {
                cmd: s("/etc"),
                image: s("busybox"),
            },
            InvalidArgument,
        ),
        (
            Error::Invalid(s("--memory-swap needs --memory")),
            InvalidArgument,
        ),
        (
            Error::Conflict(s("container web is being created")),
            Conflict,
        ),
        (
            Error::Unsupported(s("configured logging driver")),
            NotImplemented,
        ),
        (
            Error::StartFailed {
                code: 127,
                message: s("nginx: not found in image busybox"),
            },
            InvalidArgument,
        ),
        (
            Error::StartFailed {
                code: 126,
                message: s("x: permission denied"),
            },
            InvalidArgument,
        ),
        (
            Error::StartFailed {
                code: 125,
                message: s("container web: cgroup"),
            },
            Internal,
        ),
        (Error::io("reading /x", os(libc::ENOSPC)), Internal),
        (
            Error::io(
                "locking /x",
                io::Error::new(io::ErrorKind::TimedOut, "held"),
            ),
            Unavailable,
        ),
        (Error::sys("creating /w", nix::Error::ENOTDIR), Internal),
        (Error::Corrupt(s("reading state.json")), Internal),
        (Error::Internal(s("the monitor went away")), Internal),
        (
            Error::Runtime(six_runtime::Error::NotFound(s("web"))),
            NotFound,
        ),
        (
            Error::Image(six_image::Error::NotFound(s("nginx"))),
            NotFound,
        ),
        (
            Error::Network(six_network::Error::UnknownNetwork(s("n"))),
            NotFound,
        ),
        (
            Error::Image(six_image::Error::InUse { image: s("x") }).context("removing x"),
            Conflict,
        ),
        (
            Error::NoSuchContainer(s("x")).context("a").context("b"),
            NotFound,
        ),
    ];
    for (e, kind) in &cases {
        assert_eq!(e.kind(), *kind, "{e:?}");
        assert_eq!(Classify::kind(e), *kind, "{e:?}");
    }
}

#[test]
fn exit_codes_are_unchanged_by_context() {
    let e = Error::CommandNotFound {
        cmd: s("x"),
        image: s("busybox"),
    };
    assert_eq!(e.exit_code(), 127);
    assert_eq!(e.context("starting web").exit_code(), 127);
    assert_eq!(Error::from(runtime_cgroup_error()).exit_code(), 125);
}

/// Every wrapper of the crates' error types: its message never quotes its source, so a
/// chain printed link by link says each cause once.
#[test]
fn no_message_repeats_its_source() {
    let wrappers: Vec<Box<dyn StdError>> = vec![
        Box::new(Error::io("reading /x", os(libc::ENOENT))),
        Box::new(Error::sys("creating /w", nix::Error::ENOTDIR)),
        Box::new(Error::NoSuchContainer(s("x")).context("removing x")),
        Box::new(Error::from(runtime_cgroup_error())),
        Box::new(runtime_cgroup_error()),
        Box::new(six_runtime::Error::Io {
            what: "reading",
            path: "/x".into(),
            source: os(libc::EIO),
        }),
        Box::new(six_runtime::Error::Sys {
            what: s("setns"),
            source: nix::Error::EPERM,
        }),
        Box::new(six_cgroups::Error::Join {
            path: "/sys/fs/cgroup/x/cgroup.procs".into(),
            source: os(libc::EBUSY),
        }),
        Box::new(six_image::Error::Io {
            context: s("writing x"),
            source: os(libc::ENOSPC),
        }),
        Box::new(six_image::Error::Mount {
            context: s("mounting overlay"),
            source: nix::Error::EINVAL,
        }),
        Box::new(six_network::Error::Netns {
            path: "/proc/1/ns/net".into(),
            source: os(libc::ENOENT),
        }),
        Box::new(six_network::Error::PortInUse {
            port: s("8080"),
            source: os(libc::EADDRINUSE),
        }),
        Box::new(six_registry::Error::Io {
            context: s("reading config.json"),
            source: os(libc::EACCES),
        }),
        Box::new(six_registry::Error::Store(six_image::Error::Io {
            context: s("writing blob"),
            source: os(libc::ENOSPC),
        })),
    ];
    for e in &wrappers {
        let mut link: &dyn StdError = e.as_ref();
        let mut seen = 0;
        while let Some(source) = link.source() {
            let (outer, inner) = (link.to_string(), source.to_string());
            assert!(
                !outer.contains(&inner),
                "{outer:?} repeats its source {inner:?}"
            );
            link = source;
            seen += 1;
        }
        assert!(seen > 0, "{e:?} has no source");
    }
}

#[test]
fn a_chain_says_each_cause_once() {
    let e = Error::from(runtime_cgroup_error()).context("starting container web");
    assert_eq!(
        Chain(&e).to_string(),
        "starting container web: container web: cgroup: pids.max: cannot set 10 for \
         /sys/fs/cgroup/web: Invalid argument (os error 22)"
    );
    let plain = Error::NoSuchContainer(s("nope"));
    assert_eq!(Chain(&plain).to_string(), "no such container: nope");
    let registry = six_registry::Error::Store(six_image::Error::Io {
        context: s("writing blob"),
        source: os(libc::ENOSPC),
    });
    assert_eq!(
        Chain(&registry).to_string(),
        "writing blob: No space left on device (os error 28)"
    );
}
