//! Toll-fraud guards of outbound calls: destination classes (premium-rate, international,
//! satellite: blocked until allowed) and limits (concurrent calls, calls per hour and per day,
//! per tenant and per extension; `te_maxchannels`, `pr_maxchannels`).
//!
//! The decision itself only reads: it classifies the number and, when the call may go out,
//! attaches an [`Admission`] to the [`Decision`]. [`admit`] then takes a call slot in the
//! database, so every instance and every node count the same calls:
//!
//! - one transaction per admission; its first statement writes the tenant's row in
//!   `cl_slotlocks` (and each capped provider's, in id order), so admissions of one tenant take
//!   turns on PostgreSQL and MariaDB (row locks held to commit) and on SQLite (the one writer);
//!   the counts read after that lock see every slot committed before it, so two decisions racing
//!   for the last slot cannot both get it;
//! - a slot row (`cs_callslots`) is inserted when the call may go out; the dialplan's `h`
//!   extension asks `hangup` with it, which sets `cs_ended`; a slot whose hang-up never arrives
//!   stops counting at `cs_expires` (setting `OUTBOUND_SLOT_MINUTES`);
//! - ended rows stay a day for the per-hour and per-day counts, then are deleted by later
//!   admissions of the same tenant.
//!
//! Every refusal by class or limit is logged (`tracing` warn) and stored in `fe_fraudevents`
//! for the operator (`reqtype=FRAUD`).

use super::number::{Number, Plan};
use super::{Decision, RouteResult, Step};
use crate::db::Db;
use chrono::{DateTime, Duration, Utc};
use sea_orm::sea_query::{Expr, ExprTrait, Func, OnConflict, Query, SelectStatement};
use sea_orm::{ConnectionTrait, DbErr};
use std::collections::HashMap;

/// Why an outbound call was refused by a guard: a stable code for the CDR and the operator.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cause {
    Premium,
    International,
    Satellite,
    TenantConcurrent,
    TenantPerHour,
    TenantPerDay,
    TenantMaxChannels,
    ExtensionConcurrent,
    ExtensionPerHour,
    ExtensionPerDay,
    ProviderMaxChannels,
}

impl Cause {
    pub fn code(self) -> &'static str {
        match self {
            Cause::Premium => "CLASS_PREMIUM",
            Cause::International => "CLASS_INTERNATIONAL",
            Cause::Satellite => "CLASS_SATELLITE",
            Cause::TenantConcurrent => "LIMIT_TENANT_CONCURRENT",
            Cause::TenantPerHour => "LIMIT_TENANT_PER_HOUR",
            Cause::TenantPerDay => "LIMIT_TENANT_PER_DAY",
            Cause::TenantMaxChannels => "LIMIT_TENANT_MAXCHANNELS",
            Cause::ExtensionConcurrent => "LIMIT_EXTENSION_CONCURRENT",
            Cause::ExtensionPerHour => "LIMIT_EXTENSION_PER_HOUR",
            Cause::ExtensionPerDay => "LIMIT_EXTENSION_PER_DAY",
            Cause::ProviderMaxChannels => "LIMIT_PROVIDER_MAXCHANNELS",
        }
    }

    /// The class a destination-class row names.
    fn class(name: &str) -> Option<Cause> {
        match name {
            "PREMIUM" => Some(Cause::Premium),
            "INTERNATIONAL" => Some(Cause::International),
            "SATELLITE" => Some(Cause::Satellite),
            _ => None,
        }
    }

    /// The setting that allows a class.
    fn allowance(self) -> &'static str {
        match self {
            Cause::Premium => "ALLOW_PREMIUM",
            Cause::Satellite => "ALLOW_SATELLITE",
            _ => "ALLOW_INTERNATIONAL",
        }
    }
}

/// The classes of destination [`DestClass::of`] knows (the column `dk_class`).
pub const CLASSES: &[&str] = &["PREMIUM", "INTERNATIONAL", "SATELLITE", "EMERGENCY"];

