//! `run`, `create`, `start` and `exec`: the commands that start processes in containers.
//! Their failures carry Docker's exit codes (125 engine, 126 not executable, 127 not found)
//! and `run`/`start -a`/`exec` exit with the container's own code.
//!
//! The only logic here is turning the parsed flags into a [`RunRequest`]: which operand is
//! the image (Docker's `run IMAGE CMD...`, the original's `run [-image IMAGE] -- CMD...`) and
//! the environment from `--env-file` and `-e`.

use std::io::IsTerminal;

use six_engine::types::{EnvVar, HealthFlags, Label, LogConfig};
use six_engine::{AttachOptions, Engine, ExecRequest, RunRequest};

use super::{Failure, Outcome};
use crate::cli::{AttachArgs, ExecArgs, RunArgs, SecurityOpt, StartArgs};

pub fn run(engine: &Engine, args: RunArgs) -> Outcome {
    let (pull, platform, detach) = (args.pull, args.platform.clone(), args.detach);
    terminal_for(args.interactive && !detach, args.tty)?;
    let request = run_request(args)?;
    super::registry::image_for_run(engine, request.image.as_deref(), pull, platform)?;
    let outcome = engine.run(request).map_err(Failure::of_run)?;
    if detach {
        super::say(&outcome.id)?;
    }
    // None in the foreground: detached with the detach keys (0, as Docker).
    Ok(outcome.exit_code.unwrap_or(0))
}

pub fn create(engine: &Engine, args: RunArgs) -> Outcome {
    let (pull, platform) = (args.pull, args.platform.clone());
    let request = run_request(args)?;
    super::registry::image_for_run(engine, request.image.as_deref(), pull, platform)?;
    let id = engine.create(request).map_err(Failure::of_run)?;
    super::say(&id)?;
    Ok(0)
}

pub fn start(engine: &Engine, args: StartArgs) -> Outcome {
    if args.attach || args.interactive {
        let [container] = args.containers.as_slice() else {
            return Err(Failure::usage(
                "you cannot start and attach to more than one container at once",
            ));
        };
        let code = engine
            .start(container, args.attach, args.interactive, args.detach_keys)
            .map_err(Failure::of_command)?;
        return Ok(code.unwrap_or(0));
    }
    super::for_each(&args.containers, |c| {
        engine
            .start(c, false, false, None)
            .map(drop)
            .map_err(Failure::from)
    })
}

/// `attach`: the container's exit code, or (detached with the keys) Docker's "read escape
/// sequence", exit 1.
pub fn attach(engine: &Engine, args: AttachArgs) -> Outcome {
    let options = AttachOptions {
        no_stdin: args.no_stdin,
        sig_proxy: args.sig_proxy,
        detach_keys: args.detach_keys.unwrap_or_default(),
        stdin_is_terminal: std::io::stdin().is_terminal(),
    };
    match engine.attach(&args.container, &options)? {
        Some(code) => Ok(code),
        None => Err(Failure::other("read escape sequence")),
    }
}

/// `exec`, with Docker's rules: a terminal only with `-t` and stdin only with `-i`, whatever
/// the CLI's own stdin is (output redirected from an `exec` at a terminal stays plain).
pub fn exec(engine: &Engine, args: ExecArgs) -> Outcome {
    terminal_for(args.interactive && !args.detach, args.tty)?;
    let request = ExecRequest {
        cmd: args.command,
        env: args.env,
        workdir: args.workdir,
        user: args.user,
        tty: args.tty,
        interactive: args.interactive,
        detach: args.detach,
        privileged: args.privileged,
    };
    engine
        .exec(&args.container, request)
        .map_err(Failure::of_command)
}

/// Docker's CLI check before `run` or `exec` makes anything: a terminal (`-t`) with stdin
/// attached (`-i`, not `-d`) needs stdin to be one (else the process would wait on a terminal
/// nobody types into): "the input device is not a TTY", exit 1.
fn terminal_for(attach_stdin: bool, tty: bool) -> Result<(), Failure> {
    if attach_stdin && tty && !std::io::stdin().is_terminal() {
        return Err(Failure::other(six_engine::NOT_A_TTY));
    }
    Ok(())
}

