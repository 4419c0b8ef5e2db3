//! Device access rules on cgroup v2, where there is no devices.allow: the kernel asks a
//! BPF_PROG_TYPE_CGROUP_DEVICE program attached to the cgroup. This file generates that
//! program from OCI rules (read as on v1, `device_rules.rs`; then the last matching rule
//! decides, as in crun; no rule matching means allowed, as in a new v1 cgroup below the
//! root), loads it, attaches it and
//! detaches the programs it replaces. It never touches v1 files.

use std::fs::File;
use std::io;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
use std::path::Path;

use oci_spec::runtime::LinuxDeviceCgroup;

use crate::cgroup::Cgroup;
use crate::device_rules::DeviceRules;
use crate::error::{Error, Result};

/// One eBPF instruction (struct bpf_insn).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(C)]
pub(crate) struct BpfInsn {
    pub code: u8,
    /// dst in the low nibble, src in the high one.
    pub regs: u8,
    pub off: i16,
    pub imm: i32,
}

// Opcodes used here (linux/bpf.h).
pub(crate) const LDX_MEM_W: u8 = 0x61;
pub(crate) const MOV32_REG: u8 = 0xbc;
pub(crate) const AND32_IMM: u8 = 0x54;
pub(crate) const RSH32_IMM: u8 = 0x74;
pub(crate) const MOV64_IMM: u8 = 0xb7;
pub(crate) const JEQ_IMM: u8 = 0x15;
pub(crate) const JNE_IMM: u8 = 0x55;
pub(crate) const EXIT: u8 = 0x95;

// struct bpf_cgroup_dev_ctx { u32 access_type; u32 major; u32 minor; }:
// access_type = (access << 16) | type.
const DEV_BLOCK: i32 = 1;
const DEV_CHAR: i32 = 2;
const ACC_MKNOD: i32 = 1;
const ACC_READ: i32 = 2;
const ACC_WRITE: i32 = 4;
const ACC_ALL: i32 = ACC_MKNOD | ACC_READ | ACC_WRITE;

fn insn(code: u8, dst: u8, src: u8, off: i16, imm: i32) -> BpfInsn {
    BpfInsn {
        code,
        regs: (src << 4) | dst,
        off,
        imm,
    }
}

/// The program for `rules`: r3 = device type, r4 = requested access, r5 = major,
/// r6 = minor; one block per rule, last rule first; a block that does not match jumps
/// past itself. Generation stops at a catch-all rule (nothing after it could run).
pub(crate) fn program(rules: &[LinuxDeviceCgroup]) -> Result<Vec<BpfInsn>> {
    let mut p = vec![
        insn(LDX_MEM_W, 2, 1, 0, 0),
        insn(MOV32_REG, 3, 2, 0, 0),
        insn(AND32_IMM, 3, 0, 0, 0xffff),
        insn(MOV32_REG, 4, 2, 0, 0),
        insn(RSH32_IMM, 4, 0, 0, 16),
        insn(LDX_MEM_W, 5, 1, 4, 0),
        insn(LDX_MEM_W, 6, 1, 8, 0),
    ];
    for rule in rules.iter().rev() {
        // (opcode, register, operand) tests that must all pass; a failing one skips the block.
        let mut tests: Vec<(u8, u8, i32)> = Vec::new();
        let mut pre: Vec<BpfInsn> = Vec::new();
        let typ = rule.typ().map(|t| t.as_str().to_owned());
        match typ.as_deref().unwrap_or("a") {
            "a" => {}
            "b" => tests.push((JNE_IMM, 3, DEV_BLOCK)),
            "c" | "u" => tests.push((JNE_IMM, 3, DEV_CHAR)),
            other => {
                return Err(Error::BadValue {
                    what: "device rule type",
                    value: other.into(),
                    expected: "a, b or c",
                });
            }
        }
        let access = access_bits(rule.access().as_deref().unwrap_or("rwm"))?;
        let mut access_test = None;
        if access != ACC_ALL {
            // Allow when the request is within the rule; deny when it touches it.
            let (mask, skip_op) = if rule.allow() {
                (!access & ACC_ALL, JNE_IMM)
            } else {
                (access, JEQ_IMM)
            };
            pre.push(insn(MOV32_REG, 7, 4, 0, 0));
            pre.push(insn(AND32_IMM, 7, 0, 0, mask));
            access_test = Some((skip_op, 7, 0));
        }
        for (num, reg) in [(rule.major(), 5u8), (rule.minor(), 6u8)] {
            if let Some(n) = num.filter(|&n| n >= 0) {
                let n = i32::try_from(n).map_err(|_| Error::BadValue {
                    what: "device number",
                    value: n.to_string(),
                    expected: "below 2^31",
                })?;
                tests.push((JNE_IMM, reg, n));
            }
        }
        let checks: Vec<(u8, u8, i32)> = access_test.into_iter().chain(tests).collect();
        let block_len = pre.len() + checks.len() + 2;
        p.extend(&pre);
        for (i, (op, reg, imm)) in checks.iter().enumerate() {
            let here = pre.len() + i;
            let skip = (block_len - here - 1) as i16;
            p.push(insn(*op, *reg, 0, skip, *imm));
        }
        p.push(insn(MOV64_IMM, 0, 0, 0, i32::from(rule.allow())));
        p.push(insn(EXIT, 0, 0, 0, 0));
        if checks.is_empty() {
            // A catch-all decides everything: code after it would be unreachable, which
            // the verifier refuses.
            return Ok(p);
        }
    }
    p.push(insn(MOV64_IMM, 0, 0, 0, 1));
    p.push(insn(EXIT, 0, 0, 0, 0));
    Ok(p)
}

