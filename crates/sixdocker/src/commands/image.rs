//! Image commands: commit, images, rmi, tag, import, load and save. They call the engine's
//! image store (six-image) and show progress bars on stderr only when it is a terminal.
//!
//! Archives written to a file go to a temporary file beside it, renamed into place only when
//! complete, so a failed `save -o` or `export -o` leaves no half-written file.

use std::fs::File;
use std::io::{self, BufReader, BufWriter, IsTerminal, Write};
use std::path::Path;

use six_engine::Engine;
use six_image::Progress;

use super::container::refuse_terminal_stdout;
use super::{report, say, Failure, Outcome};
use crate::cli::{
    CommitArgs, HistoryArgs, ImagesArgs, ImportArgs, LoadArgs, RmiArgs, SaveArgs, TagArgs,
};
use crate::output::{format, images};

/// `commit CONTAINER [REPO[:TAG]]`, or the original's `commit -n CONTAINER -t IMAGE`.
pub fn commit(engine: &Engine, args: CommitArgs) -> Outcome {
    let container = match (args.container_flag, args.container) {
        (Some(c), None) => c,
        (None, Some(c)) => c,
        (Some(_), Some(_)) => {
            return Err(Failure::usage(
                "commit takes the container once: as -n CONTAINER or as the first operand",
            ))
        }
        (None, None) => {
            return Err(Failure::usage(
                "commit needs a container: commit CONTAINER [REPO[:TAG]]",
            ))
        }
    };
    let reference = match (args.tag_flag, args.reference) {
        (Some(_), Some(_)) => {
            return Err(Failure::usage(
                "commit takes the image name once: as -t IMAGE or as the second operand",
            ))
        }
        (flag, operand) => flag.or(operand),
    };
    let image =
        engine.commit_with_progress(&container, reference.as_deref(), &Progress::for_stderr())?;
    say(format!("sha256:{}", image.id))?;
    Ok(0)
}

/// `images [REPOSITORY[:TAG]]` (`image ls`): one row per name (and digest with `--digests`),
/// newest image first.
pub fn images(engine: &Engine, args: ImagesArgs) -> Outcome {
    let custom = args
        .format
        .format
        .as_deref()
        .filter(|f| !f.is_empty() && *f != "table");
    let template = match (custom, args.quiet, args.digests) {
        (None, true, _) => "{{.ID}}".to_owned(),
        (None, false, true) => images::IMAGES_TABLE_WITH_DIGEST.to_owned(),
        (None, false, false) => images::IMAGES_TABLE.to_owned(),
        (Some("raw"), _, _) => IMAGES_RAW.to_owned(),
        (Some(f), _, true) if f.starts_with("table") && !f.contains("{{.Digest}}") => {
            format!("{f}\\t{{{{.Digest}}}}")
        }
        (Some(f), _, _) => f.to_owned(),
    };
    let digests = args.digests || template.contains("{{.Digest}}");
    let now = chrono::Utc::now();
    // As docker/cli: the operand is one more `reference` filter.
    let reference = args.reference.map(|r| six_engine::filters::FilterArg {
        key: "reference".to_owned(),
        value: r,
    });
    let filters = args.filter.into_iter().chain(reference).collect();
    let mut rows = Vec::new();
    for image in engine.list_images(args.all, &filters)? {
        let repo_digests = if digests {
            engine.images().repo_digests(&image.id).unwrap_or_default()
        } else {
            Vec::new()
        };
        rows.extend(images::image_rows(
            &image,
            &repo_digests,
            digests,
            !args.no_trunc,
            now,
        ));
    }
    let mut out = io::stdout().lock();
    format::print_list(
        &mut out,
        Some(&template),
        images::IMAGES_TABLE,
        &rows,
        &images::images_headers(),
    )?;
    Ok(0)
}

/// `images --format raw`.
const IMAGES_RAW: &str =
    "repository: {{ .Repository }}\ntag: {{.Tag}}\nimage_id: {{.ID}}\ncreated_at: {{.CreatedAt}}\nvirtual_size: {{.Size}}\n";

/// `history` (`image history`): an image's steps, newest first.
pub fn history(engine: &Engine, args: HistoryArgs) -> Outcome {
    let custom = args
        .format
        .format
        .as_deref()
        .filter(|f| !f.is_empty() && *f != "table");
    let template = match (custom, args.quiet, args.human) {
        (Some(f), _, _) => f,
        (None, true, _) => "{{.ID}}",
        (None, false, true) => images::HISTORY_TABLE,
        (None, false, false) => images::HISTORY_TABLE_NOT_HUMAN,
    };
    let image = engine.images().resolve(&args.image)?;
    let now = chrono::Utc::now();
    let rows: Vec<_> = engine
        .images()
        .history(&image)?
        .iter()
        .map(|h| images::history_row(h, !args.no_trunc, args.human, now))
        .collect();
    let mut out = io::stdout().lock();
    format::print_list(
        &mut out,
        Some(template),
        images::HISTORY_TABLE,
        &rows,
        &images::history_headers(),
    )?;
    Ok(0)
}

