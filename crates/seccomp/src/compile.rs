//! OCI `linux.seccomp` → classic BPF. Owns the meaning of a profile: actions, errno values,
//! architectures, rules and argument conditions, and the layout of the program. It never
//! installs anything.
//!
//! Layout: check `seccomp_data.arch` (an ABI not covered gets SECCOMP_RET_KILL_PROCESS, as
//! libseccomp's bad-arch action kills); per ABI, a binary search over syscall-number ranges
//! (x86_64 sends x32 numbers, marked by bit 30, to the x32 tree, or kills the process when
//! x32 is not covered);
//! a syscall with argument rules jumps to its own block, the others straight to a shared
//! `ret`. Rules for one syscall are ORed, conditions in one rule ANDed (on 64-bit values; on
//! the low words for the 32-bit ABIs x32, i386 and arm); a rule without conditions applies
//! when no conditional rule matched. Names no table has are reported in one warning.
//!
//! Before the search, runc's `-ENOSYS` stub: on each ABI the profile lists, a syscall numbered
//! above every syscall the profile names (one newer than the profile) gets ENOSYS rather than
//! a denying default action, so a C library falls back to an older call (clone3 to clone,
//! faccessat2 to faccessat) instead of failing. Not with a default that allows (allow, log,
//! trace), as in runc.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use oci_spec::runtime::{
    LinuxSeccomp, LinuxSeccompAction as Action, LinuxSeccompFilterFlag as Flag,
    LinuxSeccompOperator as Op,
};

use crate::arch::{Target, X32_SYSCALL_BIT};
use crate::bpf::{Asm, Label, To};
use crate::error::{Error, Result};
use crate::Program;

// Return values (linux/seccomp.h).
const RET_KILL_PROCESS: u32 = 0x8000_0000;
const RET_KILL_THREAD: u32 = 0x0000_0000;
const RET_TRAP: u32 = 0x0003_0000;
const RET_ERRNO: u32 = 0x0005_0000;
const RET_TRACE: u32 = 0x7ff0_0000;
const RET_USER_NOTIF: u32 = 0x7fc0_0000;
const RET_LOG: u32 = 0x7ffc_0000;
const RET_ALLOW: u32 = 0x7fff_0000;

pub(crate) const FLAG_TSYNC: u32 = 1;
pub(crate) const FLAG_LOG: u32 = 2;
pub(crate) const FLAG_SPEC_ALLOW: u32 = 4;
/// install returns a notification fd (a profile with SCMP_ACT_NOTIFY rules).
pub(crate) const FLAG_NEW_LISTENER: u32 = 8;
/// With TSYNC and a listener: a thread that cannot sync is ESRCH, not its tid (which would
/// read as the fd).
pub(crate) const FLAG_TSYNC_ESRCH: u32 = 16;

/// Offsets in `struct seccomp_data`.
const OFF_NR: u32 = 0;
const OFF_ARCH: u32 = 4;
const OFF_ARGS: u32 = 16;

/// One argument condition, validated.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Cond {
    index: u32,
    op: Op,
    value: u64,
    value_two: u64,
}

#[derive(Debug, Default)]
struct Syscall {
    /// (conditions, action), in profile order; tried first, ORed.
    conditional: Vec<(Vec<Cond>, u32)>,
    /// The action when no conditional rule matched (None: the default action).
    unconditional: Option<u32>,
}

/// The kernel return value of an action. `errno` is OCI's errnoRet (EPERM if absent).
pub(crate) fn action_value(action: Action, errno: Option<u32>, syscall: &str) -> Result<u32> {
    let data = |e: Option<u32>| {
        let e = e.unwrap_or(libc::EPERM as u32);
        if e > 0xffff {
            return Err(Error::ErrnoRange(e));
        }
        Ok(e)
    };
    if let (Some(e), false) = (
        errno,
        matches!(action, Action::ScmpActErrno | Action::ScmpActTrace),
    ) {
        return Err(Error::ErrnoWithoutErrnoAction {
            syscall: syscall.into(),
            errno: e,
            action: action.to_string(),
        });
    }
    Ok(match action {
        Action::ScmpActKill | Action::ScmpActKillThread => RET_KILL_THREAD,
        Action::ScmpActKillProcess => RET_KILL_PROCESS,
        Action::ScmpActTrap => RET_TRAP,
        Action::ScmpActErrno => RET_ERRNO | data(errno)?,
        Action::ScmpActTrace => RET_TRACE | data(errno)?,
        Action::ScmpActLog => RET_LOG,
        Action::ScmpActAllow => RET_ALLOW,
        Action::ScmpActNotify => RET_USER_NOTIF,
    })
}

