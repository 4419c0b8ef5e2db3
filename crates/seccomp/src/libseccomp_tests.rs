//! Differential tests against libseccomp, the C library runc and crun compile profiles with.
//! It is linked into this crate's unit-test binary only (`-lseccomp`, from libseccomp-dev,
//! which .ci/run installs); the product never links it.
//!
//! A profile is given to libseccomp the way runc does (names resolved for the host's
//! architecture, a rule with an argument twice split in one rule per condition, rules with
//! the default action dropped), its BPF exported with `seccomp_export_bpf`, and both
//! programs are run in the test interpreter for every syscall number of every ABI, numbers
//! no ABI has, other architectures, and representative arguments. They must agree, except
//! at numbers where libseccomp knows no syscall and our table has one that the profile names
//! and libseccomp cannot: syscalls newer than the installed libseccomp (listed on stderr;
//! Docker's profiles have none). runc puts its `-ENOSYS` stub (patchbpf) in front of
//! libseccomp's program; [`RuncStub`] stands for it here.

use std::collections::{HashMap, HashSet};
use std::ffi::{c_char, c_int, c_uint, c_void, CStr, CString};
use std::io::{Read, Seek};
use std::os::fd::AsRawFd;

use oci_spec::runtime::{LinuxSeccomp, LinuxSeccompAction as Action, LinuxSeccompOperator as Op};

use crate::arch::{Target, X32_SYSCALL_BIT};
use crate::bpf::Insn;
use crate::interp::{run, Data};
use crate::{compile, docker, parse_profile, tables};

#[repr(C)]
struct ScmpArgCmp {
    arg: c_uint,
    op: c_uint,
    datum_a: u64,
    datum_b: u64,
}

#[link(name = "seccomp")]
extern "C" {
    fn seccomp_init(def_action: u32) -> *mut c_void;
    fn seccomp_release(ctx: *mut c_void);
    fn seccomp_arch_add(ctx: *mut c_void, arch_token: u32) -> c_int;
    fn seccomp_arch_remove(ctx: *mut c_void, arch_token: u32) -> c_int;
    fn seccomp_arch_native() -> u32;
    fn seccomp_arch_resolve_name(arch_name: *const c_char) -> u32;
    fn seccomp_attr_set(ctx: *mut c_void, attr: c_int, value: u32) -> c_int;
    fn seccomp_syscall_resolve_name_arch(arch_token: u32, name: *const c_char) -> c_int;
    fn seccomp_syscall_resolve_num_arch(arch_token: u32, num: c_int) -> *mut c_char;
    fn seccomp_rule_add_array(
        ctx: *mut c_void,
        action: u32,
        syscall: c_int,
        arg_cnt: c_uint,
        arg_array: *const ScmpArgCmp,
    ) -> c_int;
    fn seccomp_export_bpf(ctx: *mut c_void, fd: c_int) -> c_int;
    fn free(p: *mut c_void);
}

const SCMP_FLTATR_ACT_BADARCH: c_int = 2;
const NR_SCMP_ERROR: c_int = -1;

/// libseccomp's token for an ABI (SCMP_ARCH_*; x32's differs from its AUDIT_ARCH).
fn token(t: Target) -> u32 {
    let name: &CStr = match t {
        Target::X86_64 => c"x86_64",
        Target::X32 => c"x32",
        Target::I386 => c"x86",
        Target::Aarch64 => c"aarch64",
        Target::Arm => c"arm",
    };
    // SAFETY: a valid C string; the call only reads it.
    let token = unsafe { seccomp_arch_resolve_name(name.as_ptr()) };
    assert_ne!(token, 0, "libseccomp does not know {t:?}");
    token
}

/// libseccomp's number for `name` on `t`: None when it does not know the name there.
fn their_number(t: Target, name: &str) -> Option<u32> {
    let c = CString::new(name).unwrap();
    // SAFETY: a valid C string; the call only reads it.
    let nr = unsafe { seccomp_syscall_resolve_name_arch(token(t), c.as_ptr()) };
    (nr >= 0).then_some(nr as u32)
}

