//! Call records on the legacy endpoint: INFO cdrs / simplecdrs / queuelogs (streamed) and
//! `reqtype=CDR` (`action=get|update`).

use crate::auth::Caller;
use crate::cdr::report::{self, cdr_type, is_cdr_column, CDR_COLUMNS, CDR_EXTRA_COLUMNS};
use crate::cdr::{layout, template};
use crate::db::Db;
use crate::error::{ApiError, ApiResult};
use crate::proxyapi::params::Params;
use crate::proxyapi::AppState;
use crate::render::{Format, Output, RowTemplate};
use sea_orm::sea_query::{Expr, ExprTrait, LockType, Order, Query};
use sea_orm::ConnectionTrait;
use std::sync::Arc;

/// INFO cdrs: the caller's CSV layout for csv, a stored template for `template=NAME`, the
/// spec's column list otherwise.
pub async fn cdrs(state: &AppState, caller: &Caller, params: &Params) -> ApiResult<Output> {
    let format = Format::parse(params.get("format"))?;
    let (columns, template) = match params.get("template") {
        Some(name) => {
            if format != Format::Xml {
                return Err(ApiError::invalid("parameter 'template' needs format=xml"));
            }
            let t: Arc<dyn RowTemplate> = template::find(&state.db, caller, name.trim()).await?;
            let all = CDR_COLUMNS
                .iter()
                .chain(CDR_EXTRA_COLUMNS)
                .copied()
                .collect();
            (all, Some(t))
        }
        None if format == Format::Csv => (csv_columns(&state.db, caller).await?, None),
        None => (CDR_COLUMNS.to_vec(), None),
    };
    let query = params.report(&report::CDRS, super::report_zone(state, caller).await?)?;
    let rows = report::cdrs(&state.db, caller, &query, columns, template).await?;
    Ok(Output::Stream(rows))
}

pub async fn simplecdrs(state: &AppState, caller: &Caller, params: &Params) -> ApiResult<Output> {
    Ok(Output::Stream(
        report::simplecdrs(
            &state.db,
            caller,
            &params.report(
                &report::SIMPLECDRS,
                super::report_zone(state, caller).await?,
            )?,
        )
        .await?,
    ))
}

pub async fn queuelogs(state: &AppState, caller: &Caller, params: &Params) -> ApiResult<Output> {
    Ok(Output::Stream(
        report::queuelogs(
            &state.db,
            caller,
            &params.report(&report::QUEUELOGS, super::report_zone(state, caller).await?)?,
        )
        .await?,
    ))
}

/// `reqtype=RESPONSEPATH`: `uniqueid` (a comma list) or `start` is required, so it reads the
/// path of calls, not a tenant's whole history by mistake.
pub async fn response_path(
    state: &AppState,
    caller: &Caller,
    params: &Params,
) -> ApiResult<Output> {
    match params.word("action").as_deref() {
        None | Some("") => {}
        // Upstream's configured Response Path objects (`id`, `filter=ANSWER&filterdata=…`,
        // an XML `<Result>`) have no counterpart here: say so rather than answer something else.
        Some("getlast") => {
            return Err(ApiError::NotImplemented(
                "RESPONSEPATH action=GETLAST (the latest result of a configured response path \
                 'id', with 'filter'/'filterdata'; this server keeps no configured response \
                 paths, only the IVR choices of calls: RESPONSEPATH with 'uniqueid' or \
                 'start'/'end')"
                    .into(),
            ))
        }
        Some(other) => {
            return Err(ApiError::invalid(format!(
                "parameter 'action': '{other}' is not GETLAST (or absent, for the IVR choices of calls)"
            )))
        }
    }
    if params.get("uniqueid").is_none() && params.get("start").is_none() {
        return Err(ApiError::invalid(
            "parameter 'uniqueid' (or a 'start' date) is required",
        ));
    }
    let query = params.report(
        &crate::cdr::ivrlog::IVRLOGS,
        super::report_zone(state, caller).await?,
    )?;
    crate::cdr::ivrlog::response_path(&state.db, caller, &query).await
}

