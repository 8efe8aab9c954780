//! Live reqtypes about devices (spec §5): CHANSIPPEERS, BLFS, REBOOT, UNREGISTER, SMS and
//! INFO variable. A tenant key sees and touches only its own stored devices, named
//! `<number>-<TENANT>` (spec §6), and only variables named `<TENANT>-…` (globals or on its own
//! channels).

use super::live::{ami_error, connected, extension, partial, send_to};
use crate::ami::{Action, AmiError, HeaderValue, Message};
use crate::auth::{Caller, TenantRef};
use crate::cluster::live::{ask_all, nodes_for, reachable, Answers};
use crate::cluster::outbox;
use crate::device::Visible;
use crate::error::{ApiError, ApiResult};
use crate::proxyapi::params::Params;
use crate::proxyapi::AppState;
use crate::render::{Output, Table};
use base64::Engine;
use entity::{ex_extensions, sm_sms};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, EntityTrait, QueryFilter, QueryOrder, Set,
};

/// How telling an extension state is when nodes disagree: a device busy on one node is busy
/// (unknown and unavailable tell least).
pub(crate) fn state_rank(status: i32) -> i32 {
    match status {
        -1 => -2,
        4 => -1,
        s => s,
    }
}

fn table(cols: &[&str], rows: Vec<Vec<String>>) -> Table {
    let mut t = Table::new(cols.iter().map(|c| c.to_string()).collect());
    t.rows = rows
        .into_iter()
        .map(|r| r.into_iter().map(Some).collect())
        .collect();
    t
}

/// The PJSIP contacts on the given nodes of the devices the key may see: (node, ContactList event).
async fn contacts(
    state: &AppState,
    nodes: &[crate::cluster::Node],
    visible: &Visible,
) -> (Vec<(String, Message)>, Vec<String>) {
    let answers = crate::cluster::live::contacts(&state.cluster, nodes).await;
    let mut out = Vec::new();
    for (node, resp) in answers.ok {
        for e in resp.events {
            if visible.allows(e.get("Endpoint").unwrap_or("")) {
                out.push((node.name.clone(), e));
            }
        }
    }
    (out, answers.missing)
}

// ----- CHANSIPPEERS -----

const PEER_COLUMNS: &[&str] = &[
    "node",
    "Name",
    "Host",
    "Dyn",
    "Forcerport",
    "Comedia",
    "ACL",
    "Port",
    "Status",
    "Description",
    "Realtime",
];

/// NAT settings of the devices Switchboard provisions. Its PJSIP realtime rows leave
/// `force_rport`, `rtp_symmetric` and `acl` unset, so Asterisk's defaults apply (yes, no,
/// none); chan_sip rows are written with `nat=force_rport,comedia`.
fn nat_columns(tech: Option<&str>) -> [&'static str; 3] {
    match tech {
        Some("SIP") => ["yes", "yes", "no"],
        Some(_) => ["yes", "no", "no"],
        None => ["", "", ""],
    }
}

/// `sip:103-ACME@192.0.2.7:5062;ob` → (`192.0.2.7`, `5062`); the default port by scheme.
fn uri_host_port(uri: &str) -> (String, String) {
    let (scheme, rest) = uri.split_once(':').unwrap_or(("sip", uri));
    let hostpart = rest.rsplit_once('@').map_or(rest, |(_, h)| h);
    let hostpart = hostpart.split([';', '?', '>']).next().unwrap_or("");
    let default = if scheme.eq_ignore_ascii_case("sips") {
        "5061"
    } else {
        "5060"
    };
    if let Some(v6) = hostpart.strip_prefix('[') {
        let (h, after) = v6.split_once(']').unwrap_or((v6, ""));
        let port = after.strip_prefix(':').unwrap_or(default);
        return (h.to_string(), port.to_string());
    }
    match hostpart.rsplit_once(':') {
        Some((h, p)) => (h.to_string(), p.to_string()),
        None => (hostpart.to_string(), default.to_string()),
    }
}

