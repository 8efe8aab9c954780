//! Shared harness of the black-box HTTP suite.
//!
//! Every test runs once per database backend: SQLite always (a fresh database file in a fresh
//! temporary directory), PostgreSQL and MySQL/MariaDB when `SWITCHBOARD_TEST_POSTGRES_URL` /
//! `SWITCHBOARD_TEST_MYSQL_URL` point at a server (a uniquely named database is created for the
//! test and dropped afterwards, also when the test fails). The app is served on
//! `127.0.0.1:0` and spoken to over real HTTP with `awc`.
//!
//! Data is set up through the code the CLI uses (`cli::add_tenant`, `keys::store_key`), and
//! every response is checked for the two invariants of the endpoint: HTTP status 200, and no
//! internal error.
#![allow(dead_code)]

pub mod render;

use actix_web::dev::ServerHandle;
use futures_util::FutureExt;
use percent_encoding::{utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};
use sea_orm::{ConnectionTrait, Database, EntityTrait, QueryOrder};
use serde_json::{json, Value};
use std::future::Future;
use std::net::TcpListener;
use std::path::PathBuf;
use std::pin::Pin;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;
use switchboard::app::{serve, AppState};
use switchboard::auth::keys::{generate_key, store_key, NewKey};
use switchboard::config::Config;
use switchboard::db::Db;

/// The exact upstream auth failure (46 bytes with its newline).
pub const TOO_BAD: &str = "Too bad... you mistaken the security api key.\n";
pub const HTML: &str = "text/html; charset=UTF-8";
pub const JSON: &str = "application/json";
pub const JS: &str = "application/javascript";
pub const XML: &str = "text/xml; charset=UTF-8";
pub const CSV: &str = "text/csv; charset=UTF-8";
pub const PATH: &str = "/pbx/proxyapi.php";
pub const ALT_PATH: &str = "/mirtapbx/proxyapi.php";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
    Mysql,
}

impl Backend {
    fn env(self) -> Option<&'static str> {
        match self {
            Backend::Sqlite => None,
            Backend::Postgres => Some("SWITCHBOARD_TEST_POSTGRES_URL"),
            Backend::Mysql => Some("SWITCHBOARD_TEST_MYSQL_URL"),
        }
    }
}

pub use migration::with_database;

fn unique_name() -> String {
    static SEQ: AtomicUsize = AtomicUsize::new(0);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos();
    format!(
        "sbtest_{}_{}_{}",
        std::process::id(),
        SEQ.fetch_add(1, Ordering::Relaxed),
        nanos % 1_000_000_000
    )
}

/// A database that exists for one test.
pub struct TestDb {
    pub backend: Backend,
    pub url: String,
    /// Server backends: the administrative URL and the database name to drop.
    server: Option<(String, String)>,
    /// SQLite: the temporary directory holding the database file.
    dir: Option<PathBuf>,
}

impl TestDb {
    /// `None` when the backend's server is not configured (the test is skipped).
    pub async fn create(backend: Backend) -> Option<TestDb> {
        let name = unique_name();
        match backend.env() {
            None => {
                let dir = std::env::temp_dir().join(&name);
                std::fs::create_dir_all(&dir).unwrap();
                let url = format!("sqlite://{}?mode=rwc", dir.join("switchboard.db").display());
                Some(TestDb {
                    backend,
                    url,
                    server: None,
                    dir: Some(dir),
                })
            }
            Some(env) => {
                let Ok(admin_url) = std::env::var(env) else {
                    eprintln!("{env} not set: skipped");
                    return None;
                };
                let admin = Database::connect(&admin_url).await.unwrap();
                let charset = match backend {
                    // Whatever the server's default: the schema is meant for utf8mb4.
                    Backend::Mysql => " CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci",
                    _ => "",
                };
                admin
                    .execute_unprepared(&format!("CREATE DATABASE {name}{charset}"))
                    .await
                    .unwrap();
                admin.close().await.unwrap();
                Some(TestDb {
                    backend,
                    url: with_database(&admin_url, &name),
                    server: Some((admin_url, name)),
                    dir: None,
                })
            }
        }
    }

    pub async fn drop_database(self) {
        if let Some(dir) = &self.dir {
            let _ = std::fs::remove_dir_all(dir);
        }
        if let Some((admin_url, name)) = &self.server {
            let admin = Database::connect(admin_url).await.unwrap();
            migration::drop_database(&admin, name).await.unwrap();
            admin.close().await.unwrap();
        }
    }
}

