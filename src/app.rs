//! Builds the actix application (shared by `serve` and the tests, which bind port 0).

use crate::auth::{Caller, KeyStore, Role, TenantRef};
use crate::config::Config;
use crate::db::Db;
use crate::error::{ApiError, ApiResult};
use crate::proxyapi::{help, info, live, managedb, params};
use crate::render::{Callback, Format, Output, Rendering};
use actix_web::{dev::Server, http::header, web, App, HttpRequest, HttpResponse, HttpServer};
use std::net::{IpAddr, TcpListener};

pub struct AppState {
    pub db: Db,
    pub keys: KeyStore,
    pub config: Config,
    pub help: String,
    /// Asterisk nodes: connections, outbox dispatcher (started by the `serve` command).
    pub cluster: std::sync::Arc<crate::cluster::Cluster>,
    /// Failed CHECKAUTH / GETWEBRTCAUTH logins per client address.
    pub logins: crate::auth::throttle::Throttle,
}

impl AppState {
    pub fn new(db: Db, config: Config) -> AppState {
        AppState {
            keys: KeyStore::new(db.conn.clone()),
            help: help::text(),
            cluster: crate::cluster::Cluster::new(db.clone()),
            logins: Default::default(),
            db,
            config,
        }
    }
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
    let served = matches!(
        reqtype.as_str(),
        "managedb" | "info" | "setting" | "cdr" | "mediafile" | "fax" | "campaign" | "responsepath"
    ) || live::SERVED.contains(&reqtype.as_str())
        || crate::account::REQTYPES.contains(&reqtype.as_str());
    if !served {
        return Err(ApiError::UnknownReqtype(
            p.get("reqtype").unwrap_or_default().trim().to_string(),
        ));
    }
    let caller = authenticate(state, req, p).await?;
    match reqtype.as_str() {
        "managedb" => managedb::handle(state, &caller, p).await,
        "info" => info::handle(state, &caller, p).await,
        "setting" => crate::settings::handle(state, &caller, p).await,
        "cdr" => crate::proxyapi::cdr::handle(state, &caller, p).await,
        "mediafile" => crate::objects::mediafile::reqtype(state, &caller, p).await,
        "fax" => crate::calls::fax::handle(state, &caller, p).await,
        "campaign" => crate::calls::campaign::handle(state, &caller, p).await,
        "responsepath" => crate::cdr::ivrlog::response_path(&state.db, &caller, p).await,
        live if live::SERVED.contains(&live) => live::handle(state, &caller, p, live).await,
        r if crate::account::REQTYPES.contains(&r) => {
            crate::account::handle(state, &caller, p, r, client_ip(state, req)).await
        }
        other => Err(ApiError::UnknownReqtype(other.to_string())),
    }
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
    use entity::te_tenants;
    use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
    te_tenants::Entity::find()
        .filter(te_tenants::Column::TeCode.eq(code.to_ascii_uppercase()))
        .one(&state.db.conn)
        .await?
        .map(|t| TenantRef {
            id: t.te_id,
            code: t.te_code,
        })
        .ok_or(ApiError::WrongTenant)
}
