//! The vocabulary of a trace: what kind of step ([`Kind`]), in which phase of a container's
//! start ([`Phase`]), by which process ([`Role`]). Each is one byte in a record and one word
//! in a line.

/// What a step does to the kernel.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u8)]
pub enum Kind {
    /// A process made: `clone3`/`clone` (with its namespace flags) or `fork`.
    Clone = 1,
    /// `unshare`: new namespaces.
    Unshare,
    /// `setns`: a namespace joined.
    Setns,
    /// Hostname, domainname.
    Names,
    /// A session keyring joined.
    Keyring,
    /// `prctl` steps: parent-death signal, dumpable, keepcaps, personality, subreaper.
    Prctl,
    /// `mount`.
    Mount,
    /// `umount2`.
    Umount,
    /// `mount_setattr`, `move_mount`: attributes of mounts, detached trees.
    MountAttr,
    /// `pivot_root`.
    PivotRoot,
    /// `chroot` (`--no-pivot`).
    Chroot,
    /// A device node (`mknod`) or a /dev link.
    Device,
    /// A masked path (`maskedPaths`).
    Mask,
    /// A read-only path (`readonlyPaths`).
    ReadOnly,
    /// chmod, chown, mkdir, unlink of files the runtime makes.
    File,
    /// A sysctl written (`linux.sysctl`).
    Sysctl,
    /// A cgroup directory made or removed.
    CgroupDir,
    /// A cgroup control file written (`memory.limit_in_bytes = 104857600`).
    Cgroup,
    /// A process moved into a cgroup.
    CgroupJoin,
    /// uid/gid maps of a user namespace.
    IdMap,
    /// `setrlimit`.
    Rlimit,
    /// `oom_score_adj` written.
    OomScore,
    /// File descriptors: stdio, close_range.
    Fds,
    /// setgroups, setresgid, setresuid, umask.
    User,
    /// Capability sets (bounding, effective, permitted, inheritable, ambient).
    Caps,
    /// A seccomp filter installed.
    Seccomp,
    /// `PR_SET_NO_NEW_PRIVS`.
    NoNewPrivs,
    /// `chdir` to the process's cwd.
    Cwd,
    /// The exec.fifo: waiting for `start`, and `start` opening it.
    Fifo,
    /// A hook run.
    Hook,
    /// The pty: opened, sent, made the controlling terminal.
    Console,
    /// `execve`.
    Exec,
    /// A signal sent.
    Signal,
    /// A process waited for, or exited.
    Wait,
    /// A netlink request (links, addresses, routes).
    Netlink,
    /// Firewall rules applied (nftables or iptables).
    Firewall,
    /// Image store steps: an image resolved, imported, unpacked, pulled.
    Image,
    /// A phase begins or ends (`Mark`).
    Phase,
}

impl Kind {
    const ALL: [Kind; 38] = [
        Kind::Clone,
        Kind::Unshare,
        Kind::Setns,
        Kind::Names,
        Kind::Keyring,
        Kind::Prctl,
        Kind::Mount,
        Kind::Umount,
        Kind::MountAttr,
        Kind::PivotRoot,
        Kind::Chroot,
        Kind::Device,
        Kind::Mask,
        Kind::ReadOnly,
        Kind::File,
        Kind::Sysctl,
        Kind::CgroupDir,
        Kind::Cgroup,
        Kind::CgroupJoin,
        Kind::IdMap,
        Kind::Rlimit,
        Kind::OomScore,
        Kind::Fds,
        Kind::User,
        Kind::Caps,
        Kind::Seccomp,
        Kind::NoNewPrivs,
        Kind::Cwd,
        Kind::Fifo,
        Kind::Hook,
        Kind::Console,
        Kind::Exec,
        Kind::Signal,
        Kind::Wait,
        Kind::Netlink,
        Kind::Firewall,
        Kind::Image,
        Kind::Phase,
    ];

    pub(crate) fn from_u8(b: u8) -> Kind {
        Kind::ALL
            .iter()
            .copied()
            .find(|k| *k as u8 == b)
            .unwrap_or(Kind::Phase)
    }