#[derive(Debug, Clone)]
pub struct Tenant {
    pub id: i32,
    pub code: &'static str,
}

/// One running server on one fresh database, with two tenants and three keys.
pub struct Ctx {
    pub backend: Backend,
    pub db: Db,
    pub base: String,
    client: awc::Client,
    server: ServerHandle,
    extra: std::cell::RefCell<Vec<ServerHandle>>,
    testdb: Option<TestDb>,
    /// Tenant ACME: the tenant of the `rw` / `ro` keys.
    pub a: Tenant,
    /// Tenant BETA: someone else.
    pub b: Tenant,
    /// Admin key (read/write).
    pub admin: String,
    /// Tenant ACME read/write key.
    pub rw: String,
    /// Tenant ACME read-only key.
    pub ro: String,
    /// This test's own data directory (media, recordings, voicemail); removed at the end.
    pub config: Config,
}

/// Options of a key minted for a test.
#[derive(Default)]
pub struct KeySpec {
    pub admin: bool,
    pub tenant_id: Option<i32>,
    pub read_only: bool,
    pub allow: Vec<ipnet::IpNet>,
    pub expires: Option<chrono::NaiveDateTime>,
}

impl Ctx {
    pub async fn start(backend: Backend) -> Option<Ctx> {
        // Server-side errors (the details behind an "internal error" reference) go to stderr;
        // `SWITCHBOARD_TEST_LOG=info` shows more.
        let _ = tracing_subscriber::fmt()
            .with_env_filter(
                std::env::var("SWITCHBOARD_TEST_LOG").unwrap_or_else(|_| "error".into()),
            )
            .with_writer(std::io::stderr)
            .try_init();
        let testdb = TestDb::create(backend).await?;
        let db = Db::connect(&testdb.url).await.unwrap();
        db.migrate().await.unwrap();
        let a = switchboard::cli::add_tenant(&db, "ACME", "Acme Inc", json!({}))
            .await
            .unwrap();
        let b = switchboard::cli::add_tenant(&db, "BETA", "Beta Ltd", json!({}))
            .await
            .unwrap();

        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let data_dir = std::env::temp_dir().join(format!("switchboard-test-{}", unique_name()));
        let config = Config {
            database_url: testdb.url.clone(),
            ..Config::with_data_dir(data_dir)
        };
        let server = serve(AppState::new(db.clone(), config.clone()), listener).unwrap();
        let handle = server.handle();
        actix_rt::spawn(server);

        let mut ctx = Ctx {
            backend,
            db,
            base: format!("http://127.0.0.1:{port}"),
            client: awc::Client::builder()
                .timeout(Duration::from_secs(120))
                .finish(),
            server: handle,
            extra: Default::default(),
            testdb: Some(testdb),
            a: Tenant {
                id: a,
                code: "ACME",
            },
            b: Tenant {
                id: b,
                code: "BETA",
            },
            admin: String::new(),
            rw: String::new(),
            ro: String::new(),
            config,
        };
        ctx.admin = ctx
            .mint(KeySpec {
                admin: true,
                ..Default::default()
            })
            .await
            .1;
        ctx.rw = ctx
            .mint(KeySpec {
                tenant_id: Some(a),
                ..Default::default()
            })
            .await
            .1;
        ctx.ro = ctx
            .mint(KeySpec {
                tenant_id: Some(a),
                read_only: true,
                ..Default::default()
            })
            .await
            .1;
        Some(ctx)
    }

    /// The URL of this test's database.
    pub fn db_url(&self) -> String {
        self.testdb.as_ref().unwrap().url.clone()
    }

    /// Another server on the same database, e.g. with other settings; returns its base URL.
    /// It is stopped with the context.
    /// `behind_proxy`: loopback is a trusted proxy (`SWITCHBOARD_TRUST_FORWARDED_FOR=1`).
    pub async fn extra_server(&self, behind_proxy: bool) -> String {
        let trusted_proxies = if behind_proxy {
            switchboard::auth::forwarded::loopback()
        } else {
            Vec::new()
        };
        self.extra_server_with(Config {
            trusted_proxies,
            ..self.config.clone()
        })
        .await
    }

