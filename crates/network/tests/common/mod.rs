//! Shared helpers of the network integration tests: a store in a temp root that removes
//! everything it made on drop, network namespaces held by a `sleep` child of our own, and
//! leak checks (links, firewall chains, leases).
#![allow(dead_code)]

use std::net::Ipv4Addr;
use std::os::unix::process::CommandExt;
use std::path::PathBuf;
use std::process::{Child, Command, Output, Stdio};

use six_network::{Endpoint, Networks, OpenOptions};

/// A store in its own temp root. On drop: every endpoint is reconciled away, every network
/// removed (bridges, rules, chains).
pub struct TestStore {
    pub networks: Networks,
    pub root: tempfile::TempDir,
}

impl TestStore {
    pub fn new() -> TestStore {
        six_testkit::require_root();
        let root = tempfile::Builder::new()
            .prefix("six-net-test-")
            .tempdir()
            .unwrap();
        let networks = Networks::open_with(root.path(), OpenOptions { ip_forward: false }).unwrap();
        TestStore { networks, root }
    }

    /// A container to attach, with its own hosts file (made empty in the store's temp root,
    /// as the engine makes one in the container's directory).
    pub fn endpoint(&self, id: &str) -> Endpoint {
        let dir = self.root.path().join("containers");
        std::fs::create_dir_all(&dir).unwrap();
        let hosts = dir.join(format!("{id}.hosts"));
        std::fs::write(&hosts, "").unwrap();
        Endpoint {
            hosts_file: Some(hosts),
            ..endpoint(id)
        }
    }

    /// The hosts file of a container made by [`TestStore::endpoint`].
    pub fn hosts_of(&self, id: &str) -> String {
        std::fs::read_to_string(
            self.root
                .path()
                .join("containers")
                .join(format!("{id}.hosts")),
        )
        .unwrap()
    }

    /// Bridge device names of every network, and host veth names of every endpoint.
    pub fn links(&self) -> Vec<String> {
        let mut out = Vec::new();
        for n in self.networks.list().unwrap() {
            out.push(n.bridge.clone());
            out.extend(n.endpoints.iter().map(|e| e.host_veth.clone()));
        }
        out
    }

    /// Removes everything, then asserts nothing of this store is left on the host.
    pub fn finish(self) {
        let links = self.links();
        let chains = self.networks.firewall_chains();
        self.networks.reconcile(&[]).unwrap();
        self.networks.remove_all().unwrap();
        assert_no_leftovers(&links, &chains);
    }
}

impl Drop for TestStore {
    fn drop(&mut self) {
        let _ = self.networks.reconcile(&[]);
        let _ = self.networks.remove_all();
    }
}

/// Asserts that no link named in `links` and no chain in `chains` exists on the host.
/// Links of a namespace that just died are removed by the kernel a moment later, so links
/// are polled for up to 5 s.
pub fn assert_no_leftovers(links: &[String], chains: &[String]) {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
    loop {
        let out = run(Command::new("ip").args(["-o", "link", "show"]));
        let listing = String::from_utf8_lossy(&out.stdout).into_owned();
        let left: Vec<&String> = links
            .iter()
            .filter(|l| {
                listing.contains(&format!(": {l}:")) || listing.contains(&format!(": {l}@"))
            })
            .collect();
        if left.is_empty() {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "links left behind: {left:?}"
        );
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    let saved =
        String::from_utf8_lossy(&run(&mut Command::new("iptables-save")).stdout).into_owned();
    for chain in chains {
        assert!(
            !saved.contains(chain.as_str()),
            "firewall chain {chain} left behind:\n{saved}"
        );
    }
}

/// Runs a command, panicking if it cannot start.
pub fn run(cmd: &mut Command) -> Output {
    cmd.output()
        .unwrap_or_else(|e| panic!("running {cmd:?}: {e}"))
}

/// A network namespace of our own, held by a `busybox sleep` child; killed on drop.
pub struct Netns {
    child: Child,
}

impl Netns {
    pub fn new() -> Netns {
        let mut cmd = Command::new(six_testkit::BUSYBOX);
        cmd.args(["sleep", "3600"])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null());
        // SAFETY: unshare is async-signal-safe; nothing else runs between fork and exec.
        unsafe {
            cmd.pre_exec(|| {
                nix::sched::unshare(nix::sched::CloneFlags::CLONE_NEWNET)
                    .map_err(std::io::Error::from)
            });
        }
        Netns {
            child: cmd.spawn().unwrap(),
        }
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    pub fn path(&self) -> PathBuf {
        PathBuf::from(format!("/proc/{}/ns/net", self.child.id()))
    }

    /// A command run inside this namespace (through nsenter).
    pub fn command(&self, args: &[&str]) -> Command {
        let mut cmd = Command::new("nsenter");
        cmd.arg(format!("--net={}", self.path().display()))
            .args(args);
        cmd
    }

    /// stdout of `args` run inside, asserting success.
    pub fn output(&self, args: &[&str]) -> String {
        let out = run(&mut self.command(args));
        assert!(
            out.status.success(),
            "{args:?} in netns failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// Ends the holder process (the namespace dies with it).
    pub fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for Netns {
    fn drop(&mut self) {
        self.kill();
    }
}

pub fn endpoint(id: &str) -> Endpoint {
    Endpoint {
        id: id.to_string(),
        name: format!("name-{id}"),
        hostname: format!("host-{id}"),
        hosts_file: None,
    }
}

/// A unique hex-ish container id for this test process.
pub fn container_id() -> String {
    six_testkit::unique_name("c")
}

/// (address, prefix) of `interface` inside `ns`, read with `ip`.
pub fn address_in(ns: &Netns, interface: &str) -> Option<(Ipv4Addr, u8)> {
    let text = ns.output(&["ip", "-4", "-o", "addr", "show", "dev", interface]);
    let word = text
        .split_whitespace()
        .skip_while(|w| *w != "inet")
        .nth(1)?;
    let (ip, prefix) = word.split_once('/')?;
    Some((ip.parse().ok()?, prefix.parse().ok()?))
}
