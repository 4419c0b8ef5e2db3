//! Unit tests of the compiler: programs are run in the test interpreter on made-up
//! syscalls, so each test checks what a filter decides, on every ABI it covers.

use super::*;
use crate::interp::{run, Data};
use crate::{docker_default, parse_profile};

const X86_64: u32 = 0xc000_003e;
const I386: u32 = 0x4000_0003;
const AARCH64: u32 = 0xc000_00b7;
const EPERM: u32 = RET_ERRNO | 1;

fn program(json: &str) -> Program {
    compile(&parse_profile(json).unwrap()).unwrap()
}

fn call(p: &Program, arch: u32, nr: u32, args: [u64; 6]) -> u32 {
    run(p.instructions(), &Data { nr, arch, args })
}

fn nr(name: &str) -> u32 {
    Target::X86_64.number(name).unwrap()
}

#[test]
fn default_action_and_errno_apply_to_everything_unlisted() {
    let p = program(
        r#"{"defaultAction": "SCMP_ACT_ERRNO", "defaultErrnoRet": 38, "syscalls": [{"names": ["getpid"], "action": "SCMP_ACT_ALLOW"}]}"#,
    );
    assert_eq!(call(&p, X86_64, nr("getpid"), [0; 6]), RET_ALLOW);
    assert_eq!(call(&p, X86_64, nr("getppid"), [0; 6]), RET_ERRNO | 38);
    assert_eq!(call(&p, X86_64, 0x3fff_ffff, [0; 6]), RET_ERRNO | 38);
    let p = program(
        r#"{"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["getpid"], "action": "SCMP_ACT_ERRNO"}]}"#,
    );
    assert_eq!(
        call(&p, X86_64, nr("getpid"), [0; 6]),
        EPERM,
        "errnoRet defaults to EPERM"
    );
    assert_eq!(call(&p, X86_64, nr("read"), [0; 6]), RET_ALLOW);
}

