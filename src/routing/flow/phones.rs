//! A number dialled by a phone: its own tenant's extensions, queues and hunt lists, emergency
//! numbers, or an outside number.

use super::{decision, dialable, refuse, tenant, Cx, OUTBOUND_RING_SECONDS};
use crate::routing::cont::Cont;
use crate::routing::{Decision, Failover, RouteResult, Step};
use chrono::{DateTime, Utc};
use entity::{ex_extensions as ex, hu_huntlists as hu, qu_queues as qu};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter};

/// The device (endpoint) name in a channel name: `PJSIP/100-ACME-0000001a` → `100-ACME`.
/// Channel names are Asterisk's, made from the endpoint Switchboard provisioned.
pub fn device_of_channel(channel: &str) -> Option<&str> {
    let rest = channel
        .strip_prefix("PJSIP/")
        .or_else(|| channel.strip_prefix("SIP/"))?;
    let (device, seq) = rest.rsplit_once('-')?;
    (!device.is_empty() && !seq.is_empty() && seq.chars().all(|c| c.is_ascii_hexdigit()))
        .then_some(device)
}

/// A phone (the channel `channel`) dialled `dialled`: an extension, queue or hunt list of its
/// own tenant, an emergency number, or an outside number through the tenant's routes.
pub async fn internal(
    conn: &impl ConnectionTrait,
    channel: &str,
    dialled: &str,
    now: DateTime<Utc>,
) -> RouteResult<Decision> {
    let Some(device) = device_of_channel(channel) else {
        return Ok(refuse(format!("'{channel}' is not a phone's channel")));
    };
    let Some(caller) = ex::Entity::find()
        .filter(ex::Column::ExUsername.eq(device))
        .one(conn)
        .await?
    else {
        return Ok(refuse(format!("no extension has the device {device}")));
    };
    let Some(te) = tenant(conn, caller.ex_te_id).await? else {
        return Ok(refuse(format!("device {device} has no tenant")));
    };
    let dialled = dialled.trim();
    let mut cx = Cx::new(conn, te, now);
    cx.caller = Some((caller.ex_id, caller.ex_number.clone()));
    if !dialable(dialled) {
        return Ok(decision(
            &cx.te,
            Step::Refuse {
                reason: format!("'{dialled}' cannot be dialled"),
            },
            Cont::default(),
        ));
    }
    // Emergency numbers go out whatever else holds.
    let emergency = cx.dial_strings(dialled, true).await?;
    if !emergency.is_empty() {
        let step = Step::Dial {
            targets: emergency,
            timeout: OUTBOUND_RING_SECONDS,
            failover: Failover::Unavailable,
        };
        return Ok(decision(&cx.te, step, Cont::default()));
    }
    if cx.te.disabled {
        return Ok(decision(
            &cx.te,
            Step::Refuse {
                reason: "tenant disabled".into(),
            },
            Cont::default(),
        ));
    }
    let te_id = cx.te.id;
    let target = if let Some(e) = ex::Entity::find()
        .filter(ex::Column::ExTeId.eq(te_id))
        .filter(ex::Column::ExNumber.eq(dialled))
        .one(conn)
        .await?
    {
        Some(("EXT", e.ex_id))
    } else if let Some(q) = qu::Entity::find()
        .filter(qu::Column::QuTeId.eq(te_id))
        .filter(qu::Column::QuNumber.eq(dialled))
        .one(conn)
        .await?
    {
        Some(("QUEUE", q.qu_id))
    } else {
        hu::Entity::find()
            .filter(hu::Column::HuTeId.eq(te_id))
            .filter(hu::Column::HuNumber.eq(dialled))
            .one(conn)
            .await?
            .map(|h| ("HUNTLIST", h.hu_id))
    };
    let mut cont = Cont::default();
    let found = match target {
        Some((tag, id)) => cx.exec(tag, &id.to_string(), &mut cont).await?,
        // Emergency routes were looked at above.
        None => Some(cx.outbound(dialled, true).await?),
    };
    match found {
        Some(step) => Ok(cx.decision(step, cont)),
        None => cx.run(cont).await,
    }
}