    /// Another server on the same database with these settings; returns its base URL.
    pub async fn extra_server_with(&self, config: Config) -> String {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let server = serve(AppState::new(self.db.clone(), config), listener).unwrap();
        self.extra.borrow_mut().push(server.handle());
        actix_rt::spawn(server);
        format!("http://127.0.0.1:{port}")
    }

    /// Store a new key the way `switchboard key create` does; returns (row id, key).
    pub async fn mint(&self, spec: KeySpec) -> (i32, String) {
        let value = generate_key();
        let id = store_key(
            &self.db.conn,
            NewKey {
                value: &value,
                admin: spec.admin,
                tenant_id: spec.tenant_id,
                read_only: spec.read_only,
                allow: &spec.allow,
                expires: spec.expires,
                description: "test",
            },
        )
        .await
        .unwrap();
        (id, value)
    }

    async fn finish(mut self) {
        self.server.stop(false).await;
        for extra in self.extra.take() {
            extra.stop(false).await;
        }
        let testdb = self.testdb.take();
        let _ = self.db.conn.clone().close().await;
        if let Some(t) = testdb {
            t.drop_database().await;
        }
        let _ = std::fs::remove_dir_all(&self.config.data_dir);
    }

    // ----- requests -----

    /// A request on the main path with no parameters yet.
    pub fn req(&self) -> Req<'_> {
        Req {
            ctx: self,
            base: None,
            path: PATH,
            params: Vec::new(),
            headers: Vec::new(),
            files: Vec::new(),
        }
    }

    /// `reqtype=MANAGEDB&object=…&action=…` with `key` and (if given) `tenant`.
    pub fn mdb(&self, key: &str, tenant: Option<&str>, object: &str, action: &str) -> Req<'_> {
        let mut r = self
            .req()
            .p("reqtype", "MANAGEDB")
            .p("key", key)
            .p("object", object)
            .p("action", action);
        if let Some(t) = tenant {
            r = r.p("tenant", t);
        }
        r
    }

    /// `reqtype=INFO&info=…` with `key` and (if given) `tenant`.
    pub fn info(&self, key: &str, tenant: Option<&str>, info: &str) -> Req<'_> {
        let mut r = self
            .req()
            .p("reqtype", "INFO")
            .p("key", key)
            .p("info", info);
        if let Some(t) = tenant {
            r = r.p("tenant", t);
        }
        r
    }

    /// Send anything: the raw query string and body are used as given (bytes, for invalid UTF-8).
    pub async fn send_raw(
        &self,
        method: &str,
        path: &str,
        query: &str,
        content_type: Option<&str>,
        body: Vec<u8>,
    ) -> Resp {
        self.send_to(&self.base, method, path, query, content_type, &[], body)
            .await
    }

    /// The HTTP status of a GET anywhere on the server (no checks).
    pub async fn status_of(&self, path_and_query: &str) -> u16 {
        let url = format!("{}{path_and_query}", self.base);
        let res = self.client.get(&url).send().await.unwrap();
        res.status().as_u16()
    }

    /// [`Ctx::send_raw`] to any server (`base` = `http://host:port`) with extra headers.
    #[allow(clippy::too_many_arguments)]
    pub async fn send_to(
        &self,
        base: &str,
        method: &str,
        path: &str,
        query: &str,
        content_type: Option<&str>,
        headers: &[(String, String)],
        body: Vec<u8>,
    ) -> Resp {
        let url = if query.is_empty() {
            format!("{base}{path}")
        } else {
            format!("{base}{path}?{query}")
        };
        let method = awc::http::Method::from_bytes(method.as_bytes()).unwrap();
        let mut req = self.client.request(method, &url);
        if let Some(ct) = content_type {
            req = req.insert_header(("content-type", ct));
        }
        for (name, value) in headers {
            req = req.insert_header((name.as_str(), value.as_str()));
        }
        let mut res = req
            .send_body(body)
            .await
            .unwrap_or_else(|e| panic!("request to {path} failed: {e}"));
        let header = |name: &str| {
            res.headers()
                .get(name)
                .map(|v| v.to_str().unwrap().to_string())
        };
        let content_type = header("content-type").unwrap_or_default();
        let disposition = header("content-disposition");
        let content_range = header("content-range");
        let status = res.status().as_u16();
        let body = res.body().limit(64 << 20).await.unwrap().to_vec();
        let resp = Resp {
            status,
            content_type,
            disposition,
            content_range,
            body,
        };
        // File bodies answer a Range request with 206 (or 416); everything else is 200.
        // (File bodies need not be text: look at them lossily.)
        let ranged = headers.iter().any(|(n, _)| n.eq_ignore_ascii_case("range"));
        let text = String::from_utf8_lossy(&resp.body);
        assert!(
            resp.status == 200 || (ranged && matches!(resp.status, 206 | 416)),
            "the endpoint always answers 200: {} {text}",
            resp.status,
        );
        assert!(!text.contains("internal error"), "internal error: {text}");
        resp
    }

    // ----- admin helpers (set-up and checks through the API) -----

    /// MANAGEDB add as `key` in `tenant`: the new row (panics with the body on anything else).
    pub async fn add(&self, key: &str, tenant: Option<&str>, object: &str, data: Value) -> Value {
        let r = self
            .mdb(key, tenant, object, "add")
            .json(&data)
            .fmt("json")
            .post()
            .await;
        let v = r.json();
        assert!(
            v.is_object() && v.get("Response").is_none(),
            "add {object} {data}: {}",
            r.text()
        );
        v
    }

    /// Add an extension to a tenant as admin; returns the row.
    pub async fn ext(&self, tenant: &Tenant, number: &str, extra: Value) -> Value {
        let mut data = json!({ "ex_number": number, "ex_name": format!("Ext {number}") });
        data.as_object_mut()
            .unwrap()
            .extend(extra.as_object().cloned().unwrap_or_default());
        self.add(&self.admin, Some(tenant.code), "extension", data)
            .await
    }

    /// Add a DID to a tenant as admin; returns the row.
    pub async fn did(&self, tenant: &Tenant, number: &str) -> Value {
        self.add(
            &self.admin,
            Some(tenant.code),
            "did",
            json!({ "di_country": "39", "di_area": "02", "di_number": number, "di_comment": format!("DID {number}") }),
        )
        .await
    }

    /// MANAGEDB list as json (object keyed by id).
    pub async fn list(&self, key: &str, tenant: Option<&str>, object: &str) -> Value {
        self.mdb(key, tenant, object, "list")
            .fmt("json")
            .get()
            .await
            .json()
    }

    /// Every row of every table except the API keys (whose "last used" is touched in the
    /// background), as text: equal snapshots mean nothing was written.
    pub async fn snapshot(&self) -> String {
        use entity::*;
        let c = &self.db.conn;
        let mut s = String::new();
        macro_rules! dump {
            ($($m:ident by $col:ident),* $(,)?) => {$(
                let rows = $m::Entity::find()
                    .order_by_asc($m::Column::$col)
                    .all(c)
                    .await
                    .unwrap();
                s.push_str(&format!("{}: {:?}\n", stringify!($m), rows));
            )*};
        }
        dump!(
            te_tenants by TeId,
            pk_parkinglots by PkId,
            ex_extensions by ExId,
            di_dids by DiId,
            de_destinations by DeId,
            up_userprofiles by UpId,
            us_users by UsId,
            ut_usertenants by UtId,
            ps_endpoints by Id,
            ps_auths by Id,
            ps_aors by Id,
            sippeers by Id,
            iv_ivrs by IvId,
            co_conditions by CoId,
            qu_queues by QuId,
            voicemail_users by Uniqueid,
            hu_huntlists by HuId,
            cr_conferencerooms by CrId,
            cu_customs by CuId,
            me_mediafiles by MeId,
            ce_conditionextendedinfos by CeId,
            queues by Name,
            meetme by Bookid,
            pr_providers by PrId,
            rp_routingprofiles by RpId,
            dl_routes by DlId,
            ct_customtypes by CtId,
            pm_phonemodels by PmId,
            ph_phones by PhId,
            hm_huntlistmembers by HmId,
            mu_musiconhold by MuId,
            bl_calleridblacklist by BlId,
            fg_filegarbage by FgId,
            vx_virtualexts by VxId,
            vm_virtualmembers by VmId,
            fl_flows by FlId,
            sm_sms by SmId,
            fx_faxes by FxId,
            cp_campaigns by CpId,
            cn_campaignnumbers by CnId,
            il_ivrlogs by IlId,
            voicemail_messages by Id,
            pb_phonebooks by PbId,
            pe_phonebookentries by PeId,
            pd_phonebookdetails by PdId,
            pp_phonephonebooks by PpId,
            st_settings by StId,
            bt_balancetransactions by BtId,
            at_authtokens by AtId,
        );
        s
    }

    /// Number of rows of a table.
    pub async fn count(&self, table: &str) -> i64 {
        self.count_where(table, "1=1").await
    }

    /// Number of rows of a table matching a (test-written, trusted) SQL condition.
    pub async fn count_where(&self, table: &str, cond: &str) -> i64 {
        let row = self
            .db
            .conn
            .query_one_raw(sea_orm::Statement::from_string(
                self.db.backend(),
                format!("SELECT COUNT(*) FROM {table} WHERE {cond}"),
            ))
            .await
            .unwrap()
            .unwrap();
        row.try_get_by_index::<i64>(0).unwrap()
    }
}

