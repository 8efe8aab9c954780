//! BAN (admin keys): the source addresses banned on every node (see [`crate::cluster::bans`]).
//! `action=list` (default), `action=add&address=…[&seconds=N][&cause=…]` (seconds 0: until
//! lifted; none: the server's automatic ban length), `action=remove&address=…`.

use crate::auth::Caller;
use crate::cluster::bans;
use crate::error::{ApiError, ApiResult};
use crate::proxyapi::params::Params;
use crate::proxyapi::AppState;
use crate::render::{Output, Table};
use std::time::Duration;

const COLUMNS: &[&str] = &["address", "cause", "events", "by", "created", "until"];

pub async fn handle(state: &AppState, caller: &Caller, p: &Params) -> ApiResult<Output> {
    caller.require_admin()?;
    let conn = &state.db.conn;
    let by = format!("api key {}", caller.principal.key_id);
    match p.word("action").as_deref().unwrap_or("list") {
        "list" => {
            let mut table = Table::new(COLUMNS.iter().map(|c| c.to_string()).collect());
            table.rows = bans::active(conn)
                .await?
                .into_iter()
                .map(|b| {
                    vec![
                        Some(b.bn_address),
                        Some(b.bn_cause),
                        Some(b.bn_events.to_string()),
                        Some(b.bn_by),
                        Some(crate::time::timestamp_text(b.bn_created)),
                        b.bn_until.map(crate::time::timestamp_text),
                    ]
                })
                .collect();
            Ok(Output::Table(table))
        }
        "add" => {
            let addr = bans::parse_address("address", p.required("address")?)?;
            let ban_for = match p.get("seconds").map(str::trim) {
                None | Some("") => state.config.bans.ban_for,
                Some(s) => match s.parse::<u64>() {
                    Ok(0) => None,
                    Ok(n) if n <= 10 * 365 * 86_400 => Some(Duration::from_secs(n)),
                    _ => {
                        return Err(ApiError::invalid(
                            "parameter 'seconds' must be 0 (until lifted) or a number of seconds up to ten years",
                        ))
                    }
                },
            };
            let cause = p.get("cause").unwrap_or("added by an operator");
            if cause.chars().count() > 255 {
                return Err(ApiError::invalid(
                    "parameter 'cause' must be at most 255 characters",
                ));
            }
            if !bans::ban(conn, addr, cause, 0, &by, ban_for).await? {
                return Err(ApiError::invalid(format!(
                    "parameter 'address': {addr} is already banned"
                )));
            }
            Ok(Output::Text("OK".into()))
        }
        "remove" => {
            let addr = bans::parse_address("address", p.required("address")?)?;
            if !bans::lift(conn, addr, &by).await? {
                return Err(ApiError::NotFound(format!(
                    "parameter 'address': {addr} is not banned"
                )));
            }
            Ok(Output::Text("OK".into()))
        }
        other => Err(ApiError::invalid(format!(
            "parameter 'action' must be list, add or remove, not '{other}'"
        ))),
    }
}
