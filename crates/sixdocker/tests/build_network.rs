//! What a build reaches over the network: `ADD <url>` (from a server of the test's own on
//! 127.0.0.1: the file named by the URL, 0600, `--checksum` checked, cached while the content
//! is the same) and the network RUN steps get (`--network none`, `RUN --network=host`).

mod common;

use std::io::{BufRead, BufReader, Write};
use std::net::TcpListener;
use std::sync::{Arc, Mutex};

use common::build::{build, cache_states, Context};
use common::Sandbox;

/// An HTTP server on 127.0.0.1 answering every GET with `body` (which the test may change),
/// until the test ends (its thread is left blocked in accept, on a port nobody else uses).
fn serve(body: Arc<Mutex<String>>) -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    std::thread::spawn(move || {
        for conn in listener.incoming() {
            let Ok(mut conn) = conn else { continue };
            let mut reader = BufReader::new(conn.try_clone().unwrap());
            let mut line = String::new();
            while reader.read_line(&mut line).is_ok_and(|n| n > 2) {
                line.clear();
            }
            let text = body.lock().unwrap().clone();
            let _ = write!(
                conn,
                "HTTP/1.1 200 OK\r\nContent-Length: {}\r\nLast-Modified: Wed, 21 Oct 2015 07:28:00 GMT\r\nConnection: close\r\n\r\n{text}",
                text.len()
            );
        }
    });
    port
}

#[test]
fn add_fetches_a_url() {
    let sb = Sandbox::new();
    let body = Arc::new(Mutex::new("downloaded content\n".to_owned()));
    let port = serve(body.clone());
    let url = format!("http://127.0.0.1:{port}/files/data.txt?x=1");
    let ctx = Context::new(&[(
        "Dockerfile",
        &format!("FROM busybox\nADD {url} /dl/\nADD {url} /named.txt\n"),
    )]);
    build(&sb, &ctx, &["-t", "added"]).ok();
    let out = sb.run([
        "run",
        "--rm",
        "--network",
        "none",
        "added",
        "sh",
        "-c",
        "cat /dl/data.txt /named.txt; stat -c '%a %Y' /dl/data.txt",
    ]);
    assert_eq!(
        out.ok(),
        "downloaded content\ndownloaded content\n600 1445412480\n",
        "the file, 0600, its Last-Modified time"
    );
    let again = build(&sb, &ctx, &[]);
    assert!(
        cache_states(again.ok()).iter().all(|(_, c)| *c),
        "{}",
        again.stdout
    );
    *body.lock().unwrap() = "new content\n".to_owned();
    let changed = build(&sb, &ctx, &[]);
    assert!(
        cache_states(changed.ok()).iter().all(|(_, c)| !*c),
        "{}",
        changed.stdout
    );

    let wrong = format!(
        "FROM busybox\nADD --checksum=sha256:{} {url} /x\n",
        "0".repeat(64)
    );
    ctx.write("Dockerfile", &wrong);
    build(&sb, &ctx, &[]).fails(1, "digest mismatch");
    ctx.write("Dockerfile", &format!("FROM busybox\nCOPY {url} /x\n"));
    build(&sb, &ctx, &[]).fails(1, "source can't be a URL");
}

#[test]
fn run_steps_get_the_network_asked_for() {
    let sb = Sandbox::new();
    let ctx = Context::new(&[(
        "Dockerfile",
        "FROM busybox\nRUN ls /sys/class/net > /none.txt\nRUN --network=host ls /sys/class/net > /host.txt\n",
    )]);
    // Parallel tests add and remove veths on the host meanwhile: what the host step must
    // have seen is what was there both before the build and after it (lo and the host's
    // own interfaces at least).
    let host_links = || -> std::collections::BTreeSet<String> {
        std::fs::read_dir("/sys/class/net")
            .unwrap()
            .flatten()
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .collect()
    };
    let before = host_links();
    build(&sb, &ctx, &["-t", "nets"]).ok();
    let cat = |f: &str| {
        let out = sb.run(["run", "--rm", "--network", "none", "nets", "cat", f]);
        out.ok().to_owned()
    };
    assert_eq!(cat("/none.txt"), "lo\n");
    let seen = cat("/host.txt");
    let host: Vec<String> = before.intersection(&host_links()).cloned().collect();
    assert!(host.iter().any(|h| h != "lo"), "the host has only {host:?}");
    assert!(
        host.iter().all(|h| seen.lines().any(|l| l == h)),
        "{seen} vs {host:?}"
    );
    ctx.write("Dockerfile", "FROM busybox\nRUN --network=bogus true\n");
    build(&sb, &ctx, &[]).fails(1, "RUN --network=bogus");
}
