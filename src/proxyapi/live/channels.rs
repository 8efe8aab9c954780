//! Channels: COUNTCHANNELS, CHANNELS, GETCURRENTCALLS…, HANGUP, TRANSFER, ATXTRANSFER.

use super::*;

pub(crate) async fn visible_channels(
    state: &AppState,
    caller: &Caller,
) -> ApiResult<(Vec<LiveChannel>, Vec<String>)> {
    let te_id = caller.tenant.as_ref().map(|t| t.id);
    let nodes = nodes_for(&state.cluster, te_id).await?;
    let visible = Visible::load(&state.db.conn, te_id).await?;
    Ok(live::channels(&state.cluster, &nodes, &visible).await)
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

pub async fn channels(
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

pub async fn hangup(state: &AppState, caller: &Caller, p: &Params) -> ApiResult<Output> {
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

pub async fn transfer(
    state: &AppState,
    caller: &Caller,
    p: &Params,
    attended: bool,
) -> ApiResult<Output> {
    let what = if attended { "ATXTRANSFER" } else { "TRANSFER" };
    let t = writer(caller, what)?;
    p.required("channel")?;
    let dest = PhoneNumber::parse("dest", p.required("dest")?)?;
    let dest = dest.as_str();
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