/// chan_sip's status words from a PJSIP contact: `OK (12 ms)`, `UNREACHABLE`, `Unmonitored`.
fn peer_status(contact: Option<&Message>) -> String {
    let Some(c) = contact else {
        return "UNKNOWN".into();
    };
    if reachable(c) {
        let usec = c
            .get("RoundtripUsec")
            .and_then(|u| u.trim().parse::<u64>().ok());
        return match usec {
            Some(u) if u > 0 => format!("OK ({} ms)", u.div_ceil(1000)),
            _ => "OK".into(),
        };
    }
    match c.get("Status").unwrap_or("") {
        s if s.eq_ignore_ascii_case("Unreachable") || s.eq_ignore_ascii_case("Unavailable") => {
            "UNREACHABLE".into()
        }
        _ => "Unmonitored".into(),
    }
}

/// CHANSIPPEERS: the `sip show peers` columns from PJSIP (Asterisk 22 has no chan_sip):
/// endpoints and contacts of every node, config columns from Switchboard's own rows.
pub async fn chansippeers(state: &AppState, caller: &Caller) -> ApiResult<Output> {
    let t = caller.tenant.as_ref();
    let nodes = nodes_for(&state.cluster, t.map(|t| t.id)).await?;
    let visible = Visible::load(&state.db.conn, t.map(|t| t.id)).await?;
    let (endpoints, (regs, regs_missing)) = futures_util::join!(
        ask_all(&state.cluster, &nodes, || Action::new("PJSIPShowEndpoints")),
        contacts(state, &nodes, &visible),
    );
    let Answers {
        ok, mut missing, ..
    } = endpoints;
    // A node that listed endpoints but not contacts would show wrong states: name it too.
    for n in regs_missing {
        if !missing.contains(&n) {
            missing.push(n);
        }
    }
    let mut names: Vec<String> = ok
        .iter()
        .flat_map(|(_, r)| r.events.iter())
        .filter_map(|e| e.get("ObjectName"))
        .filter(|n| visible.allows(n))
        .map(str::to_string)
        .collect();
    names.sort();
    names.dedup();
    let mut q =
        ex_extensions::Entity::find().filter(ex_extensions::Column::ExUsername.is_in(names));
    if let Some(t) = t {
        q = q.filter(ex_extensions::Column::ExTeId.eq(t.id));
    }
    let known = q.all(&state.db.conn).await?;
    let mut rows = Vec::new();
    for (node, resp) in &ok {
        for e in &resp.events {
            let name = e.get("ObjectName").unwrap_or("");
            if !visible.allows(name) {
                continue;
            }
            let mine: Vec<&Message> = regs
                .iter()
                .filter(|(n, c)| *n == node.name && c.get("Endpoint") == Some(name))
                .map(|(_, c)| c)
                .collect();
            let best = mine.iter().find(|c| reachable(c)).or(mine.first()).copied();
            let (host, port) = best.map_or(("(Unspecified)".into(), "0".into()), |c| {
                uri_host_port(c.get("Uri").unwrap_or(""))
            });
            // A contact that never expires is configured, not registered.
            let dynamic = best.is_none_or(|c| c.get("RegExpire").unwrap_or("0").trim() != "0");
            let ext = known.iter().find(|x| x.ex_username == name);
            let [rport, comedia, acl] = nat_columns(ext.map(|x| x.ex_tech.as_str()));
            rows.push(vec![
                node.name.clone(),
                name.to_string(),
                host,
                if dynamic { "D" } else { "" }.to_string(),
                rport.into(),
                comedia.into(),
                acl.into(),
                port,
                peer_status(best),
                ext.map(|x| x.ex_name.clone()).unwrap_or_default(),
                if ext.is_some() { "Cached RT" } else { "" }.to_string(),
            ]);
        }
    }
    Ok(partial(Output::Table(table(PEER_COLUMNS, rows)), missing))
}

// ----- BLFS -----