    /// The word a line shows.
    pub fn name(self) -> &'static str {
        match self {
            Kind::Clone => "clone",
            Kind::Unshare => "unshare",
            Kind::Setns => "setns",
            Kind::Names => "hostname",
            Kind::Keyring => "keyring",
            Kind::Prctl => "prctl",
            Kind::Mount => "mount",
            Kind::Umount => "umount",
            Kind::MountAttr => "mountattr",
            Kind::PivotRoot => "pivot_root",
            Kind::Chroot => "chroot",
            Kind::Device => "device",
            Kind::Mask => "masked",
            Kind::ReadOnly => "readonly",
            Kind::File => "file",
            Kind::Sysctl => "sysctl",
            Kind::CgroupDir => "cgroup_dir",
            Kind::Cgroup => "cgroup",
            Kind::CgroupJoin => "cgroup_join",
            Kind::IdMap => "id_map",
            Kind::Rlimit => "rlimit",
            Kind::OomScore => "oom_score",
            Kind::Fds => "fds",
            Kind::User => "user",
            Kind::Caps => "caps",
            Kind::Seccomp => "seccomp",
            Kind::NoNewPrivs => "no_new_privs",
            Kind::Cwd => "cwd",
            Kind::Fifo => "exec_fifo",
            Kind::Hook => "hook",
            Kind::Console => "console",
            Kind::Exec => "execve",
            Kind::Signal => "signal",
            Kind::Wait => "wait",
            Kind::Netlink => "netlink",
            Kind::Firewall => "firewall",
            Kind::Image => "image",
            Kind::Phase => "phase",
        }
    }
}

/// The parts of a container's start the summary adds up.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u8)]
pub enum Phase {
    /// Outside any phase.
    Other = 0,
    /// Resolving, pulling and mounting the image.
    Image,
    /// Building the root file system.
    Rootfs,
    /// Making, limiting and joining cgroups.
    Cgroups,
    /// Cloning into, joining and making namespaces.
    Namespaces,
    /// Attaching the network.
    Network,
    /// The process steps up to `execve`.
    Exec,
}

impl Phase {
    /// The phases in the summary's order.
    pub const ALL: [Phase; 6] = [
        Phase::Image,
        Phase::Rootfs,
        Phase::Cgroups,
        Phase::Namespaces,
        Phase::Network,
        Phase::Exec,
    ];

    pub(crate) fn from_u8(b: u8) -> Phase {
        Phase::ALL
            .iter()
            .copied()
            .find(|p| *p as u8 == b)
            .unwrap_or(Phase::Other)
    }

    /// Its word in a line and in JSON.
    pub fn name(self) -> &'static str {
        match self {
            Phase::Other => "-",
            Phase::Image => "image",
            Phase::Rootfs => "rootfs",
            Phase::Cgroups => "cgroups",
            Phase::Namespaces => "namespaces",
            Phase::Network => "network",
            Phase::Exec => "exec",
        }
    }
}

/// Which process of a command made a step.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u8)]
pub enum Role {
    /// The command itself (`sixdocker`, `sixrun`): for sixrun, the runtime's parent.
    Cli = 0,
    /// sixdocker's per-container monitor: the runtime's parent for sixdocker.
    Monitor,
    /// The container's init, from clone to execve.
    Init,
    /// sixdocker's exec keeper: the runtime's parent of an exec'd process.
    Keeper,
    /// A process exec'd into a container, from clone to execve.
    Exec,
}

impl Role {
    pub(crate) fn from_u8(b: u8) -> Role {
        match b {
            1 => Role::Monitor,
            2 => Role::Init,
            3 => Role::Keeper,
            4 => Role::Exec,
            _ => Role::Cli,
        }
    }

    /// Its word in a line and in JSON.
    pub fn name(self) -> &'static str {
        match self {
            Role::Cli => "cli",
            Role::Monitor => "monitor",
            Role::Init => "init",
            Role::Keeper => "keeper",
            Role::Exec => "exec",
        }
    }
}
