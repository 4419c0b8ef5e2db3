//! `sixdocker api-worker OP ID [ARG]`: the steps the service cannot take itself. Starting a
//! container clones it from a single-threaded process run from a sealed binary
//! (six-runtime's rules); the service is a tokio process with many threads. So it runs this
//! short-lived child of the `sixdocker` binary, which opens the engine, takes the one step
//! and prints one JSON line: `{"status": 204}` or `{"status": 404, "message": "..."}` (the
//! status from the error's `ErrorKind`). Nothing here is async.

use std::sync::Arc;
use std::time::Duration;

use six_engine::Engine;

use crate::http::ApiError;
use crate::server::Ctx;

/// Runs one worker step and prints its outcome; the process's exit code (0 even on a failed
/// step: the outcome is in the JSON).
pub fn run(engine: &Engine, op: &str, args: &[String]) -> i32 {
    let outcome = step(engine, op, args);
    let doc = match outcome {
        Ok(()) => serde_json::json!({"status": 204}),
        Err(e) => serde_json::json!({"status": e.status, "message": e.message}),
    };
    println!("{doc}");
    0
}

fn step(engine: &Engine, op: &str, args: &[String]) -> Result<(), ApiError> {
    match (op, args) {
        ("start", [id]) => {
            engine.start(id, false, false, None)?;
            Ok(())
        }
        ("restart", [id, secs]) => {
            let t = match secs.parse::<i64>() {
                _ if secs == "default" => None,
                Ok(n) if n >= 0 => Some(Duration::from_secs(n as u64)),
                Ok(_) => Some(Duration::MAX),
                Err(_) => return Err(ApiError::bad(format!("invalid timeout {secs:?}"))),
            };
            engine.restart(id, t)?;
            Ok(())
        }
        _ => Err(ApiError::internal(format!(
            "api-worker: unknown step {op:?} with {} operands",
            args.len()
        ))),
    }
}

/// Runs `sixdocker api-worker ARGS` for this store and turns its JSON line back into the
/// step's outcome.
pub(crate) async fn run_in_child(ctx: &Arc<Ctx>, args: &[&str]) -> Result<(), ApiError> {
    let exe = ctx.exe.clone();
    let mut argv: Vec<std::ffi::OsString> = vec![
        "--root".into(),
        ctx.engine.root.clone().into(),
        "--runroot".into(),
        ctx.engine.runroot.clone().into(),
        "api-worker".into(),
    ];
    argv.extend(args.iter().map(Into::into));
    let output = tokio::task::spawn_blocking(move || {
        std::process::Command::new(&exe)
            .args(&argv)
            .stdin(std::process::Stdio::null())
            .output()
            .map_err(|e| ApiError::internal(format!("running {}: {e}", exe.display())))
    })
    .await
    .map_err(|e| ApiError::internal(format!("running the api worker: {e}")))??;
    let text = String::from_utf8_lossy(&output.stdout);
    let reply: Option<serde_json::Value> = text
        .lines()
        .rev()
        .find_map(|l| serde_json::from_str(l).ok());
    let Some(reply) = reply else {
        let stderr = String::from_utf8_lossy(&output.stderr);
        return Err(ApiError::internal(format!(
            "the api worker ended ({}) without an answer: {}",
            output.status,
            stderr.trim()
        )));
    };
    match reply["status"].as_u64() {
        Some(204) => Ok(()),
        Some(status) => Err(ApiError::new(
            status as u16,
            reply["message"].as_str().unwrap_or_default(),
        )),
        None => Err(ApiError::internal(format!("the api worker said {reply}"))),
    }
}
