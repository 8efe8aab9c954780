//! The live reqtypes (spec §5): calls, channels, queues, agents, DND, peers — answered by the
//! Asterisk nodes over AMI. A tenant key only sees and touches its own channels (by the channel
//! naming rule of [`crate::cluster::live`]). Where a node does not answer, reads answer from the
//! nodes that did and name the missing ones ([`Output::Partial`]).

use crate::ami::{Action, AmiError};
use crate::app::AppState;
use crate::auth::{Caller, TenantRef};
use crate::cluster::live::{self, ask_all, channel_device, nodes_for, LiveChannel};
use crate::cluster::{outbox, Node};
use crate::error::{internal, ApiError, ApiResult};
use crate::proxyapi::params::Params;
use crate::proxyapi::{flows, peers, queues};
use crate::render::{Output, Table};
use entity::{dc_dialcalls, ex_extensions, qu_queues};
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, Set};
use serde_json::{json, Map, Value};

/// The reqtypes served here.
pub const SERVED: &[&str] = &[
    "dial",
    "hangup",
    "transfer",
    "atxtransfer",
    "dnd",
    "queue",
    "agent",
    "countpeers",
    "countchannels",
    "countcalls",
    "channels",
    "channel",
    "getcurrentcalls",
    "extstate",
    "chansippeers",
    "blfs",
    "flows",
    "setflow",
    "queuereset",
    "reboot",
    "unregister",
    "sms",
];

pub async fn handle(
    state: &AppState,
    caller: &Caller,
    p: &Params,
    reqtype: &str,
) -> ApiResult<Output> {
    match reqtype {
        "dial" => dial(state, caller, p).await,
        "hangup" => hangup(state, caller, p).await,
        "transfer" => transfer(state, caller, p, false).await,
        "atxtransfer" => transfer(state, caller, p, true).await,
        "dnd" => dnd(state, caller, p).await,
        "queue" => queue(state, caller, p).await,
        "agent" => agent(state, caller, p).await,
        "countpeers" => countpeers(state, caller).await,
        "countchannels" | "countcalls" | "channels" | "channel" | "getcurrentcalls" => {
            channels(state, caller, p, reqtype).await
        }
        "extstate" => extstate(state, caller, p).await,
        "chansippeers" => peers::chansippeers(state, caller).await,
        "blfs" => peers::blfs(state, caller).await,
        "reboot" | "unregister" => {
            peers::reboot_or_unregister(state, caller, p, reqtype == "reboot").await
        }
        "sms" => peers::sms(state, caller, p).await,
        "flows" => flows::list(state, caller).await,
        "setflow" => flows::set(state, caller, p).await,
        "queuereset" => queues::reset(state, caller, p).await,
        other => Err(ApiError::NotImplemented(format!(
            "reqtype {}",
            other.to_uppercase()
        ))),
    }
}

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

/// Live requests about one tenant: an admin names it with `tenant=`.
pub(crate) fn tenant_of<'a>(caller: &'a Caller, what: &str) -> ApiResult<&'a TenantRef> {
    caller
        .tenant
        .as_ref()
        .ok_or_else(|| ApiError::invalid(format!("parameter 'tenant' is required for {what}")))
}

/// Live writes need a tenant and a read/write key.
pub(crate) fn writer<'a>(caller: &'a Caller, what: &str) -> ApiResult<&'a TenantRef> {
    caller.require_write(what)?;
    tenant_of(caller, what)
}

/// A value that travels in an AMI header: no control characters (CR/LF would start a new
/// header or action), bounded length.
pub(crate) fn header_safe<'a>(name: &str, v: &'a str, max: usize) -> ApiResult<&'a str> {
    if v.len() > max || v.chars().any(char::is_control) {
        return Err(ApiError::invalid(format!(
            "parameter '{name}' must be at most {max} characters without control characters"
        )));
    }
    Ok(v)
}

pub(crate) fn number<'a>(name: &str, v: &'a str) -> ApiResult<&'a str> {
    let v = v.trim();
    if v.is_empty()
        || v.len() > 40
        || !v
            .chars()
            .all(|c| c.is_ascii_digit() || matches!(c, '*' | '#' | '+'))
    {
        return Err(ApiError::invalid(format!(
            "parameter '{name}' must be a phone number (digits, '*', '#', '+')"
        )));
    }
    Ok(v)
}