fn flag_bits(flags: &[Flag]) -> Result<u32> {
    flags.iter().try_fold(0, |bits, f| {
        Ok(bits
            | match f {
                Flag::SeccompFilterFlagTsync => FLAG_TSYNC,
                Flag::SeccompFilterFlagLog => FLAG_LOG,
                Flag::SeccompFilterFlagSpecAllow => FLAG_SPEC_ALLOW,
                Flag::SeccompFilterFlagWaitKillableRecv => {
                    return Err(Error::Unsupported {
                        what: "SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV".into(),
                        why: "runc 1.1 does not pass it either (Linux 5.19)",
                    })
                }
            })
    })
}

/// The conditions of one OCI rule, as one or more ORed condition lists. Like runc, a rule
/// naming the same argument twice becomes one rule per condition.
fn condition_sets(
    name: &str,
    args: &[oci_spec::runtime::LinuxSeccompArg],
) -> Result<Vec<Vec<Cond>>> {
    let mut conds = Vec::with_capacity(args.len());
    for a in args {
        if a.index() > 5 {
            return Err(Error::ArgIndex {
                syscall: name.into(),
                index: a.index(),
            });
        }
        conds.push(Cond {
            index: a.index() as u32,
            op: a.op(),
            value: a.value(),
            value_two: a.value_two().unwrap_or(0),
        });
    }
    let distinct: BTreeSet<u32> = conds.iter().map(|c| c.index).collect();
    if distinct.len() < conds.len() {
        return Ok(conds.into_iter().map(|c| vec![c]).collect());
    }
    Ok(vec![conds])
}

pub(crate) fn compile(s: &LinuxSeccomp) -> Result<Program> {
    let native = Target::native().ok_or(Error::Unsupported {
        what: format!("seccomp on {}", std::env::consts::ARCH),
        why: "sixrun has syscall tables for x86_64 and aarch64 hosts only",
    })?;
    compile_for(s, native)
}

/// The names in `s` that no syscall table has (on any ABI), sorted, each once.
pub(crate) fn unknown_names(s: &LinuxSeccomp) -> Vec<String> {
    let names: BTreeSet<&String> = s
        .syscalls()
        .iter()
        .flatten()
        .flat_map(|r| r.names())
        .filter(|n| Target::ALL.iter().all(|t| t.number(n).is_none()))
        .collect();
    names.into_iter().cloned().collect()
}

/// Compiles `s` for a host whose native ABI is `host` (tests compile for other hosts too).
pub(crate) fn compile_for(s: &LinuxSeccomp, host: Target) -> Result<Program> {
    let default = action_value(s.default_action(), s.default_errno_ret(), "defaultAction")?;
    let mut flags = flag_bits(s.flags().as_deref().unwrap_or_default())?;
    if check_notify(s)? {
        flags |= FLAG_NEW_LISTENER;
        if flags & FLAG_TSYNC != 0 {
            flags |= FLAG_TSYNC_ESRCH;
        }
    }

    let unknown = unknown_names(s);
    if !unknown.is_empty() {
        tracing::warn!(
            "seccomp: the profile names syscalls that sixrun's tables (Linux {}) do not have on any architecture; their rules are skipped: {}",
            crate::tables::KERNEL,
            unknown.join(", ")
        );
    }

    let mut targets = BTreeSet::from([host]);
    for a in s.architectures().iter().flatten() {
        match Target::from_oci(*a, host) {
            Some(t) => {
                targets.insert(t);
            }
            None => {
                tracing::debug!("seccomp: {a} cannot run on this host; its rules are not compiled")
            }
        }
    }

    let mut table: BTreeMap<Target, BTreeMap<u32, Syscall>> = BTreeMap::new();
    for rule in s.syscalls().iter().flatten() {
        let first = rule
            .names()
            .first()
            .map(String::as_str)
            .unwrap_or("(no name)");
        let action = action_value(rule.action(), rule.errno_ret(), first)?;
        let sets = condition_sets(first, rule.args().as_deref().unwrap_or_default())?;
        for name in rule.names() {
            for &t in &targets {
                // Names of other ABIs (chown32 on x86_64) are expected in profiles that
                // cover several; names no ABI has were reported above.
                let Some(nr) = t.number(name) else { continue };
                let entry = table.entry(t).or_default().entry(nr).or_default();
                match sets.as_slice() {
                    [only] if only.is_empty() => {
                        match entry.unconditional {
                            None => entry.unconditional = Some(action),
                            Some(prev) if prev != action => {
                                tracing::warn!("seccomp: {name} has two rules without arguments; the first wins")
                            }
                            Some(_) => {}
                        }
                    }
                    _ => entry
                        .conditional
                        .extend(sets.iter().map(|c| (c.clone(), action))),
                }
            }
        }
    }
    let enosys_above = newest_named(s, &targets, default);
    // A syscall whose every outcome is the default needs no code.
    for syscalls in table.values_mut() {
        syscalls.retain(|_, sc| {
            let fallback = sc.unconditional.unwrap_or(default);
            fallback != default || sc.conditional.iter().any(|(_, a)| *a != default)
        });
    }
    let insns = generate(&targets, &table, default, &enosys_above)?;
    Ok(Program::new(insns, flags))
}

