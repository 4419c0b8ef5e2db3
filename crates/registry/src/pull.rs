//! `pull`: reference → manifest (a list or index is narrowed to one platform) → config →
//! layers, each blob checked against its digest while it streams, layers downloaded
//! `Options::max_concurrent` at a time and handed to the image store as they arrive
//! (it decompresses, checks the diff-id, unpacks and parks each one); the image is added
//! only when all are there. Layers the store has are not fetched again, nor is an image
//! it has; a pull killed halfway leaves no image, and the next one reuses the parked
//! layers. Reports progress as Docker's pull does.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

use six_image::{Digest, Image, ImageStore, LayerSource};

use crate::client::{self, read_document, registry_codes, scope, Client, Method};
use crate::error::{Error, Result};
use crate::manifest::{self, Descriptor, ImageManifest, Manifest, Platform};
use crate::options::Options;
use crate::progress::{short_id, Event, LayerStatus, Progress};
use crate::reference::Reference;
use crate::verify::{self, Verifying};

/// What to pull besides the reference.
#[derive(Clone, Debug, Default)]
pub struct PullOptions {
    /// `--platform`; `None`: this host's (linux/amd64 here), and a single-platform image of
    /// another platform is taken as it is (Docker warns at run time).
    pub platform: Option<Platform>,
    /// `-a`: every tag of the repository.
    pub all_tags: bool,
}

/// One image pulled.
#[derive(Clone, Debug)]
pub struct Pulled {
    /// With its tag (or digest), as pulled.
    pub reference: Reference,
    /// The manifest (or manifest list) digest the reference resolved to.
    pub digest: String,
    /// The image as stored.
    pub image: Image,
    /// False when the store had the image already ("Image is up to date").
    pub downloaded: bool,
}

/// Pulls `reference` (its tag, "latest" if none, or its digest) into `store`.
pub fn pull(
    store: &ImageStore,
    reference: &Reference,
    options: &Options,
    pull: &PullOptions,
    progress: &dyn Progress,
) -> Result<Vec<Pulled>> {
    let credentials = options.credentials_for(reference.domain())?;
    let client = Client::connect(reference.domain(), options, credentials)?;
    if !pull.all_tags {
        let r = reference.clone().with_default_tag();
        return pull_one(store, &client, &r, options, pull, progress).map(|p| vec![p]);
    }
    if reference.tag().is_some() || reference.digest().is_some() {
        return Err(Error::Usage(
            "tag can't be used with --all-tags/-a".to_owned(),
        ));
    }
    let mut out = Vec::new();
    for tag in list_tags(&client, reference)? {
        let r = reference.with_tag(&tag)?;
        out.push(pull_one(store, &client, &r, options, pull, progress)?);
    }
    Ok(out)
}

