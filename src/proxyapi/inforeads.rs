//! INFO types read from the database and the nodes' registrations: transcript and
//! voicemailtranscript (no speech-to-text engine: a clear error), config, regstate, pincodes,
//! voicemail, call, outdialed, simpledialed. Every one is the tenant's own (an admin names the
//! tenant with `tenant=`) and readable by read-only keys; PINs are masked for those.

use crate::auth::{Caller, TenantRef};
use crate::cdr::recording;
use crate::cdr::report::{self, Report};
use crate::cluster::live;
use crate::db::CellType;
use crate::error::{ApiError, ApiResult};
use crate::objects::voicemail::{find_box, message_in_box};
use crate::proxyapi::params::Params;
use crate::proxyapi::AppState;
use crate::render::{Output, Table};
use sea_orm::sea_query::{Expr, ExprTrait, Order, Query};

/// Why transcript answers fail while no engine is wired (upstream answers a transcript only
/// when transcription is enabled).
const NO_TRANSCRIPTION: &str =
    "no transcription is configured on this server (no speech-to-text engine)";

/// INFO transcript: `id` = a recording (call uniqueid or DIAL id) of the tenant. A recording
/// that exists answers that no transcription is configured; one that does not is not found.
pub async fn transcript(state: &AppState, caller: &Caller, params: &Params) -> ApiResult<Output> {
    caller.require_tenant("INFO transcript")?;
    let id = params
        .get("id")
        .map(str::trim)
        .filter(|v| !v.is_empty())
        .ok_or_else(|| {
            ApiError::invalid("parameter 'id' (a recording's call uniqueid or DIAL id) is required")
        })?;
    if recording::exists(&state.db, caller, id).await? {
        Err(ApiError::Conflict(format!(
            "INFO transcript: recording '{id}' has no transcript: {NO_TRANSCRIPTION}"
        )))
    } else {
        Err(ApiError::NotFound(format!(
            "parameter 'id': no recording '{id}'"
        )))
    }
}

/// INFO voicemailtranscript: `mailbox` + `msgid` of a message of the tenant, as VOICEMAIL.
pub async fn voicemail_transcript(
    state: &AppState,
    caller: &Caller,
    params: &Params,
) -> ApiResult<Output> {
    caller.require_tenant("INFO voicemailtranscript")?;
    let mb = find_box(&state.db, caller, params.required("mailbox")?, "mailbox").await?;
    let msg = message_in_box(&state.db, &mb, params.required("msgid")?).await?;
    Err(ApiError::Conflict(format!(
        "INFO voicemailtranscript: message {} has no transcript: {NO_TRANSCRIPTION}",
        msg.msg_id
    )))
}

/// INFO config: the tenant's configuration as `name|value` rows: its own fields (limits, the
/// dialplan context its devices use), then every setting's effective value for it.
pub async fn config(state: &AppState, caller: &Caller) -> ApiResult<Output> {
    let t = caller.require_tenant("INFO config")?;
    const FIELDS: [(&str, CellType); 6] = [
        ("te_code", CellType::Text),
        ("te_name", CellType::Text),
        ("te_disabled", CellType::Text),
        ("te_maxchannels", CellType::Int),
        ("te_maxextensions", CellType::Int),
        ("te_maxdids", CellType::Int),
    ];
    let names = FIELDS.map(|(n, _)| n);
    let types = FIELDS.map(|(_, t)| t);
    let mut q = Query::select();
    q.columns(names)
        .from("te_tenants")
        .and_where(Expr::col("te_id").eq(t.id));
    let row = state
        .db
        .read_cells(&q, &types)
        .await?
        .pop()
        .ok_or_else(|| ApiError::NotFound(format!("no tenant {}", t.code)))?;
    let mut table = Table::new(vec!["name".into(), "value".into()]);
    for (name, value) in names.iter().zip(row) {
        table.rows.push(vec![Some(name.to_string()), value]);
    }
    let (_, context) = crate::objects::extension::tenant_context(&state.db.conn, t.id).await?;
    table
        .rows
        .push(vec![Some("te_context".into()), Some(context)]);
    let settings = crate::settings::list(&state.db, caller).await?;
    if let Output::Table(s) = settings {
        // `list` answers code, name, level, type, value, default.
        for mut r in s.rows {
            let value = r.get_mut(4).and_then(Option::take);
            let code = r.into_iter().next().flatten();
            table.rows.push(vec![code, value]);
        }
    }
    Ok(Output::Table(table))
}

