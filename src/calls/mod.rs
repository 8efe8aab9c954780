//! Calls the server places itself: the outcome of an Originate (DIAL, FAX, CAMPAIGN), faxes and
//! dialer campaigns.
//!
//! An Originate is sent with `Async: true`: the node answers "queued" at once and reports the
//! call's fate later in an `OriginateResponse` event with the same ActionID. [`originate`] returns
//! at the first answer together with a future of that event, so an HTTP answer never waits for a
//! call to be picked up, and the caller records the outcome when it comes.

pub mod campaign;
pub mod dialer;
pub mod fax;

use crate::ami::{Action, AmiError, Client, Message};
use crate::error::ApiResult;
use futures_util::future::BoxFuture;
use std::time::Duration;
use tokio::sync::broadcast::error::RecvError;

/// What an `OriginateResponse` says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outcome {
    /// `Response: Success` (the originated channel answered).
    pub success: bool,
    /// Asterisk's reason (0 failed, 1 hung up, 3 ringing, 4 answered, 5 busy, 8 congested).
    pub reason: i32,
    /// The originated channel's uniqueid (empty when Asterisk says `<null>`).
    pub uniqueid: String,
    pub channel: String,
}

impl Outcome {
    fn of(m: &Message) -> Outcome {
        let clean = |v: Option<&str>| {
            let v = v.unwrap_or("").trim();
            if v.eq_ignore_ascii_case("<null>") || v.eq_ignore_ascii_case("<unknown>") {
                String::new()
            } else {
                v.chars().take(80).collect()
            }
        };
        Outcome {
            success: m
                .response()
                .is_some_and(|r| r.trim().eq_ignore_ascii_case("Success")),
            reason: m
                .get("Reason")
                .and_then(|r| r.trim().parse().ok())
                .unwrap_or(0),
            uniqueid: clean(m.get("Uniqueid")),
            channel: clean(m.get("Channel")),
        }
    }

    /// The state label of a call with this outcome.
    pub fn state(&self) -> &'static str {
        if self.success {
            "answered"
        } else {
            "failed"
        }
    }
}

/// The outcome of a queued Originate, when it comes (`None`: no event within the limit, or the
/// link dropped: the call's fate is unknown).
pub type PendingOutcome = BoxFuture<'static, Option<Outcome>>;

fn is_outcome(m: &Message, action_id: &str) -> bool {
    m.event()
        .is_some_and(|e| e.eq_ignore_ascii_case("OriginateResponse"))
        && m.action_id() == Some(action_id)
}

/// Send an async Originate: `Ok` once the node queued it (within `t`), with the future of its
/// `OriginateResponse` (awaited up to `outcome_within`). Errors are the client's: a refused
/// Originate, or one whose outcome is unknown (never re-sent).
pub async fn originate(
    client: &Client,
    action: Action,
    t: Duration,
    outcome_within: Duration,
) -> Result<PendingOutcome, AmiError> {
    let mut action = action;
    if action.get("Async").is_none() {
        action.push("Async", "true");
    }
    // Subscribed before sending: the event cannot slip past between the answer and the wait.
    let mut events = client.events();
    let response = client.send_with_timeout(action, t).await?;
    let id = response.action_id().to_string();
    // An event that overtook the answer was collected with it.
    if let Some(m) = response.events.iter().find(|m| is_outcome(m, &id)) {
        let outcome = Outcome::of(m);
        return Ok(Box::pin(async move { Some(outcome) }));
    }
    Ok(Box::pin(async move {
        let wait = async {
            loop {
                match events.recv().await {
                    Ok(m) if is_outcome(&m, &id) => return Some(Outcome::of(&m)),
                    Ok(_) | Err(RecvError::Lagged(_)) => {}
                    Err(RecvError::Closed) => return None,
                }
            }
        };
        tokio::time::timeout(outcome_within, wait)
            .await
            .ok()
            .flatten()
    }))
}