/// libseccomp's name of number `nr` on `t`.
fn their_name(t: Target, nr: u32) -> Option<String> {
    // SAFETY: returns NULL or a malloc'd C string that we free.
    unsafe {
        let p = seccomp_syscall_resolve_num_arch(token(t), nr as c_int);
        if p.is_null() {
            return None;
        }
        let s = CStr::from_ptr(p).to_string_lossy().into_owned();
        free(p.cast());
        Some(s)
    }
}

fn table(t: Target) -> &'static [(&'static str, u32)] {
    match t {
        Target::X86_64 => tables::x86_64::SYSCALLS,
        Target::X32 => tables::x32::SYSCALLS,
        Target::I386 => tables::i386::SYSCALLS,
        Target::Aarch64 => tables::aarch64::SYSCALLS,
        Target::Arm => tables::arm::SYSCALLS,
    }
}

/// Our names by number (with the x32 bit for x32) on `t`.
fn our_names(t: Target) -> HashMap<u32, Vec<&'static str>> {
    let mut by_nr: HashMap<u32, Vec<&'static str>> = HashMap::new();
    for &(name, _) in table(t) {
        by_nr.entry(t.number(name).unwrap()).or_default().push(name);
    }
    by_nr
}

/// The numbers worth asking about on `t`: every table's range and beyond, and the edges.
fn numbers(t: Target) -> Vec<u32> {
    let mut v: Vec<u32> = (0..1100).collect();
    if t == Target::X32 {
        v = v.into_iter().map(|n| n | X32_SYSCALL_BIT).collect();
    }
    if t == Target::Arm {
        v.extend(0xf_0000..0xf_0010);
    }
    v
}

/// Numbers no ABI has, for every architecture section.
const ODD_NUMBERS: &[u32] = &[
    0x000f_0001, // an ARM-private call, on other ABIs
    0x000f_ffff,
    0x0010_0000,
    0x3fff_ffff,
    0x4000_0000,
    0x4000_0200,
    0x7fff_ffff,
    0x8000_0000,
    0xc000_0000,
    0xffff_fffe,
    0xffff_ffff, // -1: what a tracer sets to skip a call
];

/// Arguments that decide the argument rules of Docker's profile (socket's AF_VSOCK, clone's
/// namespace flags, personality's values) and of the operator profile, including values
/// with high words.
const ARGS: &[[u64; 6]] = &[
    [0; 6],
    [40, 1, 0, 0, 0, 0],            // socket(AF_VSOCK, SOCK_STREAM)
    [2, 1, 6, 0, 0, 0],             // socket(AF_INET, SOCK_STREAM, IPPROTO_TCP)
    [0x0120_0011, 0, 0, 0, 0, 0],   // clone as fork() makes it
    [0x0002_0000, 0, 0, 0, 0, 0],   // CLONE_NEWNS
    [0x1000_0000, 0, 0, 0, 0, 0],   // CLONE_NEWUSER
    [0x7e02_0000, 0, 0, 0, 0, 0],   // every namespace flag
    [0x8000_0011, 0, 0, 0, 0, 0],   // CLONE_IO: not a namespace
    [8, 0, 0, 0, 0, 0],             // PER_LINUX32
    [0x0002_0008, 0, 0, 0, 0, 0],   // UNAME26 | PER_LINUX32
    [0xffff_ffff, 0, 0, 0, 0, 0],   // personality query
    [0x0040_0000, 0, 0, 0, 0, 0],   // ADDR_NO_RANDOMIZE
    [0x1_0000_0008, 5, 0, 0, 0, 0], // high words set
    [0x1_0000_0028, 0x1_0000_0000, 0, 0, 0, 0],
    [u64::MAX, u64::MAX, u64::MAX, 0, 0, 0],
    [7, 100, 0x103, 0x2_0000_0000, 0, 0],
    [7, 99, 0x104, 0x1_ffff_ffff, 0, 0],
];