#[test]
fn every_action_has_its_kernel_value() {
    for (action, extra, want) in [
        ("SCMP_ACT_KILL", "", RET_KILL_THREAD),
        ("SCMP_ACT_KILL_THREAD", "", RET_KILL_THREAD),
        ("SCMP_ACT_KILL_PROCESS", "", RET_KILL_PROCESS),
        ("SCMP_ACT_TRAP", "", RET_TRAP),
        ("SCMP_ACT_TRACE", r#", "errnoRet": 7"#, RET_TRACE | 7),
        ("SCMP_ACT_LOG", "", RET_LOG),
        ("SCMP_ACT_ERRNO", r#", "errnoRet": 13"#, RET_ERRNO | 13),
    ] {
        let p = program(&format!(
            r#"{{"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{{"names": ["getpid"], "action": "{action}"{extra}}}]}}"#
        ));
        assert_eq!(call(&p, X86_64, nr("getpid"), [0; 6]), want, "{action}");
    }
}

#[test]
fn other_abis_and_x32_numbers_are_killed_unless_listed() {
    let p = program(
        r#"{"defaultAction": "SCMP_ACT_ERRNO", "syscalls": [{"names": ["mount", "getpid"], "action": "SCMP_ACT_ALLOW"}]}"#,
    );
    assert_eq!(call(&p, I386, 21, [0; 6]), RET_KILL_PROCESS);
    assert_eq!(call(&p, AARCH64, 40, [0; 6]), RET_KILL_PROCESS);
    assert_eq!(
        call(&p, X86_64, nr("getpid") | X32_SYSCALL_BIT, [0; 6]),
        RET_KILL_PROCESS,
        "x32 not listed"
    );
    assert_eq!(call(&p, X86_64, u32::MAX, [0; 6]), EPERM, "-1 is not x32");
    let p = program(
        r#"{"defaultAction": "SCMP_ACT_ERRNO", "architectures": ["SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32", "SCMP_ARCH_MIPS"],
            "syscalls": [{"names": ["mount", "getpid", "arch_prctl"], "action": "SCMP_ACT_ALLOW"}]}"#,
    );
    assert_eq!(call(&p, I386, 21, [0; 6]), RET_ALLOW, "i386 mount");
    assert_eq!(call(&p, I386, 20, [0; 6]), RET_ALLOW, "i386 getpid");
    assert_eq!(call(&p, I386, 22, [0; 6]), EPERM, "i386 umount");
    assert_eq!(
        call(&p, X86_64, Target::X32.number("getpid").unwrap(), [0; 6]),
        RET_ALLOW
    );
    assert_eq!(
        call(&p, X86_64, Target::X32.number("read").unwrap(), [0; 6]),
        EPERM
    );
}

/// Every 64-bit comparison against Rust's own, on values around both 32-bit halves.
#[test]
fn argument_comparisons_are_exact_on_64_bit_values() {
    let samples: [u64; 9] = [
        0,
        1,
        5,
        0xffff_ffff,
        0x1_0000_0000,
        0x1_0000_0005,
        0x2_0000_0000,
        u64::MAX - 1,
        u64::MAX,
    ];
    type Holds = fn(u64, u64) -> bool;
    let ops: [(&str, Holds); 6] = [
        ("SCMP_CMP_EQ", |a, v| a == v),
        ("SCMP_CMP_NE", |a, v| a != v),
        ("SCMP_CMP_LT", |a, v| a < v),
        ("SCMP_CMP_LE", |a, v| a <= v),
        ("SCMP_CMP_GT", |a, v| a > v),
        ("SCMP_CMP_GE", |a, v| a >= v),
    ];
    for (op, holds) in ops {
        for v in samples {
            let p = program(&format!(
                r#"{{"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{{"names": ["getpid"], "action": "SCMP_ACT_ERRNO", "args": [{{"index": 2, "value": {v}, "op": "{op}"}}]}}]}}"#
            ));
            for a in samples {
                let want = if holds(a, v) { EPERM } else { RET_ALLOW };
                assert_eq!(
                    call(&p, X86_64, nr("getpid"), [0, 0, a, 0, 0, 0]),
                    want,
                    "{a:#x} {op} {v:#x}"
                );
            }
        }
    }
}

#[test]
fn masked_eq_uses_value_as_mask_and_value_two_as_datum() {
    let p = program(
        r#"{"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["getpid"], "action": "SCMP_ACT_ERRNO",
            "args": [{"index": 0, "value": 18446744069414584335, "valueTwo": 4294967300, "op": "SCMP_CMP_MASKED_EQ"}]}]}"#,
    );
    // mask 0xffffffff0000000f, datum 0x1_00000004
    assert_eq!(
        call(&p, X86_64, nr("getpid"), [0x1_0000_0ff4, 0, 0, 0, 0, 0]),
        EPERM
    );
    assert_eq!(
        call(&p, X86_64, nr("getpid"), [0x0_0000_0ff4, 0, 0, 0, 0, 0]),
        RET_ALLOW
    );
    assert_eq!(
        call(&p, X86_64, nr("getpid"), [0x1_0000_0ff5, 0, 0, 0, 0, 0]),
        RET_ALLOW
    );
}

#[test]
fn args_in_a_rule_are_anded_and_rules_are_ored_with_a_fallback() {
    let p = program(
        r#"{"defaultAction": "SCMP_ACT_ERRNO", "syscalls": [
            {"names": ["kill"], "action": "SCMP_ACT_ALLOW", "args": [{"index": 0, "value": 1, "op": "SCMP_CMP_EQ"}, {"index": 1, "value": 9, "op": "SCMP_CMP_EQ"}]},
            {"names": ["kill"], "action": "SCMP_ACT_LOG", "args": [{"index": 1, "value": 15, "op": "SCMP_CMP_EQ"}]},
            {"names": ["kill"], "action": "SCMP_ACT_TRAP"},
            {"names": ["tkill"], "action": "SCMP_ACT_ALLOW", "args": [{"index": 1, "value": 1, "op": "SCMP_CMP_EQ"}, {"index": 1, "value": 2, "op": "SCMP_CMP_EQ"}]}]}"#,
    );
    let kill = nr("kill");
    assert_eq!(call(&p, X86_64, kill, [1, 9, 0, 0, 0, 0]), RET_ALLOW);
    assert_eq!(
        call(&p, X86_64, kill, [2, 9, 0, 0, 0, 0]),
        RET_TRAP,
        "AND: only one arg matched"
    );
    assert_eq!(
        call(&p, X86_64, kill, [2, 15, 0, 0, 0, 0]),
        RET_LOG,
        "OR: the second rule"
    );
    // Like runc: two conditions on one argument are separate (ORed) rules.
    assert_eq!(call(&p, X86_64, nr("tkill"), [0, 2, 0, 0, 0, 0]), RET_ALLOW);
    assert_eq!(call(&p, X86_64, nr("tkill"), [0, 3, 0, 0, 0, 0]), EPERM);
}

