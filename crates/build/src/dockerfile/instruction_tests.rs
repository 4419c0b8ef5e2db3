//! Unit tests of instruction.rs: flags, forms and Docker's refusals.

use super::*;

fn p(text: &str) -> Result<Instruction> {
    let line = trigger_line(text, 1);
    parse(&line, '\\')
}

#[test]
fn from_with_platform_and_name() {
    assert_eq!(
        p("FROM --platform=linux/amd64 busybox:1 AS Build").unwrap(),
        Instruction::From {
            image: "busybox:1".into(),
            name: Some("build".into()),
            platform: Some("linux/amd64".into())
        }
    );
    assert!(p("FROM a b").is_err());
    assert!(p("FROM a AS 1x").is_err());
}

#[test]
fn exec_and_shell_forms() {
    assert_eq!(
        p(r#"CMD ["a", "b c"]"#).unwrap(),
        Instruction::Cmd(Command::Exec(vec!["a".into(), "b c".into()]))
    );
    assert_eq!(
        p("CMD [oops").unwrap(),
        Instruction::Cmd(Command::Shell("[oops".into()))
    );
    assert_eq!(
        p("RUN --network=none echo hi").unwrap(),
        Instruction::Run {
            cmd: Command::Shell("echo hi".into()),
            network: Some("none".into()),
            heredocs: vec![]
        }
    );
    assert!(p("RUN --mount=type=cache,target=/x true")
        .unwrap_err()
        .to_string()
        .contains("--mount"));
    assert!(p("SHELL /bin/bash").is_err());
}

#[test]
fn copy_flags_and_forms() {
    let Instruction::Copy(c) = p("COPY --from=build --chown=1:2 --chmod=755 a b /dst/").unwrap()
    else {
        panic!()
    };
    assert_eq!(
        (c.sources, c.dest.as_str()),
        (vec!["a".to_string(), "b".into()], "/dst/")
    );
    assert_eq!(
        (c.from.as_deref(), c.chown.as_deref(), c.chmod.as_deref()),
        (Some("build"), Some("1:2"), Some("755"))
    );
    let Instruction::Add(a) = p(r#"ADD ["a b", "/c d"]"#).unwrap() else {
        panic!()
    };
    assert_eq!(a.sources, ["a b"]);
    assert!(p("COPY onlyone").is_err());
    assert!(p("COPY --bogus=1 a b")
        .unwrap_err()
        .to_string()
        .contains("unknown flag: --bogus"));
    assert!(p("ADD --from=x a b").is_err(), "ADD has no --from");
}

#[test]
fn env_and_label_forms() {
    assert_eq!(
        p(r#"ENV A=1 B="two words" C=x\ y"#).unwrap(),
        Instruction::Env(vec![
            ("A".into(), "1".into()),
            ("B".into(), r#""two words""#.into()),
            ("C".into(), r"x\ y".into())
        ])
    );
    assert_eq!(
        p("ENV A  the rest of it").unwrap(),
        Instruction::Env(vec![("A".into(), "the rest of it".into())])
    );
    assert!(p("ENV A=1 B").is_err());
    assert!(p("ENV A").is_err());
    assert_eq!(
        p("LABEL a=b").unwrap(),
        Instruction::Label(vec![("a".into(), "b".into())])
    );
}

#[test]
fn healthcheck_and_onbuild() {
    let Instruction::Healthcheck(Some(h)) =
        p("HEALTHCHECK --interval=5s --retries=2 CMD curl -f x").unwrap()
    else {
        panic!()
    };
    assert_eq!(h.test, Some(Command::Shell("curl -f x".into())));
    assert_eq!(
        (h.interval.as_deref(), h.retries.as_deref()),
        (Some("5s"), Some("2"))
    );
    assert_eq!(
        p("HEALTHCHECK NONE").unwrap(),
        Instruction::Healthcheck(None)
    );
    assert!(p("HEALTHCHECK").is_err());
    assert_eq!(
        p("ONBUILD RUN echo hi").unwrap(),
        Instruction::OnBuild("RUN echo hi".into())
    );
    assert!(p("ONBUILD ONBUILD RUN x").is_err());
    assert!(p("ONBUILD FROM x").is_err());
    assert!(p("ONBUILD BOGUS x").is_err());
    assert!(p("FETCH x")
        .unwrap_err()
        .to_string()
        .contains("unknown instruction: FETCH"));
}