/// The settings a guard reads, all in one query.
const CODES: &[&str] = &[
    "NUMBER_PLAN",
    "ALLOW_PREMIUM",
    "ALLOW_INTERNATIONAL",
    "ALLOW_SATELLITE",
    "OUTBOUND_CONCURRENT",
    "OUTBOUND_CALLS_PER_HOUR",
    "OUTBOUND_CALLS_PER_DAY",
    "EXT_OUTBOUND_CONCURRENT",
    "EXT_OUTBOUND_CALLS_PER_HOUR",
    "EXT_OUTBOUND_CALLS_PER_DAY",
    "OUTBOUND_SLOT_MINUTES",
];

/// The effective guard settings of a tenant and (optionally) one of its extensions: the
/// extension's own value (`CODE@<number>`), else the tenant's, else the global one, else the
/// built-in default of [`crate::settings::SETTINGS`].
pub struct Settings(HashMap<&'static str, String>);

impl Settings {
    pub async fn load(
        conn: &impl ConnectionTrait,
        te_id: i32,
        extension: Option<&str>,
    ) -> RouteResult<Settings> {
        let mut keys: Vec<String> = CODES.iter().map(|c| c.to_string()).collect();
        if let Some(ext) = extension {
            keys.extend(CODES.iter().map(|c| crate::settings::ext_key(c, ext)));
        }
        let mut q = Query::select();
        q.columns(["st_te_id", "st_code", "st_value"])
            .from("st_settings")
            .and_where(Expr::col("st_te_id").is_in([te_id, 0]))
            .and_where(Expr::col("st_code").is_in(keys));
        let rows = conn.query_all(&q).await?;
        // (rank, value): extension 0, tenant 1, global 2.
        let mut best: HashMap<&'static str, (u8, String)> = HashMap::new();
        for r in rows {
            let te: i32 = r.try_get_by_index(0)?;
            let code: String = r.try_get_by_index(1)?;
            let Some(value) = r
                .try_get_by_index::<Option<String>>(2)?
                .filter(|v| !v.trim().is_empty())
            else {
                continue;
            };
            let (base, own) = match code.split_once('@') {
                Some((b, _)) => (b, true),
                None => (code.as_str(), false),
            };
            let Some(&base) = CODES.iter().find(|c| **c == base) else {
                continue;
            };
            let rank = match (own, te) {
                (true, t) if t == te_id && te_id != 0 => 0,
                (true, _) => continue,
                (false, 0) => 2,
                (false, _) => 1,
            };
            if best.get(base).is_none_or(|(r, _)| rank < *r) {
                best.insert(base, (rank, value.trim().to_string()));
            }
        }
        let mut out = HashMap::new();
        for code in CODES {
            let v = match best.remove(code) {
                Some((_, v)) => v,
                None => crate::settings::find(code)
                    .map(|s| s.default.to_string())
                    .unwrap_or_default(),
            };
            out.insert(*code, v);
        }
        Ok(Settings(out))
    }

    fn get(&self, code: &str) -> &str {
        self.0.get(code).map_or("", |v| v.as_str())
    }

    fn yes(&self, code: &str) -> bool {
        self.get(code) == "yes"
    }

    fn int(&self, code: &str) -> i64 {
        self.get(code).parse().unwrap_or(0)
    }

    pub fn plan(&self) -> Plan {
        Plan::named(self.get("NUMBER_PLAN"))
    }
}

/// What the destination-class table says about a number.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct DestClass {
    /// A plan's emergency number (never blocked).
    pub emergency: bool,
    /// The classes that must be allowed, in the order they are checked.
    pub blocked_unless: Vec<Cause>,
}

