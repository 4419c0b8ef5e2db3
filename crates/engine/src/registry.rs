//! Registry commands over this engine's image store: pull (and `run`'s pull of a missing
//! image), push, login, logout. Thin calls into six-registry, with its options read from
//! the environment (`SIXDOCKER_INSECURE_REGISTRIES`, `SIXDOCKER_CERTS_D`, `DOCKER_CONFIG`).
//! Nothing here is on the container start path: `run` reaches a registry only when the
//! image is missing (or `--pull always`), and only through [`Engine::image_for_run`].

use six_image::Image;
use six_registry::{Credentials, Options, Progress, PullOptions, Pulled, Pushed, Reference};

use crate::engine::Engine;

/// When `run`/`create` pull (Docker's `--pull`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum PullPolicy {
    /// Pull only if the image is not in the store (Docker's default).
    #[default]
    Missing,
    /// Pull before every run.
    Always,
    /// Never pull: a missing image is an error.
    Never,
}

impl std::str::FromStr for PullPolicy {
    type Err = String;
    fn from_str(s: &str) -> Result<PullPolicy, String> {
        match s {
            "missing" => Ok(PullPolicy::Missing),
            "always" => Ok(PullPolicy::Always),
            "never" => Ok(PullPolicy::Never),
            _ => Err(format!(
                "invalid pull policy {s:?}: expected \"always\", \"missing\" or \"never\""
            )),
        }
    }
}

/// How `image_for_run` found its image.
pub enum RunImage {
    /// In the store (or made from a default image); nothing was pulled.
    Local(Image),
    /// Pulled just now.
    Pulled(Pulled),
}

impl Engine {
    /// The registry options of this engine (from the environment).
    pub fn registry_options(&self) -> Options {
        Options::from_env()
    }

    /// Pulls `reference` (a tag, "latest" by default, a digest, or with `all_tags` every tag).
    pub fn pull(
        &self,
        reference: &str,
        opts: &PullOptions,
        progress: &dyn Progress,
    ) -> six_registry::Result<Vec<Pulled>> {
        self.pull_as(reference, opts, None, progress)
    }

    /// [`Engine::pull`] with the credentials a client sent (the Engine API's
    /// `X-Registry-Auth`); None: those of config.json.
    pub fn pull_as(
        &self,
        reference: &str,
        opts: &PullOptions,
        credentials: Option<Credentials>,
        progress: &dyn Progress,
    ) -> six_registry::Result<Vec<Pulled>> {
        let r = Reference::parse(reference)?;
        let options = Options {
            credentials,
            ..self.registry_options()
        };
        let pulled = six_registry::pull(self.images(), &r, &options, opts, progress)?;
        self.emit_pulled(&pulled);
        Ok(pulled)
    }

    /// `image pull` events: the reference, named by its repository.
    fn emit_pulled(&self, pulled: &[Pulled]) {
        for p in pulled {
            let r = &p.reference;
            self.emit_image_reference("pull", &r.familiar_string(), &r.familiar_name());
        }
    }

    /// Pushes the local image `reference` (or every local tag of its repository).
    pub fn push(
        &self,
        reference: &str,
        all_tags: bool,
        progress: &dyn Progress,
    ) -> six_registry::Result<Vec<Pushed>> {
        self.push_as(reference, all_tags, None, progress)
    }

    /// [`Engine::push`] with the credentials a client sent (None: those of config.json).
    pub fn push_as(
        &self,
        reference: &str,
        all_tags: bool,
        credentials: Option<Credentials>,
        progress: &dyn Progress,
    ) -> six_registry::Result<Vec<Pushed>> {
        let r = Reference::parse(reference)?;
        let options = Options {
            credentials,
            ..self.registry_options()
        };
        let pushed = six_registry::push(self.images(), &r, &options, all_tags, progress)?;
        for p in &pushed {
            let r = &p.reference;
            self.emit_image_reference("push", &r.familiar_string(), &r.familiar_name());
        }
        Ok(pushed)
    }