pub fn rmi(engine: &Engine, args: RmiArgs) -> Outcome {
    let mut code = 0;
    for name in &args.images {
        match engine.remove_image(name, args.force) {
            Ok(lines) => {
                for line in lines {
                    say(line)?;
                }
            }
            Err(e) => code = report(Failure::from(e)),
        }
    }
    Ok(code)
}

pub fn tag(engine: &Engine, args: TagArgs) -> Outcome {
    engine.tag_image(&args.source, &args.target)?;
    Ok(0)
}

/// `import FILE|- [REF]`: prints the new image's ID.
pub fn import(engine: &Engine, args: ImportArgs) -> Outcome {
    let progress = Progress::for_stderr();
    let image = if args.file == "-" {
        engine.import_image(
            &mut io::stdin().lock(),
            args.reference.as_deref(),
            &progress,
        )?
    } else {
        let mut file = open(Path::new(&args.file))?;
        engine.import_image(&mut file, args.reference.as_deref(), &progress)?
    };
    say(format!("sha256:{}", image.id))?;
    Ok(0)
}

/// `load [-i FILE]`: "Loaded image: busybox:latest" per name, or the ID of an unnamed one.
pub fn load(engine: &Engine, args: LoadArgs) -> Outcome {
    let progress = Progress::for_stderr();
    let loaded = match &args.input {
        Some(path) => engine.load_images(&mut open(path)?, &progress)?,
        None => {
            let stdin = io::stdin();
            if stdin.is_terminal() {
                return Err(Failure::other(
                    "load needs an archive: use -i FILE or redirect stdin",
                ));
            }
            engine.load_images(&mut stdin.lock(), &progress)?
        }
    };
    for image in loaded {
        if image.repo_tags.is_empty() {
            say(format!("Loaded image ID: sha256:{}", image.id))?;
        }
        for tag in &image.repo_tags {
            say(format!("Loaded image: {tag}"))?;
        }
    }
    Ok(0)
}

pub fn save(engine: &Engine, args: SaveArgs) -> Outcome {
    let progress = Progress::for_stderr();
    let names: Vec<&str> = args.images.iter().map(String::as_str).collect();
    match &args.output {
        Some(path) => write_file_atomically(path, |out| {
            engine
                .save_images(&names, out, &progress)
                .map_err(Failure::from)
        }),
        None => {
            let mut out = refuse_terminal_stdout()?;
            engine.save_images(&names, &mut out, &progress)?;
            out.flush()?;
            Ok(0)
        }
    }
}

fn open(path: &Path) -> Result<BufReader<File>, Failure> {
    File::open(path)
        .map(BufReader::new)
        .map_err(|e| Failure::other(format!("opening {}: {e}", path.display())))
}

/// Why [`write_file_atomically`] failed: the writer's own failure, or the file's.
enum Written {
    Failed(Failure),
    Io(io::Error),
}

impl From<io::Error> for Written {
    fn from(e: io::Error) -> Written {
        Written::Io(e)
    }
}

/// Writes `path` through `write`, into a temp file first that is renamed when done (six-sys's
/// atomic write); on failure the temp file is removed and `path` is untouched.
pub fn write_file_atomically(
    path: &Path,
    write: impl FnOnce(&mut dyn Write) -> Result<(), Failure>,
) -> Outcome {
    let fail = |e: io::Error| Failure::other(format!("writing {}: {e}", path.display()));
    let written = six_sys::atomic::write_with(path, None, six_sys::atomic::Durable::Data, |file| {
        let mut out = BufWriter::new(file);
        write(&mut out).map_err(Written::Failed)?;
        out.into_inner().map_err(|e| Written::Io(e.into_error()))?;
        Ok(())
    });
    match written {
        Ok(()) => Ok(0),
        Err(Written::Failed(f)) => Err(f),
        Err(Written::Io(e)) => Err(fail(e)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_complete_write_lands_and_a_failed_one_leaves_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("out.tar");
        write_file_atomically(&path, |w| w.write_all(b"data").map_err(Failure::from)).unwrap();
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "data");

        let failed = dir.path().join("failed.tar");
        let r = write_file_atomically(&failed, |w| {
            w.write_all(b"half").map_err(Failure::from)?;
            Err(Failure::other("boom"))
        });
        assert!(r.is_err());
        assert_eq!(
            std::fs::read_dir(dir.path()).unwrap().count(),
            1,
            "only out.tar remains"
        );
    }
}