fn scmp_action(a: Action, errno: Option<u32>) -> u32 {
    let errno = errno.unwrap_or(libc::EPERM as u32);
    match a {
        Action::ScmpActKill | Action::ScmpActKillThread => 0,
        Action::ScmpActKillProcess => 0x8000_0000,
        Action::ScmpActTrap => 0x0003_0000,
        Action::ScmpActErrno => 0x0005_0000 | errno,
        Action::ScmpActTrace => 0x7ff0_0000 | errno,
        Action::ScmpActLog => 0x7ffc_0000,
        Action::ScmpActAllow => 0x7fff_0000,
        Action::ScmpActNotify => panic!("no notify in these tests"),
    }
}

fn scmp_op(op: Op) -> c_uint {
    match op {
        Op::ScmpCmpNe => 1,
        Op::ScmpCmpLt => 2,
        Op::ScmpCmpLe => 3,
        Op::ScmpCmpEq => 4,
        Op::ScmpCmpGe => 5,
        Op::ScmpCmpGt => 6,
        Op::ScmpCmpMaskedEq => 7,
    }
}

struct Ctx(*mut c_void);

impl Drop for Ctx {
    fn drop(&mut self) {
        // SAFETY: a context from seccomp_init, released once.
        unsafe { seccomp_release(self.0) }
    }
}

/// libseccomp's program for `s` on a host whose native ABI is `host`, built as runc builds
/// it, with an ABI not covered killed (as ours).
fn theirs(s: &LinuxSeccomp, host: Target) -> Vec<Insn> {
    let default = scmp_action(s.default_action(), s.default_errno_ret());
    // SAFETY: plain libseccomp calls on a context we own; pointers passed live across each call.
    unsafe {
        let ctx = Ctx(seccomp_init(default));
        assert!(!ctx.0.is_null(), "seccomp_init failed");
        assert_eq!(
            seccomp_attr_set(ctx.0, SCMP_FLTATR_ACT_BADARCH, 0x8000_0000),
            0
        );
        let mut abis = vec![host];
        for a in s.architectures().iter().flatten() {
            abis.extend(Target::from_oci(*a, host).filter(|t| !abis.contains(t)));
        }
        // A new context holds the native ABI (x86_64 on CI) already.
        let native = seccomp_arch_native();
        for t in abis.iter().filter(|t| token(**t) != native) {
            assert_eq!(seccomp_arch_add(ctx.0, token(*t)), 0, "adding {t:?}");
        }
        if !abis.iter().any(|t| token(*t) == native) {
            assert_eq!(seccomp_arch_remove(ctx.0, native), 0);
        }
        for rule in s.syscalls().iter().flatten() {
            let action = scmp_action(rule.action(), rule.errno_ret());
            if action == default {
                continue;
            }
            let conds: Vec<ScmpArgCmp> = rule
                .args()
                .iter()
                .flatten()
                .map(|a| ScmpArgCmp {
                    arg: a.index() as c_uint,
                    op: scmp_op(a.op()),
                    datum_a: a.value(),
                    datum_b: a.value_two().unwrap_or(0),
                })
                .collect();
            let mut indexes: Vec<c_uint> = conds.iter().map(|c| c.arg).collect();
            indexes.sort_unstable();
            indexes.dedup();
            let sets: Vec<&[ScmpArgCmp]> = if indexes.len() < conds.len() {
                conds.chunks(1).collect()
            } else {
                vec![&conds[..]]
            };
            for name in rule.names() {
                let c = CString::new(name.as_str()).unwrap();
                // Rules take the number of the library's native ABI (this machine's), which
                // libseccomp translates by name to each ABI of the filter.
                let nr = seccomp_syscall_resolve_name_arch(native, c.as_ptr());
                if nr == NR_SCMP_ERROR {
                    continue;
                }
                for set in &sets {
                    let rc = seccomp_rule_add_array(
                        ctx.0,
                        action,
                        nr,
                        set.len() as c_uint,
                        set.as_ptr(),
                    );
                    assert_eq!(rc, 0, "libseccomp refused the rule for {name}");
                }
            }
        }
        let mut f = tempfile::tempfile().unwrap();
        assert_eq!(seccomp_export_bpf(ctx.0, f.as_raw_fd()), 0);
        f.rewind().unwrap();
        let mut bytes = Vec::new();
        f.read_to_end(&mut bytes).unwrap();
        Insn::decode_all(&bytes)
    }
}

