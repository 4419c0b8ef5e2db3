//! scripts/make-nginx-image.sh makes a rootfs tar that, put in the import folder as
//! nginx.tar, becomes `nginx:latest` on first use and serves a page (run here in a chroot
//! of the image's rootfs, on a loopback port).

mod common;

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::os::unix::process::CommandExt;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use common::TestRoot;

/// The nginx master it started, in its own process group with its workers. On drop:
/// SIGTERM to the group (nginx stops its workers), reap the master, then SIGKILL whatever
/// of that group is left.
struct Server(Child);

impl Drop for Server {
    fn drop(&mut self) {
        let group = nix::unistd::Pid::from_raw(-(self.0.id() as i32));
        let _ = nix::sys::signal::kill(group, nix::sys::signal::Signal::SIGTERM);
        let _ = self.0.wait();
        let _ = nix::sys::signal::kill(group, nix::sys::signal::Signal::SIGKILL);
    }
}

fn script() -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../scripts/make-nginx-image.sh")
}

#[test]
fn the_nginx_script_makes_an_image_that_serves() {
    let t = TestRoot::new();
    let import_dir = t.path().join("images-folder");
    std::fs::create_dir(&import_dir).unwrap();
    let out = Command::new(script())
        .arg(import_dir.join("nginx.tar"))
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "script: {}",
        String::from_utf8_lossy(&out.stderr)
    );

    let store = t.store.clone().with_import_dir(Some(import_dir));
    let img = store.resolve("nginx").unwrap();
    assert_eq!(img.repo_tags, ["nginx:latest"]);
    let m = store.mount_rootfs(&img, &t.container_dir("web")).unwrap();
    let root = &m.merged;
    assert!(std::fs::read_to_string(root.join("etc/passwd"))
        .unwrap()
        .contains("www-data:x:33:33"));
    assert!(std::fs::read_to_string(root.join("etc/group"))
        .unwrap()
        .contains("www-data:x:33:"));
    assert!(root.join("etc/nginx/mime.types").is_file());
    assert!(root.join("var/www/html/index.html").is_file());
    assert_eq!(
        std::fs::read_link(root.join("bin/sh")).unwrap().to_str(),
        Some("busybox")
    );

    let check = Command::new("chroot")
        .arg(root)
        .args(["/usr/sbin/nginx", "-t"])
        .output()
        .unwrap();
    assert!(
        check.status.success(),
        "nginx -t: {}",
        String::from_utf8_lossy(&check.stderr)
    );

    // Serve the image's index.html on a free loopback port, as www-data workers.
    let port = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let conf = format!(
        "user www-data; pid /run/test-nginx.pid; error_log stderr; events {{}}\n\
         http {{ include /etc/nginx/mime.types; access_log off;\n\
         server {{ listen 127.0.0.1:{port}; root /var/www/html; index index.html; }} }}\n"
    );
    std::fs::write(root.join("etc/nginx/test.conf"), conf).unwrap();
    let server = Server(
        Command::new("chroot")
            .arg(root)
            .args([
                "/usr/sbin/nginx",
                "-c",
                "/etc/nginx/test.conf",
                "-g",
                "daemon off;",
            ])
            .process_group(0)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap(),
    );
    let deadline = Instant::now() + Duration::from_secs(10);
    let page = loop {
        if let Ok(mut s) = TcpStream::connect(("127.0.0.1", port)) {
            s.write_all(b"GET / HTTP/1.0\r\nHost: x\r\n\r\n").unwrap();
            let mut page = String::new();
            s.read_to_string(&mut page).unwrap();
            break page;
        }
        assert!(Instant::now() < deadline, "nginx did not start listening");
        std::thread::sleep(Duration::from_millis(20));
    };
    assert!(page.starts_with("HTTP/1.1 200 OK"), "{page}");
    assert!(page.contains("Welcome to nginx!"), "{page}");
    let master = server.0.id() as i32;
    drop(server);
    assert!(!six_testkit::pid_alive(master));
    assert!(
        !six_testkit::pid_alive(-master),
        "nginx workers are gone too"
    );
    // The image itself is unchanged by the container's writes.
    let base_layer = t
        .store
        .dir()
        .join("layers")
        .join(img.layers[0].trim_start_matches("sha256:"))
        .join("diff");
    assert!(!base_layer.join("etc/nginx/test.conf").exists());
    m.unmount().unwrap();
    assert!(t.mounts().is_empty());
}