/// INFO pincodes: the PINs the tenant's objects hold (voicemail box passwords, conference user
/// and admin PINs, virtual-extension PINs): `type|number|name|pin`. PINs are secrets:
/// `********` for read-only keys.
pub async fn pincodes(state: &AppState, caller: &Caller) -> ApiResult<Output> {
    let t = caller.require_tenant("INFO pincodes")?;
    let text4 = [CellType::Text; 4];
    let mut rows = Vec::new();
    let mut vm = Query::select();
    vm.expr(Expr::val("VOICEMAIL"))
        .columns(["mailbox", "fullname", "password"])
        .from("voicemail_users")
        .and_where(Expr::col("te_id").eq(t.id))
        .and_where(Expr::col("password").ne(""))
        .order_by("mailbox", Order::Asc);
    rows.extend(state.db.read_cells(&vm, &text4).await?);
    for (kind, col) in [("CONFERENCE", "cr_pin"), ("CONFERENCEADMIN", "cr_adminpin")] {
        let mut q = Query::select();
        q.expr(Expr::val(kind))
            .columns(["cr_number", "cr_name", col])
            .from("cr_conferencerooms")
            .and_where(Expr::col("cr_te_id").eq(t.id))
            .and_where(Expr::col(col).ne(""))
            .order_by("cr_number", Order::Asc);
        rows.extend(state.db.read_cells(&q, &text4).await?);
    }
    let mut vx = Query::select();
    vx.expr(Expr::val("VIRTUALEXT"))
        .columns([("ex_extensions", "ex_number"), ("ex_extensions", "ex_name")])
        .column(("vx_virtualexts", "vx_pin"))
        .from("vx_virtualexts")
        .inner_join(
            "ex_extensions",
            Expr::col(("ex_extensions", "ex_id")).equals(("vx_virtualexts", "vx_ex_id")),
        )
        .and_where(Expr::col(("vx_virtualexts", "vx_te_id")).eq(t.id))
        .and_where(Expr::col(("ex_extensions", "ex_te_id")).eq(t.id))
        .and_where(Expr::col(("vx_virtualexts", "vx_pin")).ne(""))
        .order_by(("ex_extensions", "ex_number"), Order::Asc);
    rows.extend(state.db.read_cells(&vx, &text4).await?);
    if caller.principal.read_only {
        for r in &mut rows {
            crate::render::mask(&mut r[3]);
        }
    }
    let mut table = Table::new(["type", "number", "name", "pin"].map(String::from).to_vec());
    table.rows = rows;
    Ok(Output::Table(table))
}

