//! What the CLI shows: `ps` rows, `inspect` JSON, `top` and `stats`. Read-only.

use chrono::Utc;

use crate::engine::Engine;
use crate::error::{Error, Result};
use crate::listing::ListedConfig;
use crate::mount_points::MountKind;
use crate::record::{State, Status};
use crate::request::{ContainerStats, ContainerSummary, Top};
use crate::status::{created_text, status_text, status_word};

impl Engine {
    /// `docker ps [-a]`: running containers (all with `all`), newest first.
    pub fn list(&self, all: bool) -> Result<Vec<ContainerSummary>> {
        self.list_filtered(&crate::filters::PsOptions {
            all,
            ..Default::default()
        })
    }

    /// `ps -s`: the bytes a container wrote (its overlay upper dir) and that plus its image's,
    /// as Docker's SizeRw and SizeRootFs. Walks the upper dir; no process is started.
    pub fn container_size(&self, c: &str) -> Result<(u64, u64)> {
        let id = self.resolve(c)?;
        let config = self.store.config(&id)?;
        let rw = tree_bytes(&self.rootfs_mount(&id).upper);
        let image = self
            .images()
            .resolve(&config.image_id)
            .map_or(0, |i| i.size);
        Ok((rw, rw + image))
    }

    /// `docker top`: the container's processes, as `ps -ef` columns.
    pub fn top(&self, c: &str) -> Result<Top> {
        let id = self.resolve(c)?;
        let name = self.store.config(&id)?.name;
        if self.store.state(&id)?.status != Status::Running {
            return Err(Error::NotRunning { name });
        }
        let infos = self.running_container(&id, &name)?.process_infos()?;
        let titles = ["UID", "PID", "PPID", "C", "STIME", "TTY", "TIME", "CMD"]
            .iter()
            .map(|s| s.to_string())
            .collect();
        let processes = infos
            .iter()
            .map(|p| {
                let started =
                    chrono::DateTime::from_timestamp(p.started_at(), 0).unwrap_or_default();
                let secs = p.cpu_seconds();
                let cmd = p.command();
                vec![
                    user_name(p.uid),
                    p.pid.to_string(),
                    p.ppid.to_string(),
                    "0".into(),
                    started
                        .with_timezone(&chrono::Local)
                        .format("%H:%M")
                        .to_string(),
                    tty_name(p.pid),
                    format!("{:02}:{:02}:{:02}", secs / 3600, secs / 60 % 60, secs % 60),
                    cmd,
                ]
            })
            .collect();
        Ok(Top { titles, processes })
    }

    /// `docker stats --no-stream`: one sample (CPU over 200 ms).
    pub fn stats(&self, c: &str) -> Result<ContainerStats> {
        let (id, config, pid, container) = self.running_for_stats(c)?;
        let sample = || container.stats().map_err(Error::from);
        let (t0, s0) = (std::time::Instant::now(), sample()?);
        std::thread::sleep(std::time::Duration::from_millis(200));
        let (t1, s1) = (std::time::Instant::now(), sample()?);
        let wall = (t1 - t0).as_nanos().max(1) as f64;
        let cpu_percent = s1.cpu_usage_ns.saturating_sub(s0.cpu_usage_ns) as f64 / wall * 100.0;
        let host_memory = host_memory();
        let memory_limit = s1
            .memory_limit_bytes
            .filter(|l| *l < host_memory)
            .unwrap_or(host_memory);
        let (net_rx, net_tx) = net_io(pid);
        let (block_read, block_write) = block_io(&container.processes().unwrap_or_default());
        Ok(ContainerStats {
            id,
            name: config.name,
            cpu_percent,
            memory_usage: s1.memory_usage_bytes,
            memory_limit,
            memory_percent: s1.memory_usage_bytes as f64 / memory_limit.max(1) as f64 * 100.0,
            net_rx,
            net_tx,
            block_read,
            block_write,
            pids: s1.pids_current,
        })
    }
}

impl Engine {
    /// `ps`'s IMAGE of each container, as Docker shows it: the image as named at create while
    /// that name still leads to the container's image, else the image's short ID (it was
    /// re-tagged, or removed with `rmi -f`). The image store's names are read once for all.
    pub(crate) fn image_columns<'a>(
        &self,
        configs: impl Iterator<Item = &'a ListedConfig>,
    ) -> Vec<String> {
        let configs: Vec<&ListedConfig> = configs.collect();
        let names: Vec<&str> = configs.iter().map(|c| c.image.as_str()).collect();
        let ids = self.images.image_ids_of(&names);
        configs
            .iter()
            .zip(ids)
            .map(|(config, id)| match id {
                Some(id) if id == config.image_id => config.image.clone(),
                _ => config.image_id.chars().take(12).collect(),
            })
            .collect()
    }
}

