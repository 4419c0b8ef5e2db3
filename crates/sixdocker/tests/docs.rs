//! Shell completions and manual pages made from the CLI definition (issue 12, item 5):
//! each shell accepts its script and bash's completes our commands and flags; the manual
//! pages (sixdocker.1, one per command and per group command) render without warnings.
//! zsh, fish and groff are installed by .ci/run.

mod common;

use std::process::Command;

use common::BIN;

fn sixdocker(args: &[&str]) -> String {
    let out = Command::new(BIN)
        .args(args)
        .output()
        .expect("running sixdocker");
    assert!(out.status.success(), "{args:?}: {out:?}");
    String::from_utf8(out.stdout).expect("UTF-8 output")
}

/// Runs `shell args... file` on a script and asserts it is accepted.
fn check_syntax(shell: &str, flag: &str, script: &str) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("script");
    std::fs::write(&path, script).unwrap();
    let out = Command::new(shell)
        .arg(flag)
        .arg(&path)
        .output()
        .unwrap_or_else(|e| panic!("running {shell} (installed by .ci/run): {e}"));
    assert!(out.status.success(), "{shell} {flag}: {out:?}");
    assert!(out.stderr.is_empty(), "{shell} {flag}: {out:?}");
}

/// What bash's completion offers for `line` (its last word being completed). The script is
/// sourced from a file: it is longer than one argument may be (128 KiB).
fn bash_completes(line: &str) -> Vec<String> {
    let dir = tempfile::tempdir().unwrap();
    let script = dir.path().join("sixdocker.bash");
    std::fs::write(&script, sixdocker(&["completion", "bash"])).unwrap();
    let words: Vec<&str> = line.split(' ').collect();
    let program = format!(
        "source '{script}'\nCOMP_WORDS=({words}); COMP_CWORD={cword}; COMP_LINE='{line}'; COMP_POINT=${{#COMP_LINE}}; \
         _sixdocker sixdocker '{current}' '{previous}'; printf '%s\\n' \"${{COMPREPLY[@]}}\"",
        script = script.display(),
        words = words.join(" "),
        cword = words.len() - 1,
        current = words[words.len() - 1],
        previous = words[words.len() - 2],
    );
    let out = Command::new("bash")
        .arg("-c")
        .arg(program)
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(str::to_owned)
        .collect()
}

#[test]
fn completion_scripts_parse_in_their_shells() {
    check_syntax("bash", "-n", &sixdocker(&["completion", "bash"]));
    check_syntax("zsh", "-n", &sixdocker(&["completion", "zsh"]));
    check_syntax("fish", "--no-execute", &sixdocker(&["completion", "fish"]));
}

#[test]
fn bash_completes_groups_commands_and_flags() {
    assert_eq!(
        bash_completes("sixdocker container l"),
        ["ls", "list", "logs"]
    );
    assert_eq!(bash_completes("sixdocker ps --fo"), ["--format"]);
    assert!(bash_completes("sixdocker image h").contains(&"history".to_owned()));
    assert_eq!(
        bash_completes("sixdocker network inspect --f"),
        ["--format"]
    );
}

#[test]
fn man_pages_render_one_per_command() {
    let dir = tempfile::tempdir().unwrap();
    let said = sixdocker(&["man-pages", dir.path().to_str().unwrap()]);
    let mut pages: Vec<String> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    pages.sort();
    assert_eq!(
        said,
        format!("{} manual pages in {}\n", pages.len(), dir.path().display())
    );
    for page in [
        "sixdocker.1",
        "sixdocker-run.1",
        "sixdocker-ps.1",
        "sixdocker-container.1",
        "sixdocker-container-ls.1",
        "sixdocker-image-history.1",
        "sixdocker-network-inspect.1",
        "sixdocker-system-info.1",
        "sixdocker-completion.1",
    ] {
        assert!(pages.contains(&page.to_owned()), "{page} in {pages:?}");
    }
    for page in &pages {
        let out = Command::new("groff")
            .args(["-man", "-Tutf8", "-ww", "-z"])
            .arg(dir.path().join(page))
            .output()
            .expect("running groff (installed by .ci/run)");
        assert!(
            out.status.success() && out.stderr.is_empty(),
            "{page}: {out:?}"
        );
    }
    let ls = std::fs::read_to_string(dir.path().join("sixdocker-container-ls.1")).unwrap();
    assert!(
        ls.contains("sixdocker container ls") || ls.contains("sixdocker\\-container\\-ls"),
        "{ls}"
    );
    assert!(ls.contains("\\-\\-format"), "{ls}");
}

#[test]
fn install_docs_puts_pages_and_completions_where_shells_look() {
    let prefix = tempfile::tempdir().unwrap();
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/../../scripts/install-docs.sh");
    let out = Command::new("bash")
        .arg(script)
        .arg(prefix.path())
        .env("SIXDOCKER", BIN)
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");
    for file in [
        "share/man/man1/sixdocker.1",
        "share/man/man1/sixdocker-container-run.1",
        "share/bash-completion/completions/sixdocker",
        "share/zsh/site-functions/_sixdocker",
        "share/fish/vendor_completions.d/sixdocker.fish",
    ] {
        let path = prefix.path().join(file);
        assert!(
            std::fs::metadata(&path).is_ok_and(|m| m.len() > 0),
            "{file} missing or empty"
        );
    }
}

#[test]
fn top_level_help_says_what_sixdocker_is_and_nothing_of_its_insides() {
    // A doc comment on the CLI's struct is its help text: a note for the code's readers
    // once opened `--help` and the manual page.
    for flag in ["-h", "--help"] {
        let help = sixdocker(&[flag]);
        let first = help.lines().next().unwrap_or_default();
        assert_eq!(
            first, "A daemonless container engine with Docker's command line",
            "{flag}: {help}"
        );
        assert!(!help.contains("defer"), "{flag}: {help}");
    }
    let dir = tempfile::tempdir().unwrap();
    sixdocker(&["man-pages", dir.path().to_str().unwrap()]);
    let page = std::fs::read_to_string(dir.path().join("sixdocker.1")).unwrap();
    assert!(!page.contains("defer"), "{page}");
}