/// Whether `s` has SCMP_ACT_NOTIFY rules, refusing what runc refuses: notify as the default
/// or on write (the runtime writes after installing the filter, before an agent can
/// answer), and notify without `listenerPath` (nobody would ever get the fd).
fn check_notify(s: &LinuxSeccomp) -> Result<bool> {
    if s.default_action() == Action::ScmpActNotify {
        return Err(Error::Notify(
            "SCMP_ACT_NOTIFY cannot be used as default action",
        ));
    }
    let mut notify = false;
    for rule in s.syscalls().iter().flatten() {
        if rule.action() == Action::ScmpActNotify {
            notify = true;
            if rule.names().iter().any(|n| n == "write") {
                return Err(Error::Notify(
                    "SCMP_ACT_NOTIFY cannot be used for the write syscall",
                ));
            }
        }
    }
    if notify && s.listener_path().is_none() {
        return Err(Error::Notify(
            "SCMP_ACT_NOTIFY needs linux.seccomp.listenerPath (listenerPath is not set)",
        ));
    }
    Ok(notify)
}

/// For runc's `-ENOSYS` stub: per ABI the profile lists, the highest number of a syscall it
/// names (any action). Empty when the default action lets calls through (allow, log, trace).
fn newest_named(
    s: &LinuxSeccomp,
    targets: &BTreeSet<Target>,
    default: u32,
) -> BTreeMap<Target, u32> {
    let lets_through =
        default == RET_ALLOW || default == RET_LOG || default & 0xffff_0000 == RET_TRACE;
    if lets_through {
        return BTreeMap::new();
    }
    let host = targets.iter().copied().next();
    let listed: BTreeSet<Target> = s
        .architectures()
        .iter()
        .flatten()
        .filter_map(|a| host.and_then(|h| Target::from_oci(*a, h)))
        .filter(|t| targets.contains(t))
        .collect();
    let names: Vec<&String> = s
        .syscalls()
        .iter()
        .flatten()
        .flat_map(|r| r.names())
        .collect();
    listed
        .into_iter()
        .filter_map(|t| {
            let newest = names.iter().filter_map(|n| t.number(n)).max()?;
            Some((t, newest))
        })
        .collect()
}