impl DestClass {
    /// Classify `dialled` (normalised as `number`) for a tenant with `plan`: the longest
    /// matching prefix of `dk_destclasses`, plus international when the number's country code
    /// is not the plan's (every international number when the plan is `NONE`).
    pub async fn of(
        conn: &impl ConnectionTrait,
        dialled: &str,
        number: &Number,
        plan: &Plan,
    ) -> RouteResult<DestClass> {
        let mut candidates: Vec<String> = vec![dialled.to_string()];
        if let Number::E164(d) = number {
            candidates.extend((1..=d.len()).map(|i| d[..i].to_string()));
        }
        let mut q = Query::select();
        q.columns(["dk_prefix", "dk_class", "dk_plan"])
            .from("dk_destclasses")
            .and_where(Expr::col("dk_prefix").is_in(candidates));
        let rows = conn.query_all(&q).await?;
        let mut out = DestClass::default();
        let mut longest: Option<(usize, Cause)> = None;
        for r in rows {
            let prefix: String = r.try_get_by_index(0)?;
            let class: String = r.try_get_by_index(1)?;
            let row_plan: String = r.try_get_by_index(2)?;
            if class == "EMERGENCY" {
                // Whole numbers as dialled, of the tenant's plan or of every plan.
                if prefix == dialled && (row_plan == plan.name || row_plan == "INTL") {
                    out.emergency = true;
                }
                continue;
            }
            let Number::E164(d) = number else { continue };
            if !d.starts_with(&prefix) {
                continue;
            }
            if let Some(c) = Cause::class(&class) {
                if longest.is_none_or(|(l, _)| prefix.len() > l) {
                    longest = Some((prefix.len(), c));
                }
            }
        }
        if let Some((_, c)) = longest {
            out.blocked_unless.push(c);
        }
        if let Number::E164(d) = number {
            let abroad = plan.country.is_empty() || !d.starts_with(plan.country);
            if abroad && !out.blocked_unless.contains(&Cause::International) {
                out.blocked_unless.push(Cause::International);
            }
        }
        Ok(out)
    }

    /// The first class of the number the settings do not allow.
    pub fn refused_by(&self, settings: &Settings) -> Option<Cause> {
        if self.emergency {
            return None;
        }
        self.blocked_unless
            .iter()
            .copied()
            .find(|c| !settings.yes(c.allowance()))
    }
}

/// The limits an outbound call is counted against (0 = none).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Limits {
    pub concurrent: i64,
    pub per_hour: i64,
    pub per_day: i64,
    pub ext_concurrent: i64,
    pub ext_per_hour: i64,
    pub ext_per_day: i64,
    /// `te_maxchannels`.
    pub max_channels: i64,
    pub slot_minutes: i64,
}

impl Limits {
    pub fn new(s: &Settings, max_channels: i32) -> Limits {
        Limits {
            concurrent: s.int("OUTBOUND_CONCURRENT"),
            per_hour: s.int("OUTBOUND_CALLS_PER_HOUR"),
            per_day: s.int("OUTBOUND_CALLS_PER_DAY"),
            ext_concurrent: s.int("EXT_OUTBOUND_CONCURRENT"),
            ext_per_hour: s.int("EXT_OUTBOUND_CALLS_PER_HOUR"),
            ext_per_day: s.int("EXT_OUTBOUND_CALLS_PER_DAY"),
            max_channels: Ord::max(max_channels, 0) as i64,
            slot_minutes: Ord::max(s.int("OUTBOUND_SLOT_MINUTES"), 5),
        }
    }
}

/// An outbound call the decision would let out, once [`admit`] has counted it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Admission {
    pub te_id: i32,
    pub tenant: String,
    /// The calling extension (id, number), when a phone dials.
    pub extension: Option<(i32, String)>,
    pub number: String,
    pub limits: Limits,
    /// Per dial target: its provider and the provider's `pr_maxchannels` (0 = none).
    pub providers: Vec<(i32, i32)>,
}

/// A refusal the decision made by class, to be recorded for the operator by [`admit`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal {
    pub te_id: i32,
    pub extension: Option<String>,
    pub number: String,
    pub cause: Cause,
}

/// What the guards add to a decision.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Guarded {
    pub admission: Option<Admission>,
    pub refusal: Option<Refusal>,
    /// The slot taken (`SB_SLOT`), after [`admit`].
    pub slot: Option<i64>,
}

