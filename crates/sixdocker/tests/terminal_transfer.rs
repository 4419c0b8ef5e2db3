//! Registry commands at a terminal, as a user sees them: `pull` draws a live line per layer
//! ("Downloading [====>   ] 12kB/400kB  …/s") redrawn in place, ending "Pull complete";
//! `login` asks for the user name and, without echo, the password.

mod common;

use std::time::Duration;

use common::fake_registry::{image, noise, Answer, FakeRegistry};
use common::pty::Terminal;
use common::Sandbox;

const DEADLINE: Duration = Duration::from_secs(60);

#[test]
fn pull_at_a_terminal_draws_live_progress_bars() {
    let reg = FakeRegistry::start();
    let data = noise(300_000); // ~0.6 s to arrive below
    let img = image("amd64", &[&[("data", &data[..])]]);
    reg.serve_image("t/tty", "1", &img);
    let mut slow = Answer::ok(img.blobs[0].1.clone(), "application/octet-stream");
    slow.slow = Some((8192, Duration::from_millis(15)));
    reg.route(
        "GET",
        &format!("/v2/t/tty/blobs/{}", img.layer_digests[0]),
        slow,
    );
    let sb = Sandbox::new();
    let mut term = Terminal::spawn(
        sb.command(["pull", &format!("{}/t/tty:1", reg.domain())]),
        24,
        120,
    );
    term.expect("Downloading [", DEADLINE);
    assert_eq!(term.wait(DEADLINE), 0, "{}", term.screen());
    let screen = term.screen();
    assert!(screen.contains("/s"), "no speed shown: {screen:?}");
    assert!(
        screen.contains("\x1b[1A\x1b[2K"),
        "lines not redrawn in place: {screen:?}"
    );
    assert!(screen.contains(": Pull complete"), "{screen:?}");
}

#[test]
fn login_at_a_terminal_prompts_and_does_not_echo_the_password() {
    let (reg, sb, config) = common::seed::private_registry();
    let mut cmd = sb.command(["login", &reg.domain()]);
    cmd.env("DOCKER_CONFIG", &config);
    let mut term = Terminal::spawn(cmd, 24, 80);
    term.expect("Username: ", DEADLINE);
    term.type_text("tester\n");
    term.expect("Password: ", DEADLINE);
    term.type_text("s3cret\n");
    term.expect("Login Succeeded", DEADLINE);
    assert_eq!(term.wait(DEADLINE), 0);
    assert!(
        !term.screen().contains("s3cret"),
        "the password was echoed: {:?}",
        term.screen()
    );
    assert!(config.join("config.json").is_file());
}
