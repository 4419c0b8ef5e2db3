//! Shared helpers of the network integration tests: a store in a temp root that removes
//! everything it made on drop, network namespaces held by a `sleep` child of our own, and
//! leak checks (links, firewall chains and tables, leases). Stores use the iptables backend
//! unless a test asks for another (`TestStore::with_backend`): most tests read their rules
//! back with iptables-save.
#![allow(dead_code)]

use std::io::{Read, Write};
use std::net::{Ipv4Addr, SocketAddr, TcpStream};
use std::path::PathBuf;
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use six_network::{Endpoint, FirewallBackend, Networks, OpenOptions};

/// A store in its own temp root. On drop: every endpoint is reconciled away, every network
/// removed (bridges, rules, chains).
pub struct TestStore {
    pub networks: Networks,
    pub root: tempfile::TempDir,
}

impl TestStore {
    /// A store on the iptables backend.
    pub fn new() -> TestStore {
        TestStore::with_backend(FirewallBackend::Iptables)
    }

    /// A store on `backend`.
    pub fn with_backend(backend: FirewallBackend) -> TestStore {
        six_testkit::require_root();
        let root = tempfile::Builder::new()
            .prefix("six-net-test-")
            .tempdir()
            .unwrap();
        let networks = Networks::open_with(root.path(), options(backend)).unwrap();
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
            extra_hosts: Vec::new(),
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

    /// Attaches a server (publishing `ports`) and then a client to the default network.
    pub fn attach_server_and_client(
        &self,
        (server, id_server): (&Netns, &str),
        (client, id_client): (&Netns, &str),
        ports: &[six_network::PortMapping],
    ) -> (six_network::Attachment, six_network::Attachment) {
        let default = six_network::DEFAULT_NETWORK;
        let at_server = self
            .networks
            .attach(default, &endpoint(id_server), &server.path(), ports)
            .unwrap();
        let at_client = self
            .networks
            .attach(default, &endpoint(id_client), &client.path(), &[])
            .unwrap();
        (at_server, at_client)
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
        let names = self.networks.firewall_names();
        self.networks.reconcile(&[]).unwrap();
        self.networks.remove_all().unwrap();
        assert_no_leftovers(&links, &names);
    }
}

impl Drop for TestStore {
    fn drop(&mut self) {
        let _ = self.networks.reconcile(&[]);
        let _ = self.networks.remove_all();
    }
}

/// The options of a test store: IP forwarding left alone, the firewall on `backend`.
pub fn options(backend: FirewallBackend) -> OpenOptions {
    OpenOptions {
        ip_forward: false,
        firewall: Some(backend),
    }
}

/// Asserts that no link named in `links` and no iptables chain or nftables table in `names`
/// exists on the host. Links of a namespace that just died are removed by the kernel a
/// moment later, so links are polled for up to 5 s.
pub fn assert_no_leftovers(links: &[String], names: &[String]) {
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
    let saved = firewall_listing();
    for name in names {
        assert!(
            !saved.contains(name.as_str()),
            "firewall chain or table {name} left behind:\n{saved}"
        );
    }
}

/// Every rule of this network namespace: iptables-save's output, then nft's.
pub fn firewall_listing() -> String {
    let mut text =
        String::from_utf8_lossy(&run(&mut Command::new("iptables-save")).stdout).into_owned();
    let nft = run(Command::new("nft").args(["list", "ruleset"]));
    assert!(
        nft.status.success(),
        "nft list ruleset: {}",
        String::from_utf8_lossy(&nft.stderr)
    );
    text.push_str(&String::from_utf8_lossy(&nft.stdout));
    text
}

/// A TCP port free on 127.0.0.1 right now (bound and released).
pub fn free_loopback_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
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
        Netns {
            child: six_testkit::hold_new_netns(),
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
        extra_hosts: Vec::new(),
        ip: None,
        aliases: Vec::new(),
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

/// A busybox httpd inside `ns` serving `dir`; killed on drop.
pub struct Httpd(Child);

impl Httpd {
    pub fn start(ns: &Netns, dir: &std::path::Path) -> Httpd {
        let child = ns
            .command(&[
                "busybox",
                "httpd",
                "-f",
                "-p",
                "80",
                "-h",
                dir.to_str().unwrap(),
            ])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        Httpd(child)
    }
}

impl Drop for Httpd {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// One GET / from `addr`: the body or the error.
pub fn http_get_once(addr: SocketAddr) -> String {
    let attempt = (|| -> std::io::Result<String> {
        let mut stream = TcpStream::connect_timeout(&addr, Duration::from_secs(2))?;
        stream.set_read_timeout(Some(Duration::from_secs(2)))?;
        stream.write_all(b"GET /index.html HTTP/1.0\r\n\r\n")?;
        let mut body = String::new();
        stream.read_to_string(&mut body)?;
        Ok(body)
    })();
    attempt.unwrap_or_else(|e| format!("error: {e}"))
}

/// GET / from `addr`, retried until `want` appears or 10 s pass; the last body or error.
pub fn http_get(addr: SocketAddr, want: &str) -> String {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let text = http_get_once(addr);
        if text.contains(want) || Instant::now() > deadline {
            return text;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// Runs `f` on a thread of its own in a new network namespace, with lo up and IP forwarding
/// on (the namespace's own setting; hairpin traffic needs it). Processes the thread starts
/// (nft, iptables, the containers' holders) start there; the namespace ends with the thread
/// (the containers' namespaces with their holders).
pub fn in_own_netns<T: Send>(f: impl FnOnce() -> T + Send) -> T {
    std::thread::scope(|s| {
        s.spawn(|| {
            nix::sched::unshare(nix::sched::CloneFlags::CLONE_NEWNET).unwrap();
            let lo = run(Command::new("ip").args(["link", "set", "lo", "up"]));
            assert!(lo.status.success(), "lo up: {lo:?}");
            std::fs::write("/proc/sys/net/ipv4/ip_forward", "1").unwrap();
            // Bridged frames skip the IP hooks here (br_netfilter's default is to pass them
            // through): a hairpin reply is then undone by nothing but the masquerade rule,
            // which is what the hairpin check checks.
            let bridged = std::path::Path::new("/proc/sys/net/bridge/bridge-nf-call-iptables");
            if bridged.exists() {
                std::fs::write(bridged, "0").unwrap();
            }
            f()
        })
        .join()
        .unwrap_or_else(|panic| std::panic::resume_unwind(panic))
    })
}
