//! `reqtype=INFO`: read-only reports.

use crate::auth::Caller;
use crate::cdr::{ivrlog, recording};
use crate::db::CellType;
use crate::error::{ApiError, ApiResult};
use crate::proxyapi::cdr;
use crate::proxyapi::params::Params;
use crate::proxyapi::AppState;
use crate::render::{Output, Table};
use sea_orm::sea_query::{Expr, ExprTrait, Func, Order, Query};

/// INFO types of the upstream API that this server does not serve yet.

pub async fn handle(state: &AppState, caller: &Caller, params: &Params) -> ApiResult<Output> {
    let info = params.required_word("info")?;
    match info.as_str() {
        "extensions" => extensions(state, caller, params).await,
        "dids" => dids(state, caller).await,
        "version" => Ok(Output::Value {
            name: "version",
            value: Some(format!("Switchboard {}", env!("CARGO_PKG_VERSION"))),
        }),
        "tenants" => tenants(state).await,
        "nodes" => crate::proxyapi::live::info_nodes(state).await,
        "balance" => crate::proxyapi::account::info_balance(state, caller).await,
        "cdrs" => cdr::cdrs(state, caller, params).await,
        "simplecdrs" => cdr::simplecdrs(state, caller, params).await,
        "queuelogs" => cdr::queuelogs(state, caller, params).await,
        "sms" => crate::proxyapi::peers::info_sms(state, caller, params).await,
        "flow" => crate::proxyapi::flows::info(state, caller, params).await,
        "variable" => crate::proxyapi::peers::info_variable(state, caller, params).await,
        "extstate" => crate::proxyapi::live::extstate(state, caller, params).await,
        "fax" => crate::proxyapi::fax::list(state, caller, params).await,
        "queues" => crate::proxyapi::queues::info_queues(state, caller).await,
        "agents" => crate::proxyapi::queues::info_agents(state, caller, params).await,
        "queue" => crate::proxyapi::queuestats::queue(state, caller, params).await,
        "agentsconnected" => {
            crate::proxyapi::queuestats::agents_connected(state, caller, params).await
        }
        "agentsdelay" => crate::proxyapi::queuestats::agents_delay(state, caller, params).await,
        "outdialed" => crate::proxyapi::inforeads::dialed(state, caller, params, false).await,
        "simpledialed" => crate::proxyapi::inforeads::dialed(state, caller, params, true).await,
        "call" => crate::proxyapi::inforeads::call(state, caller, params).await,
        "transcript" => crate::proxyapi::inforeads::transcript(state, caller, params).await,
        "voicemail" => crate::proxyapi::inforeads::voicemail(state, caller, params).await,
        "voicemailtranscript" => {
            crate::proxyapi::inforeads::voicemail_transcript(state, caller, params).await
        }
        "pincodes" => crate::proxyapi::inforeads::pincodes(state, caller).await,
        "regstate" => crate::proxyapi::inforeads::regstate(state, caller, params).await,
        "config" => crate::proxyapi::inforeads::config(state, caller).await,
        "queuecallers" => crate::proxyapi::queues::info_queuecallers(state, caller, params).await,
        "recordings" => {
            let query = params.report(
                &recording::RECORDINGS,
                super::report_zone(state, caller).await?,
            )?;
            Ok(Output::Stream(
                recording::list(&state.db, caller, &query).await?,
            ))
        }
        "recording" | "playrecording" => {
            let root = &state.config.recordings_dir;
            let id = recording_id(params)?;
            recording::file(&state.db, root, caller, &id, info == "playrecording").await
        }
        "inforecording" => recording::info(&state.db, caller, &recording_id(params)?).await,
        "ivrlogs" => {
            let query =
                params.report(&ivrlog::IVRLOGS, super::report_zone(state, caller).await?)?;
            Ok(Output::Stream(
                ivrlog::list(&state.db, caller, &query).await?,
            ))
        }
        other => Err(ApiError::invalid(format!(
            "parameter 'info': unknown info type '{other}'"
        ))),
    }
}

/// The recording a request names by `id` (upstream's literal error names it too).
fn recording_id(params: &Params) -> ApiResult<String> {
    params
        .get("id")
        .map(|v| v.trim().to_string())
        .filter(|v| !v.is_empty())
        .ok_or_else(|| {
            ApiError::invalid("No id specified (parameter 'id': a call uniqueid or a DIAL id)")
        })
}

