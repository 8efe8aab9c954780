//! The live reqtypes (spec §5): calls, channels, queues, agents, DND, peers — answered by the
//! Asterisk nodes over AMI. A tenant key only sees and touches its own channels (those of its
//! stored devices or its context: [`crate::device::Visible`]). Where a node does not answer, reads answer from the
//! nodes that did and name the missing ones ([`Output::Partial`]).

use crate::ami::{Action, AmiError, HeaderValue, Variable};
use crate::auth::{Caller, TenantRef};
use crate::calls::PhoneNumber;
use crate::cluster::live::{self, ask_all, channel_device, nodes_for, LiveChannel};
use crate::cluster::{outbox, Node};
use crate::device::{DeviceName, Visible};
use crate::error::{internal, ApiError, ApiResult};
use crate::proxyapi::params::Params;
use crate::proxyapi::AppState;
use crate::proxyapi::{peers, queues};
use crate::render::{Output, Table};
use entity::{dc_dialcalls, ex_extensions, qu_queues};
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, QuerySelect, Set};
use serde_json::{json, Map, Value};

mod channels;
mod dial;
mod dnd;
mod queue;

pub(crate) use channels::send_to;
pub use channels::{channels, hangup, transfer};
pub use dial::{dial, refused as dial_refused};
pub use dnd::dnd;
pub use queue::{agent, queue};
pub(crate) use queue::{members, on_every_node, queue_events, tenant_queue, tenant_queue_by_param};

/// Live data plus the nodes that did not answer.
pub(crate) fn partial(out: Output, missing: Vec<String>) -> Output {
    if missing.is_empty() {
        out
    } else {
        Output::Partial {
            out: Box::new(out),
            missing,
        }
    }
}

/// `Success|<message>|[<id>|]` in plain, `{"Response":"Success","Message":…[,"ID":…]}` in json.
pub(crate) fn success(message: &str, id: Option<&str>) -> Output {
    let mut obj = Map::new();
    obj.insert("Response".into(), json!("Success"));
    obj.insert("Message".into(), json!(message));
    let mut plain = format!("Success|{message}|");
    if let Some(id) = id {
        obj.insert("ID".into(), json!(id));
        plain.push_str(id);
        plain.push('|');
    }
    Output::Reply {
        plain,
        json: Value::Object(obj),
    }
}

/// An extension of the tenant by number (also accepts `103-TENANT`).
pub(crate) async fn extension(
    state: &AppState,
    t: &TenantRef,
    name: &str,
    value: &str,
) -> ApiResult<ex_extensions::Model> {
    let value = value.trim();
    let num = match DeviceName::parse(value) {
        Some(d) if d.code().eq_ignore_ascii_case(&t.code) => d.number(),
        Some(_) => {
            return Err(ApiError::NotFound(format!(
                "parameter '{name}': no extension {value} in tenant {}",
                t.code
            )))
        }
        None => value,
    };
    PhoneNumber::parse(name, num)?;
    ex_extensions::Entity::find()
        .filter(ex_extensions::Column::ExTeId.eq(t.id))
        .filter(ex_extensions::Column::ExNumber.eq(num))
        .one(&state.db.conn)
        .await?
        .ok_or_else(|| {
            ApiError::NotFound(format!(
                "parameter '{name}': no extension {num} in tenant {}",
                t.code
            ))
        })
}

/// The device an extension rings: `PJSIP/103-ACME`.
pub(crate) fn device(ext: &ex_extensions::Model, param: &str) -> ApiResult<String> {
    match ext.ex_tech.as_str() {
        "PJSIP" | "SIP" => Ok(format!("{}/{}", ext.ex_tech, ext.ex_username)),
        other => Err(ApiError::invalid(format!(
            "parameter '{param}': extension {} is {other}, which has no device",
            ext.ex_number
        ))),
    }
}

pub(crate) fn connected(nodes: Vec<Node>) -> ApiResult<Vec<Node>> {
    let up: Vec<Node> = nodes.into_iter().filter(Node::is_connected).collect();
    if up.is_empty() {
        return Err(ApiError::Conflict(
            "no Asterisk node is connected; try again later".into(),
        ));
    }
    Ok(up)
}

pub(crate) fn ami_error(e: AmiError) -> ApiError {
    match e {
        AmiError::Refused(msg) => ApiError::Conflict(msg),
        AmiError::OutcomeUnknown | AmiError::Timeout => ApiError::Conflict(
            "the node did not confirm the action; its outcome is unknown and it was not repeated"
                .into(),
        ),
        other => ApiError::Conflict(other.to_string()),
    }
}