#[test]
fn docker_default_blocks_namespaces_and_mounts_but_runs_a_shell() {
    let p = compile(&docker_default()).unwrap();
    assert!(
        p.instructions().len() < 1000,
        "{} instructions",
        p.instructions().len()
    );
    for name in [
        "read",
        "write",
        "execve",
        "getpid",
        "wait4",
        "rt_sigaction",
        "arch_prctl",
        "chroot",
        "openat",
    ] {
        assert_eq!(call(&p, X86_64, nr(name), [0; 6]), RET_ALLOW, "{name}");
    }
    for name in [
        "unshare",
        "mount",
        "umount2",
        "setns",
        "reboot",
        "init_module",
        "bpf",
        "keyctl",
        "pivot_root",
    ] {
        assert_eq!(call(&p, X86_64, nr(name), [0; 6]), EPERM, "{name}");
    }
    let clone = nr("clone");
    assert_eq!(
        call(
            &p,
            X86_64,
            clone,
            [libc::SIGCHLD as u64 | libc::CLONE_VM as u64, 0, 0, 0, 0, 0]
        ),
        RET_ALLOW
    );
    assert_eq!(
        call(&p, X86_64, clone, [libc::CLONE_NEWNS as u64, 0, 0, 0, 0, 0]),
        EPERM
    );
    assert_eq!(
        call(
            &p,
            X86_64,
            clone,
            [libc::CLONE_NEWUSER as u64 | 0x1_0000_0000, 0, 0, 0, 0, 0]
        ),
        EPERM
    );
    assert_eq!(
        call(&p, X86_64, nr("clone3"), [0; 6]),
        RET_ERRNO | libc::ENOSYS as u32
    );
    assert_eq!(
        call(&p, X86_64, nr("personality"), [8, 0, 0, 0, 0, 0]),
        RET_ALLOW
    );
    assert_eq!(
        call(&p, X86_64, nr("personality"), [0xffff_ffff, 0, 0, 0, 0, 0]),
        RET_ALLOW
    );
    assert_eq!(
        call(&p, X86_64, nr("personality"), [0x0040_0000, 0, 0, 0, 0, 0]),
        EPERM
    );
    assert_eq!(
        call(
            &p,
            X86_64,
            nr("socket"),
            [libc::AF_INET as u64, 1, 0, 0, 0, 0]
        ),
        RET_ALLOW
    );
    assert_eq!(call(&p, X86_64, nr("socket"), [40, 1, 0, 0, 0, 0]), EPERM);
    assert_eq!(
        call(&p, I386, Target::I386.number("getpid").unwrap(), [0; 6]),
        RET_ALLOW
    );
    assert_eq!(
        call(&p, I386, Target::I386.number("mount").unwrap(), [0; 6]),
        EPERM
    );
    assert_eq!(
        call(&p, X86_64, Target::X32.number("getpid").unwrap(), [0; 6]),
        RET_ALLOW
    );
    assert_eq!(call(&p, AARCH64, 0, [0; 6]), RET_KILL_PROCESS);
}