/// BLFS: the hint states of the tenant's context, merged across its nodes.
pub async fn blfs(state: &AppState, caller: &Caller) -> ApiResult<Output> {
    let t = caller.require_tenant("BLFS")?;
    let (_, context) = crate::objects::extension::tenant_context(&state.db.conn, t.id).await?;
    let nodes = nodes_for(&state.cluster, Some(t.id)).await?;
    let answers = ask_all(&state.cluster, &nodes, || Action::new("ExtensionStateList")).await;
    let mut best: std::collections::BTreeMap<String, (i32, String)> = Default::default();
    for (_, resp) in &answers.ok {
        for e in &resp.events {
            if e.get("Context") != Some(context.as_str()) {
                continue;
            }
            let (Some(exten), Some(status)) = (
                e.get("Exten"),
                e.get("Status").and_then(|s| s.trim().parse::<i32>().ok()),
            ) else {
                continue;
            };
            let text = e.get("StatusText").unwrap_or("").to_string();
            let slot = best
                .entry(exten.to_string())
                .or_insert((status, text.clone()));
            if state_rank(status) > state_rank(slot.0) {
                *slot = (status, text);
            }
        }
    }
    // The nodes keep no history of states: the timestamp is when they were asked.
    let now = chrono::Utc::now().format("%Y-%m-%d %H:%M:%S").to_string();
    let rows = best
        .into_iter()
        .map(|(exten, (_, text))| vec![exten, text, now.clone()])
        .collect();
    Ok(partial(
        Output::Table(table(&["st_extension", "st_state", "st_timestamp"], rows)),
        answers.missing,
    ))
}

// ----- REBOOT / UNREGISTER -----

/// The devices `peer` names: one of the tenant's PJSIP extensions (by number, by device name
/// `<number>-<CODE>`, or by the device name its row holds), or `ALL` of them. A deleted
/// extension is no longer the tenant's: its delete unregistered it on every node.
async fn peer_target(state: &AppState, t: &TenantRef, p: &Params) -> ApiResult<Option<String>> {
    let peer = p.required("peer")?.trim();
    if peer.eq_ignore_ascii_case("all") {
        return Ok(None);
    }
    // A stored device name decides first (rows named before names were the server's).
    let stored = ex_extensions::Entity::find()
        .filter(ex_extensions::Column::ExTeId.eq(t.id))
        .filter(ex_extensions::Column::ExUsername.eq(peer))
        .one(&state.db.conn)
        .await?;
    let ext = match stored {
        Some(ext) => ext,
        None => extension(state, t, "peer", peer).await?,
    };
    if ext.ex_tech != "PJSIP" {
        return Err(ApiError::invalid(format!(
            "parameter 'peer': extension {} is {}; only PJSIP devices can be reached",
            ext.ex_number, ext.ex_tech
        )));
    }
    Ok(Some(ext.ex_username))
}

/// REBOOT (`PJSIPNotify` with `Event: check-sync` to each registered device) and UNREGISTER
/// (drop the device's registered contacts, which Asterisk keeps in AstDB under
/// `registrar/contact`; the phone registers again at its next refresh; a node that does not
/// answer does it when it is back). `PJSIPUnregister` is
/// not used: it only stops Asterisk's own outbound registrations.
pub async fn reboot_or_unregister(
    state: &AppState,
    caller: &Caller,
    p: &Params,
    reboot: bool,
) -> ApiResult<Output> {
    let what = if reboot { "REBOOT" } else { "UNREGISTER" };
    let t = caller.require_tenant(what)?;
    let target = peer_target(state, t, p).await?;
    // Every node is asked (one that does not answer is named); at least one must be up.
    let nodes = nodes_for(&state.cluster, Some(t.id)).await?;
    connected(nodes.clone())?;
    let visible = Visible::load(&state.db.conn, Some(t.id)).await?;
    let (found, missing) = contacts(state, &nodes, &visible).await;
    let found: Vec<(String, Message)> = found
        .into_iter()
        .filter(|(_, c)| {
            target
                .as_deref()
                .is_none_or(|d| c.get("Endpoint").is_some_and(|e| e.eq_ignore_ascii_case(d)))
        })
        .filter(|(_, c)| !reboot || reachable(c))
        .collect();
    if let (Some(dev), true) = (&target, found.is_empty() && (reboot || missing.is_empty())) {
        return Err(ApiError::NotFound(format!(
            "parameter 'peer': {dev} is not registered on any node"
        )));
    }
    if !reboot && !missing.is_empty() {
        unregister_later(state, t, &nodes, &missing, target.as_deref()).await?;
    }
    let mut sent: Vec<(String, String)> = Vec::new();
    for (node, c) in &found {
        let endpoint = c.get("Endpoint").unwrap_or("").to_string();
        let action = if reboot {
            // One NOTIFY per device and node reaches all of its contacts there.
            if sent.contains(&(node.clone(), endpoint.clone())) {
                continue;
            }
            Action::new("PJSIPNotify")
                .header("Endpoint", endpoint.clone())
                .header("Variable", "Event=check-sync")
        } else {
            Action::new("DBDel")
                .header("Family", "registrar/contact")
                .header("Key", c.get("ObjectName").unwrap_or(""))
        };
        send_to(state, node, action).await?;
        sent.push((node.clone(), endpoint));
    }
    Ok(partial(Output::Text("OK".into()), missing))
}