// ----- peers and states -----

pub async fn countpeers(state: &AppState, caller: &Caller) -> ApiResult<Output> {
    let te_id = caller.tenant.as_ref().map(|t| t.id);
    let nodes = nodes_for(&state.cluster, te_id).await?;
    // Devices that exist (the key's tenant's, or every tenant's): a contact left on a node by
    // a deleted device is not a peer.
    let mut q = ex_extensions::Entity::find()
        .select_only()
        .column(ex_extensions::Column::ExUsername);
    if let Some(id) = te_id {
        q = q.filter(ex_extensions::Column::ExTeId.eq(id));
    }
    let devices: std::collections::HashSet<String> = q
        .into_tuple::<String>()
        .all(&state.db.conn)
        .await?
        .into_iter()
        .collect();
    let answers = live::contacts(&state.cluster, &nodes).await;
    let mut obj = Map::new();
    let mut plain = Vec::new();
    let mut total = 0usize;
    for (node, resp) in &answers.ok {
        let mut peers: Vec<&str> = resp
            .events
            .iter()
            .filter(|e| live::counts_as_peer(e))
            .filter_map(|e| e.get("Endpoint"))
            .filter(|ep| devices.contains(*ep))
            .collect();
        peers.sort_unstable();
        peers.dedup();
        total += peers.len();
        obj.insert(node.name.clone(), json!(peers.len().to_string()));
        plain.push(format!("{}:{}", node.name, peers.len()));
    }
    obj.insert("total".into(), json!(total));
    Ok(partial(
        Output::Reply {
            plain: plain.join("|"),
            json: Value::Object(obj),
        },
        answers.missing,
    ))
}

pub(crate) async fn extstate(state: &AppState, caller: &Caller, p: &Params) -> ApiResult<Output> {
    let t = caller.require_tenant("EXTSTATE")?;
    let ext = extension(
        state,
        t,
        "ext",
        p.get("ext").or(p.get("number")).unwrap_or(""),
    )
    .await?;
    let (_, context) = crate::objects::extension::tenant_context(&state.db.conn, t.id).await?;
    let nodes = connected(nodes_for(&state.cluster, Some(t.id)).await?)?;
    let answers = ask_all(&state.cluster, &nodes, || {
        Action::new("ExtensionState")
            .header("Exten", ext.ex_number.clone())
            .header("Context", context.clone())
    })
    .await;
    // The most telling state across nodes: a device busy on one node is busy.
    let best = answers
        .ok
        .iter()
        .filter_map(|(_, r)| {
            let status: i32 = r.get("Status")?.trim().parse().ok()?;
            Some((status, r.get("StatusText").unwrap_or("").to_string()))
        })
        .max_by_key(|(s, _)| peers::state_rank(*s))
        .ok_or_else(|| internal("no node gave an extension state"))?;
    let mut table = Table::new(vec!["ext".into(), "status".into(), "statustext".into()]);
    table.rows.push(vec![
        Some(ext.ex_number),
        Some(best.0.to_string()),
        Some(best.1),
    ]);
    Ok(partial(Output::Table(table), answers.missing))
}

// ----- INFO nodes -----

/// `INFO nodes` (admin): every node, never its secret, with connection state and backlog.
pub async fn info_nodes(state: &AppState) -> ApiResult<Output> {
    let cols = [
        "name",
        "host",
        "port",
        "username",
        "enabled",
        "connected",
        "systemname",
        "version",
        "pending",
        "failed",
        "delivered",
        "last_error",
    ];
    let mut table = Table::new(cols.iter().map(|c| c.to_string()).collect());
    for (n, b) in outbox::status(&state.db.conn).await? {
        let connected = state
            .cluster
            .node(&n.name)
            .is_some_and(|r| r.is_connected());
        let yes = |v: bool| Some(if v { "yes" } else { "no" }.to_string());
        table.rows.push(vec![
            Some(n.name),
            Some(n.host),
            Some(n.port.to_string()),
            Some(n.username),
            yes(n.enabled),
            yes(connected),
            Some(n.systemname),
            Some(n.version),
            Some(b.pending.to_string()),
            Some(b.failed.to_string()),
            Some(b.done.to_string()),
            Some(b.last_error),
        ]);
    }
    Ok(Output::Table(table))
}