/// Cell types of a result of `width` text columns with integers at `ints`.
fn text_with_ints(width: usize, ints: &[usize]) -> Vec<CellType> {
    (0..width)
        .map(|i| {
            if ints.contains(&i) {
                CellType::Int
            } else {
                CellType::Text
            }
        })
        .collect()
}

async fn extensions(state: &AppState, caller: &Caller, params: &Params) -> ApiResult<Output> {
    let mut q = Query::select();
    q.columns([
        ("ex_extensions", "ex_number"),
        ("ex_extensions", "ex_name"),
        ("ex_extensions", "ex_tech"),
    ])
    .expr(Expr::val("Unknown"))
    .column(("ex_extensions", "ex_username"))
    .expr(Func::coalesce([
        Expr::col(("ps_auths", "password")),
        Expr::col(("sippeers", "secret")),
    ]))
    .from("ex_extensions")
    .left_join(
        "ps_auths",
        Expr::col(("ps_auths", "id")).equals(("ex_extensions", "ex_username")),
    )
    .left_join(
        "sippeers",
        Expr::col(("sippeers", "name")).equals(("ex_extensions", "ex_username")),
    )
    .order_by(("ex_extensions", "ex_te_id"), Order::Asc)
    .order_by(("ex_extensions", "ex_id"), Order::Asc);
    if let Some(t) = &caller.tenant {
        q.and_where(Expr::col(("ex_extensions", "ex_te_id")).eq(t.id));
    }
    if let Some(id) = params.id("id")? {
        q.and_where(Expr::col(("ex_extensions", "ex_id")).eq(id));
    }
    if let Some(number) = params.get("number") {
        q.and_where(Expr::col(("ex_extensions", "ex_number")).eq(number.trim()));
    }
    let mut table = Table::new(
        [
            "ex_number",
            "ex_name",
            "ex_tech",
            "state",
            "ex_username",
            "password",
        ]
        .map(String::from)
        .to_vec(),
    )
    .with_plain_header("Number|Name|Tech|State|Username|Password");
    table.rows = state.db.read_cells(&q, &text_with_ints(6, &[])).await?;
    if caller.principal.read_only {
        for row in &mut table.rows {
            crate::render::mask(&mut row[5]);
        }
    }
    Ok(Output::Table(table))
}

async fn dids(state: &AppState, caller: &Caller) -> ApiResult<Output> {
    let d = |c: &'static str| ("di_dids", c);
    let mut q = Query::select();
    q.columns([d("di_country"), d("di_area"), d("di_number")])
        .column(("te_tenants", "te_code"))
        .columns([
            d("di_comment"),
            d("di_recording"),
            d("di_faxstationid"),
            d("di_fax_email"),
        ])
        .column(d("di_maxchannels"))
        .columns([d("di_recording_email"), d("di_sms_email")])
        .from("di_dids")
        .inner_join(
            "te_tenants",
            Expr::col(("te_tenants", "te_id")).equals(d("di_te_id")),
        )
        .order_by(d("di_id"), Order::Asc);
    if let Some(t) = &caller.tenant {
        q.and_where(Expr::col(d("di_te_id")).eq(t.id));
    }
    let columns = [
        "di_country",
        "di_area",
        "di_number",
        "te_code",
        "di_comment",
        "di_recording",
        "di_faxstationid",
        "di_fax_email",
        "di_maxchannels",
        "di_recording_email",
        "di_sms_email",
    ];
    let mut table = Table::new(columns.map(String::from).to_vec()).with_plain_header(
        "Country|Area|Number|Tenant|Comment|Recording|Faxstation ID|FAX Email|Max Channels|Recording EMail|SMS Email",
    );
    table.rows = state
        .db
        .read_cells(&q, &text_with_ints(columns.len(), &[8]))
        .await?;
    Ok(Output::Table(table))
}

async fn tenants(state: &AppState) -> ApiResult<Output> {
    let mut q = Query::select();
    q.columns([
        "te_id",
        "te_code",
        "te_name",
        "te_disabled",
        "te_maxchannels",
        "te_maxextensions",
        "te_maxdids",
    ])
    .from("te_tenants")
    .order_by("te_id", Order::Asc);
    let columns = [
        "te_id",
        "te_code",
        "te_name",
        "te_disabled",
        "te_maxchannels",
        "te_maxextensions",
        "te_maxdids",
    ];
    let mut table = Table::new(columns.map(String::from).to_vec());
    table.rows = state
        .db
        .read_cells(&q, &text_with_ints(columns.len(), &[0, 4, 5, 6]))
        .await?;
    Ok(Output::Table(table))
}
