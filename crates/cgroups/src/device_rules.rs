//! What a list of OCI device rules means, as runc's device emulator reads it, and the
//! fewest writes that take a v1 devices cgroup from what it allows now to what it should.
//!
//! A devices cgroup is in one of two modes: deny everything except listed exceptions (what
//! containers get), or allow everything except listed ones. A rule of type `a` switches the
//! mode and drops every exception; any other rule adds or removes access letters of one
//! exception. Access letters other than `r`, `w`, `m` are ignored (runc reads `rwa` as `rw`);
//! order and repeats do not matter. A rule that would punch a hole into a wildcard exception
//! (deny `c 1:3 r` after allowing `c *:* rwm`) is refused: cgroup v1 silently ignores it.
//!
//! The transition never writes `a` (deny all, or allow all) when the cgroup is already in the
//! right mode, so processes in a running container never see a moment where an allowed device
//! is denied or a denied one allowed. It only computes; `v1.rs` writes and `devices_bpf.rs`
//! turns the clean rules into a program. It never touches a file.

use std::collections::BTreeMap;

use oci_spec::runtime::{LinuxDeviceCgroup, LinuxDeviceType};

use crate::error::{Error, Result};

/// The wildcard major or minor number (`*`).
const ANY: i64 = -1;

/// Read, write, mknod as bits.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(crate) struct Access(u8);

impl Access {
    pub const READ: u8 = 1;
    pub const WRITE: u8 = 2;
    pub const MKNOD: u8 = 4;
    pub const ALL: Access = Access(7);

    /// The letters r, w, m of `s`; every other letter is ignored, as runc ignores it.
    fn parse(s: &str) -> Access {
        Access(s.chars().fold(0, |bits, c| {
            bits | match c {
                'r' => Self::READ,
                'w' => Self::WRITE,
                'm' => Self::MKNOD,
                _ => 0,
            }
        }))
    }

    fn is_empty(self) -> bool {
        self.0 == 0
    }

    fn union(self, o: Access) -> Access {
        Access(self.0 | o.0)
    }

    fn minus(self, o: Access) -> Access {
        Access(self.0 & !o.0)
    }

    fn overlaps(self, o: Access) -> bool {
        self.0 & o.0 != 0
    }
}

impl std::fmt::Display for Access {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        for (bit, c) in [(Self::READ, 'r'), (Self::WRITE, 'w'), (Self::MKNOD, 'm')] {
            if self.0 & bit != 0 {
                write!(f, "{c}")?;
            }
        }
        Ok(())
    }
}

/// The devices one exception covers. Ordered by (major, minor, kind), runc's order of writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) struct Devices {
    pub major: i64,
    pub minor: i64,
    /// 'b' or 'c'.
    pub kind: char,
}

impl std::fmt::Display for Devices {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let num = |n: i64| {
            if n == ANY {
                "*".to_owned()
            } else {
                n.to_string()
            }
        };
        write!(f, "{} {}:{}", self.kind, num(self.major), num(self.minor))
    }
}

/// One write to devices.allow (`allow`) or devices.deny, such as "c 1:3 rwm".
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Write {
    pub allow: bool,
    pub line: String,
}

/// What a devices cgroup allows: a default and the exceptions to it.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub(crate) struct DeviceRules {
    /// true: everything is allowed except the exceptions (a fresh v1 cgroup below the root).
    pub default_allow: bool,
    pub exceptions: BTreeMap<Devices, Access>,
}

impl DeviceRules {
    /// The state OCI `rules` leave a deny-all cgroup in, applied in order as runc applies them.
    pub fn from_oci(rules: &[LinuxDeviceCgroup]) -> Result<DeviceRules> {
        let mut state = DeviceRules::default();
        for (i, rule) in rules.iter().enumerate() {
            let bad = |reason: String| Error::BadDeviceRule { index: i, reason };
            let text = rule.access().clone().unwrap_or_default();
            if text.is_empty() {
                return Err(bad("access is empty, expected letters from \"rwm\"".into()));
            }
            let kind = match rule.typ().unwrap_or(LinuxDeviceType::A) {
                LinuxDeviceType::A => {
                    state = DeviceRules {
                        default_allow: rule.allow(),
                        exceptions: BTreeMap::new(),
                    };
                    continue;
                }
                LinuxDeviceType::B => 'b',
                LinuxDeviceType::C => 'c',
                other => {
                    return Err(bad(format!(
                        "invalid cgroup device type {:?}, expected a, b or c",
                        other.as_str()
                    )))
                }
            };
            let number = |n: Option<i64>, what: &str| match n {
                None | Some(ANY) => Ok(ANY),
                Some(n) if (0..=u32::MAX as i64).contains(&n) => Ok(n),
                Some(n) => Err(bad(format!(
                    "{what} number {n}, expected 0 to 4294967295 or -1 (any)"
                ))),
            };
            let devices = Devices {
                kind,
                major: number(rule.major(), "major")?,
                minor: number(rule.minor(), "minor")?,
            };
            let access = Access::parse(&text);
            if access.is_empty() {
                return Err(bad(format!(
                    "access {text:?} has none of the letters r, w, m"
                )));
            }
            if rule.allow() == state.default_allow {
                state.remove(devices, access).map_err(bad)?;
            } else {
                state.add(devices, access);
            }
        }
        Ok(state)
    }

