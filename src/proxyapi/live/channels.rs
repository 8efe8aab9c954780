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
/// (`extension=103-ACME` or `number=103`). A tenant's only its own channels; an admin key
/// without `tenant` any channel (as it reads CHANNELS of all). Each with the tenant it is of
/// (`None`: a channel of no tenant, reachable by an admin only).
async fn target_channels(
    state: &AppState,
    caller: &Caller,
    what: &str,
    p: &Params,
) -> ApiResult<Vec<(LiveChannel, Option<TenantRef>)>> {
    let (rows, _) = visible_channels(state, caller).await?;
    let scope = match &caller.tenant {
        Some(t) => format!(" of tenant {}", t.code),
        None => String::new(),
    };
    if let Some(name) = p.get("channel") {
        let name = name.trim();
        let found: Vec<LiveChannel> = rows.into_iter().filter(|c| c.name() == name).collect();
        if found.is_empty() {
            return Err(ApiError::NotFound(format!(
                "parameter 'channel': no channel {name}{scope}"
            )));
        }
        let mut out = Vec::new();
        for c in found {
            let t = match &caller.tenant {
                Some(t) => Some(t.clone()),
                None => owner_of(state, c.name()).await?,
            };
            out.push((c, t));
        }
        return Ok(out);
    }
    let which = p
        .get("extension")
        .map(|v| ("extension", v))
        .or(p.get("number").map(|v| ("number", v)))
        .ok_or_else(|| ApiError::invalid("parameter 'channel' or 'extension' is required"))?;
    let t = match &caller.tenant {
        Some(t) => t.clone(),
        // An admin names the tenant in the extension (`103-ACME`) or with `tenant=`.
        None => {
            let code = DeviceName::parse(which.1.trim())
                .map(|d| d.code().to_string())
                .ok_or_else(|| {
                    ApiError::invalid(format!(
                        "parameter 'tenant' is required for {what} of {} {} with an admin key \
                         (or name it <number>-<TENANT>)",
                        which.0,
                        which.1.trim()
                    ))
                })?;
            crate::db::tenant_by_code(&state.db.conn, &code)
                .await?
                .ok_or_else(|| {
                    ApiError::NotFound(format!(
                        "parameter '{}': no tenant {code} for {}",
                        which.0,
                        which.1.trim()
                    ))
                })?
        }
    };
    let ext = extension(state, &t, which.0, which.1).await?;
    let dev = device(&ext, which.0)?;
    let found: Vec<(LiveChannel, Option<TenantRef>)> = rows
        .into_iter()
        .filter(|c| channel_device(c.name()).eq_ignore_ascii_case(&dev))
        .map(|c| (c, Some(t.clone())))
        .collect();
    if found.is_empty() {
        return Err(ApiError::NotFound(format!(
            "parameter '{}': extension {} has no call",
            which.0, ext.ex_number
        )));
    }
    Ok(found)
}

/// The tenant whose device or context a channel is (an admin acting without `tenant`).
async fn owner_of(state: &AppState, channel: &str) -> ApiResult<Option<TenantRef>> {
    let tenants = crate::device::Tenants::load(&state.db.conn).await?;
    let Some(party) = tenants.party(channel) else {
        return Ok(None);
    };
    let t = entity::te_tenants::Entity::find_by_id(party.te_id)
        .one(&state.db.conn)
        .await?;
    Ok(t.map(|t| TenantRef {
        id: t.te_id,
        code: t.te_code,
    }))
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
    let targets = target_channels(state, caller, "HANGUP", p).await?;
    let mut message = String::new();
    for (c, _) in &targets {
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
    p.required("channel")?;
    let dest = PhoneNumber::parse("dest", p.required("dest")?)?;
    let dest = dest.as_str();
    let (chan, owner) = target_channels(state, caller, what, p).await?.remove(0);
    // The destination is dialled in the context of the channel's tenant.
    let t = owner.ok_or_else(|| {
        ApiError::invalid(format!(
            "parameter 'tenant' is required for {what}: channel {} is of no tenant",
            chan.name()
        ))
    })?;
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
                "parameter 'extrachannel': no channel {extra}{} on the same node",
                match &caller.tenant {
                    Some(t) => format!(" of tenant {}", t.code),
                    None => String::new(),
                }
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
