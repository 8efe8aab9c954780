//! Named, typed settings, per tenant or global (`reqtype=SETTING`).
//!
//! [`SETTINGS`] is the one list of settings the server knows; anything else is an error naming
//! the code. To add a setting, add one line to it (code, label, level, type, default), with
//! `.checked(your_fn)` when the type alone does not say enough, then read it anywhere with
//! [`value`] (`settings::value(conn, "MY_CODE", Some(te_id))`).
//!
//! Storage: `st_settings`, one row per (tenant, code) that differs from the default; tenant 0
//! holds the global value. A tenant-level setting falls back to the global value an admin set
//! (without `tenant=`), then to the built-in default.
//!
//! API: `action=get|set|reset|list`, the setting named by `code` or `name` (either matches the
//! code or the label, case-insensitively), `value` for `set`. `get`/`set`/`reset` answer the
//! effective value (plain: the bare value; json: `{"<CODE>":"<value>"}`).

use crate::auth::Caller;
use crate::db::Db;
use crate::error::{internal, ApiError, ApiResult};
use crate::output::{Output, Table};
use sea_orm::sea_query::{Expr, ExprTrait, OnConflict, Query};
use sea_orm::ConnectionTrait;

/// Who a setting belongs to and who may change it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Level {
    /// Per tenant; the tenant's read/write key may change it (admin too; admin without
    /// `tenant=` sets the global default).
    Tenant,
    /// Per tenant, but only an admin may change it (licence, limits).
    TenantAdmin,
    /// One value for the whole server; admin only.
    Global,
}

/// The type of a setting's value; input is normalised to the stored form.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Type {
    /// Whole number in an inclusive range.
    Int { min: i64, max: i64 },
    /// `yes` / `no` (also accepts on/off, true/false, 1/0).
    Bool,
    /// Text up to N characters (no control characters).
    Text(usize),
    /// One of the listed words (case-insensitive, stored as listed).
    Choice(&'static [&'static str]),
    /// A date `YYYY-MM-DD`, or empty for "none".
    Date,
}

/// A field-specific check on the normalised value; `Err` says what is wrong.
pub type Check = fn(&str) -> Result<(), String>;

#[derive(Debug, Clone, Copy)]
pub struct Setting {
    pub code: &'static str,
    pub name: &'static str,
    pub level: Level,
    pub ty: Type,
    pub default: &'static str,
    pub check: Option<Check>,
    /// May also be set for one extension (`extension=`), overriding the tenant's value.
    pub per_extension: bool,
}

pub const fn setting(
    code: &'static str,
    name: &'static str,
    level: Level,
    ty: Type,
    default: &'static str,
) -> Setting {
    Setting {
        code,
        name,
        level,
        ty,
        default,
        check: None,
        per_extension: false,
    }
}

impl Setting {
    pub const fn checked(mut self, check: Check) -> Setting {
        self.check = Some(check);
        self
    }

    pub const fn per_extension(mut self) -> Setting {
        self.per_extension = true;
        self
    }

    /// Parse a value given by a client into its stored form.
    pub fn normalize(&self, raw: &str) -> Result<String, String> {
        let v = raw.trim();
        let out = match self.ty {
            Type::Int { min, max } => match v.parse::<i64>() {
                Ok(n) if (min..=max).contains(&n) => n.to_string(),
                _ => return Err(format!("must be a whole number from {min} to {max}")),
            },
            Type::Bool => match v.to_ascii_lowercase().as_str() {
                "yes" | "on" | "true" | "1" => "yes".into(),
                "no" | "off" | "false" | "0" | "" => "no".into(),
                _ => return Err("must be yes or no".into()),
            },
            Type::Text(max) => {
                crate::text::check_line(v, max)?;
                v.to_string()
            }
            Type::Choice(options) => match options.iter().find(|o| o.eq_ignore_ascii_case(v)) {
                Some(o) => o.to_string(),
                None => return Err(format!("must be one of {}", options.join(", "))),
            },
            Type::Date => {
                if !v.is_empty() && chrono::NaiveDate::parse_from_str(v, "%Y-%m-%d").is_err() {
                    return Err("must be a date YYYY-MM-DD (or empty)".into());
                }
                v.to_string()
            }
        };
        if let Some(check) = self.check {
            check(&out)?;
        }
        Ok(out)
    }

