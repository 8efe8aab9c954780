//! AMI `Cdr` events (cdr_manager) → the same record the Master.csv import builds, through
//! [`super::enrich`] and [`super::store`] (idempotent: a leg seen twice, or by file and by event,
//! is stored once).
//!
//! cdr_manager sends the standard fields. `LinkedID`, `PeerAccount` and `OriginateID` are read
//! when the node maps them (`cdr_manager.conf` `[mappings]`, e.g. `originateid => OriginateID`
//! with `Set(CDR(originateid)=${ORIGINATEID})` in the dialplan). Without that mapping the DIAL
//! id is found through the call's uniqueid, which the Originate's `OriginateResponse` reported.

use super::import::{number, time};
use super::{enrich, store, CdrFields, Tenants};
use crate::ami::Message;
use crate::error::{ApiError, ApiResult};
use entity::{cdr, dc_dialcalls};
use sea_orm::sea_query::{Expr, ExprTrait, Query};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// The CDR fields of a `Cdr` event; an error names the header that is missing or malformed.
pub fn fields(m: &Message) -> Result<CdrFields, String> {
    let get = |name: &str| m.get(name).unwrap_or("").trim().to_string();
    let f = CdrFields {
        accountcode: get("AccountCode"),
        src: get("Source"),
        dst: get("Destination"),
        dcontext: get("DestinationContext"),
        clid: get("CallerID"),
        channel: get("Channel"),
        dstchannel: get("DestinationChannel"),
        lastapp: get("LastApplication"),
        lastdata: get("LastData"),
        start: time("StartTime", &get("StartTime"))?.ok_or("header 'StartTime' is missing")?,
        answer: time("AnswerTime", &get("AnswerTime"))?,
        end: time("EndTime", &get("EndTime"))?,
        duration: number("Duration", &get("Duration"))?,
        billsec: number("BillableSeconds", &get("BillableSeconds"))?,
        disposition: get("Disposition"),
        amaflags: get("AMAFlags"),
        uniqueid: get("UniqueID"),
        userfield: get("UserField"),
        linkedid: get("LinkedID"),
        peeraccount: get("PeerAccount"),
        originateid: get("OriginateID"),
    };
    if f.uniqueid.is_empty() {
        return Err("header 'UniqueID' is missing".into());
    }
    Ok(f)
}

/// The tenants as the `Cdr` handler sees them: loaded once, not per event, and loaded again
/// when older than [`TENANTS_TTL`], or at once (at most every second) when a call matches no
/// tenant, since one may just have been added.
#[derive(Default)]
pub struct TenantCache(tokio::sync::Mutex<Option<(Instant, Arc<Tenants>)>>);

const TENANTS_TTL: Duration = Duration::from_secs(30);

impl TenantCache {
    async fn get(&self, conn: &impl ConnectionTrait, max_age: Duration) -> ApiResult<Arc<Tenants>> {
        let mut slot = self.0.lock().await;
        if let Some((_, t)) = slot.as_ref().filter(|(at, _)| at.elapsed() < max_age) {
            return Ok(t.clone());
        }
        let t = Arc::new(Tenants::load(conn).await?);
        *slot = Some((Instant::now(), t.clone()));
        Ok(t)
    }
}

/// What else reacts to a stored CDR leg, in the transaction that stores it: `(node, the
/// uniqueids of the call)`. Subscribed at start-up in app.rs (the campaign dialer frees the
/// call's slot), so this module does not call upward.
pub type CdrStored = for<'a> fn(
    &'a sea_orm::DatabaseTransaction,
    &'a str,
    &'a [String],
) -> futures_util::future::BoxFuture<'a, ApiResult<()>>;