/// INFO voicemail: the tenant's boxes (`mailbox` = one) with their message counts:
/// `mailbox|fullname|email|new|old|other|total`; new = INBOX and Urgent, old = Old, other =
/// the remaining folders.
pub async fn voicemail(state: &AppState, caller: &Caller, params: &Params) -> ApiResult<Output> {
    let t = caller.require_tenant("INFO voicemail")?;
    let only = match params.get("mailbox") {
        Some(m) => Some(find_box(&state.db, caller, m, "mailbox").await?.mailbox),
        None => None,
    };
    let mut boxes = Query::select();
    boxes
        .columns(["mailbox", "fullname", "email"])
        .from("voicemail_users")
        .and_where(Expr::col("te_id").eq(t.id))
        .order_by("mailbox", Order::Asc);
    let mut msgs = Query::select();
    msgs.columns(["mailboxuser", "dir"])
        .from("voicemail_messages")
        .and_where(Expr::col("te_id").eq(t.id));
    if let Some(m) = &only {
        boxes.and_where(Expr::col("mailbox").eq(m.as_str()));
        msgs.and_where(Expr::col("mailboxuser").eq(m.as_str()));
    }
    let boxes = state.db.read_cells(&boxes, &[CellType::Text; 3]).await?;
    let msgs = state.db.read_cells(&msgs, &[CellType::Text; 2]).await?;
    let mut table = Table::new(
        [
            "mailbox", "fullname", "email", "new", "old", "other", "total",
        ]
        .map(String::from)
        .to_vec(),
    );
    for b in boxes {
        let mut counts = [0u64; 3];
        for m in msgs.iter().filter(|m| m[0] == b[0]) {
            let i = match m[1].as_deref().unwrap_or("") {
                "INBOX" | "Urgent" => 0,
                "Old" => 1,
                _ => 2,
            };
            counts[i] += 1;
        }
        let mut row = b;
        row.extend(counts.iter().map(|c| Some(c.to_string())));
        row.push(Some(counts.iter().sum::<u64>().to_string()));
        table.rows.push(row);
    }
    Ok(Output::Table(table))
}

/// The calls this server originated (DIAL): the rows of outdialed, simpledialed and call.
const DIALED: Report = Report {
    table: "dc_dialcalls",
    tenant_col: "dc_te_id",
    time_col: "dc_created",
    id_col: "dc_id",
    filters: &[
        report::text("id", &["dc_originateid"]),
        report::text("uniqueid", &["dc_uniqueid"]),
        report::text("source", &["dc_source"]),
        report::text("dest", &["dc_dest"]),
        report::text("state", &["dc_state"]),
        report::text("phone", &["dc_source", "dc_dest"]),
    ],
};

const OUTDIALED_COLUMNS: &[&str] = &[
    "dc_originateid",
    "dc_created",
    "dc_source",
    "dc_dest",
    "dc_state",
    "dc_reason",
    "dc_uniqueid",
    "dc_channel",
    "dc_node",
    "dc_updated",
];

const SIMPLEDIALED_COLUMNS: &[&str] = &[
    "dc_created",
    "dc_source",
    "dc_dest",
    "dc_state",
    "dc_originateid",
];

fn dialed_type(col: &str) -> CellType {
    match col {
        "dc_created" | "dc_updated" => CellType::DateTime,
        "dc_reason" => CellType::Int,
        _ => CellType::Text,
    }
}

/// INFO outdialed (every column) and simpledialed (the short form): the tenant's DIAL calls,
/// oldest first, `start`/`end` on their creation in the tenant's TIMEZONE, filters `id` (DIAL
/// id), `uniqueid`, `source`, `dest`, `state`, `phone` (source or dest).
pub async fn dialed(
    state: &AppState,
    caller: &Caller,
    params: &Params,
    simple: bool,
) -> ApiResult<Output> {
    caller.require_tenant(if simple {
        "INFO simpledialed"
    } else {
        "INFO outdialed"
    })?;
    let query = params.report(&DIALED, super::report_zone(state, caller).await?)?;
    let columns = if simple {
        SIMPLEDIALED_COLUMNS
    } else {
        OUTDIALED_COLUMNS
    };
    let mut q = Query::select();
    q.columns(columns.iter().map(|c| (DIALED.table, *c)))
        .from(DIALED.table)
        .cond_where(report::conditions(&DIALED, caller, &query, query.zone));
    report::ordered(&DIALED, &mut q);
    let types: Vec<CellType> = columns.iter().map(|c| dialed_type(c)).collect();
    let names = columns.iter().map(|c| c.to_string()).collect();
    Ok(Output::Stream(
        report::stream(&state.db, q, names, &types, None, query.zone).await?,
    ))
}