fn pull_one(
    store: &ImageStore,
    client: &Client,
    r: &Reference,
    options: &Options,
    opts: &PullOptions,
    progress: &dyn Progress,
) -> Result<Pulled> {
    let _span = tracing::info_span!("pull", reference = %r).entered();
    let _phase = six_trace::phase(six_trace::Phase::Image);
    progress.report(Event::Line(format!(
        "{}: Pulling from {}",
        r.tag_or_digest(),
        r.path()
    )));
    let fetched = traced_manifest(client, r, r.tag_or_digest())?;
    let digest = fetched.digest.clone();
    let (image_manifest, from_list) = match fetched.manifest {
        Manifest::Image(m) => (*m, false),
        Manifest::List(list) => {
            let platform = opts.platform.clone().unwrap_or_else(Platform::host);
            let chosen = manifest::choose(&list, &platform)?;
            match traced_manifest(client, r, &chosen.digest)?.manifest {
                Manifest::Image(m) => (*m, true),
                Manifest::List(_) => {
                    return Err(Error::invalid(
                        format!("manifest {}", chosen.digest),
                        "a manifest list inside a manifest list",
                    ))
                }
            }
        }
    };
    let config_bytes = fetch_config(client, r, &image_manifest.config)?;
    let config: ConfigView = serde_json::from_slice(&config_bytes)
        .map_err(|e| Error::invalid(format!("image config {}", image_manifest.config.digest), e))?;
    if let (Some(wanted), false) = (&opts.platform, from_list) {
        let actual = config.platform();
        if !wanted.matches(&actual) {
            return Err(Error::WrongPlatform {
                reference: r.familiar_string(),
                wanted: wanted.to_string(),
                actual: actual.to_string(),
            });
        }
    }
    if config.rootfs.diff_ids.len() != image_manifest.layers.len() {
        return Err(Error::invalid(
            format!("image {}", r.familiar_string()),
            format!(
                "its config has {} layers, its manifest {}",
                config.rootfs.diff_ids.len(),
                image_manifest.layers.len()
            ),
        ));
    }
    let image_id = verify::sha256(&config_bytes);
    let name = match r.digest() {
        Some(_) => None,
        None => Some(r.familiar_string()),
    };
    let repo_digest = format!("{}@{digest}", r.familiar_name());
    let stored_repo_digest = digest
        .starts_with("sha256:")
        .then_some(repo_digest.as_str());
    let previous = match &name {
        Some(n) => store.find_image(n)?,
        None => None,
    };
    let downloaded = !store.has_image(&image_id);
    let image = if downloaded {
        fetch_layers(
            store,
            client,
            r,
            &image_manifest,
            &config.rootfs.diff_ids,
            options,
            progress,
        )?;
        let image = store.add_pulled_image(&config_bytes, name.as_deref(), stored_repo_digest)?;
        six_trace::step!(
            six_trace::Kind::Image,
            "image {} ({} layers) recorded as {}",
            image.short_id(),
            image.layers.len(),
            name.as_deref().unwrap_or("<none>")
        );
        image
    } else {
        for layer in &image_manifest.layers {
            progress.report(Event::Layer {
                id: short_id(&layer.digest),
                status: LayerStatus::AlreadyExists,
            });
        }
        let hex = image_id.trim_start_matches("sha256:");
        if let Some(n) = &name {
            store.tag(hex, n)?;
        }
        if let Some(rd) = stored_repo_digest {
            store.set_repo_digest(rd, hex)?;
        }
        store.resolve(hex)?
    };
    progress.report(Event::Line(format!("Digest: {digest}")));
    let shown = name.clone().unwrap_or_else(|| r.familiar_string());
    let up_to_date = previous.is_some_and(|p| p.id == image.id);
    progress.report(Event::Line(match up_to_date {
        true => format!("Status: Image is up to date for {shown}"),
        false => format!("Status: Downloaded newer image for {shown}"),
    }));
    Ok(Pulled {
        reference: r.clone(),
        digest,
        image,
        downloaded,
    })
}

/// The parts of an image config a pull reads.
#[derive(serde::Deserialize)]
struct ConfigView {
    #[serde(default)]
    os: String,
    #[serde(default)]
    architecture: String,
    #[serde(default)]
    variant: Option<String>,
    rootfs: RootFsView,
}

#[derive(serde::Deserialize)]
struct RootFsView {
    #[serde(default)]
    diff_ids: Vec<Digest>,
}

impl ConfigView {
    fn platform(&self) -> Platform {
        Platform {
            os: self.os.clone(),
            architecture: self.architecture.clone(),
            variant: self.variant.clone(),
        }
    }
}

pub(crate) struct Fetched {
    pub manifest: Manifest,
    pub digest: String,
}

/// GET a manifest by tag or digest; by digest, its content is checked against it.
/// [`fetch_manifest`], a step of `--trace`.
#[track_caller]
fn traced_manifest(client: &Client, r: &Reference, tag_or_digest: &str) -> Result<Fetched> {
    six_trace::call(
        six_trace::Kind::Image,
        || fetch_manifest(client, r, tag_or_digest),
        |d| {
            let (domain, path) = (r.domain(), r.path());
            let what = format!("GET /v2/{path}/manifests/{tag_or_digest} from {domain}");
            std::fmt::Write::write_str(d, &what)
        },
    )
}

