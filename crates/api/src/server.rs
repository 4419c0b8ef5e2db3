//! The service's socket and connections: binds the unix socket (mode 0660, a stale one
//! replaced, a live one never), serves each connection with hyper's HTTP/1 (upgrades allowed,
//! a slow client's headers timed out; an older client's hijack first, see `hijack.rs`), and
//! exits after the idle time with no connection open.
//! It also owns the one bridge from async to the blocking engine: [`Ctx::call`].

use std::os::unix::fs::{FileTypeExt, MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use hyper::service::service_fn;
use hyper_util::rt::{TokioIo, TokioTimer};
use six_engine::{Engine, EngineOptions};

use crate::http::ApiError;

/// Where the service listens unless told otherwise.
pub const DEFAULT_SOCKET: &str = "/run/sixdocker/docker.sock";

/// How the service runs.
#[derive(Debug, Clone)]
pub struct ServiceOptions {
    /// The unix socket to listen on.
    pub socket: PathBuf,
    /// Exit after this long with no connection (None: run until killed).
    pub idle: Option<Duration>,
    /// The store the API serves.
    pub engine: EngineOptions,
    /// The `sixdocker` binary that runs `api-worker` (container starts).
    pub exe: PathBuf,
    /// The group the socket belongs to (its members may use it; None: root's group).
    pub group: Option<u32>,
}

/// Why the service could not run.
#[derive(Debug, thiserror::Error)]
pub enum ServiceError {
    /// Another process serves this socket.
    #[error("{0}: another service is listening on this socket")]
    InUse(PathBuf),
    /// The socket path is something else (a file, a directory).
    #[error("{0}: exists and is not a socket; remove it or choose another path")]
    NotASocket(PathBuf),
    /// A system call failed.
    #[error("{what} {path}")]
    Io {
        /// What was being done.
        what: &'static str,
        /// On what.
        path: PathBuf,
        /// The cause.
        #[source]
        source: std::io::Error,
    },
}

/// What every request shares: where the store is and how to start containers; who waits
/// for a container's start; the terminals of the execs relayed here.
pub(crate) struct Ctx {
    pub engine: EngineOptions,
    pub exe: PathBuf,
    pub hub: crate::hub::Hub,
    pub terminals: crate::exec::Terminals,
    pub zygote: crate::zygote::Zygote,
}

impl Ctx {
    /// Runs `f` with a freshly opened engine on the blocking pool (engine calls block; other
    /// requests go on meanwhile).
    pub(crate) async fn call<T, F>(self: &Arc<Ctx>, f: F) -> Result<T, ApiError>
    where
        T: Send + 'static,
        F: FnOnce(&Engine) -> Result<T, ApiError> + Send + 'static,
    {
        self.call_on(Engine::open, f).await
    }

    /// [`Ctx::call`] with the engine opened to read (`Engine::open_to_read`), for the
    /// requests that only list, inspect or read the logs of containers: each checks what it
    /// shows instead of every record.
    pub(crate) async fn call_to_read<T, F>(self: &Arc<Ctx>, f: F) -> Result<T, ApiError>
    where
        T: Send + 'static,
        F: FnOnce(&Engine) -> Result<T, ApiError> + Send + 'static,
    {
        self.call_on(Engine::open_to_read, f).await
    }

    async fn call_on<T, F>(
        self: &Arc<Ctx>,
        open: fn(EngineOptions) -> six_engine::Result<Engine>,
        f: F,
    ) -> Result<T, ApiError>
    where
        T: Send + 'static,
        F: FnOnce(&Engine) -> Result<T, ApiError> + Send + 'static,
    {
        let ctx = self.clone();
        tokio::task::spawn_blocking(move || {
            let engine = open(ctx.engine.clone())?;
            f(&engine)
        })
        .await
        .map_err(|e| ApiError::internal(format!("an engine call failed: {e}")))?
    }
}

/// Serves the Engine API on `opts.socket` until killed, or until idle for `opts.idle`.
/// Blocks; builds its own tokio runtime (nothing else in the program is async).
pub fn serve(opts: ServiceOptions) -> Result<(), ServiceError> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .max_blocking_threads(128)
        .enable_all()
        .build()
        .map_err(|source| ServiceError::Io {
            what: "starting the service's runtime for",
            path: opts.socket.clone(),
            source,
        })?;
    runtime.block_on(run(opts))
}