impl Guarded {
    /// The stable cause of a refusal by a guard (`SB_CAUSE`).
    pub fn cause(&self) -> Option<Cause> {
        self.refusal.as_ref().map(|r| r.cause)
    }
}

fn count(q: &mut SelectStatement) -> &mut SelectStatement {
    q.expr(Func::count(Expr::col("cs_id"))).from("cs_callslots")
}

async fn counted(conn: &impl ConnectionTrait, q: &SelectStatement) -> Result<i64, DbErr> {
    Ok(match conn.query_one(q).await? {
        Some(r) => r.try_get_by_index::<i64>(0)?,
        None => 0,
    })
}

/// Slots of `col = id` that still count: not ended and not expired.
fn active(col: &'static str, id: i32, now: DateTime<Utc>) -> SelectStatement {
    let mut q = Query::select();
    count(&mut q)
        .and_where(Expr::col(col).eq(id))
        .and_where(Expr::col("cs_ended").is_null())
        .and_where(Expr::col("cs_expires").gt(now.naive_utc()));
    q
}

/// Slots of `col = id` started since `since` (ended or not).
fn started(col: &'static str, id: i32, since: DateTime<Utc>) -> SelectStatement {
    let mut q = Query::select();
    count(&mut q)
        .and_where(Expr::col(col).eq(id))
        .and_where(Expr::col("cs_started").gte(since.naive_utc()));
    q
}

/// Serialise admissions on `keys` (see the module comment): a write to each lock row.
async fn lock(conn: &impl ConnectionTrait, keys: &[String]) -> Result<(), DbErr> {
    for key in keys {
        let mut ins = Query::insert();
        ins.into_table("cl_slotlocks")
            .columns(["cl_key", "cl_seq"])
            .values_panic([key.as_str().into(), 1.into()])
            .on_conflict(
                OnConflict::column("cl_key")
                    .update_column("cl_seq")
                    .to_owned(),
            );
        conn.execute(&ins).await?;
    }
    Ok(())
}

/// The first limit a new call would exceed, or the provider targets that still have room.
async fn check(
    conn: &impl ConnectionTrait,
    a: &Admission,
    now: DateTime<Utc>,
) -> Result<Result<Vec<usize>, Cause>, DbErr> {
    let l = &a.limits;
    let hour = now - Duration::hours(1);
    let day = now - Duration::days(1);
    // (column, id, [concurrent, per hour, per day], their causes): the tenant, then the extension.
    let scopes = [
        (
            "cs_te_id",
            Some(a.te_id),
            [l.concurrent, l.per_hour, l.per_day],
            [
                Cause::TenantConcurrent,
                Cause::TenantPerHour,
                Cause::TenantPerDay,
            ],
        ),
        (
            "cs_ex_id",
            a.extension.as_ref().map(|e| e.0),
            [l.ext_concurrent, l.ext_per_hour, l.ext_per_day],
            [
                Cause::ExtensionConcurrent,
                Cause::ExtensionPerHour,
                Cause::ExtensionPerDay,
            ],
        ),
    ];
    let mut checks = vec![(
        l.max_channels,
        active("cs_te_id", a.te_id, now),
        Cause::TenantMaxChannels,
    )];
    for (col, id, [concurrent, per_hour, per_day], [c, h, d]) in scopes {
        let Some(id) = id else { continue };
        checks.push((concurrent, active(col, id, now), c));
        checks.push((per_hour, started(col, id, hour), h));
        checks.push((per_day, started(col, id, day), d));
    }
    for (limit, q, cause) in checks {
        if limit > 0 && counted(conn, &q).await? >= limit {
            return Ok(Err(cause));
        }
    }
    let mut open = vec![];
    for (i, &(pr_id, max)) in a.providers.iter().enumerate() {
        if max <= 0 || counted(conn, &active("cs_pr_id", pr_id, now)).await? < max as i64 {
            open.push(i);
        }
    }
    if open.is_empty() {
        return Ok(Err(Cause::ProviderMaxChannels));
    }
    Ok(Ok(open))
}