#[test]
fn unknown_names_are_skipped_and_equal_to_default_needs_no_code() {
    let base = program(r#"{"defaultAction": "SCMP_ACT_ERRNO"}"#);
    let p = program(
        r#"{"defaultAction": "SCMP_ACT_ERRNO", "syscalls": [{"names": ["no_such_call", "getpid"], "action": "SCMP_ACT_ERRNO"}]}"#,
    );
    assert_eq!(p, base);
    // arch check (4), number (1), x32 check (3), search (1), kill for x32, default.
    assert_eq!(base.instructions().len(), 11, "{:?}", base.instructions());
}

/// Names of other ABIs are expected (Docker's list covers all); names no table has are
/// reported in ONE warning per compile, listing each once.
#[test]
fn names_no_table_has_are_warned_about_once() {
    let json = r#"{"defaultAction": "SCMP_ACT_ERRNO", "syscalls": [
        {"names": ["getpid", "no_such_call", "chown32", "set_tls", "io_pgetevents"], "action": "SCMP_ACT_ALLOW"},
        {"names": ["no_such_call", "getpid_typo"], "action": "SCMP_ACT_LOG"}]}"#;
    let s = parse_profile(json).unwrap();
    assert_eq!(crate::unknown_syscalls(&s), ["getpid_typo", "no_such_call"]);
    assert!(crate::unknown_syscalls(&docker_default()).is_empty());
    for host in [Target::X86_64, Target::Aarch64] {
        let profile = crate::docker::profile_for(&["CAP_SYS_ADMIN", "CAP_SYS_PTRACE"], host);
        assert!(crate::unknown_syscalls(&profile).is_empty(), "{host:?}");
    }

    let log = std::sync::Arc::new(std::sync::Mutex::new(Vec::<u8>::new()));
    let sink = log.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::WARN)
        .with_ansi(false)
        .with_writer(move || Sink(sink.clone()))
        .finish();
    tracing::subscriber::with_default(subscriber, || {
        // Another test thread may have registered compile's warning callsite while only the
        // global no-op subscriber existed, caching "never" for it (a CI run lost the warning
        // so); ask every callsite again now that this subscriber is registered.
        tracing::callsite::rebuild_interest_cache();
        compile(&s).unwrap()
    });
    let text = String::from_utf8(log.lock().unwrap().clone()).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 1, "{text}");
    assert!(
        lines[0].contains("WARN") && lines[0].ends_with("getpid_typo, no_such_call"),
        "{text}"
    );
}

struct Sink(std::sync::Arc<std::sync::Mutex<Vec<u8>>>);

