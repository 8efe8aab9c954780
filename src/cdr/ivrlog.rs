//! IVR logs. Asterisk does not log IVR choices, so the IVR dialplan reports each one as an AMI
//! user event, which the cluster layer hands to [`record_ivr_event`]:
//!
//! ```text
//! same => n,UserEvent(SwitchboardIvr,IvrId: 12,Digits: ${EXTEN},Destination: EXT-103)
//! ```
//!
//! Asterisk adds the channel's `Uniqueid` and `CallerIDNum` to a `UserEvent`, and `Timestamp`
//! when `manager.conf` has `timestampevents=yes` (recommended: it is the time of the choice;
//! without it the time of arrival is used). `Digits` is what was pressed (`0-9*#`), or `t` /
//! `i` for Asterisk's timeout and invalid extensions. The tenant is the owner of the IVR. A choice
//! is identified by (uniqueid, time to the second, digits), so an event delivered twice (a
//! reconnect, two Switchboard processes) is stored once.

use crate::auth::Caller;
use crate::cdr::report::{self, text, Filter, Report, ReportQuery};
use crate::db::{CellType, Db};
use crate::error::{ApiError, ApiResult};
use crate::output::{Output, RowStream};
use chrono::{DateTime, NaiveDateTime, Timelike, Utc};
use entity::{il_ivrlogs, iv_ivrs};
use sea_orm::sea_query::{Expr, Query};
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, Set};

/// The `UserEvent:` name the dialplan sends.
pub const IVR_USER_EVENT: &str = "SwitchboardIvr";

/// What [`record_ivr_event`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IvrLogged {
    Recorded,
    /// The same choice was stored before (a redelivered event).
    AlreadyRecorded,
}

fn header<'a>(headers: &'a [(String, String)], name: &str) -> Option<&'a str> {
    headers
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case(name))
        .map(|(_, v)| v.trim())
}

/// A header's value, at most `max` characters of no control character; `None` when absent.
fn checked<'a>(
    headers: &'a [(String, String)],
    name: &str,
    max: usize,
) -> ApiResult<Option<&'a str>> {
    let Some(v) = header(headers, name).filter(|v| !v.is_empty()) else {
        return Ok(None);
    };
    if crate::text::check_line(v, max).is_err() {
        return Err(ApiError::invalid(format!(
            "{IVR_USER_EVENT} header '{name}': at most {max} printable characters"
        )));
    }
    Ok(Some(v))
}

fn required<'a>(headers: &'a [(String, String)], name: &str, max: usize) -> ApiResult<&'a str> {
    checked(headers, name, max)?
        .ok_or_else(|| ApiError::invalid(format!("{IVR_USER_EVENT} header '{name}' is required")))
}

/// The time of the choice: AMI's `Timestamp` (`1531779475.123456`), else now; to the second.
fn event_time(headers: &[(String, String)]) -> ApiResult<NaiveDateTime> {
    let at = match header(headers, "Timestamp").filter(|v| !v.is_empty()) {
        None => Utc::now(),
        Some(v) => {
            let secs = v.split('.').next().unwrap_or(v).parse::<i64>().ok();
            secs.and_then(|s| DateTime::from_timestamp(s, 0))
                .ok_or_else(|| {
                    ApiError::invalid(format!(
                        "{IVR_USER_EVENT} header 'Timestamp': '{v}' is not epoch seconds"
                    ))
                })?
        }
    };
    Ok(at.naive_utc().with_nanosecond(0).unwrap_or_default())
}

