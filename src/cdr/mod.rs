//! Call records: the one enrichment function every CDR goes through (file import today, AMI
//! `Cdr` events from the cluster later), storage, reports, templates, layouts and recordings.
//!
//! **Identity of a call leg.** Asterisk's `uniqueid` names a channel, not a CDR: since Asterisk 12
//! one channel that dials several parties (forked or one after another) writes several CDRs with
//! the same uniqueid, and two nodes (or a restart within one second) can hand out the same
//! `epoch.seq`. A leg is therefore identified by `(uniqueid, node, start, dstchannel)` — unique in
//! the recorded fixture and stable across re-imports and across the file and AMI paths, so a
//! re-import (or the same call arriving both ways) adds nothing.

pub mod cli;
pub mod events;
pub mod import;
pub mod ivrlog;
pub mod layout;
pub mod recording;
pub mod report;
pub mod template;

use crate::error::{internal, ApiResult};
use chrono::NaiveDateTime;
use entity::{cdr, sc_simplecdrs};
use sea_orm::{
    ActiveValue::NotSet, ConnectionTrait, EntityTrait, IntoActiveModel, TryInsertResult,
};

/// The fields Asterisk writes for one CDR (cdr_csv, cdr_custom or the AMI `Cdr` event).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct CdrFields {
    pub accountcode: String,
    pub src: String,
    pub dst: String,
    pub dcontext: String,
    pub clid: String,
    pub channel: String,
    pub dstchannel: String,
    pub lastapp: String,
    pub lastdata: String,
    pub start: NaiveDateTime,
    pub answer: Option<NaiveDateTime>,
    pub end: Option<NaiveDateTime>,
    pub duration: i32,
    pub billsec: i32,
    pub disposition: String,
    pub amaflags: String,
    pub uniqueid: String,
    pub userfield: String,
    /// Not written by cdr_csv; present in cdr_custom layouts and AMI events that carry them.
    pub linkedid: String,
    pub peeraccount: String,
    /// The DIAL originate id, when the call was started through the API.
    pub originateid: String,
}

pub use crate::device::{Party, Tenants};

/// `"Name" <number>` → (name, number).
pub fn split_clid(clid: &str) -> (String, String) {
    match clid.rsplit_once('<') {
        Some((name, rest)) => (
            name.trim().trim_matches('"').to_string(),
            rest.trim_end().trim_end_matches('>').to_string(),
        ),
        None => (String::new(), clid.trim().to_string()),
    }
}

/// A CDR with what Switchboard derives, ready to store.
#[derive(Debug, Clone, PartialEq)]
pub struct Enriched {
    pub cdr: cdr::Model,
    pub simple: sc_simplecdrs::Model,
}

pub const INBOUND: &str = "[inbound]";
pub const OUTBOUND: &str = "[outbound]";

/// Derive what Asterisk does not write: the tenant (from channel, account and context names),
/// the direction (`IN` from outside to an extension, `OUT` from an extension to outside, `LOCAL`
/// between extensions) with its `[inbound]`/`[outbound]` userfield tag, the real source number,
/// the first and last destination, and the simple call history row.
pub fn enrich(f: &CdrFields, node: &str, tenants: &Tenants) -> Enriched {
    let from = tenants
        .party(&f.channel)
        .or_else(|| tenants.party(&f.accountcode));
    let to = tenants
        .party(&f.dstchannel)
        .or_else(|| tenants.party(&f.peeraccount));
    let context_tenant = tenants.context(f.dcontext.trim());
    let te_id = from
        .as_ref()
        .or(to.as_ref())
        .map(|p| p.te_id)
        .or(context_tenant)
        .unwrap_or(0);
    let direction = match (&from, &to) {
        (Some(_), Some(_)) => "LOCAL",
        (Some(_), None) => "OUT",
        (None, Some(_)) => "IN",
        (None, None) if context_tenant.is_some() => "IN",
        (None, None) => "",
    };
    let tag = match direction {
        "IN" => INBOUND,
        "OUT" => OUTBOUND,
        _ => "",
    };
    let userfield = if tag.is_empty() || f.userfield.contains(tag) {
        f.userfield.clone()
    } else {
        format!("{tag}{}", f.userfield)
    };
    let realsrc = from
        .as_ref()
        .map_or_else(|| f.src.clone(), |p| p.number.clone());
    let firstdst = f.dst.clone();
    let lastdst = to
        .as_ref()
        .map_or_else(|| f.dst.clone(), |p| p.number.clone());
    let answered = f.disposition.eq_ignore_ascii_case("ANSWERED");
    let (clid_name, clid_num) = split_clid(&f.clid);
    let cdr = cdr::Model {
        id: 0,
        te_id,
        start: f.start,
        answer: f.answer,
        end: f.end,
        clid: f.clid.clone(),
        src: f.src.clone(),
        dst: f.dst.clone(),
        realsrc: realsrc.clone(),
        firstdst: firstdst.clone(),
        lastdst: lastdst.clone(),
        dcontext: f.dcontext.clone(),
        channel: f.channel.clone(),
        dstchannel: f.dstchannel.clone(),
        lastapp: f.lastapp.clone(),
        lastdata: f.lastdata.clone(),
        duration: f.duration,
        billsec: f.billsec,
        disposition: f.disposition.clone(),
        amaflags: f.amaflags.clone(),
        accountcode: f.accountcode.clone(),
        userfield,
        uniqueid: f.uniqueid.clone(),
        linkedid: f.linkedid.clone(),
        peeraccount: f.peeraccount.clone(),
        originateid: f.originateid.clone(),
        wherelanded: String::new(),
        direction: direction.to_string(),
        node: node.to_string(),
    };
    let simple = sc_simplecdrs::Model {
        sc_id: 0,
        sc_te_id: te_id,
        sc_start: f.start,
        sc_direction: direction.to_string(),
        sc_calleridnum: if from.is_some() || clid_num.is_empty() {
            realsrc
        } else {
            clid_num
        },
        sc_calleridname: clid_name,
        sc_dialednum: firstdst,
        sc_disposition: f.disposition.clone(),
        sc_duration: f.duration,
        sc_billsec: f.billsec,
        sc_uniqueid: f.uniqueid.clone(),
        sc_whoanswered: if answered { lastdst } else { String::new() },
        sc_cdr_id: 0,
    };
    Enriched { cdr, simple }
}