/// Record a refusal for the operator: a log line and a `fe_fraudevents` row.
async fn record(
    conn: &impl ConnectionTrait,
    r: &Refusal,
    reason: &str,
    now: DateTime<Utc>,
) -> Result<(), DbErr> {
    tracing::warn!(te_id = r.te_id, extension = ?r.extension, number = %r.number, cause = r.cause.code(), %reason, "outbound call refused (toll-fraud guard)");
    let mut ins = Query::insert();
    ins.into_table("fe_fraudevents")
        .columns([
            "fe_te_id",
            "fe_extension",
            "fe_number",
            "fe_cause",
            "fe_reason",
            "fe_at",
        ])
        .values_panic([
            r.te_id.into(),
            r.extension.clone().unwrap_or_default().into(),
            r.number.chars().take(40).collect::<String>().into(),
            r.cause.code().into(),
            reason.chars().take(255).collect::<String>().into(),
            now.naive_utc().into(),
        ]);
    conn.execute(&ins).await?;
    Ok(())
}

fn reason_of(cause: Cause, number: &str) -> String {
    let what = match cause {
        Cause::Premium => "premium-rate numbers are not allowed",
        Cause::International => "international numbers are not allowed",
        Cause::Satellite => "satellite numbers are not allowed",
        Cause::TenantConcurrent => "the tenant's concurrent outbound calls are at their limit",
        Cause::TenantPerHour => "the tenant's outbound calls per hour are at their limit",
        Cause::TenantPerDay => "the tenant's outbound calls per day are at their limit",
        Cause::TenantMaxChannels => "the tenant's channels (te_maxchannels) are all in use",
        Cause::ExtensionConcurrent => {
            "the extension's concurrent outbound calls are at their limit"
        }
        Cause::ExtensionPerHour => "the extension's outbound calls per hour are at their limit",
        Cause::ExtensionPerDay => "the extension's outbound calls per day are at their limit",
        Cause::ProviderMaxChannels => "every provider of the route is at its channel limit",
    };
    format!("{number}: {what}")
}

/// The refusal step of a guard.
pub fn refusal_step(cause: Cause, number: &str) -> Step {
    Step::Refuse {
        reason: reason_of(cause, number),
    }
}

/// Count the call of `d` (when its decision lets an outbound call out) against its limits:
/// the slot is taken and `d.guard.slot` set, or `d` becomes a refusal with its cause. A
/// refusal the decision made by class is recorded. `uniqueid` is the channel's.
pub async fn admit(
    db: &Db,
    d: &mut Decision,
    uniqueid: &str,
    now: DateTime<Utc>,
) -> Result<(), DbErr> {
    if let Some(r) = &d.guard.refusal {
        if let Step::Refuse { reason } = &d.step {
            let txn = db.begin_write().await?;
            record(&*txn, r, reason, now).await?;
            txn.commit().await?;
        }
        return Ok(());
    }
    let Some(a) = d.guard.admission.take() else {
        return Ok(());
    };
    let mut keys = vec![format!("te:{}", a.te_id)];
    let mut capped: Vec<i32> = a
        .providers
        .iter()
        .filter(|p| p.1 > 0)
        .map(|p| p.0)
        .collect();
    capped.sort_unstable();
    capped.dedup();
    keys.extend(capped.iter().map(|p| format!("pr:{p}")));
    let txn = db.begin_write().await?;
    lock(&*txn, &keys).await?;
    match check(&*txn, &a, now).await? {
        Err(cause) => {
            let refusal = Refusal {
                te_id: a.te_id,
                extension: a.extension.as_ref().map(|e| e.1.clone()),
                number: a.number.clone(),
                cause,
            };
            let reason = reason_of(cause, &a.number);
            record(&*txn, &refusal, &reason, now).await?;
            txn.commit().await?;
            d.step = Step::Refuse { reason };
            d.next = Default::default();
            d.guard.refusal = Some(refusal);
        }
        Ok(open) => {
            let pr_id = open.first().map(|&i| a.providers[i].0);
            // Targets through a provider at its limit are left out.
            if let Step::Dial { targets, .. } = &mut d.step {
                let kept: Vec<String> = open
                    .iter()
                    .filter_map(|&i| targets.get(i).cloned())
                    .collect();
                *targets = kept;
            }
            let mut ins = Query::insert();
            ins.into_table("cs_callslots")
                .columns([
                    "cs_te_id",
                    "cs_ex_id",
                    "cs_pr_id",
                    "cs_uniqueid",
                    "cs_started",
                    "cs_expires",
                ])
                .values_panic([
                    a.te_id.into(),
                    a.extension.as_ref().map(|e| e.0).into(),
                    pr_id.into(),
                    uniqueid.chars().take(64).collect::<String>().into(),
                    now.naive_utc().into(),
                    (now + Duration::minutes(a.limits.slot_minutes))
                        .naive_utc()
                        .into(),
                ]);
            let id = match txn.get_database_backend() {
                sea_orm::DbBackend::Postgres => {
                    ins.returning_col("cs_id");
                    match txn.query_one(&ins).await? {
                        Some(row) => row.try_get_by_index::<i32>(0)? as u64,
                        None => return Err(DbErr::RecordNotInserted),
                    }
                }
                _ => txn.execute(&ins).await?.last_insert_id(),
            };
            // Ended slots older than a day no longer count for anything.
            let mut del = Query::delete();
            del.from_table("cs_callslots")
                .and_where(Expr::col("cs_te_id").eq(a.te_id))
                .and_where(Expr::col("cs_started").lt((now - Duration::days(1)).naive_utc()))
                .and_where(
                    Expr::col("cs_ended")
                        .is_not_null()
                        .or(Expr::col("cs_expires").lte(now.naive_utc())),
                );
            txn.execute(&del).await?;
            txn.commit().await?;
            d.guard.slot = Some(id as i64);
        }
    }
    Ok(())
}

