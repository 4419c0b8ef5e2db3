//! `login`/`logout` against docker-registry with htpasswd basic auth: a wrong password is
//! refused and stores nothing; a right one is checked, stored Docker's way (config.json in
//! DOCKER_CONFIG, `auths`, mode 0600) and used by pull and push; logout forgets it.

mod common;

use std::os::unix::fs::PermissionsExt;

use common::{Ran, Sandbox};

/// `sixdocker ARGS` with DOCKER_CONFIG set and `stdin` fed.
fn with_stdin(sb: &Sandbox, config: &std::path::Path, args: &[&str], stdin: &str) -> Ran {
    sb.run_with_stdin(&[("DOCKER_CONFIG", config.as_os_str())], args, stdin)
}

#[test]
fn login_checks_stores_and_logout_forgets() {
    let (reg, sb, config) = common::seed::private_registry();
    let env = [("DOCKER_CONFIG", config.as_os_str())];
    let domain = reg.domain();
    let r = format!("{domain}/t/private:1");
    sb.run(["tag", "busybox", &r]).ok();
    sb.run_with(&env, ["push", &r])
        .fails(1, "push access denied");

    let wrong = with_stdin(
        &sb,
        &config,
        &["login", "-u", "tester", "--password-stdin", &domain],
        "nope\n",
    );
    wrong.fails(1, "incorrect username or password");
    assert!(
        !config.join("config.json").exists(),
        "a refused login stored something"
    );

    let right = with_stdin(
        &sb,
        &config,
        &["login", "-u", "tester", "--password-stdin", &domain],
        "s3cret\n",
    );
    assert_eq!(right.ok().trim(), "Login Succeeded");
    let file = config.join("config.json");
    let mode = std::fs::metadata(&file).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o600);
    let v: serde_json::Value = serde_json::from_slice(&std::fs::read(&file).unwrap()).unwrap();
    assert_eq!(v["auths"][&domain]["auth"], "dGVzdGVyOnMzY3JldA==");

    sb.run_with(&env, ["push", "-q", &r]).ok();
    let other = Sandbox::new();
    other.run_with(&env, ["pull", "-q", &r]).ok();
    other.run(["pull", "-q", &r]).fails(1, "pull access denied");

    let out = sb.run_with(&env, ["logout", &domain]);
    assert_eq!(
        out.ok().trim(),
        format!("Removing login credentials for {domain}")
    );
    let v: serde_json::Value = serde_json::from_slice(&std::fs::read(&file).unwrap()).unwrap();
    assert!(v["auths"].get(&domain).is_none(), "{v}");
    let again = sb.run_with(&env, ["logout", &domain]);
    assert_eq!(again.ok().trim(), format!("Not logged in to {domain}"));
}

#[test]
fn login_without_a_terminal_needs_password_stdin() {
    let sb = Sandbox::new();
    let config = sb.dir.path().join("docker-config");
    let out = with_stdin(&sb, &config, &["login", "127.0.0.1:9"], "");
    assert_eq!(out.code, 1, "{out:?}");
    assert!(out.stderr.contains("non TTY"), "{out:?}");
}

#[test]
fn a_credential_helper_named_in_config_json_keeps_the_credentials() {
    use std::os::unix::fs::PermissionsExt;
    let (reg, sb, config) = common::seed::private_registry();
    std::fs::create_dir_all(&config).unwrap();
    std::fs::write(config.join("config.json"), r#"{"credsStore":"sixtest"}"#).unwrap();
    let bin = sb.dir.path().join("bin");
    std::fs::create_dir_all(&bin).unwrap();
    let kept = sb.dir.path().join("helper-store.json");
    let helper = bin.join("docker-credential-sixtest");
    std::fs::write(
        &helper,
        format!(
            "#!/bin/sh\ncase \"$1\" in\n store) cat > {k} ;;\n get) read s; [ -f {k} ] && cat {k} || {{ echo 'credentials not found in native keychain'; exit 1; }} ;;\n erase) rm -f {k} ;;\nesac\n",
            k = kept.display()
        ),
    )
    .unwrap();
    std::fs::set_permissions(&helper, std::fs::Permissions::from_mode(0o755)).unwrap();
    let path = format!(
        "{}:{}",
        bin.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let env = [
        ("DOCKER_CONFIG", config.as_os_str()),
        ("PATH", std::ffi::OsStr::new(&path)),
    ];
    let domain = reg.domain();
    let r = format!("{domain}/t/helped:1");
    sb.run(["tag", "busybox", &r]).ok();

    let login = ["login", "-u", "tester", "--password-stdin", &domain];
    sb.run_with_stdin(&env, &login, "s3cret\n").ok();
    let stored: serde_json::Value = serde_json::from_slice(&std::fs::read(&kept).unwrap()).unwrap();
    assert_eq!(
        (stored["Username"].as_str(), stored["Secret"].as_str()),
        (Some("tester"), Some("s3cret"))
    );
    let file = std::fs::read_to_string(config.join("config.json")).unwrap();
    assert!(
        !file.contains("auths"),
        "the password went to config.json: {file}"
    );

    sb.run_with(&env, ["push", "-q", &r]).ok();
    sb.run_with(&env, ["logout", &domain]).ok();
    assert!(
        !kept.exists(),
        "logout did not erase the helper's credentials"
    );
    sb.run_with(&env, ["push", "-q", &r])
        .fails(1, "push access denied");
}
