//! Builds the actix application (shared by `serve` and the tests, which bind port 0).

use crate::auth::{Caller, KeyStore, Role, TenantRef};
use crate::config::Config;
use crate::db::Db;
use crate::error::{ApiError, ApiResult};
pub use crate::proxyapi::AppState;
use crate::proxyapi::{help, params};
use crate::render::{Callback, Format, Output, Rendering};
use actix_web::{dev::Server, http::header, web, App, HttpRequest, HttpResponse};
use std::net::{IpAddr, TcpListener};

impl AppState {
    pub fn new(db: Db, config: Config) -> AppState {
        let cluster = crate::cluster::Cluster::new(db.clone());
        subscribe(&cluster, &config);
        AppState {
            keys: KeyStore::new(db.conn.clone()),
            help: help::text(&crate::proxyapi::access_help()),
            cluster,
            logins: Default::default(),
            uploads: std::sync::Arc::new(tokio::sync::Semaphore::new(
                config.limits.upload_budget_bytes >> 10,
            )),
            db,
            config,
        }
    }
}

/// Where domain parts react to each other, they meet here, once: the node events each part
/// handles, and the background tasks that run with the cluster.
fn subscribe(cluster: &crate::cluster::Cluster, config: &Config) {
    use crate::calls::{dialer, fax};
    use crate::cdr::{events as cdr_events, ivrlog};
    let router = &cluster.events;
    let tenants = std::sync::Arc::new(cdr_events::TenantCache::default());
    router.on("Cdr", move |e| {
        let tenants = tenants.clone();
        Box::pin(async move {
            let stored = [dialer::on_cdr_stored as cdr_events::CdrStored];
            cdr_events::on_cdr(&e.db, &e.node, e.zone, &e.message, &tenants, &stored).await
        })
    });
    router.on(fax::USER_EVENT_KEY, |e| Box::pin(fax::on_user_event(e)));
    router.on(&format!("UserEvent:{}", ivrlog::IVR_USER_EVENT), |e| {
        Box::pin(async move {
            ivrlog::record_ivr_event(&e.db, &e.node, e.message.headers())
                .await
                .map(|_| ())
        })
    });
    crate::cluster::bans::subscribe(router, config.bans.clone());
    cluster.on_start(dialer::spawn_dialer);
}

/// The largest request head taken, request line and headers together. Longer parameters go in
/// a POST body (the upstream server's own line limit is 8 KiB).
pub const HEAD_LIMIT: usize = 64 * 1024;

/// Start serving on an already bound listener.
pub fn serve(state: AppState, listener: TcpListener) -> std::io::Result<Server> {
    use actix_service::{fn_service, map_config, IntoServiceFactory, ServiceFactoryExt};
    let state = web::Data::new(state);
    let answer: crate::head_guard::Answer = std::sync::Arc::new(head_too_large);
    let server = actix_server::Server::build()
        .listen("switchboard-http", listener, move || {
            let state = state.clone();
            let app = App::new()
                .app_data(state)
                // %U is the path without the query string: keys travel in query strings.
                .wrap(
                    actix_web::middleware::Logger::new("%a \"%{method}xi %U\" %s %b %Dms")
                        .custom_request_replace("method", |req| req.method().to_string()),
                )
                // No answer of this server is to be read as another type than it says (a JSONP
                // answer is script; an error is not).
                .wrap(
                    actix_web::middleware::DefaultHeaders::new()
                        .add((header::X_CONTENT_TYPE_OPTIONS, "nosniff")),
                )
                .route("/healthz", web::get().to(healthz))
                .configure(crate::widget::routes)
                .configure(crate::node_feed::routes)
                .route("/pbx/proxyapi.php", web::route().to(proxyapi))
                .route("/mirtapbx/proxyapi.php", web::route().to(proxyapi))
                .into_factory()
                .map_err(|err: actix_web::Error| err.error_response());
            let answer = answer.clone();
            fn_service(move |io: actix_rt::net::TcpStream| {
                let peer = io.peer_addr().ok();
                let guarded = crate::head_guard::HeadGuard::new(io, HEAD_LIMIT, answer.clone());
                std::future::ready(Ok::<_, actix_http::error::DispatchError>((guarded, peer)))
            })
            .and_then(
                // As actix-web's HttpServer sets them: a client still sending a body the
                // server has answered (a refused upload) gets a second to read the answer
                // before the connection closes, rather than a reset that loses it.
                actix_http::HttpService::build()
                    .client_request_timeout(std::time::Duration::from_secs(5))
                    .client_disconnect_timeout(std::time::Duration::from_secs(1))
                    .h1_allow_half_closed(true)
                    .h1(map_config(app, |_| actix_web::dev::AppConfig::default())),
            )
        })?
        .run();
    Ok(server)
}

