//! `cp`: which side is the container (docker/cli's `splitCpArg`: an absolute path or one
//! starting with `.` is a host path, else `CONTAINER:PATH`), then the engine's copy. On a
//! terminal, Docker's "Successfully copied 2.05kB to ..." follows (not with `-q`).

use std::io::IsTerminal;
use std::path::Path;

use six_engine::{CopyOptions, Engine};

use super::{Failure, Outcome};
use crate::cli::CpArgs;
use crate::output::human;

/// `(container, path)` for `CONTAINER:PATH`, None for a host path.
fn split(arg: &str) -> Option<(&str, &str)> {
    if arg.starts_with('/') {
        return None;
    }
    match arg.split_once(':') {
        Some((c, _)) if c.is_empty() || c.starts_with('.') => None,
        Some((c, p)) => Some((c, p)),
        None => None,
    }
}

pub fn cp(engine: &Engine, args: CpArgs) -> Outcome {
    let o = CopyOptions {
        follow_link: args.follow_link,
        archive: args.archive,
    };
    let (copied, to) = match (split(&args.source), split(&args.destination)) {
        (None, None) => {
            return Err(Failure::other("must specify at least one container source"));
        }
        (Some(_), Some(_)) => {
            return Err(Failure::other(
                "copying between containers is not supported",
            ));
        }
        (Some((c, src)), None) if args.destination == "-" => {
            engine.archive_from_container(c, src, o, &mut std::io::stdout())?;
            return Ok(0);
        }
        (Some((c, src)), None) => {
            let dest = Path::new(&args.destination);
            (
                engine.copy_from_container(c, src, dest, o)?,
                args.destination.clone(),
            )
        }
        (None, Some((c, dest))) if args.source == "-" => {
            engine.extract_into_container(c, &mut std::io::stdin(), dest, o)?;
            return Ok(0);
        }
        (None, Some((c, dest))) => {
            let src = Path::new(&args.source);
            (
                engine.copy_to_container(c, src, dest, o)?,
                args.destination.clone(),
            )
        }
    };
    if !args.quiet && std::io::stderr().is_terminal() {
        eprintln!("Successfully copied {} to {to}", human::size(copied));
    }
    Ok(0)
}

#[cfg(test)]
mod tests {
    use super::split;

    #[test]
    fn which_side_is_the_container() {
        assert_eq!(split("c:/x"), Some(("c", "/x")));
        assert_eq!(split("c:rel"), Some(("c", "rel")));
        assert_eq!(split("/abs:x"), None);
        assert_eq!(split("./file:name"), None);
        assert_eq!(split("file"), None);
        assert_eq!(split("-"), None);
    }
}