pub(crate) fn summary(
    config: &ListedConfig,
    state: &State,
    now: chrono::DateTime<Utc>,
) -> ContainerSummary {
    // Docker lists exposed ports only while the container is on a network.
    let published: Vec<_> = state
        .networks
        .iter()
        .flat_map(|n| n.ports.iter().cloned())
        .collect();
    let exposed = if state.networks.is_empty() {
        &[][..]
    } else {
        &config.exposed_ports[..]
    };
    let ports = crate::ports_column::ports_column(&published, exposed);
    ContainerSummary {
        id: config.id.clone(),
        image: config.image.clone(),
        command: format!("\"{}\"", command_line(&config.args)),
        created: created_text(config.created, now),
        status: status_text(state, now),
        ports,
        names: config.name.clone(),
        command_line: command_line(&config.args),
        created_at: config.created,
        state: status_word(state).to_owned(),
        networks: listed_networks(config),
        mounts: config
            .mounts
            .iter()
            .map(|m| match m.kind {
                MountKind::Volume => m.name.clone(),
                _ => m.source.display().to_string(),
            })
            .collect(),
        local_volumes: config
            .mounts
            .iter()
            .filter(|m| m.kind == MountKind::Volume)
            .count(),
        labels: config.labels.clone(),
    }
}

/// The command as Docker's container list shows it (moby's `daemon/list.go`): the path, then
/// each argument, in single quotes when it holds a space.
fn command_line(args: &[String]) -> String {
    let quoted = |a: &String| match a.contains(' ') {
        true => format!("'{a}'"),
        false => a.clone(),
    };
    args.iter()
        .enumerate()
        .map(|(i, a)| if i == 0 { a.clone() } else { quoted(a) })
        .collect::<Vec<_>>()
        .join(" ")
}

/// The networks `ps` shows: those the container joins, running or not (Docker keeps them in
/// NetworkSettings.Networks; `host` and `none` included, none for another container's
/// namespace), sorted as docker/cli sorts them.
fn listed_networks(config: &ListedConfig) -> Vec<String> {
    let mut names: Vec<String> = config
        .networks
        .iter()
        .filter(|n| !n.starts_with("container:"))
        .cloned()
        .collect();
    names.sort();
    names
}

/// Bytes of the regular files below `dir` (a hard-linked file once), as Docker's
/// `directory.Size`; symlinks are not followed, and what cannot be read counts nothing.
pub(crate) fn tree_bytes(dir: &std::path::Path) -> u64 {
    use std::os::unix::fs::MetadataExt;
    let mut seen = std::collections::HashSet::new();
    let mut total = 0;
    let mut pending = vec![dir.to_path_buf()];
    while let Some(d) = pending.pop() {
        let Ok(entries) = std::fs::read_dir(&d) else {
            continue;
        };
        for entry in entries.flatten() {
            let Ok(meta) = entry.metadata() else {
                continue;
            };
            if meta.is_dir() {
                pending.push(entry.path());
            } else if meta.is_file() && (meta.nlink() == 1 || seen.insert((meta.dev(), meta.ino())))
            {
                total += meta.len();
            }
        }
    }
    total
}

fn user_name(uid: u32) -> String {
    let passwd = std::fs::read_to_string("/etc/passwd").unwrap_or_default();
    passwd
        .lines()
        .map(|l| l.split(':').collect::<Vec<_>>())
        .find(|f| f.get(2).and_then(|u| u.parse::<u32>().ok()) == Some(uid))
        .and_then(|f| f.first().map(|s| s.to_string()))
        .unwrap_or_else(|| uid.to_string())
}

fn tty_name(pid: i32) -> String {
    match std::fs::read_link(format!("/proc/{pid}/fd/0")) {
        Ok(p) if p.starts_with("/dev/pts") => p
            .display()
            .to_string()
            .trim_start_matches("/dev/")
            .to_owned(),
        _ => "?".into(),
    }
}