fn access_bits(access: &str) -> Result<i32> {
    let mut bits = 0;
    for c in access.chars() {
        bits |= match c {
            'r' => ACC_READ,
            'w' => ACC_WRITE,
            'm' => ACC_MKNOD,
            _ => {
                return Err(Error::BadValue {
                    what: "device rule access",
                    value: access.into(),
                    expected: "letters from \"rwm\"",
                })
            }
        };
    }
    if bits == 0 {
        return Err(Error::BadValue {
            what: "device rule access",
            value: access.into(),
            expected: "letters from \"rwm\"",
        });
    }
    Ok(bits)
}

/// `Cgroup::set` on v2.
pub(crate) fn apply(cg: &Cgroup, dir: &Path, rules: &[LinuxDeviceCgroup]) -> Result<()> {
    if rules.is_empty() {
        return Ok(());
    }
    if cg.fake {
        return Err(Error::Unsupported {
            what: "device rules".into(),
            context: "on a fake cgroup tree (they need a BPF program in the kernel)",
        });
    }
    attach_device_filter(dir, rules)
}

/// Loads the device program for `rules` and attaches it to the cgroup2 directory `dir`,
/// replacing the device programs attached there before. Used by [`Cgroup::set`] on v2;
/// public for callers that manage a cgroup2 directory themselves.
pub fn attach_device_filter(dir: &Path, rules: &[LinuxDeviceCgroup]) -> Result<()> {
    let _span = tracing::debug_span!("cgroup_device_filter", rules = rules.len()).entered();
    let fail = |step| {
        move |source: io::Error| Error::DeviceFilter {
            step,
            dir: dir.into(),
            source,
        }
    };
    // Read as runc reads them (rwa is rw, no holes in wildcards), then with nothing redundant.
    let insns = program(&DeviceRules::from_oci(rules)?.to_oci())?;
    let cgroup = File::open(dir).map_err(fail("opening the cgroup for"))?;
    let old = sys::query(&cgroup).map_err(fail("listing the programs before"))?;
    let prog = sys::load(&insns).map_err(fail("loading"))?;
    sys::attach(&cgroup, &prog).map_err(fail("attaching"))?;
    for id in old {
        // Gone already (another updater) is fine.
        if let Ok(fd) = sys::fd_by_id(id) {
            sys::detach(&cgroup, &fd).map_err(fail("detaching the program replaced by"))?;
        }
    }
    Ok(())
}

/// The four bpf(2) commands this file needs, with their attribute layouts.
mod sys {
    use super::*;

    const BPF_PROG_LOAD: libc::c_long = 5;
    const BPF_PROG_ATTACH: libc::c_long = 8;
    const BPF_PROG_DETACH: libc::c_long = 9;
    const BPF_PROG_GET_FD_BY_ID: libc::c_long = 13;
    const BPF_PROG_QUERY: libc::c_long = 16;
    const BPF_PROG_TYPE_CGROUP_DEVICE: u32 = 15;
    const BPF_CGROUP_DEVICE: u32 = 6;
    const BPF_F_ALLOW_MULTI: u32 = 2;

    #[repr(C)]
    #[derive(Default)]
    struct LoadAttr {
        prog_type: u32,
        insn_cnt: u32,
        insns: u64,
        license: u64,
        log_level: u32,
        log_size: u32,
        log_buf: u64,
        kern_version: u32,
        prog_flags: u32,
        prog_name: [u8; 16],
        prog_ifindex: u32,
        expected_attach_type: u32,
    }

