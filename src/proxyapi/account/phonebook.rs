//! `reqtype=PHONEBOOKS` (`subreqtype=list`) and `reqtype=PHONEBOOK` (`phonebook` by name,
//! `subreqtype=query|add|delete|cleanall|getall`). Entries are rows of `pe_id` plus one column
//! per phonebook item (NAME, COMPANY, PHONE1, …). `query` takes `field` (an item code; absent =
//! any item) and `value` (`%` = any text, case-insensitive); `add` takes `values`, a JSON object
//! or an array of objects keyed by item codes, creates the phonebook when missing and answers
//! the new entries; `delete` takes `peid`; `cleanall` empties the phonebook.

use crate::auth::Caller;
use crate::error::{ApiError, ApiResult};
use crate::objects::phonebook::{
    add_entries, delete_entries, ensure_phonebook, entries, find_phonebook, items, list_phonebooks,
    Select,
};
use crate::output::Output;
use crate::proxyapi::params::Params;
use crate::proxyapi::AppState;
use serde_json::Value as Json;

/// The most entries one `add` may carry.
const MAX_ADD: usize = 10_000;

fn subreqtype(params: &Params, known: &[&str]) -> ApiResult<String> {
    let sub = params
        .word("subreqtype")
        .or_else(|| params.word("action"))
        .ok_or_else(|| ApiError::invalid("parameter 'subreqtype' is required"))?;
    if known.contains(&sub.as_str()) {
        Ok(sub)
    } else {
        Err(ApiError::invalid(format!(
            "parameter 'subreqtype': '{sub}' is not one of {}",
            known.join(", ")
        )))
    }
}

pub async fn phonebooks(state: &AppState, caller: &Caller, params: &Params) -> ApiResult<Output> {
    let t = caller.require_tenant("PHONEBOOKS")?;
    if params.get("subreqtype").is_some() {
        subreqtype(params, &["list"])?;
    }
    list_phonebooks(&state.db.conn, t).await
}

pub async fn phonebook(state: &AppState, caller: &Caller, params: &Params) -> ApiResult<Output> {
    let t = caller.require_tenant("PHONEBOOK")?;
    let sub = subreqtype(params, &["query", "add", "delete", "cleanall", "getall"])?;
    let name = params.required("phonebook")?;
    let db = &state.db;
    let missing = || {
        ApiError::NotFound(format!(
            "parameter 'phonebook': no phonebook '{}'",
            name.trim()
        ))
    };
    match sub.as_str() {
        "getall" | "query" => {
            let pb = find_phonebook(&db.conn, t, name)
                .await?
                .ok_or_else(missing)?;
            if sub == "getall" {
                return entries(&db.conn, t, pb, Select::All).await;
            }
            let item = match params.get("field") {
                None => None,
                Some(f) => Some(item_id(&items(&db.conn).await?, f, "field")?),
            };
            let pattern = params.required("value")?;
            entries(&db.conn, t, pb, Select::Matching { item, pattern }).await
        }
        "add" => {
            let known = items(&db.conn).await?;
            // `values`, or `jsondata` as the manual sends it (not both: which would win?).
            let (param, text) = match (params.get("values"), params.get("jsondata")) {
                (Some(_), Some(_)) => {
                    return Err(ApiError::invalid(
                        "parameters 'values' and 'jsondata' are the same; give one",
                    ))
                }
                (Some(v), None) => ("values", v),
                (None, Some(j)) => ("jsondata", j),
                (None, None) => {
                    return Err(ApiError::invalid(
                        "parameter 'values' (or 'jsondata') is required",
                    ))
                }
            };
            let new = parse_values(&known, param, text)?;
            let txn = db.begin_write().await?;
            let pb = ensure_phonebook(&*txn, t, name).await?;
            let ids = add_entries(&*txn, t, pb, &new).await?;
            let out = entries(&*txn, t, pb, Select::Ids(&ids)).await?;
            txn.commit().await?;
            Ok(out)
        }
        "delete" | "cleanall" => {
            let only = if sub == "delete" {
                Some(params.required_id("peid")?)
            } else {
                None
            };
            let txn = db.begin_write().await?;
            let pb = find_phonebook(&*txn, t, name).await?.ok_or_else(missing)?;
            let n = delete_entries(&*txn, t, pb, only).await?;
            if let (Some(id), 0) = (only, n) {
                return Err(ApiError::NotFound(format!(
                    "parameter 'peid': no entry {id} in phonebook '{}'",
                    name.trim()
                )));
            }
            txn.commit().await?;
            Ok(Output::Value {
                name: "deleted",
                value: Some(n.to_string()),
            })
        }
        _ => unreachable!("subreqtype checked above"),
    }
}

fn item_id(known: &[(String, i32)], code: &str, what: &str) -> ApiResult<i32> {
    known
        .iter()
        .find(|(c, _)| c.eq_ignore_ascii_case(code.trim()))
        .map(|(_, id)| *id)
        .ok_or_else(|| {
            ApiError::invalid(format!(
                "{what} '{}' is not a phonebook item (use one of {})",
                code.trim(),
                known
                    .iter()
                    .map(|(c, _)| c.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            ))
        })
}

/// `values` → entries as (item id, value) lists; errors name the element and key.
fn parse_values(
    known: &[(String, i32)],
    param: &str,
    text: &str,
) -> ApiResult<Vec<Vec<(i32, String)>>> {
    let json: Json = serde_json::from_str(text)
        .map_err(|e| ApiError::invalid(format!("parameter '{param}' is not valid JSON: {e}")))?;
    let list = match json {
        Json::Object(_) => vec![json],
        Json::Array(list) if !list.is_empty() && list.len() <= MAX_ADD => list,
        _ => {
            return Err(ApiError::invalid(format!(
                "parameter '{param}' must be a JSON object or an array of 1 to {MAX_ADD} objects"
            )))
        }
    };
    list.iter()
        .enumerate()
        .map(|(i, entry)| {
            let at = |what: String| {
                ApiError::invalid(format!("parameter '{param}' element {i}: {what}"))
            };
            let Json::Object(map) = entry else {
                return Err(at("must be an object".into()));
            };
            let mut details = Vec::with_capacity(map.len());
            for (key, value) in map {
                let id = item_id(known, key, "key").map_err(|e| at(e.to_string()))?;
                let value = match value {
                    Json::String(s) => s.trim().to_string(),
                    Json::Number(n) => n.to_string(),
                    _ => return Err(at(format!("'{key}' must be a string"))),
                };
                if crate::text::check_line(&value, 190).is_err() {
                    return Err(at(format!(
                        "'{key}' must be at most 190 characters without control characters"
                    )));
                }
                if details.iter().any(|(d, _)| *d == id) {
                    return Err(at(format!("'{key}' is given twice")));
                }
                if !value.is_empty() {
                    details.push((id, value));
                }
            }
            if details.is_empty() {
                return Err(at("has no values".into()));
            }
            Ok(details)
        })
        .collect()
}