fn generate(
    targets: &BTreeSet<Target>,
    table: &BTreeMap<Target, BTreeMap<u32, Syscall>>,
    default: u32,
    enosys_above: &BTreeMap<Target, u32>,
) -> Result<Vec<crate::bpf::Insn>> {
    let empty = BTreeMap::new();
    let mut asm = Asm::default();
    let default_l = asm.label();
    let mut rets: HashMap<u32, Label> = HashMap::from([(default, default_l)]);
    let mut blocks: Vec<Block> = Vec::new();
    // x32 numbers in a filter without x32 get the bad-architecture action, as with
    // libseccomp: else a denylist would let x32 callers through.
    let no_x32_l = if targets.contains(&Target::X86_64) && !targets.contains(&Target::X32) {
        *rets.entry(RET_KILL_PROCESS).or_insert_with(|| asm.label())
    } else {
        default_l
    };
    let enosys_l = (!enosys_above.is_empty()).then(|| {
        *rets
            .entry(RET_ERRNO | libc::ENOSYS as u32)
            .or_insert_with(|| asm.label())
    });
    let mut search = |asm: &mut Asm, t: Target| {
        let segs = segments(
            t,
            table.get(&t).unwrap_or(&empty),
            asm,
            &mut rets,
            &mut blocks,
            (default, default_l),
        );
        tree(asm, &segs);
    };
    // A holds the syscall number: numbers above the newest the profile names get ENOSYS.
    let stub = |asm: &mut Asm, t: Target| {
        if let (Some(&newest), Some(l)) = (enosys_above.get(&t), enosys_l) {
            asm.jgt(newest, To::Next, To::Skip(1));
            asm.ja(l);
        }
    };

    // Which ABI: one section per AUDIT_ARCH (x86_64 and x32 share one).
    let sections: Vec<(u32, Label)> = {
        let audits: BTreeSet<u32> = targets.iter().map(|t| t.audit_arch()).collect();
        audits.into_iter().map(|a| (a, asm.label())).collect()
    };
    asm.load(OFF_ARCH);
    for &(audit, l) in &sections {
        asm.jeq(audit, To::Next, To::Skip(1));
        asm.ja(l);
    }
    asm.ret(RET_KILL_PROCESS);

    for &(audit, l) in &sections {
        asm.bind(l);
        asm.load(OFF_NR);
        let in_section: Vec<Target> = targets
            .iter()
            .copied()
            .filter(|t| t.audit_arch() == audit)
            .collect();
        let main = in_section.iter().copied().find(|&t| t != Target::X32);
        let has_x32 = in_section.contains(&Target::X32);
        if audit == Target::X86_64.audit_arch() {
            let x32_l = if has_x32 { asm.label() } else { no_x32_l };
            let (stub_l, main_l) = (asm.label(), asm.label());
            // -1 (what a tracer sets to skip a call) is not x32: it goes to the x86_64
            // search, where no syscall has it, as with libseccomp; runc's stub, which sees
            // bit 30 set, gives it ENOSYS when x32 is listed.
            asm.jge(X32_SYSCALL_BIT, To::Next, To::L(stub_l));
            match (enosys_above.contains_key(&Target::X32), enosys_l) {
                (true, Some(enosys)) if has_x32 => {
                    asm.jeq(u32::MAX, To::Next, To::Skip(1));
                    asm.ja(enosys);
                }
                _ => asm.jeq(u32::MAX, To::L(main_l), To::Next),
            }
            asm.ja(x32_l);
            asm.bind(stub_l);
            if let Some(t) = main {
                stub(&mut asm, t);
            }
            asm.bind(main_l);
            match main {
                Some(t) => search(&mut asm, t),
                None => asm.ja(default_l),
            }
            if has_x32 {
                asm.bind(x32_l);
                stub(&mut asm, Target::X32);
                search(&mut asm, Target::X32);
            }
        } else if let Some(t) = main {
            stub(&mut asm, t);
            search(&mut asm, t);
        }
    }

    for b in blocks {
        asm.bind(b.label);
        for (conds, action) in &b.syscall.conditional {
            let next = asm.label();
            for c in conds {
                condition(&mut asm, c, b.low_words_only, next);
            }
            asm.ret(*action);
            asm.bind(next);
        }
        match b.syscall.unconditional {
            Some(a) => asm.ret(a),
            None => asm.ja(default_l),
        }
    }
    let mut shared: Vec<(u32, Label)> = rets.into_iter().filter(|(v, _)| *v != default).collect();
    shared.sort_unstable_by_key(|(v, _)| *v);
    for (value, l) in shared {
        asm.bind(l);
        asm.ret(value);
    }
    asm.bind(default_l);
    asm.ret(default);
    asm.finish()
}

/// The argument checks of one syscall of one ABI.
struct Block<'a> {
    label: Label,
    syscall: &'a Syscall,
    /// The ABI's arguments are 32-bit: compare low words only.
    low_words_only: bool,
}

