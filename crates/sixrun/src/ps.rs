//! `ps`: a container's processes as runc shows them. `--format json` is the array of their
//! PIDs; the table is ps(1)'s own output, run with the options given after the ID (default
//! `-ef`), cut to its header and the lines whose PID is in the container's cgroup.
//!
//! It reads; it never signals or changes a process.

use std::process::{Command, Stdio};

use anyhow::{anyhow, bail};
use six_runtime::Runtime;

use crate::cli::{Format, PsArgs};

pub fn ps(rt: &Runtime, a: &PsArgs) -> anyhow::Result<()> {
    let Some((id, ps_options)) = a.id_and_ps_options.split_first() else {
        bail!("ps needs a container ID");
    };
    let pids = rt.load(id)?.processes()?;
    if a.format == Format::Json {
        println!("{}", serde_json::to_string(&pids)?);
        return Ok(());
    }
    let args: Vec<&str> = if ps_options.is_empty() {
        vec!["-ef"]
    } else {
        ps_options.iter().map(String::as_str).collect()
    };
    let shown = args.join(" ");
    let out = Command::new("ps")
        .args(&args)
        .stdin(Stdio::null())
        .output()
        .map_err(|e| anyhow!("running ps {shown}: {e}"))?;
    if !out.status.success() {
        let err = String::from_utf8_lossy(&out.stderr);
        let first = err.lines().find(|l| !l.trim().is_empty()).unwrap_or("");
        bail!("ps {shown}: {}: {first}", out.status);
    }
    print!(
        "{}",
        keep_lines_of(&String::from_utf8_lossy(&out.stdout), &pids)?
    );
    Ok(())
}

/// ps(1)'s `output` cut to its header and the lines whose PID column is one of `pids`.
fn keep_lines_of(output: &str, pids: &[i32]) -> anyhow::Result<String> {
    let mut lines = output.lines();
    let header = lines.next().unwrap_or_default();
    let column = header
        .split_whitespace()
        .position(|f| f == "PID")
        .ok_or_else(|| anyhow!("couldn't find PID field in ps output (its header: {header:?})"))?;
    let mut kept = format!("{header}\n");
    for line in lines.filter(|l| !l.trim().is_empty()) {
        let field = line.split_whitespace().nth(column).unwrap_or_default();
        let pid: i32 = field
            .parse()
            .map_err(|_| anyhow!("unable to parse pid {field:?} in ps output line {line:?}"))?;
        if pids.contains(&pid) {
            kept.push_str(line);
            kept.push('\n');
        }
    }
    Ok(kept)
}

#[cfg(test)]
mod tests {
    use super::keep_lines_of;

    #[test]
    fn only_the_header_and_the_containers_lines_are_kept() {
        let out = "UID PID PPID CMD\nroot 1 0 init\nroot 42 1 sleep 9\n";
        assert_eq!(
            keep_lines_of(out, &[42]).unwrap(),
            "UID PID PPID CMD\nroot 42 1 sleep 9\n"
        );
        assert_eq!(
            keep_lines_of("  PID COMMAND\n   42 sh\n", &[42]).unwrap(),
            "  PID COMMAND\n   42 sh\n"
        );
    }

    #[test]
    fn output_without_a_pid_column_is_an_error() {
        let e = keep_lines_of("COMMAND\nsh\n", &[1]).unwrap_err();
        assert!(e.to_string().contains("couldn't find PID field"), "{e}");
        let e = keep_lines_of("PID CMD\nx sh\n", &[1]).unwrap_err();
        assert!(e.to_string().contains("unable to parse pid"), "{e}");
    }
}