/// The columns of the caller's CSV export: the tenant's layout, else the setting (see
/// [`layout`]).
async fn csv_columns(db: &Db, caller: &Caller) -> ApiResult<Vec<&'static str>> {
    let te_id = caller.tenant.as_ref().map(|t| t.id);
    let stored = match te_id {
        Some(id) => layout::tenant_layout(db, id).await?,
        None => None,
    };
    let text = match stored.filter(|s| !s.trim().is_empty()) {
        Some(s) => s,
        None => crate::settings::value(&db.conn, layout::SETTING, te_id).await?,
    };
    // Stored layouts were checked when written; a column list that no longer parses falls
    // back to the default rather than failing every export.
    Ok(layout::parse(&text).unwrap_or_else(|_| CDR_COLUMNS.to_vec()))
}

/// The CDR fields `action=update` may change (the value is appended), with their size.
const WRITABLE: &[(&str, usize)] = &[("userfield", 255), ("accountcode", 80)];

/// `reqtype=CDR&action=get|update&uniqueid=&field=[&value=]`. An unknown uniqueid (or one of
/// another tenant) is an empty body. A uniqueid with several legs: get reads the first, update
/// appends to every leg.
pub async fn handle(state: &AppState, caller: &Caller, params: &Params) -> ApiResult<Output> {
    let action = params.required_word("action")?;
    let uniqueid = params.required("uniqueid")?.trim().to_string();
    let field_text = params.required("field")?.trim();
    let field: &'static str = CDR_COLUMNS
        .iter()
        .chain(CDR_EXTRA_COLUMNS)
        .find(|c| c.eq_ignore_ascii_case(field_text))
        .copied()
        .filter(|c| is_cdr_column(c))
        .ok_or_else(|| {
            ApiError::invalid(format!(
                "parameter 'field': '{field_text}' is not a CDR column"
            ))
        })?;
    let miss = Output::Record {
        columns: vec![field.to_string()],
        row: None,
    };
    let mut q = Query::select();
    q.columns(["ID", field])
        .from("cdr")
        .and_where(Expr::col("uniqueid").eq(uniqueid.as_str()))
        .order_by("ID", Order::Asc);
    if let Some(t) = &caller.tenant {
        q.and_where(Expr::col("te_id").eq(t.id));
    }
    match action.as_str() {
        "get" => {
            let Some(row) = state.db.conn.query_one(&q).await? else {
                return Ok(miss);
            };
            Ok(Output::Value {
                name: field,
                value: crate::db::cell(&row, 1, cdr_type(field))?,
            })
        }
        "update" => {
            let Some(&(_, max)) = WRITABLE.iter().find(|(f, _)| *f == field) else {
                return Err(ApiError::invalid(format!(
                    "parameter 'field': only {} may be updated",
                    WRITABLE
                        .iter()
                        .map(|(f, _)| *f)
                        .collect::<Vec<_>>()
                        .join(" and ")
                )));
            };
            let value = params.get("value").unwrap_or_default();
            if !crate::text::clean(value, false) {
                return Err(ApiError::invalid(
                    "parameter 'value' must not contain control characters",
                ));
            }
            let txn = state.db.begin_write().await?;
            q.lock(LockType::Update);
            let legs = txn.query_all(&q).await?;
            let mut first = None;
            for leg in &legs {
                let id: i32 = leg.try_get_by_index(0).map_err(crate::error::internal)?;
                let old: String = leg.try_get_by_index(1).map_err(crate::error::internal)?;
                let new = format!("{old}{value}");
                if new.chars().count() > max {
                    return Err(ApiError::invalid(format!(
                        "field '{field}': the result would exceed {max} characters"
                    )));
                }
                let mut upd = Query::update();
                upd.table("cdr")
                    .value(field, new.as_str())
                    .and_where(Expr::col("ID").eq(id));
                txn.execute(&upd).await?;
                first.get_or_insert(new);
            }
            txn.commit().await?;
            Ok(match first {
                Some(v) => Output::Value {
                    name: field,
                    value: Some(v),
                },
                None => miss,
            })
        }
        other => Err(ApiError::invalid(format!(
            "parameter 'action': '{other}' is not one of get, update"
        ))),
    }
}
