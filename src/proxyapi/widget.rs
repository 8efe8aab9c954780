//! `reqtype=WIDGETTOKEN`: a widget token for the embeddable status page (`/widget/status`).
//! The manual warns against production keys in browser-side scripts: a provider's backend
//! mints a short-lived token with its own key and hands the page only that.

use crate::auth::keys::{self, store_widget_token};
use crate::auth::Caller;
use crate::error::ApiResult;
use crate::proxyapi::params::Params;
use crate::proxyapi::AppState;
use crate::render::Output;
use serde_json::json;

/// Mint a token bound to the caller's tenant (a tenant read/write key, or an admin key with
/// `tenant=`), valid `ttl` seconds (60–86400, default 3600). Plain: the token; json: the
/// token with its tenant, expiry (UTC) and ttl.
pub async fn token(state: &AppState, caller: &Caller, p: &Params) -> ApiResult<Output> {
    let t = caller.require_tenant("WIDGETTOKEN")?;
    let ttl = keys::widget_ttl("parameter 'ttl'", p.get("ttl"))?;
    let description = format!("widget token (minted with key {})", caller.principal.key_id);
    let token = store_widget_token(&state.db.conn, t.id, ttl, &description).await?;
    Ok(Output::Reply {
        plain: token.value.clone(),
        json: json!({
            "token": token.value,
            "tenant": t.code,
            "expires": token.expires.format("%Y-%m-%d %H:%M:%S").to_string(),
            "ttl": ttl.to_string(),
        }),
    })
}
