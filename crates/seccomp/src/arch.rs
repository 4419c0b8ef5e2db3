//! Architectures a filter can cover on this host, their AUDIT_ARCH values and their
//! syscall tables. It never looks at rules or actions.

use oci_spec::runtime::Arch;

use crate::tables;

/// The x32 ABI shares AUDIT_ARCH_X86_64 and marks its syscall numbers with this bit.
pub(crate) const X32_SYSCALL_BIT: u32 = 0x4000_0000;

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

    /// The ABI an OCI architecture names, if processes on this host can use it.
    /// `None` for an architecture this host cannot run (its rules could never apply).
    pub fn from_oci(a: Arch) -> Option<Target> {
        let native = Target::native()?;
        let t = match a {
            Arch::ScmpArchNative => native,
            Arch::ScmpArchX86_64 => Target::X86_64,
            Arch::ScmpArchX32 => Target::X32,
            Arch::ScmpArchX86 => Target::I386,
            Arch::ScmpArchAarch64 => Target::Aarch64,
            Arch::ScmpArchArm => Target::Arm,
            _ => return None,
        };
        let runs_here = match native {
            Target::X86_64 => matches!(t, Target::X86_64 | Target::X32 | Target::I386),
            _ => matches!(t, Target::Aarch64 | Target::Arm),
        };
        runs_here.then_some(t)
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
        assert_eq!(Target::from_oci(Arch::ScmpArchX86), Some(Target::I386));
        assert_eq!(Target::from_oci(Arch::ScmpArchAarch64), None);
        assert_eq!(Target::from_oci(Arch::ScmpArchMips), None);
    }
}
