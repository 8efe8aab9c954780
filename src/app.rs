//! Builds the actix application (shared by `serve` and the tests, which bind port 0).

use crate::auth::{Caller, KeyStore, Role, TenantRef};
use crate::config::Config;
use crate::db::Db;
use crate::error::{ApiError, ApiResult};
pub use crate::proxyapi::AppState;
use crate::proxyapi::{help, params};
use crate::render::{Callback, Format, Output, Rendering};
use actix_web::{dev::Server, http::header, web, App, HttpRequest, HttpResponse, HttpServer};
use std::net::{IpAddr, TcpListener};

impl AppState {
    pub fn new(db: Db, config: Config) -> AppState {
        let cluster = crate::cluster::Cluster::new(db.clone());
        subscribe(&cluster);
        AppState {
            keys: KeyStore::new(db.conn.clone()),
            help: help::text(),
            cluster,
            logins: Default::default(),
            db,
            config,
        }
    }
}

/// Where domain parts react to each other, they meet here, once: the node events each part
/// handles, and the background tasks that run with the cluster.
fn subscribe(cluster: &crate::cluster::Cluster) {
    use crate::calls::{dialer, fax};
    use crate::cdr::{events as cdr_events, ivrlog};
    let router = &cluster.events;
    let tenants = std::sync::Arc::new(cdr_events::TenantCache::default());
    router.on("Cdr", move |e| {
        let tenants = tenants.clone();
        Box::pin(async move { cdr_events::on_cdr(e, &tenants, &[dialer::on_cdr_stored]).await })
    });
    router.on(fax::USER_EVENT_KEY, |e| Box::pin(fax::on_user_event(e)));
    router.on(&format!("UserEvent:{}", ivrlog::IVR_USER_EVENT), |e| {
        Box::pin(async move {
            ivrlog::record_ivr_event(&e.db, &e.node, e.message.headers())
                .await
                .map(|_| ())
        })
    });
    cluster.on_start(dialer::spawn_dialer);
}

/// Start serving on an already bound listener.
pub fn serve(state: AppState, listener: TcpListener) -> std::io::Result<Server> {
    let state = web::Data::new(state);
    let server = HttpServer::new(move || {
        App::new()
            .app_data(state.clone())
            // %U is the path without the query string: keys travel in query strings.
            .wrap(actix_web::middleware::Logger::new(
                "%a \"%m %U\" %s %b %Dms",
            ))
            .route("/healthz", web::get().to(healthz))
            .route("/pbx/proxyapi.php", web::route().to(proxyapi))
            .route("/mirtapbx/proxyapi.php", web::route().to(proxyapi))
    })
    .listen(listener)?
    .run();
    Ok(server)
}

async fn healthz() -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/plain; charset=UTF-8")
        .body("OK")
}

/// How to answer, decided before anything else so errors come in the caller's format too.
fn rendering(p: &params::Params) -> (Rendering, ApiResult<()>) {
    let format = match Format::parse(p.get("format")) {
        Ok(f) => f,
        Err(e) => return (Rendering::default(), Err(e)),
    };
    match p.get("callback").map(Callback::parse).transpose() {
        Ok(callback) if format == Format::Json => (Rendering { format, callback }, Ok(())),
        Ok(_) => (
            Rendering {
                format,
                callback: None,
            },
            Ok(()),
        ),
        Err(e) => (
            Rendering {
                format,
                callback: None,
            },
            Err(e),
        ),
    }
}

/// The legacy endpoint: always HTTP 200; the body says what happened.
async fn proxyapi(
    req: HttpRequest,
    payload: web::Payload,
    state: web::Data<AppState>,
) -> HttpResponse {
    let (render, result) = match params::extract(&req, payload, state.config.limits).await {
        // The body could not be read: answer in the format the query string asked for.
        Err(e) => (rendering(&params::query_only(&req)).0, Err(e)),
        Ok(p) => match rendering(&p) {
            (r, Err(e)) => (r, Err(e)),
            (r, Ok(())) => (r, dispatch(&state, &req, &p).await),
        },
    };
    if let Ok(Output::File(file)) = &result {
        return match crate::files::respond(&req, file).await {
            Ok(resp) => resp,
            Err(e) => reply(render.render_error(&e)),
        };
    }
    match result {
        Ok(Output::Stream(rows)) => {
            let streamed = render.render_stream(rows);
            respond(streamed.content_type, streamed.attachment).streaming(streamed.body)
        }
        Ok(out) => reply(render.render(&out)),
        Err(e) => reply(render.render_error(&e)),
    }
}

fn reply(rendered: crate::render::Rendered) -> HttpResponse {
    respond(rendered.content_type, rendered.attachment).body(rendered.body)
}

fn respond(
    content_type: &'static str,
    attachment: Option<&'static str>,
) -> actix_web::HttpResponseBuilder {
    let mut resp = HttpResponse::Ok();
    resp.insert_header((header::CONTENT_TYPE, content_type));
    resp.insert_header((header::CACHE_CONTROL, "no-store"));
    if let Some(name) = attachment {
        resp.insert_header((
            header::CONTENT_DISPOSITION,
            format!("attachment; filename=\"{name}\""),
        ));
    }
    resp
}

async fn dispatch(state: &AppState, req: &HttpRequest, p: &params::Params) -> ApiResult<Output> {
    let reqtype = p.required_word("reqtype")?;
    if reqtype == "help" {
        return Ok(Output::Text(state.help.clone()));
    }
    let Some(entry) = crate::proxyapi::reqtype(&reqtype) else {
        return Err(ApiError::UnknownReqtype(
            p.get("reqtype").unwrap_or_default().trim().to_string(),
        ));
    };
    let caller = authenticate(state, req, p).await?;
    let request = crate::proxyapi::Request {
        state,
        caller: &caller,
        params: p,
        reqtype: entry.name,
        ip: client_ip(state, req),
    };
    (entry.handler)(&request).await
}

fn client_ip(state: &AppState, req: &HttpRequest) -> IpAddr {
    if state.config.trust_forwarded_for {
        let forwarded = req
            .headers()
            .get("x-forwarded-for")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.split(',').next())
            .and_then(|v| v.trim().parse().ok());
        if let Some(ip) = forwarded {
            return ip;
        }
    }
    req.peer_addr()
        .map(|a| a.ip())
        .unwrap_or(IpAddr::from([127, 0, 0, 1]))
}

/// Key + `tenant` → the caller. A tenant key must name its own tenant; an admin key may name
/// any existing tenant (or none, or `%`, for all).
async fn authenticate(
    state: &AppState,
    req: &HttpRequest,
    p: &params::Params,
) -> ApiResult<Caller> {
    let key = p.get("key").ok_or(ApiError::Auth)?;
    let principal = state.keys.authenticate(key, client_ip(state, req)).await?;
    let named = p.get("tenant").map(str::trim).filter(|t| !t.is_empty());
    let tenant = match (&principal.role, named) {
        (Role::Tenant(own), Some(t)) if own.code.eq_ignore_ascii_case(t) => Some(own.clone()),
        (Role::Tenant(_), _) => return Err(ApiError::Auth),
        (Role::Admin, None) | (Role::Admin, Some("%")) => None,
        (Role::Admin, Some(code)) => Some(tenant_by_code(state, code).await?),
    };
    Ok(Caller { principal, tenant })
}

async fn tenant_by_code(state: &AppState, code: &str) -> ApiResult<TenantRef> {
    crate::db::tenant_by_code(&state.db.conn, code)
        .await?
        .ok_or(ApiError::WrongTenant)
}
