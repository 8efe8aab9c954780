//! The embeddable status page (`/widget/status`, from `templates/widget/`): a tenant's BLF
//! states and queue callers, read by the page's script with JSONP and a widget token.

use actix_web::{http::header, web, HttpResponse};

const PAGE: &str = include_str!("../templates/widget/status.html");
const SCRIPT: &str = include_str!("../templates/widget/status.js");
const STYLE: &str = include_str!("../templates/widget/status.css");

/// Where the page lives.
pub const PATH: &str = "/widget/status";

/// Only the page's own script and style run; no inline script, no plugin, no form, no base
/// rewrite. The JSONP answers come from this same server ('self').
pub const PAGE_POLICY: &str = "default-src 'none'; script-src 'self'; style-src 'self'; \
    img-src 'self'; connect-src 'none'; base-uri 'none'; form-action 'none'";

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route(PATH, web::get().to(page))
        .route("/widget/status.js", web::get().to(script))
        .route("/widget/status.css", web::get().to(style));
}

fn asset(content_type: &str, body: &'static str) -> HttpResponse {
    HttpResponse::Ok()
        .insert_header((header::CONTENT_TYPE, content_type))
        .insert_header((header::CACHE_CONTROL, "no-cache"))
        .body(body)
}

async fn page() -> HttpResponse {
    let mut resp = asset("text/html; charset=utf-8", PAGE);
    let headers = resp.headers_mut();
    headers.insert(
        header::CONTENT_SECURITY_POLICY,
        header::HeaderValue::from_static(PAGE_POLICY),
    );
    // The token is in the fragment, which no Referer carries; still, tell nothing.
    headers.insert(
        header::REFERRER_POLICY,
        header::HeaderValue::from_static("no-referrer"),
    );
    resp
}

async fn script() -> HttpResponse {
    asset("application/javascript; charset=utf-8", SCRIPT)
}

async fn style() -> HttpResponse {
    asset("text/css; charset=utf-8", STYLE)
}