pub(crate) fn host_memory() -> u64 {
    let info = std::fs::read_to_string("/proc/meminfo").unwrap_or_default();
    info.lines()
        .find_map(|l| l.strip_prefix("MemTotal:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
        .map(|kb| kb * 1024)
        .unwrap_or(0)
}

/// Bytes received and sent by the container's interfaces (not loopback), as its init sees them.
fn net_io(pid: i32) -> (u64, u64) {
    let text = std::fs::read_to_string(format!("/proc/{pid}/net/dev")).unwrap_or_default();
    let mut rx = 0;
    let mut tx = 0;
    for line in text.lines().skip(2) {
        let Some((iface, rest)) = line.split_once(':') else {
            continue;
        };
        if iface.trim() == "lo" {
            continue;
        }
        let f: Vec<u64> = rest
            .split_whitespace()
            .filter_map(|v| v.parse().ok())
            .collect();
        rx += f.first().copied().unwrap_or(0);
        tx += f.get(8).copied().unwrap_or(0);
    }
    (rx, tx)
}

/// Bytes the container's live processes read from and wrote to storage (/proc/<pid>/io).
fn block_io(pids: &[i32]) -> (u64, u64) {
    let mut read = 0;
    let mut write = 0;
    for pid in pids {
        let text = std::fs::read_to_string(format!("/proc/{pid}/io")).unwrap_or_default();
        for line in text.lines() {
            if let Some(v) = line.strip_prefix("read_bytes: ") {
                read += v.trim().parse::<u64>().unwrap_or(0);
            } else if let Some(v) = line.strip_prefix("write_bytes: ") {
                write += v.trim().parse::<u64>().unwrap_or(0);
            }
        }
    }
    (read, write)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::record::ContainerConfig;
    use crate::record::NetworkState;
    use crate::request::RunRequest;

    /// As `docker ps` shows `run --network none busybox sh -c 'exit 2'` after it exited:
    /// `"sh -c 'exit 2'"`, networks `none`.
    #[test]
    fn command_and_networks_as_dockers_list() {
        let mut config = crate::store::tests::config(&"c".repeat(64), "fb");
        config.args = ["sh", "-c", "exit 2"].map(String::from).to_vec();
        config.networks = Some(vec!["none".into()]);
        let row = summary(&(&config).into(), &State::default(), Utc::now());
        assert_eq!(row.command_line, "sh -c 'exit 2'");
        assert_eq!(row.command, "\"sh -c 'exit 2'\"");
        assert_eq!(
            row.networks,
            ["none"],
            "a stopped container keeps its networks"
        );
        config.networks = Some(vec!["zeta".into(), "alpha".into()]);
        assert_eq!(
            summary(&(&config).into(), &State::default(), Utc::now()).networks,
            ["alpha", "zeta"]
        );
        config.networks = Some(vec!["container:abc".into()]);
        assert!(summary(&(&config).into(), &State::default(), Utc::now())
            .networks
            .is_empty());
    }

    #[test]
    fn ps_row_and_inspect() {
        let now = Utc::now();
        let config = ContainerConfig {
            id: "a".repeat(64),
            name: "web".into(),
            created: now - chrono::Duration::seconds(5),
            image: "busybox".into(),
            image_id: "b".repeat(64),
            args: vec!["top".into()],
            entrypoint: vec![],
            cmd: vec!["top".into()],
            env: vec!["PATH=/bin".into()],
            workdir: "/".into(),
            user: String::new(),
            hostname: "aaaaaaaaaaaa".into(),
            request: RunRequest {
                memory: Some("100m".parse().unwrap()),
                cpu_shares: Some(512),
                ..Default::default()
            },
            labels: Default::default(),
            networks: None,
            endpoint_settings: Default::default(),
            mounts: None,
            stop_signal: None,
            healthcheck: None,
            exposed_ports: None,
        };
        let state = State {
            status: Status::Running,
            pid: Some(42),
            started_at: Some(now - chrono::Duration::seconds(3)),
            networks: vec![NetworkState {
                network: "bridge".into(),
                ip: "10.88.0.2".into(),
                ports: vec!["8080:80".parse().unwrap()],
                ..Default::default()
            }],
            ..Default::default()
        };
        let row = summary(&(&config).into(), &state, now);
        assert_eq!(row.command, "\"top\"");
        assert_eq!(row.status, "Up 3 seconds");
        assert_eq!(row.created, "5 seconds ago");
        assert_eq!(row.ports, "0.0.0.0:8080->80/tcp");
        let v = crate::inspect::container_document(
            &config,
            &state,
            std::path::Path::new("/x"),
            &Default::default(),
        );
        assert_eq!(v["State"]["Status"], "running");
        assert_eq!(v["State"]["Pid"], 42);
        assert_eq!(v["Name"], "/web");
        assert_eq!(v["HostConfig"]["Memory"], 100 << 20);
        assert_eq!(v["HostConfig"]["CpuShares"], 512);
        assert_eq!(v["NetworkSettings"]["IPAddress"], "10.88.0.2");
        assert_eq!(
            v["NetworkSettings"]["Ports"]["80/tcp"][0]["HostPort"],
            "8080"
        );
        assert_eq!(v["Config"]["Cmd"][0], "top");
    }
}