/// An extension of the tenant by number (also accepts `103-TENANT`).
pub(crate) async fn extension(
    state: &AppState,
    t: &TenantRef,
    name: &str,
    value: &str,
) -> ApiResult<ex_extensions::Model> {
    let value = value.trim();
    let num = match value.rsplit_once('-') {
        Some((n, code)) if code.eq_ignore_ascii_case(&t.code) => n,
        Some(_) => {
            return Err(ApiError::NotFound(format!(
                "parameter '{name}': no extension {value} in tenant {}",
                t.code
            )))
        }
        None => value,
    };
    number(name, num)?;
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

// ----- DIAL -----

async fn dial(state: &AppState, caller: &Caller, p: &Params) -> ApiResult<Output> {
    let t = writer(caller, "DIAL")?;
    let source = p
        .get("source")
        .or(p.get("exten"))
        .ok_or_else(|| ApiError::invalid("parameter 'source' is required"))?;
    let dest = number(
        "dest",
        p.get("dest")
            .or(p.get("phone"))
            .ok_or_else(|| ApiError::invalid("parameter 'dest' is required"))?,
    )?;
    let ext = extension(state, t, "source", source).await?;
    let channel = device(&ext, "source")?;
    let mut vars = vec![format!("TENANT={}", t.code)];
    if let Some(account) = p.get("account") {
        header_safe("account", account, 80)?;
        let owned = account
            .rsplit_once('-')
            .is_some_and(|(_, code)| code.eq_ignore_ascii_case(&t.code));
        if !owned {
            return Err(ApiError::invalid(format!(
                "parameter 'account' must be an account of tenant {} (<number>-{})",
                t.code, t.code
            )));
        }
    }
    if let Some(var) = p.get("var") {
        for pair in var.split('|').filter(|v| !v.is_empty()) {
            let (name, value) = pair.split_once('=').ok_or_else(|| {
                ApiError::invalid("parameter 'var' must be name=value (several joined by '|')")
            })?;
            let name_ok = !name.is_empty()
                && name.len() <= 40
                && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
            if !name_ok {
                return Err(ApiError::invalid(
                    "parameter 'var': names are letters, digits and '_' (at most 40)",
                ));
            }
            header_safe("var", value, 200)?;
            vars.push(format!("{}-{name}={value}", t.code));
        }
    }
    let seconds = |name: &str, default: u32| -> ApiResult<u32> {
        match p.get(name) {
            None => Ok(default),
            Some(v) => v
                .trim()
                .parse::<u32>()
                .ok()
                .filter(|s| (1..=3600).contains(s))
                .ok_or_else(|| {
                    ApiError::invalid(format!("parameter '{name}' must be 1 to 3600 seconds"))
                }),
        }
    };
    let dialtimeout = seconds("dialtimeout", 30)?;
    if let Some(limit) = p.get("timeout") {
        let s = seconds("timeout", 1)?;
        let _ = limit;
        vars.push(format!("TIMEOUT(absolute)={s}"));
    }
    for (flag, var) in [
        ("recording", "RECORDING"),
        ("autoanswer", "AUTOANSWER"),
        ("nofollow", "NOFOLLOW"),
    ] {
        if p.flag(flag) {
            vars.push(format!("{var}=yes"));
        }
    }
    if let Some(clid) = p.get("destclid") {
        vars.push(format!("DESTCLID={}", header_safe("destclid", clid, 80)?));
    }
    let callerid = match p.get("sourceclid") {
        Some(c) => header_safe("sourceclid", c, 80)?.to_string(),
        None => dest.to_string(),
    };
    let (_, context) = crate::objects::extension::tenant_context(&state.db.conn, t.id).await?;
    let device = (ext.ex_tech == "PJSIP").then_some(ext.ex_username.as_str());
    let node = crate::calls::pick_node(&state.cluster, t, p.get("server"), device).await?;
    let id = crate::calls::originate_id(&node.name);
    vars.push(format!("ORIGINATEID={id}"));
    let mut action = Action::new("Originate")
        .header("Channel", channel.clone())
        .header("Context", context)
        .header("Exten", dest)
        .header("Priority", "1")
        .header("CallerID", callerid)
        .header("Timeout", (dialtimeout * 1000).to_string())
        .header("Async", "true");
    if let Some(account) = p.get("account") {
        action.push("Account", account);
    }
    for v in vars {
        action.push("Variable", v);
    }
    // Stored first: the id must find the call even if the answer is lost.
    let row = dc_dialcalls::ActiveModel {
        dc_originateid: Set(id.clone()),
        dc_te_id: Set(t.id),
        dc_node: Set(node.name.clone()),
        dc_source: Set(channel),
        dc_dest: Set(dest.to_string()),
        dc_uniqueid: Set(String::new()),
        dc_state: Set("sent".into()),
        dc_created: Set(chrono::Utc::now().naive_utc()),
        dc_reason: Set(0),
        dc_channel: Set(String::new()),
        dc_updated: Set(None),
        ..Default::default()
    }
    .insert(&state.db.conn)
    .await?;
    // The answer does not wait for the call: its outcome is recorded when the node reports it.
    let outcome_within = std::time::Duration::from_secs(u64::from(dialtimeout) + 60);
    let outcome = crate::calls::originate(
        &node.client,
        action,
        state.cluster.settings.action_timeout,
        outcome_within,
    )
    .await;
    let label = match &outcome {
        Ok(_) => "queued",
        Err(AmiError::Refused(_)) => "refused",
        Err(AmiError::NotConnected) => "not sent",
        Err(_) => "unknown",
    };
    let mut row: dc_dialcalls::ActiveModel = row.into();
    row.dc_state = Set(label.into());
    row.update(&state.db.conn).await?;
    match outcome {
        Ok(pending) => {
            let (db, dial_id) = (state.db.clone(), id.clone());
            crate::calls::on_outcome("DIAL", pending, move |o| {
                Box::pin(crate::calls::record_dial(db, dial_id, o))
            });
            Ok(success("Originate successfully queued", Some(&id)))
        }
        Err(e) => Err(ami_error(e)),
    }
}

// ----- channels -----

pub(crate) async fn visible_channels(
    state: &AppState,
    caller: &Caller,
) -> ApiResult<(Vec<LiveChannel>, Vec<String>)> {
    let t = caller.tenant.as_ref();
    let nodes = nodes_for(&state.cluster, t.map(|t| t.id)).await?;
    Ok(live::channels(&state.cluster, &nodes, t.map(|t| t.code.as_str())).await)
}

const CHANNEL_COLUMNS: &[(&str, &str)] = &[
    ("node", ""),
    ("channel", "Channel"),
    ("state", "ChannelStateDesc"),
    ("context", "Context"),
    ("exten", "Exten"),
    ("calleridnum", "CallerIDNum"),
    ("calleridname", "CallerIDName"),
    ("connectedlinenum", "ConnectedLineNum"),
    ("application", "Application"),
    ("applicationdata", "ApplicationData"),
    ("duration", "Duration"),
    ("accountcode", "AccountCode"),
    ("bridgeid", "BridgeId"),
    ("uniqueid", "Uniqueid"),
    ("linkedid", "Linkedid"),
];

fn channel_table(rows: &[LiveChannel]) -> Table {
    let mut table = Table::new(CHANNEL_COLUMNS.iter().map(|(c, _)| c.to_string()).collect());
    table.rows = rows
        .iter()
        .map(|c| {
            CHANNEL_COLUMNS
                .iter()
                .map(|(_, h)| {
                    Some(if h.is_empty() {
                        c.node.clone()
                    } else {
                        c.get(h).to_string()
                    })
                })
                .collect()
        })
        .collect();
    table
}

async fn channels(
    state: &AppState,
    caller: &Caller,
    p: &Params,
    reqtype: &str,
) -> ApiResult<Output> {
    let (mut rows, missing) = visible_channels(state, caller).await?;
    let out = match reqtype {
        "countchannels" => {
            if let Some(node) = p.get("nodename") {
                rows.retain(|c| c.node.eq_ignore_ascii_case(node.trim()));
            }
            Output::Value {
                name: "channels",
                value: Some(rows.len().to_string()),
            }
        }
        "countcalls" => {
            let mut calls: Vec<&str> = rows
                .iter()
                .map(|c| match c.get("Linkedid") {
                    "" => c.get("Uniqueid"),
                    l => l,
                })
                .collect();
            calls.sort_unstable();
            calls.dedup();
            Output::Value {
                name: "calls",
                value: Some(calls.len().to_string()),
            }
        }
        "channel" => {
            let name = p.required("channel")?.trim().to_string();
            rows.retain(|c| c.name() == name);
            Output::Table(channel_table(&rows))
        }
        "getcurrentcalls" => {
            if let Some(phone) = p.get("phone") {
                let phone = phone.trim();
                rows.retain(|c| {
                    ["CallerIDNum", "ConnectedLineNum", "Exten"]
                        .iter()
                        .any(|h| c.get(h).contains(phone))
                        || c.name().contains(&format!("/{phone}-"))
                });
            }
            Output::Table(channel_table(&rows))
        }
        _ => Output::Table(channel_table(&rows)),
    };
    Ok(partial(out, missing))
}

/// The channels a write may act on: named by `channel`, or every channel of an extension
/// (`extension=103-ACME` or `number=103`). Only the caller's tenant's channels.
async fn target_channels(
    state: &AppState,
    caller: &Caller,
    t: &TenantRef,
    p: &Params,
) -> ApiResult<Vec<LiveChannel>> {
    let (rows, _) = visible_channels(state, caller).await?;
    if let Some(name) = p.get("channel") {
        let name = name.trim();
        let found: Vec<LiveChannel> = rows.into_iter().filter(|c| c.name() == name).collect();
        if found.is_empty() {
            return Err(ApiError::NotFound(format!(
                "parameter 'channel': no channel {name} of tenant {}",
                t.code
            )));
        }
        return Ok(found);
    }
    let which = p
        .get("extension")
        .map(|v| ("extension", v))
        .or(p.get("number").map(|v| ("number", v)))
        .ok_or_else(|| ApiError::invalid("parameter 'channel' or 'extension' is required"))?;
    let ext = extension(state, t, which.0, which.1).await?;
    let dev = device(&ext, which.0)?;
    let found: Vec<LiveChannel> = rows
        .into_iter()
        .filter(|c| channel_device(c.name()).eq_ignore_ascii_case(&dev))
        .collect();
    if found.is_empty() {
        return Err(ApiError::NotFound(format!(
            "parameter '{}': extension {} has no call",
            which.0, ext.ex_number
        )));
    }
    Ok(found)
}

pub(crate) async fn send_to(state: &AppState, node: &str, action: Action) -> ApiResult<String> {
    let node = state
        .cluster
        .node(node)
        .ok_or_else(|| ApiError::Conflict(format!("node {node} is gone")))?;
    node.client
        .send_with_timeout(action, state.cluster.settings.action_timeout)
        .await
        .map(|r| r.get("Message").unwrap_or("").to_string())
        .map_err(ami_error)
}

async fn hangup(state: &AppState, caller: &Caller, p: &Params) -> ApiResult<Output> {
    let t = writer(caller, "HANGUP")?;
    let targets = target_channels(state, caller, t, p).await?;
    let mut message = String::new();
    for c in &targets {
        message = send_to(
            state,
            &c.node,
            Action::new("Hangup")
                .header("Channel", c.name())
                .header("Cause", "16"),
        )
        .await?;
    }
    Ok(success(&message, None))
}

async fn transfer(
    state: &AppState,
    caller: &Caller,
    p: &Params,
    attended: bool,
) -> ApiResult<Output> {
    let what = if attended { "ATXTRANSFER" } else { "TRANSFER" };
    let t = writer(caller, what)?;
    p.required("channel")?;
    let dest = number("dest", p.required("dest")?)?;
    let chan = target_channels(state, caller, t, p).await?.remove(0);
    let (_, context) = crate::objects::extension::tenant_context(&state.db.conn, t.id).await?;
    let mut action = Action::new(if attended { "Atxfer" } else { "Redirect" })
        .header("Channel", chan.name())
        .header("Exten", dest)
        .header("Context", context.clone())
        .header("Priority", "1");
    if let (false, Some(extra)) = (attended, p.get("extrachannel")) {
        let extra = extra.trim();
        let (rows, _) = visible_channels(state, caller).await?;
        if !rows
            .iter()
            .any(|c| c.name() == extra && c.node == chan.node)
        {
            return Err(ApiError::NotFound(format!(
                "parameter 'extrachannel': no channel {extra} of tenant {} on the same node",
                t.code
            )));
        }
        action.push("ExtraChannel", extra);
        action.push("ExtraExten", dest);
        action.push("ExtraContext", context);
        action.push("ExtraPriority", "1");
    }
    let message = send_to(state, &chan.node, action).await?;
    Ok(success(&message, None))
}

// ----- DND -----

async fn dnd(state: &AppState, caller: &Caller, p: &Params) -> ApiResult<Output> {
    let action = p.required_word("action")?;
    let t = tenant_of(caller, "DND")?;
    let ext = extension(state, t, "number", p.required("number")?).await?;
    match action.as_str() {
        "get" => Ok(Output::Value {
            name: "dnd",
            value: Some(ext.ex_dnd),
        }),
        "set" => {
            writer(caller, "DND set")?;
            let on = p.flag("value");
            // The row and the AstDB update of every node commit together (the outbox).
            let txn = state.db.begin_write().await?;
            let mut row: ex_extensions::ActiveModel = ext.clone().into();
            row.ex_dnd = Set(if on { "on".into() } else { String::new() });
            row.update(&*txn).await?;
            outbox::record(
                &*txn,
                Some(t.id),
                &[outbox::dnd_action(&ext.ex_username, on)],
            )
            .await?;
            txn.commit().await?;
            Ok(Output::Text("OK".into()))
        }
        other => Err(ApiError::invalid(format!(
            "parameter 'action': '{other}' is not get or set"
        ))),
    }
}

// ----- QUEUE and AGENT -----

pub(crate) async fn tenant_queue(
    state: &AppState,
    t: &TenantRef,
    p: &Params,
) -> ApiResult<qu_queues::Model> {
    let mut q = qu_queues::Entity::find().filter(qu_queues::Column::QuTeId.eq(t.id));
    q = match (p.id("id")?, p.get("number")) {
        (Some(id), _) => q.filter(qu_queues::Column::QuId.eq(id)),
        (None, Some(n)) => q.filter(qu_queues::Column::QuNumber.eq(n.trim())),
        (None, None) => return Err(ApiError::invalid("parameter 'number' or 'id' is required")),
    };
    q.one(&state.db.conn)
        .await?
        .ok_or_else(|| ApiError::NotFound(format!("no such queue in tenant {}", t.code)))
}

/// Send one write to every connected node of the tenant; the first refusal is the answer.
pub(crate) async fn on_every_node(
    state: &AppState,
    t: &TenantRef,
    action: impl Fn() -> Action,
) -> ApiResult<Vec<String>> {
    let nodes = connected(nodes_for(&state.cluster, Some(t.id)).await?)?;
    let all = nodes_for(&state.cluster, Some(t.id)).await?;
    let answers = ask_all(&state.cluster, &nodes, action).await;
    if let Some((_, msg)) = answers.refused.first() {
        return Err(ApiError::Conflict(msg.clone()));
    }
    if answers.ok.is_empty() {
        return Err(ApiError::Conflict("no Asterisk node answered".into()));
    }
    Ok(all
        .into_iter()
        .filter(|n| !answers.ok.iter().any(|(o, _)| o.id == n.id))
        .map(|n| n.name)
        .collect())
}

async fn queue(state: &AppState, caller: &Caller, p: &Params) -> ApiResult<Output> {
    let action = p.required_word("action")?;
    let t = tenant_of(caller, "QUEUE")?;
    if action == "log" {
        return queues::log(state, caller, p).await;
    }
    let qrow = tenant_queue(state, t, p).await?;
    let qname = qrow.qu_id.to_string();
    match action.as_str() {
        "add" | "del" => {
            writer(caller, &format!("QUEUE {action}"))?;
            let ext = extension(state, t, "extension", p.required("extension")?).await?;
            let iface = device(&ext, "extension")?;
            let penalty = match p.get("penalty") {
                None => 0,
                Some(v) => v.trim().parse::<u16>().map_err(|_| {
                    ApiError::invalid("parameter 'penalty' must be a number 0 to 65535")
                })?,
            };
            let paused = p.flag("paused");
            let missing = on_every_node(state, t, || {
                if action == "add" {
                    Action::new("QueueAdd")
                        .header("Queue", qname.clone())
                        .header("Interface", iface.clone())
                        .header("MemberName", ext.ex_username.clone())
                        .header("Penalty", penalty.to_string())
                        .header("Paused", if paused { "true" } else { "false" })
                } else {
                    Action::new("QueueRemove")
                        .header("Queue", qname.clone())
                        .header("Interface", iface.clone())
                }
            })
            .await?;
            Ok(partial(Output::Text("OK".into()), missing))
        }
        "clean" => {
            writer(caller, "QUEUE clean")?;
            let (members, missing) = members(state, t, Some(&qname)).await?;
            for (node, m) in &members {
                send_to(
                    state,
                    node,
                    Action::new("QueueRemove")
                        .header("Queue", qname.clone())
                        .header("Interface", m.get("Location").unwrap_or("")),
                )
                .await?;
            }
            Ok(partial(Output::Text("OK".into()), missing))
        }
        "list" => {
            let (members, missing) = members(state, t, Some(&qname)).await?;
            let mut names: Vec<String> = members
                .iter()
                .map(|(_, m)| m.get("Name").unwrap_or("").to_string())
                .collect();
            names.dedup();
            let json = if names.is_empty() {
                Value::Null
            } else {
                json!(names)
            };
            Ok(partial(
                Output::Reply {
                    plain: names.iter().map(|n| format!("{n}\n")).collect(),
                    json,
                },
                missing,
            ))
        }
        "fulllist" => {
            let (members, missing) = members(state, t, Some(&qname)).await?;
            let cols = [
                "node",
                "Queue",
                "Name",
                "Location",
                "Status",
                "Paused",
                "PausedReason",
                "Penalty",
                "CallsTaken",
                "InCall",
            ];
            let mut table = Table::new(cols.iter().map(|c| c.to_ascii_lowercase()).collect());
            table.rows = members
                .iter()
                .map(|(node, m)| {
                    cols.iter()
                        .map(|c| {
                            Some(if *c == "node" {
                                node.clone()
                            } else {
                                m.get(c).unwrap_or("").to_string()
                            })
                        })
                        .collect()
                })
                .collect();
            Ok(partial(Output::Table(table), missing))
        }
        other => Err(ApiError::invalid(format!(
            "parameter 'action': '{other}' is not list, fulllist, add, del, clean or log"
        ))),
    }
}

/// Queue members on the tenant's nodes (only the tenant's queues): (node, QueueMember event).
pub(crate) async fn members(
    state: &AppState,
    t: &TenantRef,
    queue: Option<&str>,
) -> ApiResult<(Vec<(String, crate::ami::Message)>, Vec<String>)> {
    let own: Vec<String> = qu_queues::Entity::find()
        .filter(qu_queues::Column::QuTeId.eq(t.id))
        .all(&state.db.conn)
        .await?
        .into_iter()
        .map(|q| q.qu_id.to_string())
        .collect();
    let nodes = nodes_for(&state.cluster, Some(t.id)).await?;
    let answers = ask_all(&state.cluster, &nodes, || match queue {
        Some(q) => Action::new("QueueStatus").header("Queue", q),
        None => Action::new("QueueStatus"),
    })
    .await;
    let mut out = Vec::new();
    for (node, resp) in answers.ok {
        for e in resp.events {
            let mine = own.iter().any(|q| Some(q.as_str()) == e.get("Queue"));
            if e.event() == Some("QueueMember") && mine {
                out.push((node.name.clone(), e));
            }
        }
    }
    Ok((out, answers.missing))
}

async fn agent(state: &AppState, caller: &Caller, p: &Params) -> ApiResult<Output> {
    let action = p.required_word("action")?;
    let t = tenant_of(caller, "AGENT")?;
    let ext = extension(state, t, "extension", p.required("extension")?).await?;
    let iface = device(&ext, "extension")?;
    match action.as_str() {
        "pause" | "unpause" => {
            writer(caller, &format!("AGENT {action}"))?;
            let queue = match p.get("queue").map(str::trim) {
                None | Some("ALL") | Some("all") => None,
                Some(_) => Some(tenant_queue_by_param(state, t, p).await?),
            };
            let reason = header_safe("pausereason", p.get("pausereason").unwrap_or(""), 80)?;
            let pause = action == "pause";
            let missing = on_every_node(state, t, || {
                let mut a = Action::new("QueuePause")
                    .header("Interface", iface.clone())
                    .header("Paused", if pause { "true" } else { "false" });
                if let Some(q) = &queue {
                    a.push("Queue", q.clone());
                }
                if pause && !reason.is_empty() {
                    a.push("Reason", reason);
                }
                a
            })
            .await?;
            Ok(partial(Output::Text("OK".into()), missing))
        }
        "listqueues" => {
            let (members, missing) = members(state, t, None).await?;
            let mut queues: Vec<String> = members
                .iter()
                .filter(|(_, m)| m.get("Location") == Some(iface.as_str()))
                .map(|(_, m)| m.get("Queue").unwrap_or("").to_string())
                .collect();
            queues.sort();
            queues.dedup();
            Ok(partial(
                Output::Reply {
                    plain: queues.join("|"),
                    json: json!(queues),
                },
                missing,
            ))
        }
        "del" => queues::agent_del(state, caller, p).await,
        other => Err(ApiError::invalid(format!(
            "parameter 'action': '{other}' is not pause, unpause, listqueues or del"
        ))),
    }
}

/// `queue=<id>` of AGENT: one of the tenant's queues.
pub(crate) async fn tenant_queue_by_param(
    state: &AppState,
    t: &TenantRef,
    p: &Params,
) -> ApiResult<String> {
    let id = p
        .id("queue")?
        .ok_or_else(|| ApiError::invalid("parameter 'queue' must be a queue id or ALL"))?;
    let found = qu_queues::Entity::find_by_id(id)
        .filter(qu_queues::Column::QuTeId.eq(t.id))
        .one(&state.db.conn)
        .await?;
    found.map(|q| q.qu_id.to_string()).ok_or_else(|| {
        ApiError::NotFound(format!(
            "parameter 'queue': no queue {id} in tenant {}",
            t.code
        ))
    })
}

// ----- peers and states -----

async fn countpeers(state: &AppState, caller: &Caller) -> ApiResult<Output> {
    let t = caller.tenant.as_ref();
    let nodes = nodes_for(&state.cluster, t.map(|t| t.id)).await?;
    let answers = ask_all(&state.cluster, &nodes, || Action::new("PJSIPShowContacts")).await;
    let suffix = t.map(|t| format!("-{}", t.code.to_ascii_lowercase()));
    let mut obj = Map::new();
    let mut plain = Vec::new();
    let mut total = 0usize;
    for (node, resp) in &answers.ok {
        let mut peers: Vec<&str> = resp
            .events
            .iter()
            .filter(|e| {
                !e.get("Status")
                    .unwrap_or("")
                    .eq_ignore_ascii_case("Unavailable")
            })
            .filter_map(|e| e.get("Endpoint"))
            .filter(|ep| {
                suffix
                    .as_ref()
                    .is_none_or(|s| ep.to_ascii_lowercase().ends_with(s.as_str()))
            })
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
    let t = tenant_of(caller, "EXTSTATE")?;
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
pub async fn info_nodes(state: &AppState, caller: &Caller) -> ApiResult<Output> {
    caller.require_admin()?;
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