/// UNREGISTER on the nodes that did not answer goes through the outbox, as an extension
/// delete does: such a node drops the device's contacts when it is back.
async fn unregister_later(
    state: &AppState,
    t: &TenantRef,
    nodes: &[crate::cluster::Node],
    missing: &[String],
    device: Option<&str>,
) -> ApiResult<()> {
    let devices: Vec<String> = match device {
        Some(d) => vec![d.to_string()],
        None => ex_extensions::Entity::find()
            .filter(ex_extensions::Column::ExTeId.eq(t.id))
            .filter(ex_extensions::Column::ExTech.eq("PJSIP"))
            .all(&state.db.conn)
            .await?
            .into_iter()
            .map(|x| x.ex_username)
            .collect(),
    };
    let actions: Vec<_> = devices
        .iter()
        .map(|d| outbox::unregister_action(d))
        .collect();
    let ids: Vec<i32> = nodes
        .iter()
        .filter(|n| missing.contains(&n.name))
        .map(|n| n.id)
        .collect();
    let txn = state.db.begin_write().await?;
    outbox::record_to(&*txn, Some(t.id), &ids, &actions).await?;
    txn.commit().await?;
    Ok(())
}

// ----- SMS -----

/// Longest SMS body accepted (characters); a SIP MESSAGE must fit one UDP datagram.
const SMS_MAX: usize = 1000;

/// SMS: a text message from one of the tenant's devices to another (`MessageSend` on the
/// node where the recipient is registered). The body travels base64-encoded, so line breaks
/// and any UTF-8 text are safe in the AMI header.
pub async fn sms(state: &AppState, caller: &Caller, p: &Params) -> ApiResult<Output> {
    let t = caller.require_tenant("SMS")?;
    let from = extension(state, t, "from", p.required("from")?).await?;
    let to = extension(state, t, "to", p.required("to")?).await?;
    for (name, ext) in [("from", &from), ("to", &to)] {
        if ext.ex_tech != "PJSIP" {
            return Err(ApiError::invalid(format!(
                "parameter '{name}': extension {} is {}; messages need a PJSIP device",
                ext.ex_number, ext.ex_tech
            )));
        }
    }
    let body = p
        .get("body")
        .or(p.get("text"))
        .or(p.get("message"))
        .ok_or_else(|| ApiError::invalid("parameter 'body' is required"))?;
    if body.trim().is_empty() || crate::text::check_lines(body, SMS_MAX).is_err() {
        return Err(ApiError::invalid(format!(
            "parameter 'body' must be 1 to {SMS_MAX} characters (no control characters but newline and tab)"
        )));
    }
    let nodes = connected(nodes_for(&state.cluster, Some(t.id)).await?)?;
    let visible = Visible::load(&state.db.conn, Some(t.id)).await?;
    let (found, _) = contacts(state, &nodes, &visible).await;
    let node = found
        .iter()
        .find(|(_, c)| c.get("Endpoint") == Some(to.ex_username.as_str()) && reachable(c))
        .map(|(n, _)| n.clone())
        .ok_or_else(|| {
            ApiError::Conflict(format!(
                "parameter 'to': extension {} is not registered on any node",
                to.ex_number
            ))
        })?;
    let action = Action::new("MessageSend")
        .header("To", format!("pjsip:{}", to.ex_username))
        .header("From", from.ex_username.clone())
        .header(
            "Base64Body",
            base64::engine::general_purpose::STANDARD.encode(body.as_bytes()),
        );
    // Stored first, like DIAL: the record stays even if the node's answer is lost.
    let row = sm_sms::ActiveModel {
        sm_te_id: Set(t.id),
        sm_from: Set(from.ex_number.clone()),
        sm_to: Set(to.ex_number.clone()),
        sm_body: Set(Some(body.to_string())),
        sm_node: Set(node.clone()),
        sm_state: Set("sending".into()),
        sm_created: Set(chrono::Utc::now().naive_utc()),
        ..Default::default()
    }
    .insert(&state.db.conn)
    .await?;
    let client = state
        .cluster
        .node(&node)
        .ok_or_else(|| ApiError::Conflict(format!("node {node} is gone")))?
        .client;
    let outcome = client
        .send_with_timeout(action, state.cluster.settings.action_timeout)
        .await;
    let label = match &outcome {
        Ok(_) => "sent",
        Err(AmiError::Refused(_)) => "refused",
        Err(AmiError::NotConnected) => "not sent",
        Err(_) => "unknown",
    };
    let mut row: sm_sms::ActiveModel = row.into();
    row.sm_state = Set(label.into());
    row.update(&state.db.conn).await?;
    outcome.map_err(ami_error)?;
    Ok(Output::Text("OK".into()))
}

