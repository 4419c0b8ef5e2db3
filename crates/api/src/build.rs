//! `POST /build` (and `/build/prune`, which has nothing to prune): the request's tar is the
//! build context; six-build builds it in an `api-worker build` child (a `RUN` step starts a
//! container: a single-threaded, sealed process's job, as `start`'s), which writes Docker's
//! classic-builder JSON stream on its stdout (`{"stream": "Step 1/3 : FROM busybox\n"}`, the
//! steps' output, `{"aux": {"ID"}}`, `Successfully built/tagged`, or `{"error",
//! "errorDetail"}`); the service relays it line by line. A client that hangs up cancels the
//! build (SIGTERM to the worker: six-build kills and removes the running step's container
//! and names nothing).
//!
//! Query parameters: `dockerfile`, `t` (several), `buildargs` and `labels` (JSON maps),
//! `target`, `nocache`, `pull`, `networkmode`, `platform`, `q`, `rm`/`forcerm` (intermediate
//! containers are always removed). What the builder cannot honour — `remote` contexts,
//! BuildKit (`version=2`), `cachefrom`, resource limits, `extrahosts`, `squash`, `ulimits`,
//! `rm=0` — is a 400 naming it. `X-Registry-Config` is not used: `FROM` pulls with the
//! service's own credentials.

use std::process::Stdio;
use std::sync::Arc;

use bytes::Bytes;
use http_body_util::BodyExt;
use serde::{Deserialize, Serialize};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};

use crate::http::{streamed, ApiError, Reply};
use crate::query::Query;
use crate::router::Call;
use crate::server::Ctx;

/// What the worker is asked to build (one JSON operand of `api-worker build`).
#[derive(Debug, Default, Serialize, Deserialize)]
pub(crate) struct BuildRequest {
    pub dockerfile: Option<String>,
    pub tags: Vec<String>,
    pub build_args: Vec<String>,
    pub labels: std::collections::BTreeMap<String, String>,
    pub target: Option<String>,
    pub no_cache: bool,
    pub pull: bool,
    pub network: Option<String>,
    pub platform: Option<String>,
    pub quiet: bool,
}

/// `POST /build`.
pub(crate) async fn build(ctx: &Arc<Ctx>, call: Call) -> Result<Reply, ApiError> {
    let request = build_request(&call.query)?;
    let operand = serde_json::to_string(&request)
        .map_err(|e| ApiError::internal(format!("the build request: {e}")))?;
    let mut child = tokio::process::Command::new(&ctx.exe)
        .arg("--root")
        .arg(&ctx.engine.root)
        .arg("--runroot")
        .arg(&ctx.engine.runroot)
        .args(["api-worker", "build", &operand])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .map_err(|e| ApiError::internal(format!("running {}: {e}", ctx.exe.display())))?;
    let (Some(mut stdin), Some(stdout), Some(stderr)) =
        (child.stdin.take(), child.stdout.take(), child.stderr.take())
    else {
        return Err(ApiError::internal("the build worker has no pipes"));
    };
    // The context goes in as it arrives; the worker reads it to its end.
    let mut body = call.body;
    tokio::spawn(async move {
        while let Some(frame) = body.frame().await {
            let Ok(frame) = frame else { break };
            if let Ok(data) = frame.into_data() {
                if stdin.write_all(&data).await.is_err() {
                    break;
                }
            }
        }
    });
    let (tx, reply) = streamed("application/json");
    tokio::spawn(async move {
        let mut lines = BufReader::new(stdout).lines();
        let mut said = false;
        loop {
            tokio::select! {
                line = lines.next_line() => match line {
                    Ok(Some(l)) => {
                        said = true;
                        if tx.send(Bytes::from(l + "\n")).await.is_err() {
                            break;
                        }
                    }
                    _ => break,
                },
                _ = tx.closed() => break,
            }
        }
        if tx.is_closed() {
            // The client left: cancel the build, as Ctrl-C cancels `sixdocker build`.
            if let Some(pid) = child.id() {
                let _ = nix::sys::signal::kill(
                    nix::unistd::Pid::from_raw(pid as i32),
                    nix::sys::signal::Signal::SIGTERM,
                );
            }
        }
        let status = child.wait().await;
        if !said && !tx.is_closed() {
            // It ended without a word: what it said on stderr is the error.
            let mut text = String::new();
            let _ = tokio::io::AsyncReadExt::read_to_string(&mut BufReader::new(stderr), &mut text)
                .await;
            let m = format!(
                "the build worker ended ({}): {}",
                status.map_or_else(|e| e.to_string(), |s| s.to_string()),
                text.trim()
            );
            let doc = serde_json::json!({"errorDetail": {"message": m}, "error": m});
            let _ = tx.send(Bytes::from(format!("{doc}\n"))).await;
        }
    });
    Ok(reply)
}

