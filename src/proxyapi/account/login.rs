//! CHECKAUTH / GETWEBRTCAUTH (a person's credentials checked on behalf of an integrator) and
//! AUTHTOKEN (tokens that stand in for the password).
//!
//! A login is an extension (its `ex_username`, or its number within the request's tenant, with
//! its web password `ex_webpassword`) or a web user (`us_username` / `us_password`; a tenant key
//! only reaches users linked to its tenant). Passwords are argon2 hashes, verified in constant
//! time; an unknown name costs the same argon2 run as a wrong password. Failed attempts are
//! counted per client address like failed API keys: past the limit every attempt is refused
//! without being checked. Tokens are random (192 bits) and only their SHA-256 is stored; a
//! token is accepted by CHECKAUTH / GETWEBRTCAUTH as `token=` instead of `password=`, and a
//! `validity=ONCE` token is consumed by its first successful use.

use crate::auth::{dummy_hash, verify_bounded, Caller};
use crate::error::{internal, ApiError, ApiResult};
use crate::objects::extension::read_secret;
use crate::output::Output;
use crate::proxyapi::params::Params;
use crate::proxyapi::AppState;
use crate::settings;
use chrono::{NaiveDate, NaiveDateTime, Utc};
use rand::RngCore;
use sea_orm::sea_query::{Expr, ExprTrait, Query};
use sea_orm::{ConnectionTrait, QueryResult};
use sha2::{Digest, Sha256};
use std::net::IpAddr;

/// How long an unused ONCE token stays valid.
const ONCE_LIFETIME_HOURS: i64 = 24;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Extension,
    User,
}

impl Kind {
    fn code(self) -> &'static str {
        match self {
            Kind::Extension => "ex",
            Kind::User => "us",
        }
    }
    fn name(self) -> &'static str {
        match self {
            Kind::Extension => "extension",
            Kind::User => "user",
        }
    }
}

/// Someone who can log in.
struct Login {
    kind: Kind,
    id: i32,
    /// The owning tenant (0 for a web user looked up without a tenant).
    te_id: i32,
    tenant: String,
    username: String,
    name: String,
    number: String,
    hash: Option<String>,
}

fn text(r: &QueryResult, i: usize) -> ApiResult<String> {
    Ok(r.try_get_by_index::<Option<String>>(i)
        .map_err(internal)?
        .unwrap_or_default())
}

/// Find a login by name within the caller's reach.
async fn find_login(
    conn: &impl ConnectionTrait,
    caller: &Caller,
    username: &str,
    extensions_only: bool,
) -> ApiResult<Option<Login>> {
    let tenant = caller.tenant.as_ref();
    let ex = |c: &'static str| ("ex_extensions", c);
    let mut q = Query::select();
    q.columns([ex("ex_id"), ex("ex_te_id")])
        .column(("te_tenants", "te_code"))
        .columns([
            ex("ex_username"),
            ex("ex_name"),
            ex("ex_number"),
            ex("ex_webpassword"),
        ])
        .from("ex_extensions")
        .inner_join(
            "te_tenants",
            Expr::col(("te_tenants", "te_id")).equals(ex("ex_te_id")),
        );
    match tenant {
        Some(t) => {
            q.and_where(Expr::col(ex("ex_te_id")).eq(t.id)).and_where(
                Expr::col(ex("ex_username"))
                    .eq(username)
                    .or(Expr::col(ex("ex_number")).eq(username)),
            );
        }
        None => {
            q.and_where(Expr::col(ex("ex_username")).eq(username));
        }
    }
    if let Some(r) = conn.query_one(&q).await? {
        return Ok(Some(Login {
            kind: Kind::Extension,
            id: r.try_get_by_index(0).map_err(internal)?,
            te_id: r.try_get_by_index(1).map_err(internal)?,
            tenant: text(&r, 2)?,
            username: text(&r, 3)?,
            name: text(&r, 4)?,
            number: text(&r, 5)?,
            hash: r.try_get_by_index(6).map_err(internal)?,
        }));
    }
    if extensions_only {
        return Ok(None);
    }
    let mut q = Query::select();
    q.columns(["us_id", "us_username", "us_name", "us_password"])
        .from("us_users")
        .and_where(Expr::col("us_username").eq(username));
    if let Some(t) = tenant {
        let mut linked = Query::select();
        linked
            .column("ut_us_id")
            .from("ut_usertenants")
            .and_where(Expr::col("ut_te_id").eq(t.id));
        q.and_where(Expr::col("us_id").in_subquery(linked));
    }
    let Some(r) = conn.query_one(&q).await? else {
        return Ok(None);
    };
    Ok(Some(Login {
        kind: Kind::User,
        id: r.try_get_by_index(0).map_err(internal)?,
        te_id: tenant.map_or(0, |t| t.id),
        tenant: tenant.map(|t| t.code.clone()).unwrap_or_default(),
        username: text(&r, 1)?,
        name: text(&r, 2)?,
        number: String::new(),
        hash: Some(text(&r, 3)?).filter(|h| !h.is_empty()),
    }))
}

