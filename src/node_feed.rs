//! What the nodes fetch over HTTP: `GET /nodes/bans`, the bans in force, read every second by
//! each node's firewall agent (`deploy/asterisk/switchboard-bans`). Answered only to a
//! registered node's address (`no_host`, resolved): the list is for the nodes, not the world.

use crate::cluster::{bans, nodes};
use crate::proxyapi::AppState;
use actix_web::{http::header, web, HttpRequest, HttpResponse};
use std::net::IpAddr;

pub const BANS_PATH: &str = "/nodes/bans";

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route(BANS_PATH, web::get().to(bans_list));
}

/// Whether `ip` is one of the nodes' addresses (a host name is resolved each time: a node that
/// moves keeps its feed).
async fn is_node(state: &AppState, ip: IpAddr) -> Result<bool, crate::error::ApiError> {
    for n in nodes::list(&state.db.conn).await? {
        if let Ok(own) = n.host.parse::<IpAddr>() {
            if own == ip {
                return Ok(true);
            }
            continue;
        }
        if let Ok(mut found) = tokio::net::lookup_host((n.host.as_str(), 0)).await {
            if found.any(|a| a.ip() == ip) {
                return Ok(true);
            }
        }
    }
    Ok(false)
}

fn text(status: actix_web::http::StatusCode, body: String) -> HttpResponse {
    HttpResponse::build(status)
        .insert_header((header::CONTENT_TYPE, "text/plain; charset=utf-8"))
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .body(body)
}

/// One line per ban: `<address> <until, Unix seconds; 0 = until lifted>`. The body changes only
/// when the bans do, so its ETag lets an agent polling every second get `304` in between.
async fn bans_list(req: HttpRequest, state: web::Data<AppState>) -> HttpResponse {
    use actix_web::http::StatusCode;
    let ip = crate::auth::forwarded::of_request(&req, &state.config.trusted_proxies);
    match is_node(&state, ip).await {
        Ok(true) => {}
        Ok(false) => {
            return text(
                StatusCode::FORBIDDEN,
                format!("{ip} is not a registered node's address\n"),
            )
        }
        Err(e) => return text(StatusCode::SERVICE_UNAVAILABLE, format!("{e}\n")),
    }
    let list = match bans::active(&state.db.conn).await {
        Ok(list) => bans::node_list(&list),
        Err(e) => return text(StatusCode::SERVICE_UNAVAILABLE, format!("{e}\n")),
    };
    let etag = {
        use sha2::Digest;
        format!(
            "\"{}\"",
            &hex::encode(sha2::Sha256::digest(list.as_bytes()))[..32]
        )
    };
    let unchanged = req
        .headers()
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.split(',').any(|t| t.trim() == etag));
    let mut resp = if unchanged {
        HttpResponse::NotModified().finish()
    } else {
        text(StatusCode::OK, list)
    };
    if let Ok(v) = header::HeaderValue::from_str(&etag) {
        resp.headers_mut().insert(header::ETAG, v);
    }
    resp
}