/// INFO call: one DIAL call by `id` (its DIAL id, or the uniqueid of its channel), with the
/// outdialed columns; its state follows the call (sent, queued, answered, failed, …).
pub async fn call(state: &AppState, caller: &Caller, params: &Params) -> ApiResult<Output> {
    let t: &TenantRef = caller.require_tenant("INFO call")?;
    let id = params
        .get("id")
        .map(str::trim)
        .filter(|v| !v.is_empty())
        .ok_or_else(|| {
            ApiError::invalid("parameter 'id' (a DIAL id or a call uniqueid) is required")
        })?;
    let mut q = Query::select();
    q.columns(OUTDIALED_COLUMNS.iter().copied())
        .from(DIALED.table)
        .and_where(Expr::col("dc_te_id").eq(t.id))
        .and_where(
            Expr::col("dc_originateid")
                .eq(id)
                .or(Expr::col("dc_uniqueid").eq(id)),
        )
        .order_by("dc_id", Order::Asc);
    let types: Vec<CellType> = OUTDIALED_COLUMNS.iter().map(|c| dialed_type(c)).collect();
    let mut row = state
        .db
        .read_cells(&q, &types)
        .await?
        .into_iter()
        .next()
        .ok_or_else(|| {
            ApiError::NotFound(format!(
                "parameter 'id': no call '{id}' in tenant {}",
                t.code
            ))
        })?;
    let zone = super::report_zone(state, caller).await?;
    for (cell, ty) in row.iter_mut().zip(&types) {
        if *ty == CellType::DateTime {
            crate::time::localize_cell(cell, zone);
        }
    }
    let mut table = Table::new(OUTDIALED_COLUMNS.iter().map(|c| c.to_string()).collect());
    table.rows.push(row);
    Ok(Output::Table(table))
}

/// INFO regstate: the registration of the tenant's devices (`ext` = one extension) on its
/// nodes: `ex_number|ex_username|ex_tech|state|contacts|nodes`. state: `Registered` (a contact
/// reachable, or registered and not qualified), `Unreachable` (contacts that failed their
/// qualify), `Unregistered`; chan_sip devices answer `Unknown` (PJSIPShowContacts does not see
/// them). Nodes that do not answer are named.
pub async fn regstate(state: &AppState, caller: &Caller, params: &Params) -> ApiResult<Output> {
    let t = caller.require_tenant("INFO regstate")?;
    let mut q = Query::select();
    q.columns(["ex_number", "ex_username", "ex_tech"])
        .from("ex_extensions")
        .and_where(Expr::col("ex_te_id").eq(t.id))
        .and_where(Expr::col("ex_tech").is_in(["PJSIP", "SIP"]))
        .order_by("ex_number", Order::Asc);
    if let Some(ext) = params.get("ext").or(params.get("number")) {
        let ext = super::live::extension(state, t, "ext", ext).await?;
        q.and_where(Expr::col("ex_id").eq(ext.ex_id));
    }
    let devices = state.db.read_cells(&q, &[CellType::Text; 3]).await?;
    let nodes = live::nodes_for(&state.cluster, Some(t.id)).await?;
    let answers = live::contacts(&state.cluster, &nodes).await;
    let mut table = Table::new(
        [
            "ex_number",
            "ex_username",
            "ex_tech",
            "state",
            "contacts",
            "nodes",
        ]
        .map(String::from)
        .to_vec(),
    );
    for d in devices {
        let user = d[1].clone().unwrap_or_default();
        let mut found = 0usize;
        let mut reachable = false;
        let mut on: Vec<&str> = Vec::new();
        for (node, resp) in &answers.ok {
            for c in resp
                .events
                .iter()
                .filter(|e| e.get("Endpoint") == Some(user.as_str()))
            {
                found += 1;
                reachable |= live::counts_as_peer(c);
                if !on.contains(&node.name.as_str()) {
                    on.push(&node.name);
                }
            }
        }
        let state = match (d[2].as_deref(), found, reachable) {
            (Some("SIP"), _, _) => "Unknown",
            (_, _, true) => "Registered",
            (_, 0, _) => "Unregistered",
            _ => "Unreachable",
        };
        let mut row = d;
        row.push(Some(state.into()));
        row.push(Some(found.to_string()));
        row.push(Some(on.join(",")));
        table.rows.push(row);
    }
    Ok(super::live::partial(Output::Table(table), answers.missing))
}