pub(crate) fn fetch_manifest(
    client: &Client,
    r: &Reference,
    tag_or_digest: &str,
) -> Result<Fetched> {
    let path = format!("/v2/{}/manifests/{tag_or_digest}", r.path());
    let scopes = [scope(r.path(), "pull")];
    let mut resp = client.send(
        Method::Get,
        &path,
        &scopes,
        &[("Accept", manifest::ACCEPT)],
        None,
    )?;
    let status = resp.status().as_u16();
    if status != 200 {
        return Err(manifest_error(client, r, resp, status, &path));
    }
    let content_type = resp
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let body = read_document(&mut resp, &format!("manifest {tag_or_digest}"))?;
    let digest = if tag_or_digest.contains(':') {
        verify::check(&body, tag_or_digest, &format!("manifest {tag_or_digest}"))?;
        tag_or_digest.to_owned()
    } else {
        verify::sha256(&body)
    };
    let manifest = Manifest::parse(
        content_type.as_deref(),
        &body,
        &format!("manifest of {}", r.familiar_string()),
    )?;
    Ok(Fetched { manifest, digest })
}

fn manifest_error(
    client: &Client,
    r: &Reference,
    mut resp: ureq::http::Response<ureq::Body>,
    status: u16,
    path: &str,
) -> Error {
    let body = read_document(&mut resp, "error").unwrap_or_default();
    let detail = client::registry_message_from(&body);
    let codes = registry_codes(&body);
    let denied = || Error::AccessDenied {
        action: "pull",
        repository: r.familiar_name(),
        detail: detail
            .clone()
            .unwrap_or_else(|| "denied: requested access to the resource is denied".into()),
    };
    match status {
        401 | 403 => denied(),
        404 if codes.iter().any(|c| c == "NAME_UNKNOWN") => denied(),
        404 => Error::ManifestUnknown {
            reference: r.familiar_string(),
        },
        _ => Error::Http {
            method: "GET",
            url: client.url(path),
            status,
            detail: detail.unwrap_or_else(|| {
                resp.status()
                    .canonical_reason()
                    .unwrap_or_default()
                    .to_owned()
            }),
        },
    }
}

/// `GET /v2/<repo>/blobs/<digest>`: the response of a 200, else the error.
fn get_blob(
    client: &Client,
    r: &Reference,
    digest: &str,
) -> Result<ureq::http::Response<ureq::Body>> {
    let path = format!("/v2/{}/blobs/{digest}", r.path());
    let resp = client.send(Method::Get, &path, &[scope(r.path(), "pull")], &[], None)?;
    match resp.status().as_u16() {
        200 => Ok(resp),
        status => Err(client::http_error(
            Method::Get,
            &client.url(&path),
            resp,
            status,
        )),
    }
}

/// GET the config blob (small: read whole) and check it against its digest.
fn fetch_config(client: &Client, r: &Reference, desc: &Descriptor) -> Result<Vec<u8>> {
    let mut resp = get_blob(client, r, &desc.digest)?;
    let bytes = read_document(&mut resp, &format!("image config {}", desc.digest))?;
    verify::check(
        &bytes,
        &desc.digest,
        &format!("image config {}", desc.digest),
    )?;
    Ok(bytes)
}

/// Layer media types a pull can unpack.
fn supported_layer(media_type: &str) -> bool {
    media_type.is_empty()
        || media_type.starts_with("application/vnd.docker.image.rootfs.")
        || media_type.starts_with("application/vnd.oci.image.layer.")
}