/// A request being built: parameters in order; sent as a query string, a url-encoded body or a
/// multipart body.
#[derive(Clone)]
pub struct Req<'c> {
    ctx: &'c Ctx,
    base: Option<String>,
    path: &'static str,
    params: Vec<(String, String)>,
    headers: Vec<(String, String)>,
    /// File parts `(field, file name, bytes)`: `post` and `multipart` send them.
    files: Vec<(String, String, Vec<u8>)>,
}

/// What `application/x-www-form-urlencoded` leaves alone.
const FORM: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'_')
    .remove(b'.')
    .remove(b'*');

pub fn urlencode(pairs: &[(String, String)]) -> String {
    pairs
        .iter()
        .map(|(k, v)| {
            format!(
                "{}={}",
                utf8_percent_encode(k, FORM),
                utf8_percent_encode(v, FORM)
            )
        })
        .collect::<Vec<_>>()
        .join("&")
}

pub fn multipart(pairs: &[(String, String)], boundary: &str) -> Vec<u8> {
    multipart_with_files(pairs, &[], boundary)
}

pub fn multipart_with_files(
    pairs: &[(String, String)],
    files: &[(String, String, Vec<u8>)],
    boundary: &str,
) -> Vec<u8> {
    let mut body = Vec::new();
    for (k, v) in pairs {
        body.extend_from_slice(
            format!("--{boundary}\r\nContent-Disposition: form-data; name=\"{k}\"\r\n\r\n{v}\r\n")
                .as_bytes(),
        );
    }
    for (field, name, bytes) in files {
        body.extend_from_slice(
            format!("--{boundary}\r\nContent-Disposition: form-data; name=\"{field}\"; filename=\"{name}\"\r\nContent-Type: application/octet-stream\r\n\r\n")
                .as_bytes(),
        );
        body.extend_from_slice(bytes);
        body.extend_from_slice(b"\r\n");
    }
    body.extend_from_slice(format!("--{boundary}--\r\n").as_bytes());
    body
}