    /// The same state as OCI rules with nothing redundant: the default (an `a` rule), then
    /// one rule per exception, in the opposite action. What the v2 device program is built from.
    pub fn to_oci(&self) -> Vec<LinuxDeviceCgroup> {
        let rule = |allow: bool, typ: LinuxDeviceType, major: i64, minor: i64, access: Access| {
            let mut r = LinuxDeviceCgroup::default();
            r.set_allow(allow);
            r.set_typ(Some(typ));
            r.set_major(Some(major));
            r.set_minor(Some(minor));
            r.set_access(Some(access.to_string()));
            r
        };
        let mut rules = vec![rule(
            self.default_allow,
            LinuxDeviceType::A,
            ANY,
            ANY,
            Access::ALL,
        )];
        for (d, access) in &self.exceptions {
            let typ = if d.kind == 'b' {
                LinuxDeviceType::B
            } else {
                LinuxDeviceType::C
            };
            rules.push(rule(!self.default_allow, typ, d.major, d.minor, *access));
        }
        rules
    }

    /// The state a v1 cgroup's devices.list shows. It lists what is allowed, so a cgroup that
    /// allows everything but some devices shows only "a *:* rwm": its exceptions are unknown.
    pub fn from_list(text: &str) -> std::result::Result<DeviceRules, String> {
        let mut state = DeviceRules::default();
        for line in text.lines().filter(|l| !l.trim().is_empty()) {
            let bad = || format!("{line:?} is not a devices.list line");
            let mut words = line.split_whitespace();
            let (Some(kind), Some(numbers), Some(access), None) =
                (words.next(), words.next(), words.next(), words.next())
            else {
                return Err(bad());
            };
            let kind = match kind {
                "a" => {
                    state = DeviceRules {
                        default_allow: true,
                        exceptions: BTreeMap::new(),
                    };
                    continue;
                }
                "b" => 'b',
                "c" => 'c',
                _ => return Err(bad()),
            };
            let number = |s: &str| match s {
                "*" => Some(ANY),
                n => n.parse::<u32>().ok().map(i64::from),
            };
            let (major, minor) = numbers.split_once(':').ok_or_else(bad)?;
            let devices = Devices {
                kind,
                major: number(major).ok_or_else(bad)?,
                minor: number(minor).ok_or_else(bad)?,
            };
            let access = Access::parse(access);
            if access.is_empty() {
                return Err(bad());
            }
            if !state.default_allow {
                state.add(devices, access);
            }
        }
        Ok(state)
    }

    fn add(&mut self, devices: Devices, access: Access) {
        let e = self.exceptions.entry(devices).or_default();
        *e = e.union(access);
    }

    /// Takes `access` away from the exception for exactly `devices`, refusing (as runc does)
    /// when a wider exception also grants it: the kernel would keep granting it silently.
    fn remove(&mut self, devices: Devices, access: Access) -> std::result::Result<(), String> {
        for wider in [
            Devices {
                major: ANY,
                ..devices
            },
            Devices {
                minor: ANY,
                ..devices
            },
            Devices {
                major: ANY,
                minor: ANY,
                ..devices
            },
        ] {
            if wider == devices {
                continue;
            }
            if let Some(has) = self.exceptions.get(&wider).filter(|a| a.overlaps(access)) {
                return Err(format!(
                    "{devices} {access} cannot be taken out of the wider exception {wider} {has} \
                     before it (cgroup v1 would ignore it)"
                ));
            }
        }
        if let Some(e) = self.exceptions.get_mut(&devices) {
            *e = e.minus(access);
            if e.is_empty() {
                self.exceptions.remove(&devices);
            }
        }
        Ok(())
    }

    /// The writes, in order, that take a cgroup in state `self` to `target` with no moment
    /// in between that allows more than both or denies more than both, where the mode allows.
    pub fn transition(&self, target: &DeviceRules) -> Vec<Write> {
        let mut writes = Vec::new();
        let mut old = &self.exceptions;
        let none = BTreeMap::new();
        // An allow-all cgroup's exceptions cannot be read back, so it is always reset.
        if self.default_allow || self.default_allow != target.default_allow {
            writes.push(Write {
                allow: target.default_allow,
                line: "a *:* rwm".into(),
            });
            old = &none;
        }
        for (devices, had) in old {
            let dropped = had.minus(target.exceptions.get(devices).copied().unwrap_or_default());
            if !dropped.is_empty() {
                writes.push(Write {
                    allow: target.default_allow,
                    line: format!("{devices} {dropped}"),
                });
            }
        }
        for (devices, wants) in &target.exceptions {
            let gained = wants.minus(old.get(devices).copied().unwrap_or_default());
            if !gained.is_empty() {
                writes.push(Write {
                    allow: !target.default_allow,
                    line: format!("{devices} {gained}"),
                });
            }
        }
        writes
    }
}

#[cfg(test)]
#[path = "device_rules_tests.rs"]
mod tests;