/// Downloads the layers the store lacks, `max_concurrent` at a time; the first failure
/// stops the others.
fn fetch_layers(
    store: &ImageStore,
    client: &Client,
    r: &Reference,
    m: &ImageManifest,
    diff_ids: &[Digest],
    options: &Options,
    progress: &dyn Progress,
) -> Result<()> {
    let mut todo: Vec<(&Descriptor, &Digest)> = Vec::new();
    for (desc, diff_id) in m.layers.iter().zip(diff_ids) {
        if !supported_layer(&desc.media_type) {
            return Err(Error::invalid(
                format!("layer {}", desc.digest),
                format!("unsupported media type {}", desc.media_type),
            ));
        }
        let status = match store.has_layer(diff_id) || todo.iter().any(|(_, d)| *d == diff_id) {
            true => LayerStatus::AlreadyExists,
            false => {
                todo.push((desc, diff_id));
                LayerStatus::PullingFsLayer
            }
        };
        progress.report(Event::Layer {
            id: short_id(&desc.digest),
            status,
        });
    }
    crate::parallel::for_each(&todo, options.max_concurrent, |(desc, diff_id), cancel| {
        six_trace::call(
            six_trace::Kind::Image,
            || fetch_layer(store, client, r, desc, diff_id, cancel, progress),
            |d| {
                let (blob, size) = (&desc.digest, desc.size);
                let what = "fetched, checked against its digest as it streamed, unpacked";
                std::fmt::Write::write_fmt(
                    d,
                    format_args!("layer {blob} ({size} bytes): {what} as {diff_id}"),
                )
            },
        )
    })
}

fn fetch_layer(
    store: &ImageStore,
    client: &Client,
    r: &Reference,
    desc: &Descriptor,
    diff_id: &Digest,
    cancel: &AtomicBool,
    progress: &dyn Progress,
) -> Result<()> {
    let id = short_id(&desc.digest);
    let resp = get_blob(client, r, &desc.digest)?;
    let done = AtomicU64::new(0);
    let total = desc.size;
    let report = |n: u64| {
        let current = done.fetch_add(n, Ordering::Relaxed) + n;
        progress.report(Event::Layer {
            id: id.clone(),
            status: LayerStatus::Downloading { current, total },
        });
    };
    let what = format!("layer {}", desc.digest);
    let mut reader = Verifying::new(
        resp.into_body().into_reader(),
        &desc.digest,
        desc.size,
        &what,
        cancel,
        &report,
    )?;
    let failure = reader.failure();
    let stored = store.add_pulled_layer(&mut reader, diff_id, &what);
    if let Some(e) = failure.lock().unwrap_or_else(|p| p.into_inner()).take() {
        return Err(e);
    }
    stored?;
    progress.report(Event::Layer {
        id: id.clone(),
        status: LayerStatus::DownloadComplete,
    });
    remember_source(store, diff_id, r, desc);
    progress.report(Event::Layer {
        id,
        status: LayerStatus::PullComplete,
    });
    Ok(())
}

/// Every tag of a repository (`GET /v2/<name>/tags/list`).
fn list_tags(client: &Client, r: &Reference) -> Result<Vec<String>> {
    let path = format!("/v2/{}/tags/list", r.path());
    let scopes = [scope(r.path(), "pull")];
    let mut resp = client.send(Method::Get, &path, &scopes, &[], None)?;
    let status = resp.status().as_u16();
    if status != 200 {
        return Err(manifest_error(client, r, resp, status, &path));
    }
    let body = read_document(&mut resp, "tag list")?;
    #[derive(serde::Deserialize)]
    struct Tags {
        #[serde(default)]
        tags: Option<Vec<String>>,
    }
    let tags: Tags = serde_json::from_slice(&body).map_err(|e| Error::invalid("tag list", e))?;
    let mut tags = tags.tags.unwrap_or_default();
    tags.sort();
    Ok(tags)
}

/// Remembers in the store that `r`'s repository has the layer `diff_id` as the blob `desc`
/// (the next push of it there is a HEAD, elsewhere in that registry a mount).
pub(crate) fn remember_source(
    store: &ImageStore,
    diff_id: &Digest,
    r: &Reference,
    desc: &Descriptor,
) {
    let source = LayerSource {
        digest: desc.digest.clone(),
        media_type: desc.media_type.clone(),
        size: desc.size,
        registry: r.domain().to_owned(),
        repository: r.path().to_owned(),
    };
    if let Err(e) = store.add_layer_source(diff_id, source) {
        tracing::warn!(error = %e, "could not remember where layer {diff_id} is");
    }
}