async fn run(opts: ServiceOptions) -> Result<(), ServiceError> {
    let socket = opts.socket.clone();
    let listener = bind(&socket, opts.group)?;
    let ino = std::fs::metadata(&socket).map(|m| m.ino()).ok();
    let ctx = Arc::new(Ctx {
        zygote: crate::zygote::Zygote::new(opts.exe.clone(), opts.engine.clone()),
        engine: opts.engine,
        exe: opts.exe,
        hub: Default::default(),
        terminals: Default::default(),
    });
    let open = Arc::new(AtomicUsize::new(0));
    let last = Arc::new(Mutex::new(Instant::now()));
    let tick = opts.idle.map_or(Duration::from_secs(3600), |i| {
        (i / 4).clamp(Duration::from_millis(50), Duration::from_secs(1))
    });
    loop {
        tokio::select! {
            accepted = listener.accept() => {
                let Ok((stream, _)) = accepted else { continue };
                open.fetch_add(1, Ordering::SeqCst);
                let (ctx, open, last) = (ctx.clone(), open.clone(), last.clone());
                tokio::spawn(async move {
                    serve_connection(ctx, stream).await;
                    if let Ok(mut l) = last.lock() {
                        *l = Instant::now();
                    }
                    open.fetch_sub(1, Ordering::SeqCst);
                });
            }
            _ = tokio::time::sleep(tick) => {
                let Some(idle) = opts.idle else { continue };
                let since = last.lock().map(|l| l.elapsed()).unwrap_or_default();
                if open.load(Ordering::SeqCst) == 0 && since >= idle {
                    break;
                }
            }
        }
    }
    // Our socket only: another service may have replaced it meanwhile.
    if std::fs::metadata(&socket).map(|m| m.ino()).ok() == ino {
        let _ = std::fs::remove_file(&socket);
    }
    Ok(())
}

async fn serve_connection(ctx: Arc<Ctx>, stream: tokio::net::UnixStream) {
    // An older client's hijack is answered there; anything else comes back for hyper.
    let Some(stream) = crate::hijack::sniff(&ctx, stream).await else {
        return;
    };
    let service = service_fn(move |req| crate::router::handle(ctx.clone(), req));
    let conn = hyper::server::conn::http1::Builder::new()
        .timer(TokioTimer::new())
        .header_read_timeout(Duration::from_secs(30))
        .serve_connection(TokioIo::new(stream), service)
        .with_upgrades();
    if let Err(e) = conn.await {
        tracing::debug!(error = &e as &dyn std::error::Error, "connection ended");
    }
}

/// Binds `path` with mode 0660 (root-owned: the service runs as root; in `group` if given),
/// replacing a stale socket that nobody answers on.
fn bind(path: &Path, group: Option<u32>) -> Result<tokio::net::UnixListener, ServiceError> {
    let io = |what, source| ServiceError::Io {
        what,
        path: path.to_owned(),
        source,
    };
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).map_err(|e| io("creating the folder of", e))?;
    }
    if let Ok(meta) = std::fs::symlink_metadata(path) {
        if !meta.file_type().is_socket() {
            return Err(ServiceError::NotASocket(path.to_owned()));
        }
        if std::os::unix::net::UnixStream::connect(path).is_ok() {
            return Err(ServiceError::InUse(path.to_owned()));
        }
        std::fs::remove_file(path).map_err(|e| io("removing the stale socket", e))?;
    }
    let listener = tokio::net::UnixListener::bind(path).map_err(|e| io("listening on", e))?;
    let owned = std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o660))
        .map_err(|e| io("setting the mode of", e))
        .and_then(|()| match group {
            Some(gid) => std::os::unix::fs::lchown(path, None, Some(gid))
                .map_err(|e| io("setting the group of", e)),
            None => Ok(()),
        });
    if let Err(e) = owned {
        // Nothing half-made: no socket left with the wrong mode or group.
        let _ = std::fs::remove_file(path);
        return Err(e);
    }
    Ok(listener)
}
