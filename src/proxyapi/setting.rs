//! `reqtype=SETTING`: `action=get|set|reset|list`, the setting named by `code` or `name`
//! (either matches the code or the label, case-insensitively), `value` for `set`.

use crate::auth::Caller;
use crate::error::{ApiError, ApiResult};
use crate::proxyapi::params::Params;
use crate::proxyapi::AppState;
use crate::render::Output;
use crate::settings::{self, find, Setting, SETTINGS};

fn named(params: &Params) -> ApiResult<&'static Setting> {
    let (param, given) = match (params.get("code"), params.get("name")) {
        (Some(c), _) => ("code", c),
        (None, Some(n)) => ("name", n),
        (None, None) => {
            return Err(ApiError::invalid(
                "parameter 'code' (or 'name') is required",
            ))
        }
    };
    find(given).ok_or_else(|| {
        ApiError::invalid(format!(
            "parameter '{param}': unknown setting '{}' (known: {})",
            given.trim(),
            SETTINGS
                .iter()
                .map(|s| s.code)
                .collect::<Vec<_>>()
                .join(", ")
        ))
    })
}

fn answer(s: &'static Setting, value: String) -> Output {
    Output::Value {
        name: s.code,
        value: Some(value),
    }
}

/// `extension=`: the value of one extension of the tenant (per-extension settings only).
async fn ext_key(
    state: &AppState,
    caller: &Caller,
    params: &Params,
    s: &Setting,
) -> ApiResult<Option<String>> {
    match params.get("extension") {
        Some(n) => Ok(Some(
            settings::extension_key(&state.db.conn, caller, s, n).await?,
        )),
        None => Ok(None),
    }
}

pub async fn handle(state: &AppState, caller: &Caller, params: &Params) -> ApiResult<Output> {
    let action = params.word("action").unwrap_or_else(|| "get".into());
    let db = &state.db;
    let tenant = caller.tenant.as_ref().map(|t| t.id);
    match action.as_str() {
        "get" => {
            let s = named(params)?;
            let key = ext_key(state, caller, params, s).await?;
            let v = settings::effective_for(&db.conn, s, tenant, key.as_deref()).await?;
            Ok(answer(s, v))
        }
        "list" => settings::list(db, caller).await,
        "set" | "reset" => {
            let s = named(params)?;
            settings::target(caller, s, true)?;
            let key = ext_key(state, caller, params, s).await?;
            let value = match action.as_str() {
                "set" => Some(
                    params
                        .get("value")
                        .ok_or_else(|| ApiError::invalid("parameter 'value' is required"))?,
                ),
                _ => None,
            };
            Ok(answer(
                s,
                settings::change(db, caller, s, key.as_deref(), value).await?,
            ))
        }
        other => Err(ApiError::invalid(format!(
            "parameter 'action': '{other}' is not one of get, set, reset, list"
        ))),
    }
}