const SMS_COLUMNS: &[&str] = &["id", "from", "to", "body", "node", "state", "created"];

/// INFO sms: the messages the tenant sent, oldest first; `number` (sender or recipient),
/// `start`/`end` as INFO cdrs.
pub async fn info_sms(state: &AppState, caller: &Caller, p: &Params) -> ApiResult<Output> {
    let t = caller.require_tenant("INFO sms")?;
    let mut q = sm_sms::Entity::find().filter(sm_sms::Column::SmTeId.eq(t.id));
    if let Some(n) = p.get("number") {
        let n = n.trim();
        q = q.filter(
            Condition::any()
                .add(sm_sms::Column::SmFrom.eq(n))
                .add(sm_sms::Column::SmTo.eq(n)),
        );
    }
    let zone = super::report_zone(state, caller).await?;
    let crate::cdr::report::DateRange { from, until } =
        crate::cdr::report::DateRange::parse(p.get("start"), p.get("end"))?.to_utc(zone);
    if let Some(from) = from {
        q = q.filter(sm_sms::Column::SmCreated.gte(from));
    }
    if let Some(until) = until {
        q = q.filter(sm_sms::Column::SmCreated.lt(until));
    }
    let rows = q
        .order_by_asc(sm_sms::Column::SmCreated)
        .order_by_asc(sm_sms::Column::SmId)
        .all(&state.db.conn)
        .await?
        .into_iter()
        .map(|m| {
            vec![
                m.sm_id.to_string(),
                m.sm_from,
                m.sm_to,
                m.sm_body.unwrap_or_default(),
                m.sm_node,
                m.sm_state,
                crate::time::from_utc(m.sm_created, zone)
                    .format("%Y-%m-%d %H:%M:%S")
                    .to_string(),
            ]
        })
        .collect();
    Ok(Output::Table(table(SMS_COLUMNS, rows)))
}

// ----- INFO variable -----

/// A variable name Getvar may read: a plain name, never a function call (`SHELL(…)`,
/// `DB(…)`), which Getvar would evaluate.
fn variable_name(v: &str) -> ApiResult<&str> {
    let v = v.trim();
    let ok = !v.is_empty()
        && v.len() <= 80
        && v.chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'));
    if !ok {
        return Err(ApiError::invalid(
            "parameter 'variable' must be a variable name (letters, digits, '_', '-', '.'; no functions)",
        ));
    }
    Ok(v)
}

/// Whether a tenant may read variable `name`: named `<CODE>-…` with its exact code before the
/// first `-` (codes have no `-`, so `ACME-x` can never be tenant `ACME_X`'s, nor the reverse).
fn tenants_variable(name: &str, code: &str) -> bool {
    name.split_once('-')
        .is_some_and(|(prefix, rest)| prefix.eq_ignore_ascii_case(code) && !rest.is_empty())
}

