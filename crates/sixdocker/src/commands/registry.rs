//! `pull`, `push`, `login`, `logout`, and `run`/`create`'s pull of a missing image: call the
//! engine's registry functions and print as Docker does ("Using default tag: latest", the
//! layer lines, "Digest: …", "Status: …", and the full reference last; only that with -q).
//! Failures exit 1 (125 when they stop a `run`/`create`).

use six_engine::Engine;
use six_engine::{PullPolicy, RunImage};
use six_registry::{Credentials, PullOptions, Reference};

use super::{Failure, Outcome};
use crate::cli::{LoginArgs, LogoutArgs, PullArgs, PushArgs};
use crate::output::transfer::TransferView;

impl From<six_registry::Error> for Failure {
    fn from(e: six_registry::Error) -> Failure {
        Failure::of_error(&e)
    }
}

pub fn pull(engine: &Engine, args: PullArgs) -> Outcome {
    let reference = Reference::parse(&args.name).map_err(|e| Failure::of_error(&e))?;
    let view = TransferView::for_stdout(args.quiet);
    if !args.all_tags && reference.tag().is_none() && reference.digest().is_none() {
        view.line("Using default tag: latest");
    }
    let opts = PullOptions {
        platform: args.platform,
        all_tags: args.all_tags,
    };
    let pulled = engine.pull(&args.name, &opts, &view)?;
    if args.all_tags {
        if !args.quiet {
            super::say(reference.name())?;
        }
        return Ok(0);
    }
    for p in pulled {
        super::say(p.reference)?;
    }
    Ok(0)
}

/// The image `run`/`create` will use, pulled first when `--pull` says so. Progress goes to
/// stderr's terminal only: a `run`'s stdout is the container's.
pub fn image_for_run(
    engine: &Engine,
    image: Option<&str>,
    policy: PullPolicy,
    platform: Option<six_registry::Platform>,
) -> Result<(), Failure> {
    let Some(name) = image else {
        return Ok(());
    };
    let view = TransferView::for_stderr();
    let announce = |r: &str| eprintln!("Unable to find image '{r}' locally");
    let announce_always = |_: &str| {};
    let before: &dyn Fn(&str) = match policy {
        PullPolicy::Always => &announce_always,
        _ => &announce,
    };
    match engine.image_for_run(name, policy, platform, before, &view) {
        Ok(RunImage::Local(_)) => Ok(()),
        Ok(RunImage::Pulled(_)) => Ok(()),
        Err(e) => Err(Failure::usage(six_engine::Chain(&e).to_string())),
    }
}

/// `push [-a] [-q] NAME[:TAG]`: Docker's lines ("The push refers to repository [...]",
/// the layer lines, "TAG: digest: sha256:... size: N"); with -q only the pushed reference.
pub fn push(engine: &Engine, args: PushArgs) -> Outcome {
    let view = TransferView::for_stdout(args.quiet);
    let pushed = engine.push(&args.name, args.all_tags, &view)?;
    if args.quiet {
        for p in pushed {
            super::say(p.reference.familiar_string())?;
        }
    }
    Ok(0)
}

/// `login [-u USER] [-p PASS | --password-stdin] [SERVER]`: the credentials are checked with
/// the registry, then stored (Docker's config.json, mode 0600, or its credential helper).
pub fn login(engine: &Engine, args: LoginArgs) -> Outcome {
    use std::io::{IsTerminal, Read};
    if args.password_stdin && args.password.is_some() {
        return Err(Failure::other(
            "--password and --password-stdin are mutually exclusive",
        ));
    }
    if args.password_stdin && args.username.is_none() {
        return Err(Failure::other(
            "must provide --username with --password-stdin",
        ));
    }
    let username = match args.username {
        Some(u) => u,
        None => prompt("Username: ", true)?,
    };
    let password = if args.password_stdin {
        let mut s = String::new();
        std::io::stdin()
            .read_to_string(&mut s)
            .map_err(|e| Failure::other(format!("reading the password from stdin: {e}")))?;
        s.trim_end_matches(['\n', '\r']).to_owned()
    } else if let Some(p) = args.password {
        eprintln!("WARNING! Using --password via the CLI is insecure. Use --password-stdin.");
        p
    } else if std::io::stdin().is_terminal() {
        prompt("Password: ", false)?
    } else {
        return Err(Failure::other(
            "cannot perform an interactive login from a non TTY device: use --password-stdin",
        ));
    };
    if username.is_empty() || password.is_empty() {
        return Err(Failure::other("a username and a password are required"));
    }
    let (_, stored) = engine.login(
        args.server.as_deref(),
        Credentials::Basic { username, password },
    )?;
    if stored.starts_with('/') {
        eprintln!("WARNING! Your password will be stored unencrypted in {stored}.");
    }
    super::say("Login Succeeded")?;
    Ok(0)
}

pub fn logout(engine: &Engine, args: LogoutArgs) -> Outcome {
    let (domain, had) = engine.logout(args.server.as_deref())?;
    let key = six_registry::credentials::server_key(&domain);
    match had {
        true => super::say(format!("Removing login credentials for {key}"))?,
        false => super::say(format!("Not logged in to {key}"))?,
    }
    Ok(0)
}

/// Reads one line from the terminal on stdin after `label`; without echo for a password.
fn prompt(label: &str, echo: bool) -> Result<String, Failure> {
    use nix::sys::termios::{tcgetattr, tcsetattr, LocalFlags, SetArg};
    use std::io::{BufRead, IsTerminal, Write};
    let stdin = std::io::stdin();
    if !stdin.is_terminal() {
        return Err(Failure::other(
            "cannot perform an interactive login from a non TTY device: use --username and --password-stdin",
        ));
    }
    eprint!("{label}");
    let _ = std::io::stderr().flush();
    let saved = match echo {
        true => None,
        false => tcgetattr(&stdin).ok(),
    };
    if let Some(t) = &saved {
        let mut quiet = t.clone();
        quiet.local_flags.remove(LocalFlags::ECHO);
        let _ = tcsetattr(&stdin, SetArg::TCSANOW, &quiet);
    }
    let mut line = String::new();
    let read = stdin.lock().read_line(&mut line);
    if let Some(t) = &saved {
        let _ = tcsetattr(&stdin, SetArg::TCSANOW, t);
        eprintln!();
    }
    read.map_err(|e| Failure::other(format!("reading from the terminal: {e}")))?;
    Ok(line.trim_end_matches(['\n', '\r']).to_owned())
}
