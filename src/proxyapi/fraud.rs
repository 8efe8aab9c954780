//! `reqtype=FRAUD` (admin): `action=events`, the outbound calls the toll-fraud guards refused
//! (class or limit), newest first; `tenant=` narrows to one tenant, `limit` (1–1000, default
//! 100) caps the rows.

use crate::auth::Caller;
use crate::error::{ApiError, ApiResult};
use crate::output::{Output, Table};
use crate::proxyapi::params::Params;
use crate::proxyapi::AppState;
use crate::routing::guard;

pub async fn handle(state: &AppState, caller: &Caller, params: &Params) -> ApiResult<Output> {
    let action = params.word("action").unwrap_or_else(|| "events".into());
    if action != "events" {
        return Err(ApiError::invalid(format!(
            "parameter 'action': '{action}' is not one of events"
        )));
    }
    let limit = match params.get("limit") {
        None => 100,
        Some(v) => match v.trim().parse::<u64>() {
            Ok(n) if (1..=1000).contains(&n) => n,
            _ => {
                return Err(ApiError::invalid(
                    "parameter 'limit': must be a whole number from 1 to 1000",
                ))
            }
        },
    };
    let te = caller.tenant.as_ref().map(|t| t.id);
    let rows = guard::events(&state.db.conn, te, limit).await?;
    let mut table = Table::new(
        [
            "id",
            "te_id",
            "extension",
            "number",
            "cause",
            "reason",
            "at",
        ]
        .map(String::from)
        .to_vec(),
    );
    for e in rows {
        table.rows.push(vec![
            Some(e.id.to_string()),
            Some(e.te_id.to_string()),
            Some(e.extension),
            Some(e.number),
            Some(e.cause),
            Some(e.reason),
            Some(e.at.format("%Y-%m-%d %H:%M:%S").to_string()),
        ]);
    }
    Ok(Output::Table(table))
}