/// Wait for the outcome in the background and record it; a failure to record is logged.
pub fn on_outcome<F>(what: &'static str, pending: PendingOutcome, record: F)
where
    F: FnOnce(Option<Outcome>) -> BoxFuture<'static, ApiResult<()>> + Send + 'static,
{
    tokio::spawn(async move {
        let outcome = pending.await;
        if let Err(e) = record(outcome).await {
            tracing::warn!(what, error = %e, "recording a call outcome failed");
        }
    });
}

/// Record a DIAL's outcome on its `dc_dialcalls` row, and give its id to CDRs already stored.
pub async fn record_dial(
    db: crate::db::Db,
    originateid: String,
    outcome: Option<Outcome>,
) -> ApiResult<()> {
    use entity::dc_dialcalls;
    use sea_orm::sea_query::{Expr, ExprTrait, Query};
    use sea_orm::ConnectionTrait;
    let now = chrono::Utc::now().naive_utc();
    let mut u = Query::update();
    u.table(dc_dialcalls::Entity)
        .value(dc_dialcalls::Column::DcUpdated, now)
        .and_where(Expr::col(dc_dialcalls::Column::DcOriginateid).eq(originateid.as_str()))
        .and_where(Expr::col(dc_dialcalls::Column::DcState).eq("queued"));
    match &outcome {
        Some(o) => {
            u.value(dc_dialcalls::Column::DcState, o.state())
                .value(dc_dialcalls::Column::DcReason, o.reason)
                .value(dc_dialcalls::Column::DcUniqueid, o.uniqueid.as_str())
                .value(dc_dialcalls::Column::DcChannel, o.channel.as_str());
        }
        None => {
            u.value(dc_dialcalls::Column::DcState, "unknown");
        }
    }
    let txn = db.begin_write().await?;
    txn.execute(&u).await?;
    if let Some(o) = outcome.filter(|o| !o.uniqueid.is_empty()) {
        use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
        let node: Option<String> = dc_dialcalls::Entity::find()
            .filter(dc_dialcalls::Column::DcOriginateid.eq(originateid.as_str()))
            .one(&*txn)
            .await?
            .map(|d| d.dc_node);
        if let Some(node) = node {
            crate::cdr::events::link_originate(&*txn, &node, &o.uniqueid, &originateid).await?;
        }
    }
    txn.commit().await?;
    Ok(())
}

/// A connected node of the tenant for a call: the one named by `server`; else, for a PJSIP
/// `device` (`103-ACME`), a node where it has a reachable contact; else the next one in turn.
pub async fn pick_node(
    cluster: &crate::cluster::Cluster,
    t: &crate::auth::TenantRef,
    server: Option<&str>,
    device: Option<&str>,
) -> ApiResult<crate::cluster::Node> {
    use crate::error::ApiError;
    let nodes: Vec<_> = crate::cluster::live::nodes_for(cluster, Some(t.id))
        .await?
        .into_iter()
        .filter(crate::cluster::Node::is_connected)
        .collect();
    if let Some(name) = server {
        return nodes
            .into_iter()
            .find(|n| n.name.eq_ignore_ascii_case(name.trim()))
            .ok_or_else(|| {
                ApiError::invalid(format!(
                    "parameter 'server': no connected node '{}' for tenant {}",
                    name.trim(),
                    t.code
                ))
            });
    }
    if nodes.is_empty() {
        return Err(ApiError::Conflict(
            "no Asterisk node is connected; try again later".into(),
        ));
    }
    if let Some(device) = device {
        let answers = crate::cluster::live::contacts(cluster, &nodes).await;
        for (node, resp) in answers.ok {
            let registered = resp
                .events
                .iter()
                .any(|e| e.get("Endpoint") == Some(device) && crate::cluster::live::reachable(e));
            if registered {
                return Ok(node);
            }
        }
    }
    Ok(cluster.next_of(&nodes))
}

/// The id of a call Switchboard places (DIAL, fax, campaign): `<node>-<16 hex>`, stored with
/// the call so its CDR and recording can be found by it.
pub fn originate_id(node: &str) -> String {
    format!(
        "{node}-{}",
        &uuid::Uuid::new_v4().simple().to_string()[..16]
    )
}

/// A phone number as dialled: digits, `*`, `#`, a leading `+`; at most 40 characters. The one
/// check of every number a request dials (DIAL, TRANSFER, FAX, CAMPAIGN).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct PhoneNumber(String);

impl PhoneNumber {
    /// Parameter `name`'s value, trimmed; an error names the parameter.
    pub fn parse(name: &str, v: &str) -> ApiResult<PhoneNumber> {
        let v = v.trim();
        let ok = !v.is_empty()
            && v.len() <= 40
            && v.chars()
                .enumerate()
                .all(|(i, c)| c.is_ascii_digit() || c == '*' || c == '#' || (c == '+' && i == 0));
        if ok {
            Ok(PhoneNumber(v.to_string()))
        } else {
            Err(crate::error::ApiError::invalid(format!(
                "parameter '{name}' must be a phone number (digits, '*', '#', a leading '+')"
            )))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Display for PhoneNumber {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}