/// The hang-up of the call holding slot `slot` reached the service: it stops counting as
/// concurrent (it still counts for the hour and the day). Only the channel that took the slot
/// can end it.
pub async fn release(
    db: &Db,
    slot: i64,
    uniqueid: &str,
    now: DateTime<Utc>,
) -> Result<bool, DbErr> {
    let mut up = Query::update();
    up.table("cs_callslots")
        .value("cs_ended", now.naive_utc())
        .and_where(Expr::col("cs_id").eq(slot))
        .and_where(Expr::col("cs_uniqueid").eq(uniqueid))
        .and_where(Expr::col("cs_ended").is_null());
    let txn = db.begin_write().await?;
    let n = txn.execute(&up).await?.rows_affected();
    txn.commit().await?;
    Ok(n == 1)
}

/// One refused outbound call, for the operator.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Event {
    pub id: i32,
    pub te_id: i32,
    pub extension: String,
    pub number: String,
    pub cause: String,
    pub reason: String,
    pub at: chrono::NaiveDateTime,
}

/// The newest `limit` refusals by a guard, of one tenant (`Some`) or all, newest first.
pub async fn events(
    conn: &impl ConnectionTrait,
    te_id: Option<i32>,
    limit: u64,
) -> Result<Vec<Event>, DbErr> {
    let mut q = Query::select();
    q.columns([
        "fe_id",
        "fe_te_id",
        "fe_extension",
        "fe_number",
        "fe_cause",
        "fe_reason",
        "fe_at",
    ])
    .from("fe_fraudevents")
    .order_by("fe_id", sea_orm::sea_query::Order::Desc)
    .limit(limit);
    if let Some(te) = te_id {
        q.and_where(Expr::col("fe_te_id").eq(te));
    }
    let mut out = vec![];
    for r in conn.query_all(&q).await? {
        out.push(Event {
            id: r.try_get_by_index(0)?,
            te_id: r.try_get_by_index(1)?,
            extension: r.try_get_by_index(2)?,
            number: r.try_get_by_index(3)?,
            cause: r.try_get_by_index(4)?,
            reason: r.try_get_by_index(5)?,
            at: r.try_get_by_index(6)?,
        });
    }
    Ok(out)
}
