//! `push`: the image's layers to the repository (each one skipped when a `HEAD` finds it
//! there, mounted from another repository of the same registry when the store knows one
//! that has it, else compressed with gzip and streamed up in one chunked PATCH while its
//! digest is computed, then committed with a PUT), its config (a monolithic upload), and
//! last the manifest (Docker schema 2; OCI when a reused layer is OCI-typed), so a push
//! cut short leaves no manifest. Layers go `Options::max_concurrent` at a time. Where each
//! layer now is gets remembered in the store, so the next push of it is a HEAD or a mount.

use std::io::{self, BufReader, Read};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

use percent_encoding::{utf8_percent_encode, NON_ALPHANUMERIC};
use sha2::Digest as _;
use six_image::{Digest, Image, ImageStore, LayerSource};

use crate::client::{self, read_document, scope, Client, Method};
use crate::error::{Error, Result};
use crate::manifest::{
    self, Descriptor, DOCKER_CONFIG, DOCKER_LAYER_GZIP, DOCKER_MANIFEST, OCI_MANIFEST,
};
use crate::options::Options;
use crate::parallel;
use crate::progress::{short_id, Event, LayerStatus, Progress};
use crate::pull::remember_source;
use crate::reference::Reference;
use crate::verify;

const OCI_CONFIG: &str = "application/vnd.oci.image.config.v1+json";
const OCI_LAYER_GZIP: &str = "application/vnd.oci.image.layer.v1.tar+gzip";

/// One tag pushed.
#[derive(Clone, Debug)]
pub struct Pushed {
    /// The tag pushed.
    pub reference: Reference,
    /// The manifest's digest.
    pub digest: String,
    /// The manifest's size in bytes.
    pub size: u64,
}

/// Pushes the local image `reference` (its tag, "latest" if none), or with `all_tags`
/// every local tag of its repository.
pub fn push(
    store: &ImageStore,
    reference: &Reference,
    options: &Options,
    all_tags: bool,
    progress: &dyn Progress,
) -> Result<Vec<Pushed>> {
    if reference.digest().is_some() {
        return Err(Error::Usage(format!(
            "cannot push a digest reference ({}): push a tag",
            reference.familiar_string()
        )));
    }
    let refs: Vec<Reference> = match all_tags {
        false => vec![reference.clone().with_default_tag()],
        true => {
            if reference.tag().is_some() {
                return Err(Error::Usage("tag can't be used with --all-tags/-a".into()));
            }
            local_tags(store, reference)?
        }
    };
    let mut images = Vec::new();
    for r in &refs {
        let image = store.find_image(&r.familiar_string())?.ok_or_else(|| {
            Error::Usage(format!(
                "An image does not exist locally with the tag: {}",
                r.familiar_name()
            ))
        })?;
        images.push(image);
    }
    if images.is_empty() {
        return Err(Error::Usage(format!(
            "An image does not exist locally with the tag: {}",
            reference.familiar_name()
        )));
    }
    let credentials = options.credentials_for(reference.domain())?;
    let client = Client::connect(reference.domain(), options, credentials)?;
    progress.report(Event::Line(format!(
        "The push refers to repository [{}]",
        reference.name()
    )));
    let mut out = Vec::new();
    for (r, image) in refs.iter().zip(&images) {
        out.push(push_one(store, &client, r, image, options, progress)?);
    }
    Ok(out)
}

/// The references of every local tag of `reference`'s repository.
fn local_tags(store: &ImageStore, reference: &Reference) -> Result<Vec<Reference>> {
    let repo = reference.familiar_name();
    let mut out = Vec::new();
    for image in store.list()? {
        for tag in &image.repo_tags {
            if let Some(t) = tag.strip_prefix(&format!("{repo}:")) {
                out.push(reference.with_tag(t)?);
            }
        }
    }
    out.sort_by_key(|r| r.tag().map(str::to_owned));
    Ok(out)
}