    fn type_name(&self) -> String {
        match self.ty {
            Type::Int { min, max } => format!("int {min}..{max}"),
            Type::Bool => "yes/no".into(),
            Type::Text(n) => format!("text {n}"),
            Type::Choice(o) => o.join("|"),
            Type::Date => "date".into(),
        }
    }
}

use Level::*;
use Type::*;

/// Every setting the server knows. One line each; keep them sorted by code.
#[rustfmt::skip]
pub static SETTINGS: &[Setting] = &[
    // Destination classes (toll fraud): blocked until an admin allows them; an extension's own value overrides its tenant's.
    setting("ALLOW_INTERNATIONAL", "Outbound calls to international numbers allowed", TenantAdmin, Bool, "no").per_extension(),
    setting("ALLOW_PREMIUM", "Outbound calls to premium-rate numbers allowed", TenantAdmin, Bool, "no").per_extension(),
    setting("ALLOW_SATELLITE", "Outbound calls to satellite numbers allowed", TenantAdmin, Bool, "no").per_extension(),
    setting("AUTHTOKEN_MAX_DAYS", "Longest validity of an auth token in days", Global, Int { min: 1, max: 3650 }, "365"),
    setting("CDR_CSV_LAYOUT", "Columns of INFO cdrs format=csv (comma list; empty = all)", Tenant, Text(4000), "").checked(crate::cdr::layout::check),
    // Outbound limits of each extension (0 = none); the tenant's value is every extension's default.
    setting("EXT_OUTBOUND_CALLS_PER_DAY", "Outbound calls an extension may start per day (0 = no limit)", TenantAdmin, Int { min: 0, max: 1000000 }, "200").per_extension(),
    setting("EXT_OUTBOUND_CALLS_PER_HOUR", "Outbound calls an extension may start per hour (0 = no limit)", TenantAdmin, Int { min: 0, max: 1000000 }, "30").per_extension(),
    setting("EXT_OUTBOUND_CONCURRENT", "Concurrent outbound calls of an extension (0 = no limit)", TenantAdmin, Int { min: 0, max: 100000 }, "2").per_extension(),
    setting("LANGUAGE", "Prompt language", Tenant, Choice(&["en", "it", "es", "fr", "de", "pt", "nl"]), "en"),
    setting("LICENSE_EXPIRES", "Licence expiry date", TenantAdmin, Date, ""),
    setting("NUMBER_PLAN", "Numbering plan of national numbers (NONE: only + and 00 forms are international)", TenantAdmin, Choice(&["NONE", "NANP", "UK", "IT", "DE"]), "NONE"),
    setting("OUTBOUND_CALLS_PER_DAY", "Outbound calls a tenant may start per day (0 = no limit)", TenantAdmin, Int { min: 0, max: 10000000 }, "1000"),
    setting("OUTBOUND_CALLS_PER_HOUR", "Outbound calls a tenant may start per hour (0 = no limit)", TenantAdmin, Int { min: 0, max: 10000000 }, "100"),
    setting("OUTBOUND_CONCURRENT", "Concurrent outbound calls of a tenant (0 = no limit; te_maxchannels also applies)", TenantAdmin, Int { min: 0, max: 100000 }, "10"),
    setting("OUTBOUND_SLOT_MINUTES", "Minutes after which an outbound call whose hang-up never arrived stops counting", Global, Int { min: 5, max: 1440 }, "240"),
    setting("OUTBOX_RETENTION_DAYS", "Days delivered node actions (outbox) are kept", Global, Int { min: 1, max: 3650 }, "7"),
    setting("RECORDING_RETENTION_DAYS", "Days recordings are kept (0 = forever)", Tenant, Int { min: 0, max: 3650 }, "0"),
    setting("ROUTING_PROFILE", "Routing profile (rp_id) of outbound calls; 0 = none", TenantAdmin, Int { min: 0, max: 2147483647 }, "0"),
    setting("TIMEZONE", "Time zone", Tenant, Text(64), "UTC").checked(timezone),
    // Upstream's name (the manual's SETTING example); kept for the dialplan and clients, the server itself does not act on it.
    setting("VMAUTORECOVER", "Voicemail auto-recover (upstream VMAUTORECOVER; kept for the dialplan and clients)", Tenant, Bool, "no"),
    setting("VOICEMAIL_ATTACH", "Attach voicemail audio to e-mails", Tenant, Bool, "yes"),
    setting("VOICEMAIL_MAXMSG", "Messages per voicemail folder", Tenant, Int { min: 1, max: 9999 }, "100"),
    setting("VOICEMAIL_MAXSECS", "Longest voicemail message in seconds", Tenant, Int { min: 10, max: 3600 }, "300"),
    setting("WEBRTC_DOMAIN", "SIP domain given to WebRTC clients", Tenant, Text(255), "").checked(hostname_or_empty),
    setting("WEBRTC_WSS_URL", "WebSocket URL given to WebRTC clients", Tenant, Text(255), "").checked(wss_url_or_empty),
];

