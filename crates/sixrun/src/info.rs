//! The read-only commands: `state`, `list`, `spec` (runc's default config.json) and
//! `features` (runtime-spec features); `ps` has its own file.
//! Output shapes follow runc's, so tools that parse runc's output parse ours.

use std::collections::BTreeMap;
use std::io::Write;
use std::path::Path;

use serde::Serialize;
use six_runtime::{Container, Runtime, Status};

use crate::cli::{Format, ListArgs, SpecArgs};

/// runc's state object (its `state` and `list --format json`): the OCI state plus rootfs,
/// created and owner, in runc's field order.
#[derive(Serialize)]
struct StateJson<'a> {
    #[serde(rename = "ociVersion")]
    oci_version: &'a str,
    id: &'a str,
    pid: i32,
    status: String,
    bundle: &'a Path,
    rootfs: &'a Path,
    created: String,
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    annotations: BTreeMap<&'a str, &'a str>,
    owner: &'a str,
}

fn state_json(c: &Container) -> StateJson<'_> {
    let status = c.status();
    StateJson {
        oci_version: c.spec().version(),
        id: c.id(),
        pid: if status == Status::Stopped {
            0
        } else {
            c.recorded_pid()
        },
        status: status.to_string(),
        bundle: c.bundle(),
        rootfs: c.rootfs(),
        created: c
            .created()
            .to_rfc3339_opts(chrono::SecondsFormat::Nanos, true),
        annotations: c
            .annotations()
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect(),
        owner: c.owner(),
    }
}

pub fn state(rt: &Runtime, id: &str) -> anyhow::Result<()> {
    let c = rt.load(id)?;
    println!("{}", serde_json::to_string_pretty(&state_json(&c))?);
    Ok(())
}

pub fn list(rt: &Runtime, a: &ListArgs) -> anyhow::Result<()> {
    let all = rt.list()?;
    let mut out = std::io::stdout().lock();
    if a.quiet {
        for c in &all {
            writeln!(out, "{}", c.id())?;
        }
        return Ok(());
    }
    match a.format {
        Format::Json => {
            let v: Vec<_> = all.iter().map(state_json).collect();
            writeln!(out, "{}", serde_json::to_string(&v)?)?;
        }
        Format::Table => {
            let rows: Vec<[String; 6]> = all
                .iter()
                .map(|c| {
                    let s = state_json(c);
                    [
                        c.id().to_owned(),
                        s.pid.to_string(),
                        s.status,
                        c.bundle().display().to_string(),
                        s.created,
                        c.owner().to_owned(),
                    ]
                })
                .collect();
            let header = ["ID", "PID", "STATUS", "BUNDLE", "CREATED", "OWNER"].map(String::from);
            table(&mut out, &header, &rows)?;
        }
    }
    Ok(())
}

fn table<const N: usize>(
    out: &mut impl Write,
    header: &[String; N],
    rows: &[[String; N]],
) -> std::io::Result<()> {
    let mut width = [0usize; N];
    for r in std::iter::once(header).chain(rows) {
        for (i, cell) in r.iter().enumerate() {
            width[i] = width[i].max(cell.len());
        }
    }
    for r in std::iter::once(header).chain(rows) {
        let line: Vec<String> = r
            .iter()
            .enumerate()
            .map(|(i, c)| {
                if i + 1 == N {
                    c.clone()
                } else {
                    format!("{c:<w$}", w = width[i])
                }
            })
            .collect();
        writeln!(out, "{}", line.join("   ").trim_end())?;
    }
    Ok(())
}

/// runc 1.1.5's `spec` output byte for byte (tab-indented, its field order, no final newline),
/// as it writes it on a machine whose /sys/fs/cgroup is not a pure cgroup v2 hierarchy.
const RUNC_SPEC: &str = include_str!("default_spec.json");

/// The end of the last namespace of [`RUNC_SPEC`], where runc appends the cgroup namespace.
const LAST_NAMESPACE: &str = "\t\t\t\t\"type\": \"mount\"\n\t\t\t}\n";

/// runc's default config.json: with a cgroup namespace on a pure cgroup v2 host only (there
/// runc adds one; on v1 and hybrid hosts it does not).
pub fn default_spec(cgroup_v2: bool) -> String {
    if !cgroup_v2 {
        return RUNC_SPEC.to_owned();
    }
    let with_cgroup = format!(
        "{}{}",
        LAST_NAMESPACE.trim_end_matches('\n'),
        ",\n\t\t\t{\n\t\t\t\t\"type\": \"cgroup\"\n\t\t\t}\n"
    );
    RUNC_SPEC.replacen(LAST_NAMESPACE, &with_cgroup, 1)
}

/// Whether /sys/fs/cgroup is a cgroup2 file system (runc's IsCgroup2UnifiedMode).
fn cgroup2_unified() -> bool {
    // SAFETY: a zeroed statfs is a valid out-buffer.
    let mut st: libc::statfs = unsafe { std::mem::zeroed() };
    // SAFETY: statfs with a C string and our buffer.
    let r = unsafe { libc::statfs(c"/sys/fs/cgroup".as_ptr(), &mut st) };
    r == 0 && st.f_type == libc::CGROUP2_SUPER_MAGIC
}

pub fn spec(a: &SpecArgs) -> anyhow::Result<()> {
    let path = a.bundle.join("config.json");
    if path.exists() {
        anyhow::bail!("{} exists; remove it first", path.display());
    }
    std::fs::write(&path, default_spec(cgroup2_unified()))
        .map_err(|e| anyhow::anyhow!("writing {}: {e}", path.display()))
}

/// The runtime-spec features document (runc's `features`): what six-runtime implements,
/// with annotations naming this build and answering the question runc's
/// `org.opencontainers.runc.checkpoint.enabled` answers (no: no CRIU). Indented with four
/// spaces, as runc prints it.
pub fn features() -> anyhow::Result<()> {
    let mut f = six_runtime::features::features();
    f.annotations.insert(
        "org.opencontainers.runc.checkpoint.enabled".into(),
        "false".into(),
    );
    f.annotations.insert(
        "org.sixdocker.sixrun.version".into(),
        env!("CARGO_PKG_VERSION").into(),
    );
    if let Some(commit) = option_env!("SIXRUN_COMMIT").filter(|c| !c.is_empty()) {
        f.annotations
            .insert("org.sixdocker.sixrun.commit".into(), commit.into());
    }
    let mut out = std::io::stdout().lock();
    let mut ser = serde_json::Serializer::with_formatter(
        &mut out,
        serde_json::ser::PrettyFormatter::with_indent(b"    "),
    );
    serde::Serialize::serialize(&f, &mut ser)?;
    writeln!(out)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::default_spec;

    #[test]
    fn the_default_spec_is_runcs_with_a_cgroup_namespace_only_on_cgroup_v2() {
        let names = |v2: bool| -> Vec<String> {
            let v: serde_json::Value = serde_json::from_str(&default_spec(v2)).unwrap();
            v["linux"]["namespaces"]
                .as_array()
                .unwrap()
                .iter()
                .map(|n| n["type"].as_str().unwrap().to_owned())
                .collect()
        };
        assert_eq!(names(false), ["pid", "network", "ipc", "uts", "mount"]);
        assert_eq!(
            names(true),
            ["pid", "network", "ipc", "uts", "mount", "cgroup"]
        );
        let v2 = default_spec(true);
        assert!(
            v2.contains("\t\t\t{\n\t\t\t\t\"type\": \"cgroup\"\n\t\t\t}\n\t\t],"),
            "{v2}"
        );
        assert!(!default_spec(false).ends_with('\n'));
    }
}