impl<'c> Req<'c> {
    /// Add (or replace) a parameter.
    pub fn p(mut self, name: &str, value: impl AsRef<str>) -> Self {
        self.params.retain(|(k, _)| k != name);
        self.params
            .push((name.to_string(), value.as_ref().to_string()));
        self
    }
    /// Remove a parameter.
    pub fn without(mut self, name: &str) -> Self {
        self.params.retain(|(k, _)| k != name);
        self
    }
    pub fn fmt(self, format: &str) -> Self {
        self.p("format", format)
    }
    /// One of [`render::FORMATS`]: `jsonp` is json with a callback.
    pub fn in_format(self, format: &str) -> Self {
        match format {
            "jsonp" => self.p("format", "json").p("callback", render::CALLBACK),
            other => self.p("format", other),
        }
    }
    pub fn id(self, id: impl std::fmt::Display) -> Self {
        self.p("objectid", id.to_string())
    }
    pub fn json(self, data: &Value) -> Self {
        self.p("jsondata", data.to_string())
    }
    pub fn path(mut self, path: &'static str) -> Self {
        self.path = path;
        self
    }
    pub fn params(&self) -> &[(String, String)] {
        &self.params
    }
    /// Send to another server than the context's own (`http://host:port`).
    pub fn on(mut self, base: &str) -> Self {
        self.base = Some(base.to_string());
        self
    }
    /// Attach a file part (sent by `post` and `multipart`).
    pub fn file(mut self, field: &str, filename: &str, bytes: Vec<u8>) -> Self {
        self.files
            .push((field.to_string(), filename.to_string(), bytes));
        self
    }
    pub fn header(mut self, name: &str, value: &str) -> Self {
        self.headers.push((name.to_string(), value.to_string()));
        self
    }
    async fn send(
        self,
        method: &str,
        query: String,
        content_type: Option<&str>,
        body: Vec<u8>,
    ) -> Resp {
        let base = self.base.clone().unwrap_or_else(|| self.ctx.base.clone());
        self.ctx
            .send_to(
                &base,
                method,
                self.path,
                &query,
                content_type,
                &self.headers,
                body,
            )
            .await
    }
    /// Everything in the query string.
    pub async fn get(self) -> Resp {
        let query = urlencode(&self.params);
        self.send("GET", query, None, Vec::new()).await
    }
    /// Everything in a url-encoded POST body, no query string.
    pub async fn post(self) -> Resp {
        if !self.files.is_empty() {
            return self.multipart().await;
        }
        let body = urlencode(&self.params).into_bytes();
        self.send(
            "POST",
            String::new(),
            Some("application/x-www-form-urlencoded"),
            body,
        )
        .await
    }
    /// Everything in a multipart/form-data POST body, no query string.
    pub async fn multipart(self) -> Resp {
        let boundary = "----switchboard-test-boundary-7MA4YWxkTrZu0gW";
        let body = multipart_with_files(&self.params, &self.files, boundary);
        let ct = format!("multipart/form-data; boundary={boundary}");
        self.send("POST", String::new(), Some(&ct), body).await
    }
    /// `names` in the query string, the rest in a url-encoded body.
    pub async fn split_post(self, names: &[&str]) -> Resp {
        let (query, body): (Vec<_>, Vec<_>) = self
            .params
            .iter()
            .cloned()
            .partition(|(k, _)| names.contains(&k.as_str()));
        let (query, body) = (urlencode(&query), urlencode(&body).into_bytes());
        self.send(
            "POST",
            query,
            Some("application/x-www-form-urlencoded"),
            body,
        )
        .await
    }
    /// `names` in the query string, the rest in a multipart body (with the file parts).
    pub async fn split_multipart(self, names: &[&str]) -> Resp {
        let (query, body): (Vec<_>, Vec<_>) = self
            .params
            .iter()
            .cloned()
            .partition(|(k, _)| names.contains(&k.as_str()));
        let boundary = "----switchboard-test-boundary-7MA4YWxkTrZu0gW";
        let ct = format!("multipart/form-data; boundary={boundary}");
        let (query, body) = (
            urlencode(&query),
            multipart_with_files(&body, &self.files, boundary),
        );
        self.send("POST", query, Some(&ct), body).await
    }
}

