//! Destinations: the ordered list of where a call goes from a source (a DID, a condition, an IVR
//! key, an extension's busy/no-answer/…). `list` and `replace` work on one source at a time;
//! replace validates every element (known tag, target in the same tenant) before touching
//! anything, then swaps the whole list in one transaction.

use super::engine::{count, tenant_by_id};
use super::{read_action, write_action, ActionCx, Behavior, Object};
use crate::auth::TenantRef;
use crate::error::{internal, ApiError, ApiResult};
use crate::output::{Output, Table};
use async_trait::async_trait;
use sea_orm::sea_query::{Expr, ExprTrait, Order, Query};
use sea_orm::ConnectionTrait;

pub static DESTINATION: Object = Object {
    name: "destination",
    plural: "destinations",
    table: "de_destinations",
    pk: "de_id",
    tenant_col: Some("de_te_id"),
    admin_only: false,
    crud: false,
    fields: &[],
    extras: &[],
    unique: &[],
    limit: None,
    target_tag: None,
    source_types: &[],
    children: &[],
    actions: &[read_action("list"), write_action("replace")],
    behavior: &DestinationBehavior,
};

/// A table a source or target id must exist in: `(table, primary key, tenant column)`.
type Owner = (&'static str, &'static str, &'static str);

const EXT: Owner = ("ex_extensions", "ex_id", "ex_te_id");
const IVR: Owner = ("iv_ivrs", "iv_id", "iv_te_id");
const CONDITION: Owner = ("co_conditions", "co_id", "co_te_id");
const QUEUE: Owner = ("qu_queues", "qu_id", "qu_te_id");
const HUNTLIST: Owner = ("hu_huntlists", "hu_id", "hu_te_id");

/// What follows a destination tag.
#[derive(Clone, Copy)]
enum Arg {
    /// The id of an object of the same tenant.
    Object(Owner),
    /// A dialable number.
    Number,
    /// Free text (an address, a message).
    Text,
    /// Nothing (or an ignored `-0`).
    Nothing,
}

/// Every destination tag Switchboard knows, and what its argument must be.
const TARGETS: &[(&str, Arg)] = &[
    ("EXT", Arg::Object(EXT)),
    ("QUEUE", Arg::Object(QUEUE)),
    ("IVR", Arg::Object(IVR)),
    ("CONDITION", Arg::Object(CONDITION)),
    (
        "VOICEMAIL",
        Arg::Object(("voicemail_users", "uniqueid", "te_id")),
    ),
    ("HUNTLIST", Arg::Object(HUNTLIST)),
    (
        "MEETME",
        Arg::Object(("cr_conferencerooms", "cr_id", "cr_te_id")),
    ),
    ("CUSTOM", Arg::Object(("cu_customs", "cu_id", "cu_te_id"))),
    (
        "PLAYBACK",
        Arg::Object(("me_mediafiles", "me_id", "me_te_id")),
    ),
    ("EXTERNAL", Arg::Number),
    ("SMS", Arg::Text),
    ("FAX", Arg::Text),
    ("HANGUP", Arg::Nothing),
    ("BUSY", Arg::Nothing),
    ("CONGESTION", Arg::Nothing),
];

/// The object a source type belongs to.
fn source_owner(typesrc: &str) -> Option<Owner> {
    match typesrc {
        "DID" => Some(("di_dids", "di_id", "di_te_id")),
        "CONDITION" | "NOTCONDITION" => Some(CONDITION),
        "EXT-UNCONDITIONAL" | "EXT-BUSY" | "EXT-NOANSWER" | "EXT-OFFLINE" => Some(EXT),
        "QUEUE" => Some(QUEUE),
        "HUNTLIST" => Some(HUNTLIST),
        s => {
            let key = s.strip_prefix("IVR_")?;
            let ok = matches!(key, "TIMEOUT" | "INVALID")
                || (key.len() == 1
                    && key
                        .chars()
                        .all(|c| c.is_ascii_digit() || c == '*' || c == '#'));
            ok.then_some(IVR)
        }
    }
}

/// The source named by `typesrc`/`typeidsrc`, resolved to the tenant that owns it. A tenant
/// key naming another tenant's source gets the same answer as for a source that does not exist.
async fn source(cx: &ActionCx<'_>) -> ApiResult<(String, i32, TenantRef)> {
    let typesrc = cx.args.required("typesrc")?;
    let id = cx.args.required_id("typeidsrc")?;
    source_of(cx.db, cx.caller, typesrc, id).await
}

/// The source `typesrc` `id` in the caller's scope, with the tenant that owns it.
async fn source_of(
    db: &crate::db::Db,
    caller: &crate::auth::Caller,
    typesrc: &str,
    id: i32,
) -> ApiResult<(String, i32, TenantRef)> {
    let typesrc = typesrc.trim().to_ascii_uppercase();
    let (table, pk, te_col) = source_owner(&typesrc).ok_or_else(|| {
        ApiError::invalid(format!(
            "parameter 'typesrc': unknown source type '{typesrc}'"
        ))
    })?;
    let mut q = Query::select();
    q.column(te_col).from(table).and_where(Expr::col(pk).eq(id));
    if let Some(t) = &caller.tenant {
        q.and_where(Expr::col(te_col).eq(t.id));
    }
    let missing = || {
        ApiError::NotFound(format!(
            "parameter 'typeidsrc': no {typesrc} source with id {id}"
        ))
    };
    let row = db.conn.query_one(&q).await?.ok_or_else(missing)?;
    let te_id: i32 = row.try_get_by_index(0).map_err(internal)?;
    let tenant = tenant_by_id(&db.conn, te_id).await?.ok_or_else(missing)?;
    Ok((typesrc, id, tenant))
}

/// One jsondata element `TAG-ARG` → (tag, stored argument), checked against the tenant.
pub(crate) async fn element(
    conn: &impl ConnectionTrait,
    tenant: &TenantRef,
    index: usize,
    raw: &str,
) -> ApiResult<(String, String)> {
    let bad =
        |what: String| ApiError::invalid(format!("jsondata element {index} ('{raw}'): {what}"));
    let (tag, arg) = match raw.split_once('-') {
        Some((t, a)) => (t.trim().to_ascii_uppercase(), a.trim().to_string()),
        None => (raw.trim().to_ascii_uppercase(), String::new()),
    };
    let kind = TARGETS
        .iter()
        .find(|(t, _)| *t == tag)
        .map(|(_, k)| *k)
        .ok_or_else(|| bad(format!("unknown destination tag '{tag}'")))?;
    match kind {
        Arg::Object((table, pk, te_col)) => {
            let id: i32 = arg
                .parse()
                .map_err(|_| bad(format!("{tag} needs an object id")))?;
            let mut q = Query::select();
            q.expr(Expr::cust("COUNT(*)"))
                .from(table)
                .and_where(Expr::col(pk).eq(id))
                .and_where(Expr::col(te_col).eq(tenant.id));
            if count(conn, q).await? == 0 {
                return Err(bad(format!(
                    "no {tag} with id {id} in tenant {}",
                    tenant.code
                )));
            }
            Ok((tag, id.to_string()))
        }
        Arg::Number => {
            let ok = !arg.is_empty()
                && arg.len() <= 32
                && arg
                    .chars()
                    .all(|c| c.is_ascii_digit() || matches!(c, '+' | '*' | '#'));
            if ok {
                Ok((tag, arg))
            } else {
                Err(bad(format!("{tag} needs a phone number")))
            }
        }
        Arg::Text => {
            if arg.is_empty() || crate::text::check_line(&arg, 64).is_err() {
                Err(bad(format!("{tag} needs a value of 1 to 64 characters")))
            } else {
                Ok((tag, arg))
            }
        }
        Arg::Nothing => Ok((tag, String::new())),
    }
}

const COLUMNS: [&str; 6] = [
    "de_id",
    "de_type_src",
    "de_type_id_src",
    "de_type_dst",
    "de_type_id_dst",
    "de_ord",
];

async fn list(cx: &ActionCx<'_>) -> ApiResult<Output> {
    let (typesrc, id, tenant) = match source(cx).await {
        Ok(s) => s,
        // A miss is an empty list, whoever's it is.
        Err(ApiError::NotFound(_)) => {
            return Ok(Output::Table(Table::new(
                COLUMNS.map(String::from).to_vec(),
            )))
        }
        Err(e) => return Err(e),
    };
    source_rows(&cx.db.conn, tenant.id, &[typesrc.as_str()], id).await
}

/// The destinations of one source object under any of `types`, in order.
pub async fn source_rows(
    conn: &impl ConnectionTrait,
    te_id: i32,
    types: &[&str],
    id: i32,
) -> ApiResult<Output> {
    let mut q = Query::select();
    q.columns(COLUMNS)
        .from("de_destinations")
        .and_where(Expr::col("de_te_id").eq(te_id))
        .and_where(Expr::col("de_type_src").is_in(types.iter().copied()))
        .and_where(Expr::col("de_type_id_src").eq(id))
        .order_by("de_type_src", Order::Asc)
        .order_by("de_ord", Order::Asc);
    let mut table = Table::new(COLUMNS.map(String::from).to_vec());
    for r in conn.query_all(&q).await? {
        let text = |i: usize| r.try_get_by_index::<String>(i).map_err(internal);
        let int = |i: usize| {
            r.try_get_by_index::<i32>(i)
                .map(|v| v.to_string())
                .map_err(internal)
        };
        table.rows.push(vec![
            Some(int(0)?),
            Some(text(1)?),
            Some(int(2)?),
            Some(text(3)?),
            Some(text(4)?),
            Some(int(5)?),
        ]);
    }
    Ok(Output::Table(table))
}

async fn replace(cx: &ActionCx<'_>) -> ApiResult<Output> {
    let source = source(cx).await?;
    let raw = cx.args.required("jsondata")?;
    let items: Vec<serde_json::Value> = match serde_json::from_str(raw) {
        Ok(serde_json::Value::Array(items)) => items,
        Ok(_) => {
            return Err(ApiError::invalid(
                "jsondata must be a JSON array like [\"EXT-12\",\"HANGUP\"]",
            ))
        }
        Err(e) => {
            return Err(ApiError::invalid(format!(
                "jsondata is not valid JSON: {e}"
            )))
        }
    };
    if items.len() > 100 {
        return Err(ApiError::invalid(
            "jsondata may hold at most 100 destinations",
        ));
    }
    store(cx.db, source, &items).await?;
    list(cx).await
}

/// Replace the destinations of source `typesrc` `id` (in the caller's scope) with `items`,
/// each a `TAG-ARG` string; the demo seeds through this.
pub async fn set_destinations(
    db: &crate::db::Db,
    caller: &crate::auth::Caller,
    typesrc: &str,
    id: i32,
    items: &[serde_json::Value],
) -> ApiResult<()> {
    let source = source_of(db, caller, typesrc, id).await?;
    store(db, source, items).await
}

async fn store(
    db: &crate::db::Db,
    (typesrc, id, tenant): (String, i32, TenantRef),
    items: &[serde_json::Value],
) -> ApiResult<()> {
    let txn = db.begin_write().await?;
    let mut parsed = Vec::with_capacity(items.len());
    for (i, item) in items.iter().enumerate() {
        let text = item.as_str().ok_or_else(|| {
            ApiError::invalid(format!("jsondata element {i} must be a string \"TAG-ID\""))
        })?;
        parsed.push(element(&*txn, &tenant, i, text).await?);
    }
    let mut del = Query::delete();
    del.from_table("de_destinations")
        .and_where(Expr::col("de_te_id").eq(tenant.id))
        .and_where(Expr::col("de_type_src").eq(typesrc.clone()))
        .and_where(Expr::col("de_type_id_src").eq(id));
    txn.execute(&del).await?;
    for (ord, (tag, arg)) in parsed.iter().enumerate() {
        let mut ins = Query::insert();
        ins.into_table("de_destinations")
            .columns([
                "de_te_id",
                "de_type_src",
                "de_type_id_src",
                "de_type_dst",
                "de_type_id_dst",
                "de_ord",
            ])
            .values_panic([
                tenant.id.into(),
                typesrc.clone().into(),
                id.into(),
                tag.clone().into(),
                arg.clone().into(),
                (ord as i32 + 1).into(),
            ]);
        txn.execute(&ins).await?;
    }
    txn.commit().await?;
    Ok(())
}

struct DestinationBehavior;

#[async_trait]
impl Behavior for DestinationBehavior {
    async fn action(&self, cx: &ActionCx<'_>, name: &str) -> ApiResult<Output> {
        match name {
            "list" => list(cx).await,
            "replace" => replace(cx).await,
            other => Err(ApiError::invalid(format!(
                "unknown action '{other}' for object destination"
            ))),
        }
    }
}