impl std::io::Write for Sink {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[test]
fn bad_profiles_are_one_line_errors_naming_the_value() {
    let bad = |json: &str| -> String {
        match parse_profile(json) {
            Err(e) => e.to_string(),
            Ok(s) => compile(&s).unwrap_err().to_string(),
        }
    };
    for (json, needle) in [
        (r#"{"defaultAction": "SCMP_ACT_FOO"}"#, "SCMP_ACT_FOO"),
        (
            r#"{"defaultAction": "SCMP_ACT_ALLOW", "architectures": ["SCMP_ARCH_Z80"]}"#,
            "SCMP_ARCH_Z80",
        ),
        (
            r#"{"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["read"], "action": "SCMP_ACT_ERRNO", "args": [{"index": 0, "value": 1, "op": "SCMP_CMP_ABOUT"}]}]}"#,
            "SCMP_CMP_ABOUT",
        ),
        (r#"{"defaultAction": "SCMP_ACT_NOTIFY"}"#, "SCMP_ACT_NOTIFY"),
        (
            r#"{"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["read"], "action": "SCMP_ACT_NOTIFY"}]}"#,
            "listenerPath is not set",
        ),
        (
            r#"{"defaultAction": "SCMP_ACT_ALLOW", "listenerPath": "/a", "syscalls": [{"names": ["write"], "action": "SCMP_ACT_NOTIFY"}]}"#,
            "SCMP_ACT_NOTIFY cannot be used for the write syscall",
        ),
        (
            r#"{"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["read"], "action": "SCMP_ACT_KILL", "errnoRet": 5}]}"#,
            "errnoRet 5",
        ),
        (
            r#"{"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["read"], "action": "SCMP_ACT_ERRNO", "args": [{"index": 6, "value": 1, "op": "SCMP_CMP_EQ"}]}]}"#,
            "argument index 6",
        ),
        (
            r#"{"defaultAction": "SCMP_ACT_ERRNO", "defaultErrnoRet": 70000}"#,
            "70000",
        ),
        (r#"{"defaultAction": "SCMP_ACT_ALLOW""#, "EOF while parsing"),
    ] {
        let e = bad(json);
        assert!(e.contains(needle) && !e.contains('\n'), "{json}: {e}");
    }
}

#[test]
fn flags_are_carried_and_bytes_round_trip() {
    let p = program(
        r#"{"defaultAction": "SCMP_ACT_ALLOW", "flags": ["SECCOMP_FILTER_FLAG_LOG", "SECCOMP_FILTER_FLAG_SPEC_ALLOW", "SECCOMP_FILTER_FLAG_TSYNC"]}"#,
    );
    assert_eq!(p.flags(), FLAG_LOG | FLAG_SPEC_ALLOW | FLAG_TSYNC);
    let d = compile(&docker_default()).unwrap();
    let bytes = d.to_bytes();
    assert_eq!(Program::from_bytes(&bytes).unwrap(), d);
    assert!(Program::from_bytes(&bytes[..bytes.len() - 1]).is_err());
    assert!(Program::from_bytes(b"garbage")
        .unwrap_err()
        .to_string()
        .contains("magic"));
    let mut other_arch = bytes.clone();
    other_arch[8] ^= 0xff;
    assert!(Program::from_bytes(&other_arch)
        .unwrap_err()
        .to_string()
        .contains("another architecture"));
    let mut no_ret = bytes;
    let n = no_ret.len();
    no_ret[n - 8] = 0x15; // jeq instead of ret
    assert!(Program::from_bytes(&no_ret).is_err());
}

#[test]
fn docker_profile_opens_syscall_groups_by_capability() {
    let admin = compile(&crate::docker_profile(&["CAP_SYS_ADMIN", "SYS_PTRACE"])).unwrap();
    for name in ["mount", "unshare", "setns", "ptrace", "clone3"] {
        assert_eq!(call(&admin, X86_64, nr(name), [0; 6]), RET_ALLOW, "{name}");
    }
    assert_eq!(
        call(
            &admin,
            X86_64,
            nr("clone"),
            [libc::CLONE_NEWNS as u64, 0, 0, 0, 0, 0]
        ),
        RET_ALLOW
    );
    assert_eq!(
        call(&admin, X86_64, nr("chroot"), [0; 6]),
        EPERM,
        "no CAP_SYS_CHROOT given"
    );
    assert_eq!(call(&admin, X86_64, nr("reboot"), [0; 6]), EPERM);
}

/// The range tree against a plain lookup, on pseudo-random profiles and every number
/// around the table (a tiny xorshift keeps it deterministic).
#[test]
fn the_number_search_agrees_with_a_plain_lookup() {
    let names: Vec<&str> = crate::tables::x86_64::SYSCALLS
        .iter()
        .map(|(n, _)| *n)
        .collect();
    let mut seed = 0x9e37_79b9_7f4a_7c15u64;
    let mut next = move || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed
    };
    let actions = ["SCMP_ACT_ALLOW", "SCMP_ACT_LOG", "SCMP_ACT_TRAP"];
    for round in 0..20 {
        let mut expect = std::collections::HashMap::new();
        let mut rules = Vec::new();
        for name in &names {
            if next() % 3 == 0 {
                let action = actions[(next() % 3) as usize];
                expect.entry(nr(name)).or_insert(action);
                rules.push(format!(r#"{{"names": ["{name}"], "action": "{action}"}}"#));
            }
        }
        let p = program(&format!(
            r#"{{"defaultAction": "SCMP_ACT_ERRNO", "syscalls": [{}]}}"#,
            rules.join(",")
        ));
        for n in 0..600u32 {
            let want = match expect.get(&n).copied() {
                Some("SCMP_ACT_ALLOW") => RET_ALLOW,
                Some("SCMP_ACT_LOG") => RET_LOG,
                Some(_) => RET_TRAP,
                None => EPERM,
            };
            assert_eq!(
                call(&p, X86_64, n, [0; 6]),
                want,
                "round {round}, syscall {n}"
            );
        }
    }
}

#[test]
fn syscalls_newer_than_the_profile_get_enosys_on_the_abis_it_lists() {
    const ENOSYS: u32 = RET_ERRNO | libc::ENOSYS as u32;
    let with = |extra: &str| {
        program(&format!(
            r#"{{"defaultAction": "SCMP_ACT_ERRNO", {extra} "syscalls": [
                {{"names": ["getpid", "read"], "action": "SCMP_ACT_ALLOW"}},
                {{"names": ["getppid"], "action": "SCMP_ACT_ERRNO", "errnoRet": 5}}]}}"#
        ))
    };
    let p = with(r#""architectures": ["SCMP_ARCH_X86_64", "SCMP_ARCH_X32"],"#);
    // getppid (110) is the newest the profile names, whatever its action.
    assert_eq!(call(&p, X86_64, nr("getppid"), [0; 6]), RET_ERRNO | 5);
    assert_eq!(
        call(&p, X86_64, nr("kill"), [0; 6]),
        EPERM,
        "older: the default"
    );
    assert_eq!(call(&p, X86_64, nr("getppid") + 1, [0; 6]), ENOSYS);
    assert_eq!(call(&p, X86_64, nr("clone3"), [0; 6]), ENOSYS);
    assert_eq!(call(&p, X86_64, 0x3fff_ffff, [0; 6]), ENOSYS);
    let x32 = |name: &str| Target::X32.number(name).unwrap();
    assert_eq!(call(&p, X86_64, x32("getpid"), [0; 6]), RET_ALLOW);
    assert_eq!(call(&p, X86_64, x32("kill"), [0; 6]), EPERM);
    assert_eq!(call(&p, X86_64, x32("clone3"), [0; 6]), ENOSYS);
    // -1 has the x32 bit: runc's stub gives it ENOSYS when x32 is listed.
    assert_eq!(call(&p, X86_64, u32::MAX, [0; 6]), ENOSYS);

    // Without x32: x32 numbers are killed as before, -1 gets the default.
    let p = with(r#""architectures": ["SCMP_ARCH_X86_64"],"#);
    assert_eq!(call(&p, X86_64, nr("clone3"), [0; 6]), ENOSYS);
    assert_eq!(call(&p, X86_64, x32("clone3"), [0; 6]), RET_KILL_PROCESS);
    assert_eq!(call(&p, X86_64, u32::MAX, [0; 6]), EPERM);
    // An ABI not listed has no stub; nor has a profile listing none (runc).
    let p = with(r#""architectures": ["SCMP_ARCH_X86"],"#);
    assert_eq!(call(&p, X86_64, nr("clone3"), [0; 6]), EPERM);
    let i386 = |name: &str| Target::I386.number(name).unwrap();
    assert_eq!(call(&p, I386, i386("clone3"), [0; 6]), ENOSYS);
    assert_eq!(call(&with(""), X86_64, nr("clone3"), [0; 6]), EPERM);
}

#[test]
fn a_default_that_lets_calls_through_has_no_enosys_stub() {
    for default in ["SCMP_ACT_ALLOW", "SCMP_ACT_LOG"] {
        let p = program(&format!(
            r#"{{"defaultAction": "{default}", "architectures": ["SCMP_ARCH_X86_64"],
                "syscalls": [{{"names": ["getpid"], "action": "SCMP_ACT_ERRNO"}}]}}"#
        ));
        let want = if default == "SCMP_ACT_ALLOW" {
            RET_ALLOW
        } else {
            RET_LOG
        };
        assert_eq!(call(&p, X86_64, nr("clone3"), [0; 6]), want, "{default}");
    }
}

#[test]
fn notify_rules_return_user_notif_and_ask_for_a_listener() {
    let p = program(
        r#"{"defaultAction": "SCMP_ACT_ALLOW", "listenerPath": "/run/agent.sock",
            "syscalls": [{"names": ["getsid"], "action": "SCMP_ACT_NOTIFY"}]}"#,
    );
    assert_eq!(call(&p, X86_64, nr("getsid"), [0; 6]), RET_USER_NOTIF);
    assert_eq!(call(&p, X86_64, nr("getpid"), [0; 6]), RET_ALLOW);
    assert!(p.has_listener() && p.flags() & FLAG_NEW_LISTENER != 0);
    // A listener path alone (no notify rule): nothing to listen to, as in runc.
    let p = program(r#"{"defaultAction": "SCMP_ACT_ALLOW", "listenerPath": "/run/agent.sock"}"#);
    assert!(!p.has_listener());
    // TSYNC with a listener: a thread that cannot sync must not read as the fd.
    let p = program(
        r#"{"defaultAction": "SCMP_ACT_ALLOW", "listenerPath": "/a", "flags": ["SECCOMP_FILTER_FLAG_TSYNC"],
            "syscalls": [{"names": ["getsid"], "action": "SCMP_ACT_NOTIFY"}]}"#,
    );
    assert_eq!(p.flags(), FLAG_TSYNC | FLAG_NEW_LISTENER | FLAG_TSYNC_ESRCH);
    assert_eq!(Program::from_bytes(&p.to_bytes()).unwrap(), p);
}