#[derive(Debug)]
pub struct Resp {
    pub status: u16,
    pub content_type: String,
    pub disposition: Option<String>,
    pub content_range: Option<String>,
    pub body: Vec<u8>,
}

impl Resp {
    pub fn text(&self) -> String {
        String::from_utf8(self.body.clone()).expect("body is UTF-8")
    }
    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.text()))
    }
    /// Assert a plain-format body exactly (and its content type).
    #[track_caller]
    pub fn is_plain(&self, expected: &str) {
        assert_eq!(self.text(), expected);
        assert_eq!(self.content_type, HTML, "{}", self.text());
    }
    /// Assert the plain `Error: …` line exactly.
    #[track_caller]
    pub fn is_error(&self, message: &str) {
        self.is_plain(&format!("Error: {message}\n"));
    }
    /// Assert a plain error line that starts with `Error: <prefix>`.
    #[track_caller]
    pub fn is_error_starting(&self, prefix: &str) {
        let text = self.text();
        assert!(
            text.starts_with(&format!("Error: {prefix}")) && text.ends_with('\n'),
            "expected an error starting with {prefix:?}, got {text:?}"
        );
        assert_eq!(text.lines().count(), 1, "{text:?}");
        assert_eq!(self.content_type, HTML);
    }
    /// Assert the exact upstream auth failure.
    #[track_caller]
    pub fn is_too_bad(&self) {
        assert_eq!(self.text(), TOO_BAD);
        assert_eq!(self.body.len(), 46);
        assert_eq!(self.content_type, HTML);
    }
    /// Assert a JSON error object with this message.
    #[track_caller]
    pub fn is_json_error(&self, message: &str) {
        assert_eq!(self.content_type, JSON, "{}", self.text());
        assert_eq!(
            self.json(),
            json!({ "Response": "Error", "Message": message }),
            "{}",
            self.text()
        );
    }
    pub fn is_any_error(&self) -> bool {
        let t = self.text();
        t.starts_with("Error: ") || t == TOO_BAD || t.contains("\"Response\":\"Error\"")
    }
}