/// The legacy answer to a head over [`HEAD_LIMIT`], in the format its first bytes ask for.
fn head_too_large(head: &[u8]) -> Vec<u8> {
    let line = head.split(|&b| b == b'\n').next().unwrap_or_default();
    let target = line.split(|&b| b == b' ').nth(1).unwrap_or_default();
    let query = target.splitn(2, |&b| b == b'?').nth(1).unwrap_or_default();
    let p = params::from_query(query);
    let error = ApiError::invalid(format!(
        "request head is larger than {} KiB: send long parameters in a POST body",
        HEAD_LIMIT / 1024
    ));
    let rendered = rendering(&p).0.render_error(&error);
    let mut out = format!(
        "HTTP/1.1 200 OK\r\ncontent-type: {}\r\ncache-control: no-store\r\n\
         x-content-type-options: nosniff\r\ncontent-length: {}\r\nconnection: close\r\n\r\n",
        rendered.content_type,
        rendered.body.len()
    )
    .into_bytes();
    out.extend_from_slice(&rendered.body);
    out
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
    let (render, result) = match read_request(&state, &req, payload).await {
        // The body could not be read: answer in the format asked for so far.
        Err((known, e)) => (rendering(&known).0, Err(e)),
        Ok((p, caller)) => match rendering(&p) {
            (r, Err(e)) => (r, Err(e)),
            (r, Ok(())) => (r, dispatch(&state, &req, &p, caller).await),
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

/// The parameters of a request. A body larger than its head (`BodyLimits::head_bytes`) or with
/// a file is read further only for a served reqtype and a valid key, which must come in the
/// query string or the head: the caller is then returned too. Files are accepted only by the
/// reqtypes that take them. On error: what is known of the parameters, to answer in their format.
async fn read_request(
    state: &AppState,
    req: &HttpRequest,
    payload: web::Payload,
) -> Result<(params::Params, Option<Caller>), (params::Params, ApiError)> {
    let mut reader = params::Reader::new(req, payload, state.config.limits)
        .map_err(|e| (params::query_only(req), e))?;
    match reader.read_head().await {
        Ok(true) => return Ok((reader.into_params(), None)),
        Ok(false) => {}
        Err(e) => return Err((reader.head(), e)),
    }
    let head = reader.head();
    // The reqtype may come after the head (checked by `dispatch` then); the key may not.
    let caller = match head.get("reqtype").map(|_| served_reqtype(&head)) {
        Some(Err(e)) => Err(e),
        _ => authenticate(state, req, &head).await,
    };
    let caller = caller.map_err(|e| (head.clone(), e))?;
    let sink = takes_files(&head).then(|| params::FileSink {
        dir: state.config.upload_dir(),
        budget: state.uploads.clone(),
    });
    match reader.read_rest(sink.as_ref()).await {
        Ok(p) => Ok((p, Some(caller))),
        Err(e) => Err((head, e)),
    }
}

/// The requests that upload a file: MANAGEDB `updatebinary` (mediafile) and
/// `putmessagerecording` (voicemail), FAX `send`.
fn takes_files(p: &params::Params) -> bool {
    match (p.word("reqtype").as_deref(), p.word("action").as_deref()) {
        (Some("managedb"), Some("updatebinary" | "putmessagerecording")) => true,
        (Some("fax"), Some("send")) => true,
        _ => false,
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
    // Plain answers are text/html as upstream's, and errors echo what was sent: opened as a
    // page, nothing in them may run.
    resp.insert_header((
        header::CONTENT_SECURITY_POLICY,
        "default-src 'none'; sandbox",
    ));
    if let Some(name) = attachment {
        resp.insert_header((
            header::CONTENT_DISPOSITION,
            format!("attachment; filename=\"{name}\""),
        ));
    }
    resp
}

/// The reqtype of a request, if it is one this server serves (`help` included).
fn served_reqtype(p: &params::Params) -> ApiResult<String> {
    let reqtype = p.required_word("reqtype")?;
    if reqtype != "help" && crate::proxyapi::reqtype(&reqtype).is_none() {
        return Err(ApiError::UnknownReqtype(
            p.get("reqtype").unwrap_or_default().trim().to_string(),
        ));
    }
    Ok(reqtype)
}

async fn dispatch(
    state: &AppState,
    req: &HttpRequest,
    p: &params::Params,
    caller: Option<Caller>,
) -> ApiResult<Output> {
    let reqtype = served_reqtype(p)?;
    let Some(entry) = crate::proxyapi::reqtype(&reqtype) else {
        // HELP: any valid key, whatever `tenant` says (the reference is the same for all).
        if caller.is_none() {
            let key = p.get("key").ok_or(ApiError::Auth);
            let checked = match key {
                Ok(key) => state.keys.authenticate(key, client_ip(state, req)).await,
                Err(e) => Err(e),
            };
            if let Err(e) = checked {
                log_auth_failure(state, req, p, &e);
                return Err(e);
            }
        }
        return Ok(Output::Text(state.help.clone()));
    };
    let caller = match caller {
        Some(caller) => caller,
        None => authenticate(state, req, p).await?,
    };
    if let Err(e) = caller.admits(entry.name, p.word("info").as_deref()) {
        tracing::warn!(
            client = %client_ip(state, req),
            reqtype = entry.name,
            key_id = caller.principal.key_id,
            "widget token refused: not one of the status page's reads"
        );
        return Err(e);
    }
    // The table's refusals, before the handler looks anything up.
    if let Err(e) = crate::proxyapi::access::check(entry.name, &entry.access, &caller, p) {
        return entry.refused(e);
    }
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
    crate::auth::forwarded::of_request(req, &state.config.trusted_proxies)
}

/// Key + `tenant` → the caller. A tenant key must name its own tenant; an admin key may name
/// any existing tenant (or none, or `%`, for all).
async fn authenticate(
    state: &AppState,
    req: &HttpRequest,
    p: &params::Params,
) -> ApiResult<Caller> {
    let result = authenticate_key(state, req, p).await;
    if let Err(e) = &result {
        log_auth_failure(state, req, p, e);
    }
    result
}

fn log_auth_failure(state: &AppState, req: &HttpRequest, p: &params::Params, e: &ApiError) {
    if let ApiError::Auth = e {
        // The access log shows HTTP 200 for everything: failures are told here (never the key).
        tracing::warn!(
            client = %client_ip(state, req),
            method = %req.method(),
            reqtype = p.word("reqtype").unwrap_or_default(),
            tenant = p.get("tenant").unwrap_or_default(),
            key_given = p.get("key").is_some(),
            "authentication failed"
        );
    }
}

async fn authenticate_key(
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