    /// Checks `credentials` with the registry `server` (Docker Hub if None) and stores them.
    /// Returns the registry domain and where the credentials went.
    pub fn login(
        &self,
        server: Option<&str>,
        credentials: Credentials,
    ) -> six_registry::Result<(String, String)> {
        let domain = six_registry::registry_domain(server)?;
        let stored = six_registry::login(&self.registry_options(), &domain, credentials)?;
        Ok((domain, stored))
    }

    /// Checks `credentials` with the registry `server` (Docker Hub if None) and stores
    /// nothing; returns the registry domain (the Engine API's `/auth`).
    pub fn check_login(
        &self,
        server: Option<&str>,
        credentials: &Credentials,
    ) -> six_registry::Result<String> {
        let domain = six_registry::registry_domain(server)?;
        six_registry::check_login(&self.registry_options(), &domain, credentials)?;
        Ok(domain)
    }

    /// Forgets the credentials of `server`. Returns its domain and whether there were any.
    pub fn logout(&self, server: Option<&str>) -> six_registry::Result<(String, bool)> {
        let domain = six_registry::registry_domain(server)?;
        let had = six_registry::logout(&self.registry_options(), &domain)?;
        Ok((domain, had))
    }

    /// With `--platform`: why `img` is not of that platform ("wanted linux/arm64, actual:
    /// linux/amd64"); None when it is (or no platform was asked for).
    fn platform_mismatch(
        &self,
        img: &Image,
        wanted: Option<&six_registry::Platform>,
    ) -> Option<String> {
        let wanted = wanted?;
        let raw = self.images().image_config_json(img).ok()?;
        let actual: six_registry::Platform = serde_json::from_slice(&raw).ok()?;
        (!wanted.matches(&actual)).then(|| format!("wanted {wanted}, actual: {actual}"))
    }

    /// The image `run`/`create` use for `name`, pulled first when `policy` says so:
    /// `Missing` looks in the store (default images such as busybox included) and pulls
    /// only what is not there; `Always` pulls; `Never` never does. `before_pull` is called
    /// just before a pull (the CLI prints Docker's "Unable to find image … locally").
    pub fn image_for_run(
        &self,
        name: &str,
        policy: PullPolicy,
        platform: Option<six_registry::Platform>,
        before_pull: &dyn Fn(&str),
        progress: &dyn Progress,
    ) -> six_registry::Result<RunImage> {
        let opts = PullOptions {
            platform,
            all_tags: false,
        };
        if policy != PullPolicy::Always {
            match self.images().resolve(name) {
                // --platform: a local image of another platform is not the one (Docker's rule)
                Ok(img) => match self.platform_mismatch(&img, opts.platform.as_ref()) {
                    None => return Ok(RunImage::Local(img)),
                    Some(why) if policy == PullPolicy::Never => {
                        return Err(six_registry::Error::Usage(format!(
                            "image with reference {name} was found but does not match the specified platform: {why}"
                        )))
                    }
                    Some(_) => {}
                },
                Err(six_image::Error::NotFound(_)) if policy == PullPolicy::Missing => {}
                Err(e @ six_image::Error::BadReference { .. }) => {
                    // Docker's words for a bad name, when Docker would refuse it too.
                    Reference::parse(name)?;
                    return Err(e.into());
                }
                Err(e) => return Err(e.into()),
            }
        }
        let r = Reference::parse(name)?.with_default_tag();
        before_pull(&r.familiar_string());
        let mut pulled =
            six_registry::pull(self.images(), &r, &self.registry_options(), &opts, progress)?;
        self.emit_pulled(&pulled);
        pulled
            .pop()
            .map(RunImage::Pulled)
            .ok_or_else(|| six_registry::Error::Usage(format!("pulling {name} gave no image")))
    }
}
