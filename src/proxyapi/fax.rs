//! `reqtype=FAX`: `action=send|list|download`; INFO `fax` (see [`crate::calls::fax`]).

use crate::ami::HeaderValue;
use crate::auth::{Caller, TenantRef};
use crate::calls::fax::{self, Document, Filter, Outgoing};
use crate::calls::PhoneNumber;
use crate::error::{ApiError, ApiResult};
use crate::proxyapi::params::Params;
use crate::proxyapi::AppState;
use crate::render::Output;

pub async fn handle(state: &AppState, caller: &Caller, p: &Params) -> ApiResult<Output> {
    match p.word("action").as_deref().unwrap_or("list") {
        "send" => send(state, caller, p).await,
        "list" => list(state, caller, p).await,
        "download" => {
            let id = p
                .id("id")?
                .ok_or_else(|| ApiError::invalid("parameter 'id' is required"))?;
            let dir = state.config.fax_dir();
            fax::download(&state.db, &dir, caller.tenant.as_ref(), id).await
        }
        other => Err(ApiError::invalid(format!(
            "parameter 'action': '{other}' is not one of send, list, download"
        ))),
    }
}

fn tenant(caller: &Caller) -> ApiResult<&TenantRef> {
    caller.require_tenant("FAX send")
}

async fn send(state: &AppState, caller: &Caller, p: &Params) -> ApiResult<Output> {
    let t = tenant(caller)?;
    let upload = p.files.get("filename").ok_or_else(|| {
        ApiError::invalid("parameter 'filename' (a PDF or TIFF file) is required")
    })?;
    let document = Document::read(upload).await?;
    // `dest_number` / `source_number`: the manual's multipart example spells them so.
    let (name, value) = ["number", "dest", "dest_number"]
        .into_iter()
        .find_map(|n| p.get(n).map(|v| (n, v)))
        .unwrap_or(("number", ""));
    let number = PhoneNumber::parse(name, value)?;
    let (name, value) = ["callerid", "source_number"]
        .into_iter()
        .find_map(|n| p.get(n).map(|v| (n, v)))
        .unwrap_or(("callerid", ""));
    let callerid = HeaderValue::new(name, value, 80)?;
    let stationid = HeaderValue::in_variable("stationid", p.get("stationid").unwrap_or(""), 20)?;
    let outgoing = Outgoing {
        document,
        number: &number,
        callerid: callerid.as_str(),
        stationid: stationid.as_str(),
        server: p.get("server"),
    };
    let dir = state.config.fax_dir();
    let sent = fax::send(&state.db, &state.cluster, &dir, t, outgoing).await?;
    let zone = super::report_zone(state, caller).await?;
    Ok(Output::Table(sent.localize(TIMES, zone)))
}

/// The times of a fax row, printed in the caller's zone.
const TIMES: &[&str] = &["fx_created", "fx_updated"];

/// The caller's faxes (an admin without `tenant=`: every tenant's), newest first; `id`,
/// `status` and `direction` filter.
pub async fn list(state: &AppState, caller: &Caller, p: &Params) -> ApiResult<Output> {
    let filter = Filter {
        id: p.id("id")?,
        status: p.get("status").map(str::to_string),
        direction: p.get("direction").map(str::to_string),
    };
    let zone = super::report_zone(state, caller).await?;
    let list = fax::list(&state.db, caller.tenant.as_ref(), &filter).await?;
    Ok(Output::Table(list.localize(TIMES, zone)))
}
