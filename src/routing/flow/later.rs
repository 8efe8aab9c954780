//! Later steps: the step after one that ended unanswered, and what an IVR does with an input.

use super::{decision, refuse, tenant, Cx, Outcome, Tenant};
use crate::routing::cont::{source_kind, Cont, Frame};
use crate::routing::{Decision, RouteResult, Step};
use chrono::{DateTime, Utc};
use entity::{
    co_conditions as co, de_destinations as de, di_dids as di, ex_extensions as ex,
    hu_huntlists as hu, iv_ivrs as iv, qu_queues as qu,
};
use sea_orm::{ConnectionTrait, EntityTrait};

/// The tenant that owns the object a frame names.
async fn owner(conn: &impl ConnectionTrait, frame: &Frame) -> RouteResult<Option<i32>> {
    let (kind, id) = match frame {
        Frame::List { src, id, .. } => (source_kind(src).unwrap_or(""), *id),
        Frame::Ext(id) => ("extension", *id),
    };
    Ok(match kind {
        "did" => di::Entity::find_by_id(id)
            .one(conn)
            .await?
            .map(|r| r.di_te_id),
        "condition" => co::Entity::find_by_id(id)
            .one(conn)
            .await?
            .map(|r| r.co_te_id),
        "extension" => ex::Entity::find_by_id(id)
            .one(conn)
            .await?
            .map(|r| r.ex_te_id),
        "ivr" => iv::Entity::find_by_id(id)
            .one(conn)
            .await?
            .map(|r| r.iv_te_id),
        "queue" => qu::Entity::find_by_id(id)
            .one(conn)
            .await?
            .map(|r| r.qu_te_id),
        "huntlist" => hu::Entity::find_by_id(id)
            .one(conn)
            .await?
            .map(|r| r.hu_te_id),
        _ => None,
    })
}

/// The tenant of a continuation: the owner of every object it names (one tenant, or refused).
async fn cont_tenant(
    conn: &impl ConnectionTrait,
    cont: &Cont,
) -> RouteResult<Result<Option<Tenant>, String>> {
    let mut found = None;
    for frame in &cont.0 {
        match (owner(conn, frame).await?, found) {
            (None, _) => {
                return Ok(Err(
                    "the continuation names an object that does not exist".into()
                ))
            }
            (Some(o), Some(f)) if o != f => {
                return Ok(Err(
                    "the continuation names objects of several tenants".into()
                ))
            }
            (Some(o), _) => found = Some(o),
        }
    }
    match found {
        Some(id) => Ok(Ok(tenant(conn, id).await?)),
        None => Ok(Ok(None)),
    }
}

/// The step after one that ended without an answer (`outcome` as the node saw it).
pub async fn next(
    conn: &impl ConnectionTrait,
    token: &str,
    outcome: Outcome,
    now: DateTime<Utc>,
) -> RouteResult<Decision> {
    let mut cont = match Cont::parse(token) {
        Ok(c) => c,
        Err(e) => return Ok(refuse(format!("bad continuation: {e}"))),
    };
    let te = match cont_tenant(conn, &cont).await? {
        Err(e) => return Ok(refuse(e)),
        // Nothing left to do: the call ends.
        Ok(None) => {
            return Ok(Decision {
                step: Step::Hangup,
                ..Decision::refuse("")
            })
        }
        Ok(Some(te)) => te,
    };
    let mut cx = Cx::new(conn, te, now);
    if let Some(Frame::Ext(id)) = cont.0.last().cloned() {
        cont.pop();
        if let Some(row) = cx.extension(id).await? {
            if let Some(step) = cx.ext_unanswered(&row, outcome, &mut cont).await? {
                return Ok(decision(&cx.te, step, cont));
            }
        }
    }
    cx.run(cont).await
}

/// What an IVR does with `input`: a key (`0-9*#`), `t` (timeout) or `i` (invalid), on its
/// `attempt`-th play (from 1), the call continuing with `token` after the IVR.
pub async fn ivr_input(
    conn: &impl ConnectionTrait,
    ivr_id: i32,
    attempt: u32,
    input: &str,
    token: &str,
    now: DateTime<Utc>,
) -> RouteResult<Decision> {
    let Some(ivr) = iv::Entity::find_by_id(ivr_id).one(conn).await? else {
        return Ok(refuse(format!("no IVR {ivr_id}")));
    };
    let mut cont = match Cont::parse(token) {
        Ok(c) => c,
        Err(e) => return Ok(refuse(format!("bad continuation: {e}"))),
    };
    match cont_tenant(conn, &cont).await? {
        Err(e) => return Ok(refuse(e)),
        Ok(Some(t)) if t.id != ivr.iv_te_id => {
            return Ok(refuse(
                "the continuation belongs to another tenant than the IVR",
            ))
        }
        Ok(_) => {}
    }
    let Some(te) = tenant(conn, ivr.iv_te_id).await? else {
        return Ok(refuse(format!("IVR {ivr_id} has no tenant")));
    };
    let mut cx = Cx::new(conn, te, now);
    let key = input.trim();
    let is_key = key.len() == 1
        && key
            .chars()
            .all(|c| c.is_ascii_digit() || c == '*' || c == '#');
    if is_key {
        let src = format!("IVR_{key}");
        if let Some(first) = cx.destination_at(&src, ivr_id, 0).await? {
            if !cont.push(Frame::List {
                src,
                id: ivr_id,
                pos: 0,
            }) {
                return Ok(decision(
                    &cx.te,
                    Step::Refuse {
                        reason: "destinations nested too deeply".into(),
                    },
                    cont,
                ));
            }
            let mut d = cx.run(cont).await?;
            d.ivr_choice = Some(tag(&first));
            return Ok(d);
        }
    }
    let kind = if key == "t" { "TIMEOUT" } else { "INVALID" };
    if attempt <= ivr.iv_maxretries.max(0) as u32 {
        let mut d = decision(&cx.te, cx.ivr_step(&ivr, attempt + 1).await?, cont);
        d.ivr_choice = Some(format!("IVR-{ivr_id}"));
        return Ok(d);
    }
    let src = format!("IVR_{kind}");
    let first = cx.destination_at(&src, ivr_id, 0).await?;
    if !cont.push(Frame::List {
        src,
        id: ivr_id,
        pos: 0,
    }) {
        return Ok(decision(
            &cx.te,
            Step::Refuse {
                reason: "destinations nested too deeply".into(),
            },
            cont,
        ));
    }
    let mut d = cx.run(cont).await?;
    d.ivr_choice = Some(first.as_ref().map(tag).unwrap_or_default());
    Ok(d)
}

fn tag(d: &de::Model) -> String {
    if d.de_type_id_dst.is_empty() {
        d.de_type_dst.clone()
    } else {
        format!("{}-{}", d.de_type_dst, d.de_type_id_dst)
    }
}
