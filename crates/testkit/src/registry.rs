//! A private OCI registry for tests: Debian's `docker-registry` (distribution 2.8) on
//! 127.0.0.1 at a free port, with its own storage dir and config, optionally with htpasswd
//! basic auth (`htpasswd -B` from apache2-utils) and TLS (a CA and a server certificate
//! made with `openssl` for the test, plus optional client-certificate checking). Stopped by
//! its PID and its dirs removed on drop. Only loopback is ever listened on.

use std::fs;
use std::io::Write;
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use tempfile::TempDir;

/// What the registry asks of its clients.
#[derive(Default)]
pub struct RegistryBuilder {
    htpasswd: Option<(String, String)>,
    tls: bool,
    client_certs: bool,
}

/// A running test registry.
pub struct TestRegistry {
    dir: TempDir,
    child: Child,
    port: u16,
}

/// A CA, a server certificate for 127.0.0.1 signed by it, and a client certificate.
pub struct TestCa {
    /// The CA's certificate (PEM): what clients trust.
    pub ca_cert: PathBuf,
    /// The registry's certificate for 127.0.0.1 (PEM).
    pub server_cert: PathBuf,
    /// Its private key (PEM).
    pub server_key: PathBuf,
    /// A client certificate the CA signed (PEM), for `certs.d/<host>/client.cert`.
    pub client_cert: PathBuf,
    /// Its private key (PEM), for `client.key`.
    pub client_key: PathBuf,
}

impl RegistryBuilder {
    /// Basic auth with one user (htpasswd, bcrypt).
    pub fn htpasswd(mut self, user: &str, password: &str) -> Self {
        self.htpasswd = Some((user.to_owned(), password.to_owned()));
        self
    }

    /// HTTPS with a certificate of a CA made for this registry ([`TestRegistry::ca`]).
    pub fn tls(mut self) -> Self {
        self.tls = true;
        self
    }

    /// HTTPS that also requires a client certificate signed by the same CA.
    pub fn client_certs(mut self) -> Self {
        self.tls = true;
        self.client_certs = true;
        self
    }

    /// Starts the registry on a free loopback port and waits until it answers.
    pub fn start(self) -> std::io::Result<TestRegistry> {
        let dir = tempfile::Builder::new().prefix("six-registry-").tempdir()?;
        let port = free_port()?;
        let mut config = format!(
            "version: 0.1\nlog:\n  level: error\n  accesslog:\n    disabled: true\nstorage:\n  filesystem:\n    rootdirectory: {}\n  delete:\n    enabled: true\nhttp:\n  addr: 127.0.0.1:{port}\n",
            dir.path().join("data").display()
        );
        if self.tls {
            let ca = make_ca(dir.path())?;
            config.push_str(&format!(
                "  tls:\n    certificate: {}\n    key: {}\n",
                ca.server_cert.display(),
                ca.server_key.display()
            ));
            if self.client_certs {
                config.push_str(&format!(
                    "    clientcas:\n      - {}\n",
                    ca.ca_cert.display()
                ));
            }
        }
        if let Some((user, password)) = &self.htpasswd {
            let out = Command::new("htpasswd")
                .args(["-Bbn", user, password])
                .output()?;
            if !out.status.success() {
                return Err(std::io::Error::other(
                    "htpasswd failed (apache2-utils installed?)",
                ));
            }
            let path = dir.path().join("htpasswd");
            fs::write(&path, &out.stdout)?;
            config.push_str(&format!(
                "auth:\n  htpasswd:\n    realm: test-realm\n    path: {}\n",
                path.display()
            ));
        }
        let config_path = dir.path().join("config.yml");
        fs::File::create(&config_path)?.write_all(config.as_bytes())?;
        let log = fs::File::create(dir.path().join("registry.log"))?;
        let child = Command::new("docker-registry")
            .arg("serve")
            .arg(&config_path)
            .stdin(Stdio::null())
            .stdout(log.try_clone()?)
            .stderr(log)
            .spawn()?;
        let mut registry = TestRegistry { dir, child, port };
        registry.wait_until_listening()?;
        Ok(registry)
    }
}

impl TestRegistry {
    /// An anonymous plain-HTTP registry.
    pub fn start() -> std::io::Result<TestRegistry> {
        RegistryBuilder::default().start()
    }