/// An IANA zone name (`UTC`, `Europe/Rome`, `America/Argentina/Buenos_Aires`): the zone of a
/// tenant's reports (see [`crate::time`]).
fn timezone(v: &str) -> Result<(), String> {
    if crate::time::zone(v).is_some() {
        Ok(())
    } else {
        Err("must be a time zone name such as UTC or Europe/Rome".into())
    }
}

fn hostname_or_empty(v: &str) -> Result<(), String> {
    if v.chars()
        .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-'))
    {
        Ok(())
    } else {
        Err("must be a host name".into())
    }
}

fn wss_url_or_empty(v: &str) -> Result<(), String> {
    if v.is_empty()
        || ((v.starts_with("wss://") || v.starts_with("ws://")) && !v.contains(char::is_whitespace))
    {
        Ok(())
    } else {
        Err("must be a ws:// or wss:// URL".into())
    }
}

/// A setting by code or label, case-insensitively.
pub fn find(name: &str) -> Option<&'static Setting> {
    let name = name.trim();
    SETTINGS
        .iter()
        .find(|s| s.code.eq_ignore_ascii_case(name) || s.name.eq_ignore_ascii_case(name))
}

/// The stored value of `code` for exactly this tenant id (0 = global), if any.
async fn stored(conn: &impl ConnectionTrait, code: &str, te_id: i32) -> ApiResult<Option<String>> {
    let mut q = Query::select();
    q.column("st_value")
        .from("st_settings")
        .and_where(Expr::col("st_te_id").eq(te_id))
        .and_where(Expr::col("st_code").eq(code));
    match conn.query_one(&q).await? {
        Some(r) => Ok(r
            .try_get_by_index::<Option<String>>(0)
            .map_err(internal)?
            .or(Some(String::new()))),
        None => Ok(None),
    }
}

/// The effective value of a setting for a tenant (`None` = the global value).
/// An unknown code is a programming error, reported as an internal error.
pub async fn value(
    conn: &impl ConnectionTrait,
    code: &str,
    tenant: Option<i32>,
) -> ApiResult<String> {
    let s = SETTINGS
        .iter()
        .find(|s| s.code == code)
        .ok_or_else(|| internal(format!("unknown setting code {code}")))?;
    effective(conn, s, tenant).await
}

pub async fn effective(
    conn: &impl ConnectionTrait,
    s: &Setting,
    tenant: Option<i32>,
) -> ApiResult<String> {
    effective_for(conn, s, tenant, None).await
}

/// The key of an extension's own value of a per-extension setting in `st_settings`.
pub fn ext_key(code: &str, extension: &str) -> String {
    format!("{code}@{extension}")
}