/// The engine's request for `run`/`create` from the parsed flags.
fn run_request(args: RunArgs) -> Result<RunRequest, Failure> {
    let (image, cmd) = image_and_command(args.image, args.operands, args.command_follows)?;
    let mut env = Vec::new();
    for file in &args.env_file {
        env.extend(EnvVar::parse_file(file).map_err(|e| Failure::usage(e.to_string()))?);
    }
    env.extend(args.env);
    // files first, then -l: later ones win (Docker's order)
    let mut labels = std::collections::BTreeMap::new();
    for file in &args.label_file {
        for l in Label::parse_file(file).map_err(|e| Failure::usage(e.to_string()))? {
            labels.insert(l.key, l.value);
        }
    }
    for l in args.label {
        labels.insert(l.key, l.value);
    }
    let log = LogConfig::from_flags(args.log_driver, &args.log_opt)
        .map_err(|e| Failure::usage(e.to_string()))?;
    let healthcheck = HealthFlags {
        cmd: args.health_cmd,
        interval: args.health_interval,
        timeout: args.health_timeout,
        start_period: args.health_start_period,
        retries: args.health_retries,
        none: args.no_healthcheck,
    }
    .into_config()
    .map_err(Failure::usage)?;
    Ok(RunRequest {
        image,
        cmd,
        entrypoint: args
            .entrypoint
            .map(|e| if e.is_empty() { vec![] } else { vec![e] }),
        name: args.name,
        env,
        volumes: args.volume,
        mounts: args.mount,
        tmpfs: args.tmpfs,
        volumes_from: args.volumes_from,
        memory: args.memory,
        memory_swap: args.memory_swap,
        cpu_shares: args.cpu_shares,
        cpus: args.cpus,
        cpuset_cpus: args.cpuset_cpus,
        cpuset_mems: args.cpuset_mems,
        cpu_quota: args.cpu_quota,
        cpu_period: args.cpu_period,
        pids_limit: args.pids_limit,
        workdir: args.workdir,
        user: args.user,
        hostname: args.hostname,
        read_only: args.read_only,
        cap_add: args.cap_add,
        cap_drop: args.cap_drop,
        restart: args.restart,
        network: args.network,
        ip: args.ip,
        network_aliases: args.network_alias,
        ports: args.publish.into_iter().flat_map(|p| p.0).collect(),
        expose: args.expose.into_iter().flat_map(|p| p.0).collect(),
        publish_all: args.publish_all,
        labels,
        group_add: args.group_add,
        ulimits: args.ulimit,
        shm_size: args.shm_size,
        stop_signal: args.stop_signal,
        stop_timeout: args.stop_timeout,
        add_hosts: args.add_host,
        dns: args.dns,
        dns_search: args.dns_search,
        dns_options: args.dns_option,
        tty: args.tty,
        interactive: args.interactive,
        detach: args.detach,
        auto_remove: args.rm,
        privileged: args.privileged,
        devices: args.device,
        healthcheck,
        cgroup_parent: args.cgroup_parent,
        init: args.init,
        pid_mode: args.pid.unwrap_or_default(),
        uts_mode: args.uts.unwrap_or_default(),
        ipc_mode: args.ipc.unwrap_or_default(),
        seccomp_unconfined: args.security_opt.contains(&SecurityOpt::SeccompUnconfined),
        seccomp_profile: args.security_opt.iter().rev().find_map(|o| match o {
            SecurityOpt::Seccomp(json) => Some(json.clone()),
            _ => None,
        }),
        no_new_privileges: args
            .security_opt
            .iter()
            .rev()
            .find_map(|o| match o {
                SecurityOpt::NoNewPrivileges(on) => Some(*on),
                _ => None,
            })
            .unwrap_or(false),
        log,
        detach_keys: args.detach_keys,
    })
}

/// Which operand is the image:
/// - `run -- CMD...` (the original): the default image (None), CMD;
/// - `run -image IMG [--] CMD...` (the original): IMG, all operands are the command;
/// - `run IMG [CMD...]` (Docker): the first operand, then the command.
fn image_and_command(
    image_flag: Option<String>,
    mut operands: Vec<String>,
    command_follows: bool,
) -> Result<(Option<String>, Vec<String>), Failure> {
    if image_flag.is_some() || command_follows {
        return Ok((image_flag, operands));
    }
    if operands.is_empty() {
        return Err(Failure::usage(
            "run needs an image: run IMAGE [COMMAND...], or run [-image IMAGE] -- COMMAND... for the default image",
        ));
    }
    let image = operands.remove(0);
    Ok((Some(image), operands))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn strings(v: &[&str]) -> Vec<String> {
        v.iter().map(|s| (*s).to_owned()).collect()
    }

    #[test]
    fn dockers_form_takes_the_first_operand_as_the_image() {
        let (image, cmd) =
            image_and_command(None, strings(&["busybox", "sh", "-c", "x"]), false).unwrap();
        assert_eq!(image.as_deref(), Some("busybox"));
        assert_eq!(cmd, ["sh", "-c", "x"]);
    }

    #[test]
    fn the_originals_form_runs_the_command_on_the_default_image() {
        let (image, cmd) = image_and_command(None, strings(&["/bin/sh"]), true).unwrap();
        assert_eq!(image, None);
        assert_eq!(cmd, ["/bin/sh"]);
    }

    #[test]
    fn the_image_flag_makes_every_operand_the_command() {
        for follows in [true, false] {
            let (image, cmd) = image_and_command(
                Some("nginx".into()),
                strings(&["nginx", "-g", "daemon off;"]),
                follows,
            )
            .unwrap();
            assert_eq!(image.as_deref(), Some("nginx"));
            assert_eq!(cmd, ["nginx", "-g", "daemon off;"]);
        }
    }

    #[test]
    fn no_image_at_all_is_a_usage_error() {
        let f = image_and_command(None, vec![], false).unwrap_err();
        assert_eq!(f.code, 125);
    }

    #[test]
    fn env_files_come_before_e_flags() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("env");
        std::fs::write(&file, "# comment\nA=file\nB=file\n").unwrap();
        let cli = <crate::cli::Cli as clap::Parser>::try_parse_from([
            "sixdocker",
            "run",
            "--env-file",
            file.to_str().unwrap(),
            "-e",
            "A=flag",
            "busybox",
        ])
        .unwrap();
        let crate::cli::Command::Run(args) = cli.command else {
            panic!()
        };
        let req = run_request(args).unwrap();
        let entries: Vec<_> = req.env.iter().filter_map(EnvVar::to_entry).collect();
        assert_eq!(entries, ["A=file", "B=file", "A=flag"]);
    }
}