fn push_one(
    store: &ImageStore,
    client: &Client,
    r: &Reference,
    image: &Image,
    options: &Options,
    progress: &dyn Progress,
) -> Result<Pushed> {
    let _span = tracing::info_span!("push", reference = %r).entered();
    let scopes = [scope(r.path(), "pull,push")];
    let diff_ids: Vec<Digest> = image
        .layers
        .iter()
        .map(|l| Digest::parse(l))
        .collect::<std::result::Result<_, _>>()?;
    for d in diff_ids.iter().rev() {
        progress.report(Event::Layer {
            id: short_id(&d.to_string()),
            status: LayerStatus::Preparing,
        });
    }
    let layers: Vec<std::sync::Mutex<Option<Descriptor>>> =
        diff_ids.iter().map(|_| Default::default()).collect();
    let indexed: Vec<(usize, &Digest)> = diff_ids.iter().enumerate().collect();
    parallel::for_each(&indexed, options.max_concurrent, |(i, diff_id), cancel| {
        let desc = push_layer(store, client, r, diff_id, &scopes, cancel, progress)?;
        *layers[*i].lock().unwrap_or_else(|p| p.into_inner()) = Some(desc);
        Ok(())
    })?;
    let layers: Vec<Descriptor> = layers
        .into_iter()
        .map(|m| m.into_inner().unwrap_or_else(|p| p.into_inner()))
        .collect::<Option<_>>()
        .ok_or_else(|| Error::invalid("push", "a layer was not pushed"))?;

    let config = store.image_config_json(image)?;
    let config_digest = verify::sha256(&config);
    if !blob_exists(client, r, &config_digest, &scopes)? {
        upload_bytes(client, r, &config, &config_digest, &scopes)?;
    }
    let oci = layers.iter().any(|l| l.media_type.contains("vnd.oci."));
    let (manifest_type, config_type) = match oci {
        true => (OCI_MANIFEST, OCI_CONFIG),
        false => (DOCKER_MANIFEST, DOCKER_CONFIG),
    };
    let layers: Vec<Descriptor> = layers
        .into_iter()
        .map(|mut l| {
            if oci && l.media_type == DOCKER_LAYER_GZIP {
                l.media_type = OCI_LAYER_GZIP.to_owned();
            }
            l
        })
        .collect();
    let manifest = manifest::ImageManifest {
        schema_version: 2,
        media_type: Some(manifest_type.to_owned()),
        config: Descriptor {
            media_type: config_type.to_owned(),
            digest: config_digest,
            size: config.len() as u64,
            platform: None,
            urls: None,
            annotations: None,
        },
        layers,
    };
    let body = serde_json::to_vec_pretty(&manifest).unwrap_or_default();
    let digest = verify::sha256(&body);
    let tag = r.tag().unwrap_or("latest");
    let path = format!("/v2/{}/manifests/{tag}", r.path());
    let resp = client.send(
        Method::Put,
        &path,
        &scopes,
        &[("Content-Type", manifest_type)],
        Some(&body),
    )?;
    match resp.status().as_u16() {
        200..=299 => {}
        status => return Err(push_error(client, r, &path, Method::Put, resp, status)),
    }
    let hex = image.id.as_str();
    if let Err(e) = store.set_repo_digest(&format!("{}@{digest}", r.familiar_name()), hex) {
        tracing::warn!(error = %e, "could not record the repo digest");
    }
    progress.report(Event::Line(format!(
        "{tag}: digest: {digest} size: {}",
        body.len()
    )));
    Ok(Pushed {
        reference: r.clone(),
        digest,
        size: body.len() as u64,
    })
}

/// One layer to the repository: found there, mounted, or uploaded. Its descriptor.
fn push_layer(
    store: &ImageStore,
    client: &Client,
    r: &Reference,
    diff_id: &Digest,
    scopes: &[String],
    cancel: &AtomicBool,
    progress: &dyn Progress,
) -> Result<Descriptor> {
    let id = short_id(&diff_id.to_string());
    let report = |status| {
        progress.report(Event::Layer {
            id: id.clone(),
            status,
        })
    };
    let place = |status: LayerStatus, media_type: &str, digest: &str, size: u64| {
        report(status);
        let desc = descriptor(media_type, digest, size);
        remember_source(store, diff_id, r, &desc);
        desc
    };
    let sources = store.layer_sources(diff_id);
    for s in &sources {
        if blob_exists(client, r, &s.digest, scopes)? {
            let status = LayerStatus::LayerAlreadyExists;
            return Ok(place(status, &s.media_type, &s.digest, s.size));
        }
    }
    for s in sources
        .iter()
        .filter(|s| s.registry == r.domain() && s.repository != r.path())
    {
        if mount(client, r, s, scopes)? {
            let status = LayerStatus::MountedFrom(s.repository.clone());
            return Ok(place(status, &s.media_type, &s.digest, s.size));
        }
    }
    let (digest, size) = upload_layer(store, client, r, diff_id, scopes, cancel, &report)?;
    Ok(place(LayerStatus::Pushed, DOCKER_LAYER_GZIP, &digest, size))
}