    #[repr(C)]
    #[derive(Default)]
    struct AttachAttr {
        target_fd: u32,
        attach_bpf_fd: u32,
        attach_type: u32,
        attach_flags: u32,
        replace_bpf_fd: u32,
    }

    #[repr(C)]
    #[derive(Default)]
    struct QueryAttr {
        target_fd: u32,
        attach_type: u32,
        query_flags: u32,
        attach_flags: u32,
        prog_ids: u64,
        prog_cnt: u32,
        _pad: u32,
    }

    fn bpf<T>(cmd: libc::c_long, attr: &mut T) -> io::Result<libc::c_long> {
        // SAFETY: attr is a live, zero-padded #[repr(C)] bpf_attr prefix of the given size.
        let rc =
            unsafe { libc::syscall(libc::SYS_bpf, cmd, attr as *mut T, std::mem::size_of::<T>()) };
        if rc < 0 {
            Err(io::Error::last_os_error())
        } else {
            Ok(rc)
        }
    }

    fn owned(fd: libc::c_long) -> OwnedFd {
        // SAFETY: the kernel just returned this descriptor to us and nothing else owns it.
        unsafe { OwnedFd::from_raw_fd(fd as i32) }
    }

    pub fn load(insns: &[BpfInsn]) -> io::Result<OwnedFd> {
        let license = b"Apache-2.0\0";
        let mut attr = LoadAttr {
            prog_type: BPF_PROG_TYPE_CGROUP_DEVICE,
            insn_cnt: insns.len() as u32,
            insns: insns.as_ptr() as u64,
            license: license.as_ptr() as u64,
            ..Default::default()
        };
        attr.prog_name[..10].copy_from_slice(b"six_device");
        match bpf(BPF_PROG_LOAD, &mut attr) {
            Ok(fd) => Ok(owned(fd)),
            Err(e) => {
                // Ask again with the verifier's log, and report its last line.
                let mut log = vec![0u8; 64 * 1024];
                attr.log_level = 1;
                attr.log_size = log.len() as u32;
                attr.log_buf = log.as_mut_ptr() as u64;
                let _ = bpf(BPF_PROG_LOAD, &mut attr).map(owned);
                let text =
                    String::from_utf8_lossy(&log[..log.iter().position(|&b| b == 0).unwrap_or(0)])
                        .into_owned();
                match text
                    .lines()
                    .rev()
                    .find(|l| !l.trim().is_empty() && !l.starts_with("processed "))
                {
                    Some(last) => Err(io::Error::other(format!(
                        "{} (verifier: {last})",
                        crate::error::errno_text(&e)
                    ))),
                    None => Err(e),
                }
            }
        }
    }

    pub fn attach(cgroup: &File, prog: &OwnedFd) -> io::Result<()> {
        let mut attr = AttachAttr {
            target_fd: cgroup.as_raw_fd() as u32,
            attach_bpf_fd: prog.as_raw_fd() as u32,
            attach_type: BPF_CGROUP_DEVICE,
            attach_flags: BPF_F_ALLOW_MULTI,
            ..Default::default()
        };
        bpf(BPF_PROG_ATTACH, &mut attr).map(drop)
    }

    pub fn detach(cgroup: &File, prog: &OwnedFd) -> io::Result<()> {
        let mut attr = AttachAttr {
            target_fd: cgroup.as_raw_fd() as u32,
            attach_bpf_fd: prog.as_raw_fd() as u32,
            attach_type: BPF_CGROUP_DEVICE,
            ..Default::default()
        };
        bpf(BPF_PROG_DETACH, &mut attr).map(drop)
    }

    /// IDs of the device programs attached directly to this cgroup.
    pub fn query(cgroup: &File) -> io::Result<Vec<u32>> {
        let mut ids = vec![0u32; 64];
        let mut attr = QueryAttr {
            target_fd: cgroup.as_raw_fd() as u32,
            attach_type: BPF_CGROUP_DEVICE,
            prog_ids: ids.as_mut_ptr() as u64,
            prog_cnt: ids.len() as u32,
            ..Default::default()
        };
        bpf(BPF_PROG_QUERY, &mut attr)?;
        ids.truncate(attr.prog_cnt as usize);
        Ok(ids)
    }

    pub fn fd_by_id(id: u32) -> io::Result<OwnedFd> {
        let mut attr: [u32; 3] = [id, 0, 0];
        bpf(BPF_PROG_GET_FD_BY_ID, &mut attr).map(owned)
    }
}

#[cfg(test)]
#[path = "devices_bpf_tests.rs"]
mod tests;