/// runc's `-ENOSYS` stub in front of libseccomp's program (libcontainer/seccomp/patchbpf):
/// on each ABI the profile lists, a number above the highest libseccomp gives a name of the
/// profile gets ENOSYS (x86_64 only without the x32 bit, x32 only with it); nothing when the
/// default action lets calls through.
struct RuncStub(std::collections::BTreeMap<Target, u32>);

impl RuncStub {
    fn new(s: &LinuxSeccomp, host: Target) -> RuncStub {
        let lets_through = matches!(
            s.default_action(),
            Action::ScmpActAllow | Action::ScmpActLog | Action::ScmpActTrace
        );
        let mut newest = std::collections::BTreeMap::new();
        if lets_through {
            return RuncStub(newest);
        }
        for t in s
            .architectures()
            .iter()
            .flatten()
            .filter_map(|a| Target::from_oci(*a, host))
        {
            let last = s
                .syscalls()
                .iter()
                .flatten()
                .flat_map(|r| r.names())
                .filter_map(|n| their_number(t, n))
                .max();
            if let Some(last) = last.filter(|&l| l > 0) {
                newest.insert(t, last);
            }
        }
        RuncStub(newest)
    }

    /// ENOSYS when the stub answers for (`arch`, `nr`), None when libseccomp's program does.
    fn verdict(&self, arch: u32, nr: u32) -> Option<u32> {
        let x32 = nr & X32_SYSCALL_BIT != 0;
        self.0.iter().find_map(|(&t, &last)| {
            let here = t.audit_arch() == arch
                && match t {
                    Target::X86_64 => !x32,
                    Target::X32 => x32,
                    _ => true,
                };
            (here && nr > last).then_some(0x0005_0000 | libc::ENOSYS as u32)
        })
    }
}

/// The ABIs of each host we compile for: x86_64 (with x32 and i386) and aarch64 (with arm).
const HOSTS: [(Target, &[Target]); 2] = [
    (Target::X86_64, &[Target::X86_64, Target::X32, Target::I386]),
    (Target::Aarch64, &[Target::Aarch64, Target::Arm]),
];

/// Runs both programs everywhere; returns the disagreements (one line each) and the
/// numbers skipped because the profile names their syscall and libseccomp does not know it.
fn compare(s: &LinuxSeccomp, host: Target, abis: &[Target]) -> (Vec<String>, Vec<String>) {
    let ours = compile::compile_for(s, host).unwrap();
    let theirs = theirs(s, host);
    let stub = RuncStub::new(s, host);
    let in_profile: HashSet<&str> = s
        .syscalls()
        .iter()
        .flatten()
        .flat_map(|r| r.names())
        .map(String::as_str)
        .collect();
    let names: std::collections::BTreeMap<Target, HashMap<u32, Vec<&str>>> =
        abis.iter().map(|&t| (t, our_names(t))).collect();
    let no_names = Vec::new();
    let (mut diffs, mut skipped) = (Vec::new(), Vec::new());
    let foreign: Vec<u32> = HOSTS
        .iter()
        .filter(|(h, _)| *h != host)
        .flat_map(|(_, abis)| abis.iter().map(|t| t.audit_arch()))
        .chain([0, 0xffff_ffff, 0x4000_0008 /* mips-ish */])
        .collect();
    let mut cases: Vec<(Option<Target>, u32, u32)> = Vec::new();
    for &t in abis {
        cases.extend(numbers(t).into_iter().map(|n| (Some(t), t.audit_arch(), n)));
    }
    for audit in abis.iter().map(|t| t.audit_arch()).chain(foreign) {
        cases.extend(ODD_NUMBERS.iter().map(|&n| (None, audit, n)));
    }
    for (t, arch, nr) in cases {
        let ours_here = t.map_or(&no_names, |t| names[&t].get(&nr).unwrap_or(&no_names));
        if let Some(t) = t {
            let unknown_to_them = ours_here.iter().any(|n| in_profile.contains(n))
                && their_name(t, nr).is_none()
                && ours_here.iter().all(|n| their_number(t, n).is_none());
            if unknown_to_them {
                skipped.push(format!("{t:?} {nr:#x} {ours_here:?}"));
                continue;
            }
        }
        for args in ARGS {
            let d = Data {
                nr,
                arch,
                args: *args,
            };
            let b = stub.verdict(arch, nr).unwrap_or_else(|| run(&theirs, &d));
            let a = run(ours.instructions(), &d);
            if a != b {
                let what = t
                    .and_then(|t| their_name(t, nr))
                    .or_else(|| ours_here.first().map(|s| s.to_string()));
                diffs.push(format!(
                    "arch {arch:#x} nr {nr:#x} ({}) args {args:x?}: ours {a:#x}, libseccomp {b:#x}",
                    what.as_deref().unwrap_or("no syscall")
                ));
                break;
            }
        }
    }
    (diffs, skipped)
}

