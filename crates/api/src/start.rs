//! `POST /containers/{id}/start`: in an `api-worker` child (see [`crate::worker`]). When
//! someone waits for the container in the service's [`crate::hub`] (an attach made before
//! the start, a wait for its next exit), the worker starts it attached and hands back the
//! monitor's primary channel: the first waiting attach relays it, and whoever holds it
//! passes the exit code on to the waits; with no attach to take it, a thread here drains it
//! for them.

use std::sync::Arc;

use six_engine::AttachChannel;

use crate::http::ApiError;
use crate::hub::{publish, Handoff};
use crate::server::Ctx;

/// Starts the stopped container `id` (a full ID).
pub(crate) async fn start(ctx: &Arc<Ctx>, id: &str) -> Result<(), ApiError> {
    let waiters = ctx.hub.take(id);
    if waiters.is_empty() {
        return crate::worker::run_in_child(ctx, &["start", id]).await;
    }
    let fds = match crate::worker::run_in_child_fds(ctx, &["start-attached", id]).await {
        Ok(fds) => fds,
        Err(e) => {
            // They wait for the next start.
            ctx.hub.put_back(id, waiters);
            return Err(e);
        }
    };
    let Some((_, fd)) = fds.into_iter().find(|(name, _)| name == "channel") else {
        return Err(ApiError::internal("the api worker sent no channel"));
    };
    let exits = waiters.exits.into_iter().map(|(_, tx)| tx).collect();
    let mut primary = Some((AttachChannel::from_fd(fd), exits));
    for (_, tx) in waiters.attaches {
        let handoff = match primary.take() {
            Some((channel, exits)) => Handoff::Primary(channel, exits),
            None => Handoff::Running,
        };
        if let Err(std::sync::mpsc::SendError(Handoff::Primary(channel, exits))) = tx.send(handoff)
        {
            primary = Some((channel, exits)); // that attach is gone: the next one takes it
        }
    }
    if let Some((channel, exits)) = primary {
        std::thread::Builder::new()
            .name("api-drain".into())
            .spawn(move || {
                if let Some(code) = channel.wait_exit() {
                    publish(exits, code);
                }
            })
            .map_err(|e| ApiError::internal(format!("starting a thread: {e}")))?;
    }
    Ok(())
}