fn descriptor(media_type: &str, digest: &str, size: u64) -> Descriptor {
    Descriptor {
        media_type: media_type.to_owned(),
        digest: digest.to_owned(),
        size,
        platform: None,
        urls: None,
        annotations: None,
    }
}

/// `HEAD /v2/<repo>/blobs/<digest>`: whether the repository has the blob.
fn blob_exists(client: &Client, r: &Reference, digest: &str, scopes: &[String]) -> Result<bool> {
    let path = format!("/v2/{}/blobs/{digest}", r.path());
    let resp = client.send(Method::Head, &path, scopes, &[], None)?;
    match resp.status().as_u16() {
        200 => Ok(true),
        404 => Ok(false),
        status => Err(push_error(client, r, &path, Method::Head, resp, status)),
    }
}

/// Cross-repository mount: `POST …/blobs/uploads/?mount=<digest>&from=<repo>`; true when
/// the registry mounted it (201), false when it would rather have an upload.
fn mount(client: &Client, r: &Reference, s: &LayerSource, scopes: &[String]) -> Result<bool> {
    let enc = |v: &str| utf8_percent_encode(v, NON_ALPHANUMERIC).to_string();
    let path = format!(
        "/v2/{}/blobs/uploads/?mount={}&from={}",
        r.path(),
        enc(&s.digest),
        enc(&s.repository)
    );
    let mut all = scopes.to_vec();
    all.push(scope(&s.repository, "pull"));
    let resp = client.send(Method::Post, &path, &all, &[], Some(&[]))?;
    match resp.status().as_u16() {
        201 => Ok(true),
        202 => Ok(false),
        status => Err(push_error(client, r, &path, Method::Post, resp, status)),
    }
}

/// `POST …/blobs/uploads/`: the upload's location.
fn start_upload(client: &Client, r: &Reference, scopes: &[String]) -> Result<String> {
    let path = format!("/v2/{}/blobs/uploads/", r.path());
    let resp = client.send(Method::Post, &path, scopes, &[], Some(&[]))?;
    match resp.status().as_u16() {
        202 => location(client, &path, &resp),
        status => Err(push_error(client, r, &path, Method::Post, resp, status)),
    }
}

fn location(
    client: &Client,
    path: &str,
    resp: &ureq::http::Response<ureq::Body>,
) -> Result<String> {
    resp.headers()
        .get("location")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned)
        .ok_or_else(|| {
            Error::invalid(
                format!("POST {}", client.url(path)),
                "the answer has no Location",
            )
        })
}

/// `<location>?digest=` (or `&digest=`).
fn with_digest(location: &str, digest: &str) -> String {
    let sep = if location.contains('?') { '&' } else { '?' };
    format!(
        "{location}{sep}digest={}",
        utf8_percent_encode(digest, NON_ALPHANUMERIC)
    )
}

/// A small blob in one request: POST, then PUT with the content and its digest.
fn upload_bytes(
    client: &Client,
    r: &Reference,
    bytes: &[u8],
    digest: &str,
    scopes: &[String],
) -> Result<()> {
    let location = start_upload(client, r, scopes)?;
    let url = with_digest(&location, digest);
    let resp = client.send(
        Method::Put,
        &url,
        scopes,
        &[("Content-Type", "application/octet-stream")],
        Some(bytes),
    )?;
    match resp.status().as_u16() {
        201 | 204 => Ok(()),
        status => Err(push_error(client, r, &url, Method::Put, resp, status)),
    }
}