/// Every scalar of a JSON document is a string (or null): PHP's json_encode of database rows.
#[track_caller]
pub fn assert_string_scalars(v: &Value) {
    match v {
        Value::Null | Value::String(_) => {}
        Value::Array(items) => items.iter().for_each(assert_string_scalars),
        Value::Object(map) => map.values().for_each(assert_string_scalars),
        other => panic!("non-string scalar {other} in JSON output"),
    }
}

/// The id of a row returned by add/get.
pub fn id_of(row: &Value, pk: &str) -> i32 {
    row[pk]
        .as_str()
        .unwrap_or_else(|| panic!("no {pk} in {row}"))
        .parse()
        .unwrap()
}

pub type TestFuture<'a> = Pin<Box<dyn Future<Output = ()> + 'a>>;

/// Run one test body on one backend: skipped when the backend is not configured; the database
/// is dropped whether the body passes or panics.
pub async fn run(backend: Backend, body: for<'a> fn(&'a Ctx) -> TestFuture<'a>) {
    let Some(ctx) = Ctx::start(backend).await else {
        return;
    };
    let outcome = std::panic::AssertUnwindSafe(body(&ctx))
        .catch_unwind()
        .await;
    ctx.finish().await;
    if let Err(panic) = outcome {
        std::panic::resume_unwind(panic);
    }
}

/// `backend_tests! { async fn name(ctx) { … } … }` makes a module per test with one
/// `#[actix_rt::test]` per backend: `name::sqlite`, `name::postgres`, `name::mysql`.
#[macro_export]
macro_rules! backend_tests {
    ($( $(#[$meta:meta])* async fn $name:ident($ctx:ident) $body:block )*) => {$(
        $(#[$meta])*
        mod $name {
            #[allow(unused_imports)]
            use super::*;
            fn body<'a>($ctx: &'a $crate::common::Ctx) -> $crate::common::TestFuture<'a> {
                Box::pin(async move $body)
            }
            #[actix_rt::test]
            async fn sqlite() {
                $crate::common::run($crate::common::Backend::Sqlite, body).await
            }
            #[actix_rt::test]
            #[cfg_attr(not(switchboard_test_postgres), ignore = "SWITCHBOARD_TEST_POSTGRES_URL is not set")]
            async fn postgres() {
                $crate::common::run($crate::common::Backend::Postgres, body).await
            }
            #[actix_rt::test]
            #[cfg_attr(not(switchboard_test_mysql), ignore = "SWITCHBOARD_TEST_MYSQL_URL is not set")]
            async fn mysql() {
                $crate::common::run($crate::common::Backend::Mysql, body).await
            }
        }
    )*};
}

/// A small valid WAV file (8 kHz mono 16-bit PCM), its samples varying with `seed`.
pub fn wav(seed: usize) -> Vec<u8> {
    wav_of_len(seed, 800)
}

/// A WAV file of `samples` 16-bit samples (`44 + 2 * samples` bytes).
pub fn wav_of_len(seed: usize, samples: usize) -> Vec<u8> {
    let data_len = (samples * 2) as u32;
    let mut b = Vec::with_capacity(44 + samples * 2);
    b.extend_from_slice(b"RIFF");
    b.extend_from_slice(&(36 + data_len).to_le_bytes());
    b.extend_from_slice(b"WAVEfmt ");
    b.extend_from_slice(&16u32.to_le_bytes());
    b.extend_from_slice(&1u16.to_le_bytes()); // PCM
    b.extend_from_slice(&1u16.to_le_bytes()); // mono
    b.extend_from_slice(&8000u32.to_le_bytes());
    b.extend_from_slice(&16000u32.to_le_bytes());
    b.extend_from_slice(&2u16.to_le_bytes());
    b.extend_from_slice(&16u16.to_le_bytes());
    b.extend_from_slice(b"data");
    b.extend_from_slice(&data_len.to_le_bytes());
    for i in 0..samples {
        b.extend_from_slice(&((i * 31 + seed * 7919) as u16).to_le_bytes());
    }
    b
}
