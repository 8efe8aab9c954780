//! The test context: one running server on a fresh database, its tenants and keys.

use actix_web::dev::ServerHandle;
use sea_orm::{ConnectionTrait, EntityTrait, QueryOrder};
use serde_json::{json, Value};
use std::net::TcpListener;
use std::time::Duration;
use switchboard::app::{serve, AppState};
use switchboard::auth::keys::{generate_key, store_key, NewKey};
use switchboard::config::Config;
use switchboard::db::Db;

use super::db::{unique_name, Backend, TestDb};
use super::req::Req;
use super::resp::Resp;
use super::PATH;

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
        self.extra_server_of(self.db.clone(), config).await
    }

    /// Another server with the context's settings on another handle of the database (e.g.
    /// through a proxy the test controls); returns its base URL.
    pub async fn extra_server_on(&self, db: Db) -> String {
        self.extra_server_of(db, self.config.clone()).await
    }

    async fn extra_server_of(&self, db: Db, config: Config) -> String {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let server = serve(AppState::new(db, config), listener).unwrap();
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

    pub(super) async fn finish(mut self) {
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
            ps_endpoint_id_ips by Id,
            ps_registrations by Id,
            queue_members by Uniqueid,
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