/// A layer: its tar from the store, gzip-compressed on the fly, streamed in one chunked
/// PATCH while hashed, then committed by a PUT with the digest. (digest, size).
fn upload_layer(
    store: &ImageStore,
    client: &Client,
    r: &Reference,
    diff_id: &Digest,
    scopes: &[String],
    cancel: &AtomicBool,
    report: &dyn Fn(LayerStatus),
) -> Result<(String, u64)> {
    let location = start_upload(client, r, scopes)?;
    let tar = store.open_layer_tar(diff_id)?;
    let total = tar.metadata().ok().map(|m| m.len());
    let read = AtomicU64::new(0);
    let on_tar_bytes = |n: u64| {
        let current = read.fetch_add(n, Ordering::Relaxed) + n;
        report(LayerStatus::Pushing { current, total });
    };
    let counted = Counting {
        inner: BufReader::with_capacity(256 * 1024, tar),
        on_bytes: &on_tar_bytes,
        cancel,
    };
    let gz = flate2::read::GzEncoder::new(counted, flate2::Compression::default());
    let mut hashed = Hashing {
        inner: gz,
        hasher: sha2::Sha256::new(),
        count: 0,
    };
    let resp = client.send_stream(
        Method::Patch,
        &location,
        scopes,
        &[("Content-Type", "application/octet-stream")],
        &mut hashed,
    )?;
    let status = resp.status().as_u16();
    if status != 202 && status != 204 {
        return Err(push_error(
            client,
            r,
            &location,
            Method::Patch,
            resp,
            status,
        ));
    }
    let next = location_or(&resp, &location);
    let digest = format!("sha256:{}", hex::encode(hashed.hasher.finalize()));
    let size = hashed.count;
    let url = with_digest(&next, &digest);
    let resp = client.send(Method::Put, &url, scopes, &[], Some(&[]))?;
    match resp.status().as_u16() {
        201 | 204 => Ok((digest, size)),
        status => Err(push_error(client, r, &url, Method::Put, resp, status)),
    }
}

fn location_or(resp: &ureq::http::Response<ureq::Body>, fallback: &str) -> String {
    resp.headers()
        .get("location")
        .and_then(|v| v.to_str().ok())
        .map_or_else(|| fallback.to_owned(), str::to_owned)
}

/// A failed push request: 401/403 is Docker's "denied", anything else its status.
fn push_error(
    client: &Client,
    r: &Reference,
    path: &str,
    method: Method,
    mut resp: ureq::http::Response<ureq::Body>,
    status: u16,
) -> Error {
    match status {
        401 | 403 => {
            let body = read_document(&mut resp, "error").unwrap_or_default();
            Error::AccessDenied {
                action: "push",
                repository: r.familiar_name(),
                detail: client::registry_message_from(&body)
                    .unwrap_or_else(|| "denied: requested access to the resource is denied".into()),
            }
        }
        _ => client::http_error(method, &client.url(path), resp, status),
    }
}

/// Counts what is read (the uncompressed tar, for the progress) and stops on `cancel`.
struct Counting<'a, R> {
    inner: R,
    on_bytes: &'a dyn Fn(u64),
    cancel: &'a AtomicBool,
}

impl<R: Read> Read for Counting<'_, R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.cancel.load(Ordering::Relaxed) {
            return Err(io::Error::other("cancelled"));
        }
        let n = self.inner.read(buf)?;
        (self.on_bytes)(n as u64);
        Ok(n)
    }
}

/// Hashes and counts what is read (the compressed blob, for its digest and size).
struct Hashing<R> {
    inner: R,
    hasher: sha2::Sha256,
    count: u64,
}

impl<R: Read> Read for Hashing<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.hasher.update(&buf[..n]);
        self.count += n as u64;
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_digest_is_added_to_the_upload_location() {
        assert_eq!(
            with_digest("/v2/x/blobs/uploads/u?_state=a", "sha256:ab"),
            "/v2/x/blobs/uploads/u?_state=a&digest=sha256%3Aab"
        );
        assert_eq!(
            with_digest("http://h/u", "sha256:ab"),
            "http://h/u?digest=sha256%3Aab"
        );
    }
}