/// Validate one `UserEvent: SwitchboardIvr` from `node` and store it. Bad or foreign events
/// are an error naming the header; nothing is stored then.
pub async fn record_ivr_event(
    db: &Db,
    node: &str,
    headers: &[(String, String)],
) -> ApiResult<IvrLogged> {
    match header(headers, "UserEvent") {
        Some(name) if name.eq_ignore_ascii_case(IVR_USER_EVENT) => {}
        _ => {
            return Err(ApiError::invalid(format!(
                "not a UserEvent {IVR_USER_EVENT}"
            )))
        }
    }
    let uniqueid = required(headers, "Uniqueid", 64)?;
    let ivr_text = required(headers, "IvrId", 11)?;
    let digits = required(headers, "Digits", 20)?;
    if !(digits == "t"
        || digits == "i"
        || digits
            .chars()
            .all(|c| c.is_ascii_digit() || c == '*' || c == '#'))
    {
        return Err(ApiError::invalid(format!(
            "{IVR_USER_EVENT} header 'Digits': '{digits}' is not 0-9 * #, t or i"
        )));
    }
    // Asterisk writes `<unknown>` for a channel without caller id.
    let callerid = checked(headers, "CallerIDNum", 80)?
        .filter(|c| *c != "<unknown>")
        .unwrap_or_default();
    let destination = checked(headers, "Destination", 100)?.unwrap_or_default();
    let time = event_time(headers)?;
    let ivr_id: i32 = ivr_text.parse().map_err(|_| {
        ApiError::invalid(format!(
            "{IVR_USER_EVENT} header 'IvrId': '{ivr_text}' is not an IVR id"
        ))
    })?;
    let ivr = iv_ivrs::Entity::find_by_id(ivr_id)
        .one(&db.conn)
        .await?
        .ok_or_else(|| {
            ApiError::invalid(format!("{IVR_USER_EVENT} header 'IvrId': no IVR {ivr_id}"))
        })?;
    let txn = db.begin_write().await?;
    let present = il_ivrlogs::Entity::find()
        .filter(il_ivrlogs::Column::IlUniqueid.eq(uniqueid))
        .filter(il_ivrlogs::Column::IlTime.eq(time))
        .filter(il_ivrlogs::Column::IlDigits.eq(digits))
        .one(&*txn)
        .await?;
    if present.is_some() {
        return Ok(IvrLogged::AlreadyRecorded);
    }
    il_ivrlogs::ActiveModel {
        il_te_id: Set(ivr.iv_te_id),
        il_time: Set(time),
        il_node: Set(node.chars().take(40).collect()),
        il_uniqueid: Set(uniqueid.to_string()),
        il_iv_id: Set(ivr.iv_id),
        il_ivr_name: Set(ivr.iv_name),
        il_callerid: Set(callerid.to_string()),
        il_digits: Set(digits.to_string()),
        il_destination: Set(destination.to_string()),
        ..Default::default()
    }
    .insert(&*txn)
    .await?;
    txn.commit().await?;
    Ok(IvrLogged::Recorded)
}

pub const IVRLOGS: Report = Report {
    table: "il_ivrlogs",
    tenant_col: "il_te_id",
    time_col: "il_time",
    id_col: "il_id",
    filters: &[
        Filter {
            param: "ivr",
            columns: &["il_iv_id"],
            int: true,
        },
        text("ivrname", &["il_ivr_name"]),
        text("uniqueid", &["il_uniqueid"]),
        text("callerid", &["il_callerid"]),
        text("digits", &["il_digits"]),
    ],
};

/// INFO ivrlogs columns: the IVR's id and its name at the time of the call.
const COLUMNS: &[(&str, CellType)] = &[
    ("il_id", CellType::Int),
    ("il_te_id", CellType::Int),
    ("il_time", CellType::DateTime),
    ("il_uniqueid", CellType::Text),
    ("il_iv_id", CellType::Int),
    ("il_ivr_name", CellType::Text),
    ("il_callerid", CellType::Text),
    ("il_digits", CellType::Text),
    ("il_destination", CellType::Text),
];

/// INFO ivrlogs: the caller's IVR choices by `start`/`end` and the filters above, streamed.
pub async fn list(db: &Db, caller: &Caller, query: &ReportQuery) -> ApiResult<RowStream> {
    report::own_columns(db, caller, query, &IVRLOGS, COLUMNS).await
}

/// `reqtype=RESPONSEPATH`: the path callers took through the tenant's IVRs, as upstream's rows
/// `UniqueID|Type|Type ID|Value|Type Name|Value Name`: one row per choice, oldest first; Type is
/// `IVR` (the only step Switchboard logs), Value the digits pressed, Value Name where they led.
/// Narrowed like INFO ivrlogs and streamed; the edge requires `uniqueid` (a comma list) or
/// `start`: it reads the path of calls, not a tenant's whole history by mistake.
pub async fn response_path(db: &Db, caller: &Caller, query: &ReportQuery) -> ApiResult<Output> {
    let tz = query.zone;
    let mut q = Query::select();
    q.from(IVRLOGS.table)
        .column("il_uniqueid")
        .expr(Expr::val("IVR"))
        .columns(["il_iv_id", "il_digits", "il_ivr_name", "il_destination"])
        .cond_where(report::conditions(&IVRLOGS, caller, query, tz));
    report::ordered(&IVRLOGS, &mut q);
    let columns = [
        "uniqueid",
        "type",
        "type_id",
        "value",
        "type_name",
        "value_name",
    ];
    use CellType::{Int, Text};
    let types = [Text, Text, Int, Text, Text, Text];
    let mut rows =
        report::stream(db, q, columns.map(String::from).to_vec(), &types, None, tz).await?;
    rows.plain_header = Some("UniqueID|Type|Type ID|Value|Type Name|Value Name");
    Ok(Output::Stream(rows))
}
