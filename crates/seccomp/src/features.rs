//! What this compiler takes, by the OCI names a runtime's `features` document lists: every
//! action, every argument operator, the architectures it has syscall tables for, and the
//! filter flags it passes to the kernel. The tests below compile a profile with each, so the
//! lists cannot claim what [`crate::compile`] refuses.

use crate::arch::Target;

/// Every OCI seccomp action (SCMP_ACT_NOTIFY with a listenerPath).
pub const ACTIONS: [&str; 9] = [
    "SCMP_ACT_ALLOW",
    "SCMP_ACT_ERRNO",
    "SCMP_ACT_KILL",
    "SCMP_ACT_KILL_PROCESS",
    "SCMP_ACT_KILL_THREAD",
    "SCMP_ACT_LOG",
    "SCMP_ACT_NOTIFY",
    "SCMP_ACT_TRACE",
    "SCMP_ACT_TRAP",
];

/// Every OCI argument comparison.
pub const OPERATORS: [&str; 7] = [
    "SCMP_CMP_EQ",
    "SCMP_CMP_GE",
    "SCMP_CMP_GT",
    "SCMP_CMP_LE",
    "SCMP_CMP_LT",
    "SCMP_CMP_MASKED_EQ",
    "SCMP_CMP_NE",
];

/// The filter flags passed to seccomp(2) (SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV is refused,
/// as runc 1.1 does not pass it either).
pub const FLAGS: [&str; 3] = [
    "SECCOMP_FILTER_FLAG_LOG",
    "SECCOMP_FILTER_FLAG_SPEC_ALLOW",
    "SECCOMP_FILTER_FLAG_TSYNC",
];

/// The OCI names of the architectures there is a syscall table for (a profile may list
/// others: their rules are skipped, as no process here can use them), sorted.
pub fn archs() -> Vec<&'static str> {
    let mut names: Vec<&'static str> = Target::ALL
        .iter()
        .map(|t| match t {
            Target::X86_64 => "SCMP_ARCH_X86_64",
            Target::X32 => "SCMP_ARCH_X32",
            Target::I386 => "SCMP_ARCH_X86",
            Target::Aarch64 => "SCMP_ARCH_AARCH64",
            Target::Arm => "SCMP_ARCH_ARM",
        })
        .collect();
    names.sort_unstable();
    names
}

#[cfg(test)]
mod tests {
    use super::*;
    use oci_spec::runtime::Arch;

    /// The ABI an OCI architecture name stands for, if this compiler has its table.
    fn target_of(name: &str) -> Option<Target> {
        let arch: Arch = serde_json::from_value(serde_json::Value::String(name.into())).ok()?;
        Target::ALL
            .into_iter()
            .find(|&t| Target::from_oci(arch, t) == Some(t))
    }

    fn compiles(profile: serde_json::Value) -> Result<(), String> {
        let s = crate::parse_profile(&profile.to_string()).map_err(|e| e.to_string())?;
        crate::compile(&s).map(|_| ()).map_err(|e| e.to_string())
    }

    #[test]
    fn every_listed_action_operator_arch_and_flag_compiles() {
        for action in ACTIONS {
            compiles(serde_json::json!({
                "defaultAction": "SCMP_ACT_ALLOW",
                "listenerPath": "/run/agent.sock",
                "syscalls": [{"names": ["getpid"], "action": action}]
            }))
            .unwrap_or_else(|e| panic!("{action}: {e}"));
        }
        for op in OPERATORS {
            compiles(serde_json::json!({
                "defaultAction": "SCMP_ACT_ALLOW",
                "syscalls": [{"names": ["personality"], "action": "SCMP_ACT_ERRNO",
                    "args": [{"index": 0, "value": 8, "valueTwo": 8, "op": op}]}]
            }))
            .unwrap_or_else(|e| panic!("{op}: {e}"));
        }
        for arch in archs() {
            assert!(target_of(arch).is_some(), "{arch} has no table");
            compiles(serde_json::json!({
                "defaultAction": "SCMP_ACT_ERRNO",
                "architectures": [arch],
                "syscalls": [{"names": ["getpid"], "action": "SCMP_ACT_ALLOW"}]
            }))
            .unwrap_or_else(|e| panic!("{arch}: {e}"));
        }
        assert!(target_of("SCMP_ARCH_MIPS").is_none());
        for flag in FLAGS {
            compiles(serde_json::json!({"defaultAction": "SCMP_ACT_ALLOW", "flags": [flag]}))
                .unwrap_or_else(|e| panic!("{flag}: {e}"));
        }
        assert!(compiles(serde_json::json!({
            "defaultAction": "SCMP_ACT_ALLOW", "flags": ["SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV"]
        }))
        .is_err());
    }
}