/// INFO variable: `variable` (a name) read with `Getvar`, on `channel` when given (the
/// channel's node), else a global variable (the first node with a value; `server` picks
/// one). A tenant reads only variables named `<TENANT>-…` (the DIAL variables are
/// `<TENANT>-name`), with or without `channel`, and only on its own channels: Asterisk
/// answers a channel variable it does not find with the global of that name.
pub async fn info_variable(state: &AppState, caller: &Caller, p: &Params) -> ApiResult<Output> {
    if p.get("variable").is_none() {
        if let Some(out) = crate::proxyapi::flows::variable_by_id(state, caller, p).await? {
            return Ok(out);
        }
    }
    let name = variable_name(p.get("variable").ok_or_else(|| {
        ApiError::invalid("parameter 'variable' (a variable name, or 'id' of a flow) is required")
    })?)?;
    let t = caller.tenant.as_ref();
    if let Some(t) = t {
        if !tenants_variable(name, &t.code) {
            return Err(ApiError::invalid(format!(
                "parameter 'variable': a variable of tenant {} is named {}-…",
                t.code, t.code
            )));
        }
    }
    let nodes = nodes_for(&state.cluster, t.map(|t| t.id)).await?;
    connected(nodes.clone())?;
    if let Some(channel) = p.get("channel") {
        let channel = HeaderValue::new("channel", channel.trim(), 120)?;
        let channel = channel.as_str();
        let visible = Visible::load(&state.db.conn, t.map(|t| t.id)).await?;
        if !visible.allows(channel) {
            return Err(ApiError::NotFound(format!(
                "parameter 'channel': no channel {channel} of tenant {}",
                t.map(|t| t.code.as_str()).unwrap_or("")
            )));
        }
        let answers = ask_all(&state.cluster, &nodes, || {
            Action::new("Getvar")
                .header("Channel", channel)
                .header("Variable", name)
        })
        .await;
        let (_, resp) = answers.ok.first().ok_or_else(|| {
            ApiError::NotFound(format!("parameter 'channel': no channel {channel}"))
        })?;
        return Ok(Output::Value {
            name: "value",
            value: Some(resp.get("Value").unwrap_or("").to_string()),
        });
    }
    let nodes: Vec<_> = match p.get("server").map(str::trim) {
        Some(server) => {
            let n: Vec<_> = nodes
                .into_iter()
                .filter(|n| n.name.eq_ignore_ascii_case(server) && n.is_connected())
                .collect();
            if n.is_empty() {
                return Err(ApiError::invalid(format!(
                    "parameter 'server': no connected node '{server}'"
                )));
            }
            n
        }
        None => nodes,
    };
    let answers = ask_all(&state.cluster, &nodes, || {
        Action::new("Getvar").header("Variable", name)
    })
    .await;
    let value = answers
        .ok
        .iter()
        .filter_map(|(_, r)| r.get("Value"))
        .find(|v| !v.is_empty())
        .unwrap_or("")
        .to_string();
    Ok(partial(
        Output::Value {
            name: "value",
            value: Some(value),
        },
        answers.missing,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn contact_uris_give_host_and_port() {
        assert_eq!(
            uri_host_port("sip:103-ACME@192.0.2.7:5062;ob"),
            ("192.0.2.7".into(), "5062".into())
        );
        assert_eq!(
            uri_host_port("sips:103-ACME@pbx.example"),
            ("pbx.example".into(), "5061".into())
        );
        assert_eq!(
            uri_host_port("sip:u@[2001:db8::1]:5070;transport=udp"),
            ("2001:db8::1".into(), "5070".into())
        );
        assert!(variable_name("SHELL(id)").is_err());
        assert!(variable_name("ACME-x").is_ok());
        assert!(tenants_variable("ACME-x", "ACME"));
        assert!(tenants_variable("acme-x", "ACME"));
        for (name, code) in [
            ("ACME_X-x", "ACME"),
            ("ACME-x", "ACME_X"),
            ("ACME_x", "ACME"),
            ("ACME-", "ACME"),
            ("BETA-x", "ACME"),
        ] {
            assert!(!tenants_variable(name, code), "{name} for {code}");
        }
    }
}