/// The `st_settings` key of `s` for extension `number` of the caller's tenant (SETTING with
/// `extension=`): the setting must have per-extension values and the extension must exist.
pub async fn extension_key(
    conn: &impl ConnectionTrait,
    caller: &Caller,
    s: &Setting,
    number: &str,
) -> ApiResult<String> {
    if !s.per_extension {
        return Err(ApiError::invalid(format!(
            "parameter 'extension': {} has no per-extension value",
            s.code
        )));
    }
    let Some(te) = &caller.tenant else {
        return Err(ApiError::invalid(
            "parameter 'extension' needs a tenant (tenant=)",
        ));
    };
    let number = number.trim();
    let mut q = Query::select();
    q.column("ex_id")
        .from("ex_extensions")
        .and_where(Expr::col("ex_te_id").eq(te.id))
        .and_where(Expr::col("ex_number").eq(number));
    if number.is_empty() || number.len() > 40 || conn.query_one(&q).await?.is_none() {
        return Err(ApiError::invalid(format!(
            "parameter 'extension': no extension '{}' in this tenant",
            number.chars().take(40).collect::<String>()
        )));
    }
    Ok(ext_key(s.code, number))
}

/// [`effective`], read first at an extension's own key (from [`extension_key`]).
pub async fn effective_for(
    conn: &impl ConnectionTrait,
    s: &Setting,
    tenant: Option<i32>,
    ext_key: Option<&str>,
) -> ApiResult<String> {
    if let (Some(te), Some(key)) = (tenant, ext_key) {
        if let Some(v) = stored(conn, key, te).await? {
            return Ok(v);
        }
    }
    if let (Some(te), true) = (tenant, s.level != Global) {
        if let Some(v) = stored(conn, s.code, te).await? {
            return Ok(v);
        }
    }
    Ok(stored(conn, s.code, 0)
        .await?
        .unwrap_or_else(|| s.default.to_string()))
}

/// Where a read or write of `s` by `caller` lands: the tenant id (0 = global).
pub fn target(caller: &Caller, s: &Setting, writing: bool) -> ApiResult<i32> {
    match (s.level, &caller.tenant) {
        (Global, _) if writing => caller.require_admin().map(|_| 0),
        (Global, _) => Ok(0),
        (TenantAdmin, _) if writing => caller
            .require_admin()
            .map(|_| caller.tenant.as_ref().map_or(0, |t| t.id)),
        (_, Some(t)) => Ok(t.id),
        (_, None) => Ok(0),
    }
}

async fn upsert(conn: &impl ConnectionTrait, te_id: i32, code: &str, v: String) -> ApiResult<()> {
    let now = chrono::Utc::now().naive_utc();
    let mut ins = Query::insert();
    ins.into_table("st_settings")
        .columns(["st_te_id", "st_code", "st_value", "st_updated"])
        .values_panic([te_id.into(), code.into(), v.into(), now.into()])
        .on_conflict(
            OnConflict::columns(["st_te_id", "st_code"])
                .update_columns(["st_value", "st_updated"])
                .to_owned(),
        );
    conn.execute(&ins).await?;
    Ok(())
}

/// Store a value of a known setting for a tenant (`None` = the global value), validated as
/// SETTING set would; for server code that changes a setting as a side effect.
pub async fn store(db: &Db, code: &str, tenant: Option<i32>, value: &str) -> ApiResult<()> {
    let s = SETTINGS
        .iter()
        .find(|s| s.code == code)
        .ok_or_else(|| internal(format!("unknown setting code {code}")))?;
    let v = s
        .normalize(value)
        .map_err(|e| ApiError::invalid(format!("value for {code}: {e}")))?;
    let txn = db.begin_write().await?;
    upsert(&*txn, tenant.unwrap_or(0), code, v).await?;
    txn.commit().await?;
    Ok(())
}

