//! Architectures a filter can cover on this host, their AUDIT_ARCH values and their
//! syscall tables. It never looks at rules or actions.

use oci_spec::runtime::Arch;

use crate::tables;

/// The x32 ABI shares AUDIT_ARCH_X86_64 and marks its syscall numbers with this bit.
pub(crate) const X32_SYSCALL_BIT: u32 = 0x4000_0000;

/// FNV-1a over every table's names and numbers, computed at build time: part of
/// [`crate::compiler_id`], so regenerated tables invalidate cached programs.
pub(crate) const TABLES_FINGERPRINT: u64 = fingerprint(&[
    tables::x86_64::SYSCALLS,
    tables::x32::SYSCALLS,
    tables::i386::SYSCALLS,
    tables::aarch64::SYSCALLS,
    tables::arm::SYSCALLS,
]);

const fn fingerprint(tables: &[&[(&str, u32)]]) -> u64 {
    const fn mix(mut h: u64, bytes: &[u8]) -> u64 {
        let mut i = 0;
        while i < bytes.len() {
            h ^= bytes[i] as u64;
            h = h.wrapping_mul(0x0100_0000_01b3);
            i += 1;
        }
        h
    }
    let mut h = 0xcbf2_9ce4_8422_2325;
    let mut t = 0;
    while t < tables.len() {
        let mut i = 0;
        while i < tables[t].len() {
            h = mix(h, tables[t][i].0.as_bytes());
            h = mix(h, &tables[t][i].1.to_le_bytes());
            i += 1;
        }
        h = mix(h, b"/");
        t += 1;
    }
    h
}

/// One syscall ABI a process on this host can use.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum Target {
    X86_64,
    X32,
    I386,
    Aarch64,
    Arm,
}

impl Target {
    /// The ABI of this build.
    pub fn native() -> Option<Target> {
        if cfg!(all(target_arch = "x86_64", target_pointer_width = "64")) {
            Some(Target::X86_64)
        } else if cfg!(target_arch = "aarch64") {
            Some(Target::Aarch64)
        } else {
            None
        }
    }

    /// Every ABI there is a table for.
    pub const ALL: [Target; 5] = [
        Target::X86_64,
        Target::X32,
        Target::I386,
        Target::Aarch64,
        Target::Arm,
    ];

    /// The ABI an OCI architecture names, if processes on a host whose native ABI is `host`
    /// can use it. `None` for an architecture that host cannot run (its rules could never
    /// apply).
    pub fn from_oci(a: Arch, host: Target) -> Option<Target> {
        let t = match a {
            Arch::ScmpArchNative => host,
            Arch::ScmpArchX86_64 => Target::X86_64,
            Arch::ScmpArchX32 => Target::X32,
            Arch::ScmpArchX86 => Target::I386,
            Arch::ScmpArchAarch64 => Target::Aarch64,
            Arch::ScmpArchArm => Target::Arm,
            _ => return None,
        };
        host.runs(t).then_some(t)
    }

    /// Whether a host whose native ABI is `self` runs processes of ABI `t`.
    pub fn runs(self, t: Target) -> bool {
        match self {
            Target::X86_64 => matches!(t, Target::X86_64 | Target::X32 | Target::I386),
            Target::Aarch64 => matches!(t, Target::Aarch64 | Target::Arm),
            other => other == t,
        }
    }

    /// Whether syscall arguments of this ABI are 32-bit C types (ILP32): only their low
    /// words mean anything to the kernel, and only those are compared (as libseccomp does).
    pub fn has_32_bit_args(self) -> bool {
        !matches!(self, Target::X86_64 | Target::Aarch64)
    }

    /// The AUDIT_ARCH_* value the kernel puts in `seccomp_data.arch`.
    pub fn audit_arch(self) -> u32 {
        match self {
            Target::X86_64 | Target::X32 => 0xc000_003e,
            Target::I386 => 0x4000_0003,
            Target::Aarch64 => 0xc000_00b7,
            Target::Arm => 0x4000_0028,
        }
    }

    /// The syscall number of `name` in this ABI (x32 numbers include the x32 bit).
    pub fn number(self, name: &str) -> Option<u32> {
        let table = match self {
            Target::X86_64 => tables::x86_64::SYSCALLS,
            Target::X32 => tables::x32::SYSCALLS,
            Target::I386 => tables::i386::SYSCALLS,
            Target::Aarch64 => tables::aarch64::SYSCALLS,
            Target::Arm => tables::arm::SYSCALLS,
        };
        let nr = table
            .binary_search_by(|(n, _)| (*n).cmp(name))
            .ok()
            .map(|i| table[i].1)?;
        Some(if self == Target::X32 {
            nr | X32_SYSCALL_BIT
        } else {
            nr
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tables_are_sorted_and_known_numbers_match() {
        for table in [
            tables::x86_64::SYSCALLS,
            tables::x32::SYSCALLS,
            tables::i386::SYSCALLS,
            tables::aarch64::SYSCALLS,
            tables::arm::SYSCALLS,
        ] {
            assert!(table.windows(2).all(|w| w[0].0 < w[1].0));
        }
        assert_eq!(Target::X86_64.number("read"), Some(0));
        assert_eq!(Target::X86_64.number("unshare"), Some(272));
        assert_eq!(Target::X86_64.number("mseal"), Some(462));
        assert_eq!(Target::X86_64.number("io_pgetevents"), Some(333));
        assert_eq!(Target::I386.number("clock_gettime64"), Some(403));
        assert_eq!(Target::Arm.number("set_tls"), Some(0xf_0005));
        assert_eq!(Target::Arm.number("sync_file_range2"), Some(341));
        assert_eq!(Target::I386.number("mount"), Some(21));
        assert_eq!(Target::X32.number("read"), Some(X32_SYSCALL_BIT));
        assert_eq!(Target::Aarch64.number("openat"), Some(56));
        assert_eq!(
            Target::Aarch64.number("open"),
            None,
            "aarch64 has no open(2)"
        );
        assert_eq!(Target::X86_64.number("no_such_call"), None);
    }

    #[test]
    fn the_fingerprint_changes_with_any_name_or_number() {
        let table: &[(&str, u32)] = &[("read", 0), ("write", 1)];
        let base = fingerprint(&[table]);
        assert_ne!(base, fingerprint(&[&[("read", 0), ("write", 2)]]));
        assert_ne!(base, fingerprint(&[&[("read", 0), ("writf", 1)]]));
        assert_ne!(base, fingerprint(&[&[("read", 0)], &[("write", 1)]]));
        assert_eq!(base, fingerprint(&[table]));
        assert_ne!(TABLES_FINGERPRINT, 0);
    }

    #[cfg(target_arch = "x86_64")]
    #[test]
    fn native_table_agrees_with_libc() {
        assert_eq!(
            Target::X86_64.number("getpid"),
            Some(libc::SYS_getpid as u32)
        );
        assert_eq!(
            Target::X86_64.number("clone3"),
            Some(libc::SYS_clone3 as u32)
        );
        assert_eq!(
            Target::X86_64.number("personality"),
            Some(libc::SYS_personality as u32)
        );
        let host = Target::X86_64;
        assert_eq!(
            Target::from_oci(Arch::ScmpArchX86, host),
            Some(Target::I386)
        );
        assert_eq!(Target::from_oci(Arch::ScmpArchAarch64, host), None);
        assert_eq!(Target::from_oci(Arch::ScmpArchMips, host), None);
    }
}