/// The number line cut into ranges, each with where to go: [(first number, target)],
/// starting at 0 and covering every number.
fn segments<'a>(
    t: Target,
    syscalls: &'a BTreeMap<u32, Syscall>,
    asm: &mut Asm,
    rets: &mut HashMap<u32, Label>,
    blocks: &mut Vec<Block<'a>>,
    (default, default_l): (u32, Label),
) -> Vec<(u32, Label)> {
    let mut segs: Vec<(u32, Label)> = vec![(0, default_l)];
    let mut last_end: u64 = 0; // one past the last number placed
    for (&nr, sc) in syscalls {
        let target = if sc.conditional.is_empty() {
            let value = sc.unconditional.unwrap_or(default);
            *rets.entry(value).or_insert_with(|| asm.label())
        } else {
            let l = asm.label();
            blocks.push(Block {
                label: l,
                syscall: sc,
                low_words_only: t.has_32_bit_args(),
            });
            l
        };
        if u64::from(nr) != last_end {
            push_seg(&mut segs, last_end as u32, default_l);
        }
        push_seg(&mut segs, nr, target);
        last_end = u64::from(nr) + 1;
    }
    if last_end <= u64::from(u32::MAX) {
        push_seg(&mut segs, last_end as u32, default_l);
    }
    segs
}

fn push_seg(segs: &mut Vec<(u32, Label)>, start: u32, target: Label) {
    match segs.last_mut() {
        Some(last) if last.1 == target => {}
        Some(last) if last.0 == start => last.1 = target,
        _ => segs.push((start, target)),
    }
}

/// Binary search over segments; A holds the syscall number.
fn tree(asm: &mut Asm, segs: &[(u32, Label)]) {
    if segs.len() == 1 {
        asm.ja(segs[0].1);
        return;
    }
    let mid = segs.len() / 2;
    let right = asm.label();
    asm.jge(segs[mid].0, To::Next, To::Skip(1));
    asm.ja(right);
    tree(asm, &segs[..mid]);
    asm.bind(right);
    tree(asm, &segs[mid..]);
}

/// Falls through when the argument satisfies the condition, else jumps to `fail`. The
/// comparison is on full 64-bit values, or with `low_words_only` on the low 32 bits of the
/// argument and of the condition's values (ABIs whose arguments are 32-bit, as libseccomp).
fn condition(asm: &mut Asm, c: &Cond, low_words_only: bool, fail: Label) {
    let (lo_off, hi_off) = if cfg!(target_endian = "little") {
        (OFF_ARGS + 8 * c.index, OFF_ARGS + 8 * c.index + 4)
    } else {
        (OFF_ARGS + 8 * c.index + 4, OFF_ARGS + 8 * c.index)
    };
    let (hi, lo) = ((c.value >> 32) as u32, c.value as u32);
    let pass = asm.label();
    let (f, p) = (To::L(fail), To::L(pass));
    let wide = !low_words_only;
    match c.op {
        Op::ScmpCmpEq => {
            if wide {
                asm.load(hi_off);
                asm.jeq(hi, To::Next, f);
            }
            asm.load(lo_off);
            asm.jeq(lo, To::Next, f);
        }
        Op::ScmpCmpNe => {
            if wide {
                asm.load(hi_off);
                asm.jeq(hi, To::Next, p);
            }
            asm.load(lo_off);
            asm.jeq(lo, f, To::Next);
        }
        Op::ScmpCmpGt | Op::ScmpCmpGe => {
            if wide {
                asm.load(hi_off);
                asm.jgt(hi, p, To::Next);
                asm.jeq(hi, To::Next, f);
            }
            asm.load(lo_off);
            if c.op == Op::ScmpCmpGt {
                asm.jgt(lo, To::Next, f);
            } else {
                asm.jge(lo, To::Next, f);
            }
        }
        Op::ScmpCmpLt | Op::ScmpCmpLe => {
            if wide {
                asm.load(hi_off);
                asm.jge(hi, To::Next, p);
                asm.jeq(hi, To::Next, f);
            }
            asm.load(lo_off);
            if c.op == Op::ScmpCmpLt {
                asm.jge(lo, f, To::Next);
            } else {
                asm.jgt(lo, f, To::Next);
            }
        }
        Op::ScmpCmpMaskedEq => {
            let (dhi, dlo) = ((c.value_two >> 32) as u32, c.value_two as u32);
            if wide {
                asm.load(hi_off);
                asm.and(hi);
                asm.jeq(dhi, To::Next, f);
            }
            asm.load(lo_off);
            asm.and(lo);
            asm.jeq(dlo, To::Next, f);
        }
    }
    asm.bind(pass);
}

#[cfg(test)]
#[path = "compile_tests.rs"]
mod tests;
