//! Time of `attach` + `detach` on the default network, in-process, on one network namespace
//! of our own (a `busybox sleep` child in a new netns). Prints median and p90 of attach,
//! detach, and attach with one published port. Run as root:
//! `cargo bench -p six-network --bench attach [-- ITERATIONS]`.

use std::os::unix::process::CommandExt;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use six_network::{Endpoint, Networks, OpenOptions, PortMapping, DEFAULT_NETWORK};

fn percentile(samples: &mut [Duration], p: usize) -> Duration {
    samples.sort();
    samples[(samples.len() * p / 100).min(samples.len() - 1)]
}

/// Kills the namespace holder and removes every network of the bench store, even on panic.
struct Cleanup {
    networks: Networks,
    holder: std::process::Child,
}

impl Drop for Cleanup {
    fn drop(&mut self) {
        let _ = self.holder.kill();
        let _ = self.holder.wait();
        if let Err(e) = self
            .networks
            .reconcile(&[])
            .and_then(|()| self.networks.remove_all())
        {
            eprintln!("cleanup failed: {e}");
        }
    }
}

fn report(what: &str, samples: &mut [Duration]) {
    if samples.is_empty() {
        return;
    }
    let (median, p90) = (percentile(samples, 50), percentile(samples, 90));
    println!(
        "{what:<28} median {:>7.2} ms   p90 {:>7.2} ms   (n={})",
        ms(median),
        ms(p90),
        samples.len()
    );
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

/// A `busybox sleep` child in a network namespace of its own.
fn netns_holder() -> std::process::Child {
    let mut holder = Command::new("/bin/busybox");
    holder.args(["sleep", "3600"]).stdout(Stdio::null());
    // SAFETY: unshare is async-signal-safe; nothing else runs between fork and exec.
    unsafe {
        holder.pre_exec(|| {
            nix::sched::unshare(nix::sched::CloneFlags::CLONE_NEWNET).map_err(std::io::Error::from)
        });
    }
    holder.spawn().expect("netns holder")
}

fn main() {
    if std::env::var_os("SIX_BENCH_TRACE").is_some() {
        tracing_subscriber::fmt()
            .with_env_filter("six_network=debug")
            .with_span_events(tracing_subscriber::fmt::format::FmtSpan::CLOSE)
            .with_writer(std::io::stderr)
            .init();
    }
    let iterations: usize = std::env::args()
        .skip(1)
        .find_map(|a| a.parse().ok())
        .unwrap_or(200);
    let root = tempfile::Builder::new()
        .prefix("six-net-bench-")
        .tempdir()
        .expect("temp root");
    let networks = Networks::open_with(
        root.path(),
        OpenOptions {
            ip_forward: false,
            firewall: None,
        },
    )
    .expect("open store");
    let guard = Cleanup {
        networks,
        holder: netns_holder(),
    };
    let networks = &guard.networks;
    let netns = std::path::PathBuf::from(format!("/proc/{}/ns/net", guard.holder.id()));
    let endpoint = Endpoint {
        id: "bench".into(),
        name: "bench".into(),
        hostname: "bench".into(),
        hosts_file: None,
        extra_hosts: Vec::new(),
        ip: None,
        aliases: Vec::new(),
    };
    let port: PortMapping = "127.0.0.1::80".parse().expect("port");

    // first attach creates the bridge and the network's rules: measured apart
    let t = Instant::now();
    networks
        .attach(DEFAULT_NETWORK, &endpoint, &netns, &[])
        .expect("attach");
    let first = t.elapsed();
    networks.detach(DEFAULT_NETWORK, "bench").expect("detach");

    let (mut attach, mut detach, mut with_port, mut detach_port) = (vec![], vec![], vec![], vec![]);
    for _ in 0..iterations {
        let t = Instant::now();
        networks
            .attach(DEFAULT_NETWORK, &endpoint, &netns, &[])
            .expect("attach");
        attach.push(t.elapsed());
        let t = Instant::now();
        networks.detach(DEFAULT_NETWORK, "bench").expect("detach");
        detach.push(t.elapsed());
    }
    for _ in 0..iterations / 4 {
        let t = Instant::now();
        networks
            .attach(DEFAULT_NETWORK, &endpoint, &netns, &[port])
            .expect("attach with port");
        with_port.push(t.elapsed());
        let t = Instant::now();
        networks.detach(DEFAULT_NETWORK, "bench").expect("detach");
        detach_port.push(t.elapsed());
    }
    // the `run --rm` path: the container's processes exit first, then it is detached
    let mut after_exit = vec![];
    for _ in 0..iterations / 4 {
        let mut holder = netns_holder();
        let netns = std::path::PathBuf::from(format!("/proc/{}/ns/net", holder.id()));
        networks
            .attach(DEFAULT_NETWORK, &endpoint, &netns, &[])
            .expect("attach");
        // the container runs a little (the netlink socket attach opened inside holds the
        // namespace until an RCU grace period after it is closed)
        std::thread::sleep(Duration::from_millis(20));
        let _ = holder.kill();
        let _ = holder.wait();
        let t = Instant::now();
        networks.detach(DEFAULT_NETWORK, "bench").expect("detach");
        after_exit.push(t.elapsed());
    }
    let mut both: Vec<Duration> = attach.iter().zip(&detach).map(|(a, d)| *a + *d).collect();
    println!("first attach (creates bridge + rules): {:.2} ms", ms(first));
    report("attach", &mut attach);
    report("detach", &mut detach);
    report("attach+detach", &mut both);
    report("detach after the netns died", &mut after_exit);
    report("attach, 1 published port", &mut with_port);
    report("detach, 1 published port", &mut detach_port);
    drop(guard);
}