fn token_digest(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

fn login_failed() -> ApiError {
    ApiError::invalid("authentication failed: wrong username, password or token")
}

async fn verify_password(login: Option<&Login>, password: &str) -> ApiResult<bool> {
    let hash = login
        .and_then(|l| l.hash.clone())
        .unwrap_or_else(|| dummy_hash().to_string());
    let known = login.is_some_and(|l| l.hash.is_some());
    let ok = verify_bounded(password, &hash).await?;
    Ok(ok && known)
}

/// Accept a token of `login`: unexpired, and a ONCE token not used before (consumed now, in
/// one conditional update, so two concurrent uses cannot both succeed).
async fn accept_token(state: &AppState, login: &Login, token: &str) -> ApiResult<bool> {
    let now = Utc::now().naive_utc();
    let mut q = Query::select();
    q.columns(["at_id", "at_once", "at_expires"])
        .from("at_authtokens")
        .and_where(Expr::col("at_hash").eq(token_digest(token)))
        .and_where(Expr::col("at_kind").eq(login.kind.code()))
        .and_where(Expr::col("at_owner_id").eq(login.id))
        .and_where(Expr::col("at_used").is_null());
    let Some(r) = state.db.conn.query_one(&q).await? else {
        return Ok(false);
    };
    let id: i32 = r.try_get_by_index(0).map_err(internal)?;
    let once: bool = r.try_get_by_index(1).map_err(internal)?;
    let expires: Option<NaiveDateTime> = r.try_get_by_index(2).map_err(internal)?;
    if expires.is_some_and(|e| e <= now) {
        return Ok(false);
    }
    if !once {
        return Ok(true);
    }
    let txn = state.db.begin_write().await?;
    let mut upd = Query::update();
    upd.table("at_authtokens")
        .value("at_used", now)
        .and_where(Expr::col("at_id").eq(id))
        .and_where(Expr::col("at_used").is_null());
    let consumed = txn.execute(&upd).await?.rows_affected() == 1;
    txn.commit().await?;
    Ok(consumed)
}

/// CHECKAUTH (`webrtc = false`) and GETWEBRTCAUTH (`true`, extensions only: the answer carries
/// what a WebRTC phone needs to register).
pub async fn checkauth(
    state: &AppState,
    caller: &Caller,
    params: &Params,
    ip: IpAddr,
    webrtc: bool,
) -> ApiResult<Output> {
    let username = params.required("username")?.trim();
    let (password, token) = (params.get("password"), params.get("token"));
    if password.is_none() && token.is_none() {
        return Err(ApiError::invalid(
            "parameter 'password' (or 'token') is required",
        ));
    }
    // Counted before the work: concurrent guesses cannot all get in before the first fails.
    let Some(attempt) = state.logins.attempt(ip) else {
        return Err(login_failed());
    };
    let login = find_login(&state.db.conn, caller, username, webrtc).await?;
    let ok = match (password, &login) {
        (Some(p), _) => verify_password(login.as_ref(), p).await?,
        (None, Some(l)) => accept_token(state, l, token.unwrap_or_default()).await?,
        (None, None) => false,
    };
    let Some(login) = login.filter(|_| ok) else {
        return Err(login_failed());
    };
    attempt.succeeded();
    let (mut columns, mut row) = (Vec::new(), Vec::new());
    let mut put = |c: &str, v: String| {
        columns.push(c.to_string());
        row.push(Some(v));
    };
    if webrtc {
        let te = Some(login.te_id);
        put("username", login.username.clone());
        put(
            "password",
            read_secret(&state.db.conn, &login.username)
                .await?
                .unwrap_or_default(),
        );
        put(
            "domain",
            settings::value(&state.db.conn, "WEBRTC_DOMAIN", te).await?,
        );
        put(
            "wss",
            settings::value(&state.db.conn, "WEBRTC_WSS_URL", te).await?,
        );
    } else {
        put("result", "OK".into());
        put("type", login.kind.name().into());
        put("id", login.id.to_string());
        put("username", login.username.clone());
    }
    put("number", login.number);
    put("name", login.name);
    put("tenant", login.tenant);
    Ok(Output::Record {
        columns,
        row: Some(row),
    })
}

/// `validity`: `ONCE`, or the last valid day / moment (`YYYY-MM-DD`, `YYYY-MM-DD HH:MM[:SS]`).
fn parse_validity(text: &str, max_days: i64) -> ApiResult<(bool, NaiveDateTime)> {
    let now = Utc::now().naive_utc();
    let t = text.trim();
    if t.eq_ignore_ascii_case("once") {
        return Ok((true, now + chrono::Duration::hours(ONCE_LIFETIME_HOURS)));
    }
    let until = NaiveDateTime::parse_from_str(t, "%Y-%m-%d %H:%M:%S")
        .or_else(|_| NaiveDateTime::parse_from_str(t, "%Y-%m-%d %H:%M"))
        .ok()
        .or_else(|| {
            NaiveDate::parse_from_str(t, "%Y-%m-%d")
                .ok()
                .and_then(|d| d.and_hms_opt(23, 59, 59))
        })
        .ok_or_else(|| {
            ApiError::invalid("parameter 'validity' must be ONCE or a date YYYY-MM-DD [HH:MM[:SS]]")
        })?;
    if until <= now {
        return Err(ApiError::invalid("parameter 'validity' is in the past"));
    }
    if until > now + chrono::Duration::days(max_days) {
        return Err(ApiError::invalid(format!(
            "parameter 'validity' is more than {max_days} days away (setting AUTHTOKEN_MAX_DAYS)"
        )));
    }
    Ok((false, until))
}

/// `reqtype=AUTHTOKEN`: `action=generate` (`user`, `validity`) answers the new token (shown
/// once); `action=reset` (`user`) revokes every token of that login.
pub async fn authtoken(state: &AppState, caller: &Caller, params: &Params) -> ApiResult<Output> {
    let action = params.required_word("action")?;
    if !matches!(action.as_str(), "generate" | "reset") {
        return Err(ApiError::invalid(format!(
            "parameter 'action': '{action}' is not one of generate, reset"
        )));
    }
    let user = params.required("user")?.trim();
    let login = find_login(&state.db.conn, caller, user, false)
        .await?
        .ok_or_else(|| {
            ApiError::NotFound(format!(
                "parameter 'user': no extension or user '{user}'{}",
                caller
                    .tenant
                    .as_ref()
                    .map(|t| format!(" in tenant {}", t.code))
                    .unwrap_or_default()
            ))
        })?;
    if action == "reset" {
        let txn = state.db.begin_write().await?;
        let mut del = Query::delete();
        del.from_table("at_authtokens")
            .and_where(Expr::col("at_kind").eq(login.kind.code()))
            .and_where(Expr::col("at_owner_id").eq(login.id));
        let n = txn.execute(&del).await?.rows_affected();
        txn.commit().await?;
        return Ok(Output::Value {
            name: "revoked",
            value: Some(n.to_string()),
        });
    }
    let max_days: i64 = settings::value(&state.db.conn, "AUTHTOKEN_MAX_DAYS", None)
        .await?
        .parse()
        .map_err(internal)?;
    let (once, expires) = parse_validity(params.required("validity")?, max_days)?;
    let mut bytes = [0u8; 24];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    let token = format!("sbt_{}", hex::encode(bytes));
    let txn = state.db.begin_write().await?;
    let mut ins = Query::insert();
    ins.into_table("at_authtokens")
        .columns([
            "at_te_id",
            "at_kind",
            "at_owner_id",
            "at_hash",
            "at_once",
            "at_expires",
            "at_created",
        ])
        .values_panic([
            login.te_id.into(),
            login.kind.code().into(),
            login.id.into(),
            token_digest(&token).into(),
            once.into(),
            Some(expires).into(),
            Utc::now().naive_utc().into(),
        ]);
    txn.execute(&ins).await?;
    txn.commit().await?;
    Ok(Output::Record {
        columns: ["token", "username", "validity", "expires"]
            .map(String::from)
            .to_vec(),
        row: Some(vec![
            Some(token),
            Some(login.username),
            Some(if once { "ONCE".into() } else { "DATE".into() }),
            Some(expires.format("%Y-%m-%d %H:%M:%S").to_string()),
        ]),
    })
}