/// SETTING set (`Some(value)`) or reset (`None`) where `caller` writes `s`: the effective value
/// after the change.
pub async fn change(
    db: &Db,
    caller: &Caller,
    s: &'static Setting,
    ext_key: Option<&str>,
    value: Option<&str>,
) -> ApiResult<String> {
    let te_id = target(caller, s, true)?;
    let code = ext_key.unwrap_or(s.code);
    let txn = db.begin_write().await?;
    if let Some(raw) = value {
        let v = s
            .normalize(raw)
            .map_err(|e| ApiError::invalid(format!("parameter 'value' for {}: {e}", s.code)))?;
        upsert(&*txn, te_id, code, v).await?;
    } else {
        let mut del = Query::delete();
        del.from_table("st_settings")
            .and_where(Expr::col("st_te_id").eq(te_id))
            .and_where(Expr::col("st_code").eq(code));
        txn.execute(&del).await?;
    }
    let v = effective_for(&*txn, s, (te_id != 0).then_some(te_id), ext_key).await?;
    txn.commit().await?;
    Ok(v)
}

fn level_name(level: Level) -> &'static str {
    match level {
        Tenant => "tenant",
        TenantAdmin => "tenant (admin sets)",
        Global => "global",
    }
}

/// The settings for the HELP text.
pub fn help_rows() -> Vec<serde_json::Value> {
    SETTINGS
        .iter()
        .map(|s| {
            serde_json::json!({ "code": s.code, "name": s.name, "type": s.type_name(),
                "level": level_name(s.level), "default": s.default })
        })
        .collect()
}

/// Every setting with its effective value for the caller's scope.
pub async fn list(db: &Db, caller: &Caller) -> ApiResult<Output> {
    let tenant = caller.tenant.as_ref().map(|t| t.id);
    let mut table = Table::new(
        ["code", "name", "level", "type", "value", "default"]
            .map(String::from)
            .to_vec(),
    );
    for s in SETTINGS {
        table.rows.push(vec![
            Some(s.code.into()),
            Some(s.name.into()),
            Some(level_name(s.level).into()),
            Some(s.type_name()),
            Some(effective(&db.conn, s, tenant).await?),
            Some(s.default.into()),
        ]);
    }
    Ok(Output::Table(table))
}

/// The zone a tenant's reports use (`None`: the global setting). A stored value that is no
/// zone (accepted by an older, looser check) reads as UTC rather than failing every report.
pub async fn tenant_zone(
    conn: &impl ConnectionTrait,
    tenant: Option<i32>,
) -> ApiResult<chrono_tz::Tz> {
    let name = value(conn, "TIMEZONE", tenant).await?;
    Ok(crate::time::zone(&name).unwrap_or_else(|| {
        tracing::warn!(?tenant, zone = %name, "stored TIMEZONE is not a time zone: using UTC");
        chrono_tz::Tz::UTC
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_unique_sorted_and_defaults_valid() {
        for pair in SETTINGS.windows(2) {
            assert!(
                pair[0].code < pair[1].code,
                "{} / {}",
                pair[0].code,
                pair[1].code
            );
        }
        for s in SETTINGS {
            assert_eq!(
                s.normalize(s.default).as_deref(),
                Ok(s.default),
                "{}",
                s.code
            );
            assert!(s
                .code
                .chars()
                .all(|c| c.is_ascii_uppercase() || c == '_' || c.is_ascii_digit()));
        }
    }

    #[test]
    fn values_are_normalised_or_refused() {
        let max = find("voicemail_maxmsg").unwrap();
        assert_eq!(max.normalize(" 42 ").as_deref(), Ok("42"));
        assert!(max.normalize("0").is_err());
        assert!(max.normalize("x").is_err());
        let lang = find("Prompt language").unwrap();
        assert_eq!(lang.normalize("IT").as_deref(), Ok("it"));
        assert!(lang.normalize("xx").is_err());
        assert_eq!(
            find("VOICEMAIL_ATTACH").unwrap().normalize("on").as_deref(),
            Ok("yes")
        );
        assert!(find("TIMEZONE").unwrap().normalize("Europe/../x").is_err());
        assert!(find("LICENSE_EXPIRES")
            .unwrap()
            .normalize("2026-13-01")
            .is_err());
        assert!(find("nope").is_none());
    }
}