    /// A registry with options (auth, TLS, client certificates).
    pub fn builder() -> RegistryBuilder {
        RegistryBuilder::default()
    }

    /// `127.0.0.1:<port>`, as image references name it.
    pub fn domain(&self) -> String {
        format!("127.0.0.1:{}", self.port)
    }

    /// Its loopback port.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// The registry process's pid.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// The CA of a TLS registry (files in its dir).
    pub fn ca(&self) -> TestCa {
        ca_paths(self.dir.path())
    }

    /// Where the registry keeps blobs and manifests.
    pub fn storage(&self) -> PathBuf {
        self.dir.path().join("data/docker/registry/v2")
    }

    /// What the registry logged.
    pub fn log(&self) -> String {
        fs::read_to_string(self.dir.path().join("registry.log")).unwrap_or_default()
    }

    fn wait_until_listening(&mut self) -> std::io::Result<()> {
        let until = Instant::now() + Duration::from_secs(20);
        while Instant::now() < until {
            if let Some(status) = self.child.try_wait()? {
                return Err(std::io::Error::other(format!(
                    "docker-registry exited ({status}): {}",
                    self.log()
                )));
            }
            if TcpStream::connect(("127.0.0.1", self.port)).is_ok() {
                return Ok(());
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        Err(std::io::Error::other(
            "docker-registry did not listen within 20 s",
        ))
    }
}

impl Drop for TestRegistry {
    fn drop(&mut self) {
        // SAFETY: signalling the registry process this guard started, by its PID.
        unsafe { libc::kill(self.child.id() as i32, libc::SIGTERM) };
        let until = Instant::now() + Duration::from_secs(5);
        while Instant::now() < until {
            if let Ok(Some(_)) = self.child.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(10));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn free_port() -> std::io::Result<u16> {
    Ok(TcpListener::bind("127.0.0.1:0")?.local_addr()?.port())
}

fn ca_paths(dir: &Path) -> TestCa {
    let d = dir.join("ca");
    TestCa {
        ca_cert: d.join("ca.crt"),
        server_cert: d.join("server.crt"),
        server_key: d.join("server.key"),
        client_cert: d.join("client.cert"),
        client_key: d.join("client.key"),
    }
}

/// A CA, a server certificate for 127.0.0.1 and localhost, and a client certificate.
pub fn make_ca(dir: &Path) -> std::io::Result<TestCa> {
    let ca = ca_paths(dir);
    let d = dir.join("ca");
    fs::create_dir_all(&d)?;
    let run = |args: &[&str]| -> std::io::Result<()> {
        let out = Command::new("openssl")
            .args(args)
            .current_dir(&d)
            .output()?;
        match out.status.success() {
            true => Ok(()),
            false => Err(std::io::Error::other(format!(
                "openssl {args:?}: {}",
                String::from_utf8_lossy(&out.stderr)
            ))),
        }
    };
    fs::write(
        d.join("server.ext"),
        "basicConstraints=CA:FALSE\nsubjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n",
    )?;
    fs::write(
        d.join("client.ext"),
        "basicConstraints=CA:FALSE\nextendedKeyUsage=clientAuth\n",
    )?;
    run(&[
        "req",
        "-x509",
        "-newkey",
        "rsa:2048",
        "-nodes",
        "-keyout",
        "ca.key",
        "-out",
        "ca.crt",
        "-days",
        "2",
        "-subj",
        "/CN=six test CA",
    ])?;
    for (name, ext) in [("server", "server.ext"), ("client", "client.ext")] {
        let (crt, key) = match name {
            "server" => ("server.crt", "server.key"),
            _ => ("client.cert", "client.key"),
        };
        run(&[
            "req",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-keyout",
            key,
            "-out",
            &format!("{name}.csr"),
            "-subj",
            &format!("/CN=six test {name}"),
        ])?;
        run(&[
            "x509",
            "-req",
            "-in",
            &format!("{name}.csr"),
            "-CA",
            "ca.crt",
            "-CAkey",
            "ca.key",
            "-CAcreateserial",
            "-out",
            crt,
            "-days",
            "2",
            "-extfile",
            ext,
        ])?;
    }
    Ok(ca)
}
