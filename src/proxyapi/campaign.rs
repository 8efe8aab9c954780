//! `reqtype=CAMPAIGN`: the parameters of each action (see [`crate::calls::campaign`]).

use crate::ami::HeaderValue;
use crate::auth::{Caller, TenantRef};
use crate::calls::campaign::{self, NewCampaign, Target, STATES};
use crate::calls::PhoneNumber;
use crate::error::{ApiError, ApiResult};
use crate::proxyapi::params::Params;
use crate::proxyapi::AppState;
use crate::render::Output;
use entity::cp_campaigns as cp;

pub async fn handle(state: &AppState, caller: &Caller, p: &Params) -> ApiResult<Output> {
    let action = p.word("action").unwrap_or_else(|| "list".into());
    let t = caller.require_tenant("CAMPAIGN")?;
    let db = &state.db;
    match action.as_str() {
        "add" => add(state, t, p).await,
        "list" => campaign::list(db, t, None).await,
        "get" => {
            let c = named(state, t, p).await?;
            campaign::list(db, t, Some(c.cp_id)).await
        }
        "delete" => {
            let c = named(state, t, p).await?;
            campaign::delete(db, &c).await?;
            Ok(Output::Text("OK".into()))
        }
        "start" | "stop" | "pause" | "resume" => {
            let c = named(state, t, p).await?;
            campaign::set_state(db, &c, &action).await
        }
        "numbers" => {
            let c = named(state, t, p).await?;
            campaign::numbers(db, t, &c, state_param(p)?.as_deref()).await
        }
        "addnumbers" => {
            let c = named(state, t, p).await?;
            let numbers = numbers_param(p.required("numbers")?)?;
            campaign::add_numbers(db, t, &c, &numbers).await
        }
        "cleannumbers" => {
            let c = named(state, t, p).await?;
            campaign::clean_numbers(db, &c, state_param(p)?.as_deref()).await
        }
        other => Err(ApiError::invalid(format!(
            "parameter 'action': '{other}' is not one of add, list, get, delete, start, stop, \
             pause, resume, numbers, addnumbers, cleannumbers"
        ))),
    }
}

/// An integer parameter within bounds, or its default.
fn bounded(p: &Params, name: &str, lo: i32, hi: i32, default: i32) -> ApiResult<i32> {
    match p.get(name) {
        None => Ok(default),
        Some(v) => v
            .trim()
            .parse::<i32>()
            .ok()
            .filter(|n| (lo..=hi).contains(n))
            .ok_or_else(|| {
                ApiError::invalid(format!(
                    "parameter '{name}' must be a number from {lo} to {hi}"
                ))
            }),
    }
}

async fn add(state: &AppState, t: &TenantRef, p: &Params) -> ApiResult<Output> {
    let name = p.required("name")?.trim();
    if name.is_empty() || name.chars().count() > 80 || name.chars().any(char::is_control) {
        return Err(ApiError::invalid(
            "parameter 'name' must be 1 to 80 characters without control characters",
        ));
    }
    let source = p.required_word("source")?;
    let target = p.required("target")?.trim();
    let (source, target) = match source.as_str() {
        "queue" => {
            let id: i32 = target.parse().map_err(|_| {
                ApiError::invalid("parameter 'target' must be a queue id for source=queue")
            })?;
            ("queue", Target::Queue(id))
        }
        "extension" => (
            "extension",
            Target::Extension(PhoneNumber::parse("target", target)?.to_string()),
        ),
        other => {
            return Err(ApiError::invalid(format!(
                "parameter 'source': '{other}' is not one of queue, extension"
            )))
        }
    };
    let target = campaign::resolve_target(&state.db, t, &target).await?;
    let callerid = HeaderValue::new("callerid", p.get("callerid").unwrap_or(""), 80)?;
    let new = NewCampaign {
        name: name.to_string(),
        source,
        target,
        callerid: callerid.as_str().to_string(),
        maxcalls: bounded(p, "maxcalls", 1, 100, 1)?,
        maxattempts: bounded(p, "maxattempts", 1, 10, 1)?,
        dialtimeout: bounded(p, "dialtimeout", 5, 120, 30)?,
    };
    campaign::add(&state.db, t, new).await
}

/// The tenant's campaign named by `id`.
async fn named(state: &AppState, t: &TenantRef, p: &Params) -> ApiResult<cp::Model> {
    let id = p
        .id("id")?
        .ok_or_else(|| ApiError::invalid("parameter 'id' is required"))?;
    campaign::campaign(&state.db, t, id).await
}

fn state_param(p: &Params) -> ApiResult<Option<String>> {
    match p.word("state") {
        None => Ok(None),
        Some(s) if STATES.contains(&s.as_str()) => Ok(Some(s)),
        Some(s) => Err(ApiError::invalid(format!(
            "parameter 'state': '{s}' is not one of {}",
            STATES.join(", ")
        ))),
    }
}

/// `numbers`: separated by commas, spaces or new lines; at most [`campaign::MAX_ADD`].
fn numbers_param(text: &str) -> ApiResult<Vec<PhoneNumber>> {
    let given: Vec<&str> = text
        .split([',', ' ', '\n', '\r', '\t', ';'])
        .filter(|s| !s.is_empty())
        .collect();
    if given.len() > campaign::MAX_ADD {
        return Err(ApiError::invalid(format!(
            "parameter 'numbers': at most {} numbers at a time",
            campaign::MAX_ADD
        )));
    }
    given
        .into_iter()
        .map(|n| PhoneNumber::parse("numbers", n))
        .collect()
}