/// Store one enriched CDR with its simple history row. Returns `false` when the leg was already
/// stored (idempotent: see the module comment for the leg's identity).
pub async fn store(conn: &impl ConnectionTrait, e: &Enriched) -> ApiResult<bool> {
    let mut am = e.cdr.clone().into_active_model();
    am.id = NotSet;
    let result = cdr::Entity::insert(am)
        .on_conflict_do_nothing_on([
            cdr::Column::Uniqueid,
            cdr::Column::Node,
            cdr::Column::Start,
            cdr::Column::Dstchannel,
        ])
        .exec(conn)
        .await?;
    let id = match result {
        TryInsertResult::Inserted(r) => r.last_insert_id,
        TryInsertResult::Conflicted | TryInsertResult::Empty => return Ok(false),
    };
    let mut simple = e.simple.clone().into_active_model();
    simple.sc_id = NotSet;
    simple.sc_cdr_id = sea_orm::Set(id);
    sc_simplecdrs::Entity::insert(simple)
        .exec_without_returning(conn)
        .await
        .map_err(internal)?;
    Ok(true)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tenants() -> Tenants {
        Tenants::new([
            (1, "DEVEL".to_string(), None),
            (2, "ACME".to_string(), Some("acme-phones".to_string())),
        ])
    }

    fn at(s: &str) -> NaiveDateTime {
        NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M:%S").unwrap()
    }

    #[test]
    fn direction_and_userfield() {
        let t = tenants();
        let base = CdrFields {
            start: at("2026-11-22 10:00:00"),
            disposition: "ANSWERED".into(),
            ..Default::default()
        };
        let out = enrich(
            &CdrFields {
                channel: "PJSIP/103-DEVEL-00000001".into(),
                dstchannel: "PJSIP/trunk-00000002".into(),
                src: "103".into(),
                dst: "0039061234".into(),
                ..base.clone()
            },
            "n1",
            &t,
        );
        assert_eq!(
            (
                out.cdr.te_id,
                out.cdr.direction.as_str(),
                out.cdr.userfield.as_str()
            ),
            (1, "OUT", OUTBOUND)
        );
        assert_eq!(out.cdr.lastdst, "0039061234");
        let inbound = enrich(
            &CdrFields {
                channel: "PJSIP/trunk-00000003".into(),
                dstchannel: "PJSIP/104-DEVEL-00000004".into(),
                clid: "\"Bob\" <5551234>".into(),
                src: "5551234".into(),
                dst: "0612345".into(),
                userfield: "x".into(),
                ..base.clone()
            },
            "n1",
            &t,
        );
        assert_eq!(inbound.cdr.direction, "IN");
        assert_eq!(inbound.cdr.userfield, "[inbound]x");
        assert_eq!(
            (
                inbound.cdr.realsrc.as_str(),
                inbound.cdr.firstdst.as_str(),
                inbound.cdr.lastdst.as_str()
            ),
            ("5551234", "0612345", "104")
        );
        assert_eq!(inbound.simple.sc_calleridname, "Bob");
        assert_eq!(inbound.simple.sc_whoanswered, "104");
        let local = enrich(
            &CdrFields {
                channel: "PJSIP/103-DEVEL-00000005".into(),
                dstchannel: "PJSIP/104-DEVEL-00000006".into(),
                ..base.clone()
            },
            "n1",
            &t,
        );
        assert_eq!(
            (local.cdr.direction.as_str(), local.cdr.userfield.as_str()),
            ("LOCAL", "")
        );
        let unknown = enrich(
            &CdrFields {
                channel: "Local/100@from-internal-00000000;1".into(),
                ..base
            },
            "n1",
            &t,
        );
        assert_eq!((unknown.cdr.te_id, unknown.cdr.direction.as_str()), (0, ""));
    }

    #[test]
    fn clid_split() {
        assert_eq!(
            split_clid("\"Probe\" <5551234>"),
            ("Probe".into(), "5551234".into())
        );
        assert_eq!(split_clid("\"\" <>"), (String::new(), String::new()));
        assert_eq!(split_clid("5551234"), (String::new(), "5551234".into()));
    }
}
