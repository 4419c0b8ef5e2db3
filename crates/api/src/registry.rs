//! `POST /auth`: checks credentials with a registry (`docker login` sends them here first) and
//! keeps nothing: the client stores them and sends them with each pull or push
//! (`X-Registry-Auth`).

use std::sync::Arc;

use serde_json::{json, Value};

use crate::body::Fields;
use crate::http::{ok_json, read_json, ApiError, Reply};
use crate::router::Call;
use crate::server::Ctx;

/// `POST /auth` `{"username", "password", "serveraddress"}` (or `"identitytoken"`): 200
/// `{"Status": "Login Succeeded"}`, 401 when the registry refuses them.
pub(crate) async fn auth(ctx: &Arc<Ctx>, call: Call) -> Result<Reply, ApiError> {
    let doc: Value = read_json(call.body).await?;
    let f = Fields::of(&doc, "")?;
    f.refuse_unknown(&[
        "username",
        "password",
        "auth",
        "email",
        "serveraddress",
        "identitytoken",
        "registrytoken",
    ])?;
    let server = f.string("serveraddress")?;
    let credentials = crate::image_pull::credentials_of(&doc)?
        .ok_or_else(|| ApiError::bad("no credentials given: /auth needs username and password"))?;
    ctx.call(move |e| Ok(e.check_login(server.as_deref(), &credentials)?))
        .await?;
    Ok(ok_json(
        &json!({"Status": "Login Succeeded", "IdentityToken": ""}),
    ))
}
