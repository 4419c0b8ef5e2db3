//! A plain HTTP(S) download, for `ADD <url>` of `sixdocker build`: GET with redirects
//! followed, TLS checked against the system's roots and Docker's `certs.d/<host:port>/` (as a
//! registry's), any status but 2xx an error naming the URL. The body is streamed to the
//! caller, never kept here.

use crate::client::{agent, http_error, Method};
use crate::error::{Error, Result};
use crate::options::Options;
use crate::tls;
use std::io::Read;

/// A response being downloaded.
pub struct Download {
    /// The body, as it arrives.
    pub body: Box<dyn Read + Send + Sync>,
    /// `Last-Modified`, as sent (an HTTP date).
    pub last_modified: Option<String>,
}

/// `GET url` (http or https).
pub fn download(url: &str, options: &Options) -> Result<Download> {
    let host = url
        .split_once("://")
        .map(|(_, rest)| rest.split(['/', '?', '#']).next().unwrap_or(rest))
        .filter(|h| !h.is_empty())
        .ok_or_else(|| Error::Invalid {
            what: url.to_owned(),
            detail: "not an http:// or https:// URL".to_owned(),
        })?;
    let host = host.rsplit('@').next().unwrap_or(host);
    let tls = tls::config(&options.certs_dir, host, true)?;
    let agent = agent(tls);
    let resp = agent.get(url).call().map_err(|e| Error::Connect {
        method: Method::Get.name(),
        url: url.to_owned(),
        detail: e.to_string(),
    })?;
    let status = resp.status().as_u16();
    if !(200..300).contains(&status) {
        return Err(http_error(Method::Get, url, resp, status));
    }
    let last_modified = resp
        .headers()
        .get("last-modified")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    Ok(Download {
        body: Box::new(resp.into_body().into_reader()),
        last_modified,
    })
}
