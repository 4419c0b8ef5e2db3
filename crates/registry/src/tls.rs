//! TLS settings for one registry: the system's CA bundle plus Docker's per-registry
//! directory `certs.d/<host[:port]>/` (`*.crt`: extra CA roots; `*.cert` + `*.key` of the
//! same stem: a client certificate), as Docker reads it. Only reads files.

use std::fs;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use ureq::tls::{Certificate, ClientCert, PemItem, PrivateKey, RootCerts, TlsConfig};

use crate::error::{Error, Result};

/// Where Debian, Fedora, openSUSE and Alpine keep the system's CA bundle.
const SYSTEM_BUNDLES: &[&str] = &[
    "/etc/ssl/certs/ca-certificates.crt",
    "/etc/pki/tls/certs/ca-bundle.crt",
    "/etc/ssl/ca-bundle.pem",
    "/etc/ssl/cert.pem",
];

/// TLS for `domain`: verified against the system roots and `certs_dir/<domain>/*.crt`,
/// or not verified at all (`verify` false: an insecure registry).
pub(crate) fn config(certs_dir: &Path, domain: &str, verify: bool) -> Result<TlsConfig> {
    let dir = certs_dir.join(domain);
    let mut roots = Vec::new();
    if let Some(bundle) = SYSTEM_BUNDLES.iter().map(Path::new).find(|p| p.is_file()) {
        roots.extend(certificates(bundle)?);
    }
    let mut client = None;
    for path in sorted_files(&dir)? {
        match path.extension().and_then(|e| e.to_str()) {
            Some("crt") => roots.extend(certificates(&path)?),
            Some("cert") => {
                let key = path.with_extension("key");
                if !key.is_file() {
                    return Err(Error::Usage(format!(
                        "client certificate {} has no key {}",
                        path.display(),
                        key.display()
                    )));
                }
                client = Some(ClientCert::new_with_certs(
                    &certificates(&path)?,
                    private_key(&key)?,
                ));
            }
            Some("key") if !path.with_extension("cert").is_file() => {
                return Err(Error::Usage(format!(
                    "client key {} has no certificate {}",
                    path.display(),
                    path.with_extension("cert").display()
                )));
            }
            _ => {}
        }
    }
    Ok(TlsConfig::builder()
        .root_certs(RootCerts::Specific(Arc::new(roots)))
        .client_cert(client)
        .disable_verification(!verify)
        .build())
}

fn sorted_files(dir: &Path) -> Result<Vec<PathBuf>> {
    let mut out: Vec<PathBuf> = match fs::read_dir(dir) {
        Ok(rd) => rd.flatten().map(|e| e.path()).collect(),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(Error::io(format!("reading {}", dir.display()), e)),
    };
    out.sort();
    Ok(out)
}

fn read(path: &Path) -> Result<Vec<u8>> {
    fs::read(path).map_err(|e| Error::io(format!("reading {}", path.display()), e))
}

fn certificates(path: &Path) -> Result<Vec<Certificate<'static>>> {
    let pem = read(path)?;
    let mut out = Vec::new();
    for item in ureq::tls::parse_pem(&pem) {
        match item {
            Ok(PemItem::Certificate(c)) => out.push(c),
            Ok(_) => {}
            Err(e) => {
                return Err(Error::invalid(
                    format!("certificate file {}", path.display()),
                    e,
                ))
            }
        }
    }
    Ok(out)
}

fn private_key(path: &Path) -> Result<PrivateKey<'static>> {
    PrivateKey::from_pem(&read(path)?)
        .map_err(|e| Error::invalid(format!("key file {}", path.display()), e))
}