/// The query's build options; a parameter the builder cannot honour is a 400 naming it.
fn build_request(q: &Query) -> Result<BuildRequest, ApiError> {
    let given = |k: &str| q.get(k).filter(|v| !v.is_empty());
    if let Some(r) = given("remote") {
        return Err(ApiError::bad(format!(
            "remote={r:?}: sixdocker builds only the context sent with the request"
        )));
    }
    if q.get("version").is_some_and(|v| v == "2") {
        return Err(ApiError::bad(
            "BuildKit (version=2) is not supported by sixdocker: use the classic builder (DOCKER_BUILDKIT=0)",
        ));
    }
    if q.get("rm").is_some_and(|v| !v.is_empty()) && !q.flag("rm") {
        return Err(ApiError::bad(
            "rm=0 is not supported by sixdocker: intermediate containers are always removed",
        ));
    }
    for key in [
        "memory",
        "memswap",
        "cpushares",
        "cpuperiod",
        "cpuquota",
        "shmsize",
    ] {
        if q.int(key)?.is_some_and(|n| n != 0) {
            return Err(unsupported(key, q.get(key).unwrap_or_default()));
        }
    }
    for key in [
        "cpusetcpus",
        "cpusetmems",
        "isolation",
        "session",
        "outputs",
    ] {
        if let Some(v) = given(key) {
            return Err(unsupported(key, v));
        }
    }
    for key in ["cachefrom", "extrahosts", "ulimits"] {
        if let Some(v) = given(key).filter(|v| !matches!(*v, "null" | "[]" | "{}")) {
            return Err(unsupported(key, v));
        }
    }
    if q.flag("squash") {
        return Err(unsupported("squash", "1"));
    }
    let map = |key: &str| -> Result<std::collections::BTreeMap<String, Option<String>>, ApiError> {
        match given(key).filter(|v| *v != "null") {
            None => Ok(Default::default()),
            Some(v) => serde_json::from_str(v).map_err(|e| {
                ApiError::bad(format!(
                    "{key}={v:?}: expected a JSON object of strings: {e}"
                ))
            }),
        }
    };
    Ok(BuildRequest {
        dockerfile: given("dockerfile").map(str::to_owned),
        tags: q
            .all("t")
            .into_iter()
            .filter(|t| !t.is_empty())
            .map(str::to_owned)
            .collect(),
        // A null value: the key alone, its value from the environment (Docker's rule).
        build_args: map("buildargs")?
            .into_iter()
            .map(|(k, v)| match v {
                Some(v) => format!("{k}={v}"),
                None => k,
            })
            .collect(),
        labels: map("labels")?
            .into_iter()
            .map(|(k, v)| (k, v.unwrap_or_default()))
            .collect(),
        target: given("target").map(str::to_owned),
        no_cache: q.flag("nocache"),
        pull: q.flag("pull"),
        network: given("networkmode")
            .filter(|n| *n != "default")
            .map(str::to_owned),
        platform: given("platform").map(str::to_owned),
        quiet: q.flag("q"),
    })
}

fn unsupported(key: &str, value: &str) -> ApiError {
    ApiError::bad(format!(
        "build {key}={value:?} is not supported by sixdocker"
    ))
}

/// `POST /build/prune`: the BuildKit cache dockerd prunes here. The classic builder's cache
/// is images of the store (image prune takes those), so there is nothing here to delete:
/// Docker's answer with nothing deleted, as dockerd gives it when only the classic builder
/// was used. Filters are still checked.
pub(crate) async fn prune(call: Call) -> Result<Reply, ApiError> {
    call.query.filters()?;
    Ok(crate::http::ok_json(
        &serde_json::json!({"CachesDeleted": null, "SpaceReclaimed": 0}),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn what_the_docker_cli_sends() {
        // docker 20.10's `build -t a:1 -t b --build-arg X=1 --label l=v .` (classic).
        let q = Query::parse(Some(
            "buildargs=%7B%22X%22%3A%221%22%7D&cachefrom=%5B%5D&cgroupparent=&cpuperiod=0&cpuquota=0&cpusetcpus=&cpusetmems=&cpushares=0&dockerfile=Dockerfile&labels=%7B%22l%22%3A%22v%22%7D&memory=0&memswap=0&networkmode=default&rm=1&shmsize=0&t=a%3A1&t=b&target=&ulimits=null&version=1",
        ));
        let r = build_request(&q).unwrap();
        assert_eq!(r.tags, ["a:1", "b"]);
        assert_eq!(r.build_args, ["X=1"]);
        assert_eq!(r.labels["l"], "v");
        assert_eq!(r.dockerfile.as_deref(), Some("Dockerfile"));
        assert!(r.network.is_none() && r.target.is_none());
        for (query, named) in [
            ("memory=1000000", "memory"),
            ("version=2", "BuildKit"),
            ("remote=https%3A%2F%2Fx", "remote"),
            ("rm=0", "rm=0"),
            ("extrahosts=%5B%22a%3A1.2.3.4%22%5D", "extrahosts"),
            ("buildargs=nope", "buildargs"),
        ] {
            let e = build_request(&Query::parse(Some(query))).unwrap_err();
            assert!(e.message.contains(named), "{named}: {}", e.message);
        }
    }
}