fn assert_agree(what: &str, s: &LinuxSeccomp, host: Target, abis: &[Target]) {
    let (diffs, skipped) = compare(s, host, abis);
    if !skipped.is_empty() {
        eprintln!(
            "{what} on {host:?}: {} numbers skipped (libseccomp does not know them): {}",
            skipped.len(),
            skipped.join("; ")
        );
    }
    assert!(
        diffs.is_empty(),
        "{what} on {host:?}: {} disagreements with libseccomp, e.g.:\n{}",
        diffs.len(),
        diffs[..diffs.len().min(25)].join("\n")
    );
}

#[test]
fn our_tables_agree_with_libseccomps_wherever_it_knows_a_syscall() {
    let mut problems = Vec::new();
    for t in Target::ALL {
        for &(name, _) in table(t) {
            let ours = t.number(name).unwrap();
            match their_number(t, name) {
                Some(theirs) if theirs != ours => problems.push(format!(
                    "{t:?} {name}: ours {ours:#x}, libseccomp {theirs:#x}"
                )),
                _ => {}
            }
        }
        for nr in numbers(t) {
            if let Some(name) = their_name(t, nr) {
                if t.number(&name) != Some(nr) {
                    problems.push(format!(
                        "{t:?} {name}: libseccomp {nr:#x}, ours {:?}",
                        t.number(&name)
                    ));
                }
            }
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

/// AUDIT_ARCH values are libseccomp's architecture tokens, except x32's: its calls carry
/// x86_64's AUDIT_ARCH and __X32_SYSCALL_BIT in the number.
#[test]
fn audit_arch_values_match_libseccomps() {
    for t in [Target::X86_64, Target::I386, Target::Aarch64, Target::Arm] {
        assert_eq!(t.audit_arch(), token(t), "{t:?}");
    }
    assert_eq!(Target::X32.audit_arch(), token(Target::X86_64));
    assert_eq!(their_number(Target::X32, "read"), Some(X32_SYSCALL_BIT));
}

#[test]
fn docker_profiles_compile_to_what_libseccomp_compiles() {
    let all_caps: Vec<&str> = docker::BY_CAPABILITY.iter().map(|(c, _)| *c).collect();
    let with_admin: Vec<&str> = docker::DOCKER_DEFAULT_CAPS
        .iter()
        .copied()
        .chain(["CAP_SYS_ADMIN"])
        .collect();
    for (host, abis) in HOSTS {
        for (what, caps) in [
            ("Docker's default profile", docker::DOCKER_DEFAULT_CAPS),
            ("Docker's profile with CAP_SYS_ADMIN", &with_admin[..]),
            ("Docker's profile with every capability", &all_caps[..]),
        ] {
            assert_agree(what, &docker::profile_for(caps, host), host, abis);
        }
    }
}

#[test]
fn every_operator_and_action_compiles_to_what_libseccomp_compiles() {
    let profile = |arches: &str| {
        parse_profile(&format!(
            r#"{{"defaultAction": "SCMP_ACT_ALLOW", "architectures": [{arches}], "syscalls": [
            {{"names": ["getpid", "getppid"], "action": "SCMP_ACT_ERRNO", "errnoRet": 7,
              "args": [{{"index": 0, "value": 4294967301, "op": "SCMP_CMP_EQ"}}]}},
            {{"names": ["gettid"], "action": "SCMP_ACT_TRAP",
              "args": [{{"index": 1, "value": 100, "op": "SCMP_CMP_GE"}}, {{"index": 2, "value": 255, "valueTwo": 3, "op": "SCMP_CMP_MASKED_EQ"}}]}},
            {{"names": ["kill"], "action": "SCMP_ACT_LOG",
              "args": [{{"index": 0, "value": 7, "op": "SCMP_CMP_GT"}}, {{"index": 1, "value": 4294967296, "op": "SCMP_CMP_LT"}}]}},
            {{"names": ["tkill"], "action": "SCMP_ACT_KILL_PROCESS",
              "args": [{{"index": 0, "value": 7, "op": "SCMP_CMP_LE"}}, {{"index": 0, "value": 2, "op": "SCMP_CMP_NE"}}]}},
            {{"names": ["dup"], "action": "SCMP_ACT_TRACE", "errnoRet": 9}},
            {{"names": ["dup2", "dup3"], "action": "SCMP_ACT_KILL"}},
            {{"names": ["socket"], "action": "SCMP_ACT_ERRNO", "errnoRet": 97,
              "args": [{{"index": 0, "value": 40, "op": "SCMP_CMP_EQ"}}]}}
            ]}}"#
        ))
        .unwrap()
    };
    assert_agree(
        "the operator profile",
        &profile(r#""SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32""#),
        Target::X86_64,
        HOSTS[0].1,
    );
    assert_agree(
        "the operator profile",
        &profile(r#""SCMP_ARCH_AARCH64", "SCMP_ARCH_ARM""#),
        Target::Aarch64,
        HOSTS[1].1,
    );
}

/// The issue that started these tests: Docker's profile allows io_pgetevents, libseccomp
/// allowed it, and our x86_64 table (then from the libc crate) did not have it: EPERM.
#[test]
fn dockers_default_profile_allows_io_pgetevents_on_every_x86_abi() {
    let s = docker::profile_for(docker::DOCKER_DEFAULT_CAPS, Target::X86_64);
    let (ours, theirs) = (
        compile::compile_for(&s, Target::X86_64).unwrap(),
        theirs(&s, Target::X86_64),
    );
    for t in [Target::X86_64, Target::X32, Target::I386] {
        let nr = t
            .number("io_pgetevents")
            .expect("io_pgetevents in the table");
        assert_eq!(their_number(t, "io_pgetevents"), Some(nr), "{t:?}");
        let d = Data {
            nr,
            arch: t.audit_arch(),
            args: [0; 6],
        };
        assert_eq!(run(ours.instructions(), &d), 0x7fff_0000, "{t:?}: ours");
        assert_eq!(run(&theirs, &d), 0x7fff_0000, "{t:?}: libseccomp");
    }
}
/// A denylist that does not list x32 must not be bypassed through x32 numbers: as with
/// libseccomp, they get the bad-architecture action (they got the default, ALLOW, here).
#[test]
fn x32_numbers_are_killed_when_the_profile_does_not_list_x32() {
    let s = parse_profile(
        r#"{"defaultAction": "SCMP_ACT_ALLOW", "architectures": ["SCMP_ARCH_X86_64"],
            "syscalls": [{"names": ["mount", "unshare"], "action": "SCMP_ACT_ERRNO"}]}"#,
    )
    .unwrap();
    assert_agree("an x86_64-only denylist", &s, Target::X86_64, HOSTS[0].1);
    let mount = Target::X32.number("mount").unwrap();
    let d = Data {
        nr: mount,
        arch: Target::X32.audit_arch(),
        args: [0; 6],
    };
    let ours = compile::compile_for(&s, Target::X86_64).unwrap();
    assert_eq!(run(ours.instructions(), &d), 0x8000_0000);
}