/// The `Cdr` event handler: store the leg and link it to the call that placed it.
/// `node` is the name of the node that sent `message`; `zone`, the zone of its clock, in which
/// cdr_manager writes the times (stored in UTC).
pub async fn on_cdr(
    db: &crate::db::Db,
    node: &str,
    zone: chrono_tz::Tz,
    message: &Message,
    tenants: &TenantCache,
    stored: &[CdrStored],
) -> ApiResult<()> {
    let mut f = fields(message).map_err(|why| ApiError::invalid(format!("Cdr event: {why}")))?;
    f.start = crate::time::to_utc(f.start, zone);
    f.answer = f.answer.map(|t| crate::time::to_utc(t, zone));
    f.end = f.end.map(|t| crate::time::to_utc(t, zone));
    let mut record = enrich(&f, node, &*tenants.get(&db.conn, TENANTS_TTL).await?);
    if record.cdr.te_id == 0 {
        let fresh = tenants.get(&db.conn, Duration::from_secs(1)).await?;
        record = enrich(&f, node, &fresh);
    }
    let ids: Vec<String> = [&f.uniqueid, &f.linkedid]
        .into_iter()
        .filter(|s| !s.is_empty())
        .cloned()
        .collect();
    let txn = db.begin_write().await?;
    if record.cdr.originateid.is_empty() {
        if let Some(dial) = dc_dialcalls::Entity::find()
            .filter(dc_dialcalls::Column::DcNode.eq(node))
            .filter(dc_dialcalls::Column::DcUniqueid.is_in(ids.clone()))
            .one(&*txn)
            .await?
        {
            record.cdr.originateid = dial.dc_originateid;
        }
    }
    store(&*txn, &record).await?;
    for hook in stored {
        hook(&txn, node, &ids).await?;
    }
    txn.commit().await?;
    Ok(())
}

/// A DIAL's OriginateResponse named its call: CDRs of that call stored before it learn the id.
pub async fn link_originate(
    conn: &impl ConnectionTrait,
    node: &str,
    uniqueid: &str,
    originateid: &str,
) -> ApiResult<()> {
    let mut u = Query::update();
    u.table(cdr::Entity)
        .value(cdr::Column::Originateid, originateid)
        .and_where(Expr::col(cdr::Column::Node).eq(node))
        .and_where(
            Expr::col(cdr::Column::Uniqueid)
                .eq(uniqueid)
                .or(Expr::col(cdr::Column::Linkedid).eq(uniqueid)),
        )
        .and_where(Expr::col(cdr::Column::Originateid).eq(""));
    conn.execute(&u).await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn event(pairs: &[(&str, &str)]) -> Message {
        let mut m = Message::new();
        m.push("Event", "Cdr");
        for (k, v) in pairs {
            m.push(*k, *v);
        }
        m
    }

    #[test]
    fn fields_of_a_recorded_event() {
        // As recorded from Asterisk 22 (shared/spec/ami-transcripts/asterisk-22-main.txt).
        let m = event(&[
            ("Source", "5551234"),
            ("Destination", "200"),
            ("DestinationContext", "from-internal"),
            ("Channel", "Local/100@from-internal-00000000;1"),
            ("DestinationChannel", ""),
            ("LastApplication", "Echo"),
            ("LastData", ""),
            ("StartTime", "2026-11-22 03:59:22"),
            ("AnswerTime", "2026-11-22 03:59:22"),
            ("EndTime", "2026-11-22 03:59:24"),
            ("Duration", "1"),
            ("BillableSeconds", "1"),
            ("Disposition", "ANSWERED"),
            ("AMAFlags", "DOCUMENTATION"),
            ("UniqueID", "1795319962.0"),
            ("UserField", ""),
        ]);
        let f = fields(&m).unwrap();
        assert_eq!(f.uniqueid, "1795319962.0");
        assert_eq!(f.start.to_string(), "2026-11-22 03:59:22");
        assert_eq!((f.duration, f.billsec), (1, 1));
        assert_eq!(f.lastapp, "Echo");
    }

    #[test]
    fn malformed_events_name_the_header() {
        let base = [("StartTime", "2026-11-22 03:59:22"), ("UniqueID", "1.0")];
        assert!(fields(&event(&base)).is_ok());
        let err = fields(&event(&[("UniqueID", "1.0")])).unwrap_err();
        assert!(err.contains("StartTime"), "{err}");
        let err = fields(&event(&[("StartTime", "yesterday"), ("UniqueID", "1.0")])).unwrap_err();
        assert!(err.contains("StartTime"), "{err}");
        let err = fields(&event(&[base[0]])).unwrap_err();
        assert!(err.contains("UniqueID"), "{err}");
        let err = fields(&event(&[base[0], base[1], ("Duration", "x")])).unwrap_err();
        assert!(err.contains("Duration"), "{err}");
    }
}
