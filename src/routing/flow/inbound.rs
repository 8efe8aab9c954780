//! A call from a provider: find the DID it presents and walk its destinations.

use super::{decision, dialable, refuse, tenant, Cx};
use crate::routing::cont::{Cont, Frame};
use crate::routing::{Decision, RouteResult, Step};
use chrono::{DateTime, Utc};
use entity::{bl_calleridblacklist as bl, di_dids as di};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter};

enum DidMatch {
    One(di::Model),
    None,
    Ambiguous,
}

/// The DID as a provider presents it: `+39…`, `0039…`, `39…` (country, area, number) or the
/// national `06…` (area, number) or the bare number. The most complete match wins.
async fn find_did(conn: &impl ConnectionTrait, presented: &str) -> RouteResult<Option<DidMatch>> {
    let p = presented.trim();
    let (digits, international) = match (p.strip_prefix('+'), p.strip_prefix("00")) {
        (Some(d), _) | (_, Some(d)) => (d, true),
        _ => (p, false),
    };
    if digits.is_empty() || digits.len() > 32 || !digits.chars().all(|c| c.is_ascii_digit()) {
        return Ok(None);
    }
    let suffixes: Vec<String> = (0..digits.len()).map(|i| digits[i..].to_string()).collect();
    let rows = di::Entity::find()
        .filter(di::Column::DiNumber.is_in(suffixes))
        .all(conn)
        .await?;
    let score = |d: &di::Model| {
        if format!("{}{}{}", d.di_country, d.di_area, d.di_number) == digits {
            3
        } else if international {
            0
        } else if format!("{}{}", d.di_area, d.di_number) == digits {
            2
        } else if d.di_number == digits {
            1
        } else {
            0
        }
    };
    let best = rows.iter().map(score).max().unwrap_or(0);
    if best == 0 {
        return Ok(Some(DidMatch::None));
    }
    let mut top: Vec<di::Model> = rows.into_iter().filter(|d| score(d) == best).collect();
    Ok(Some(if top.len() == 1 {
        DidMatch::One(top.remove(0))
    } else {
        DidMatch::Ambiguous
    }))
}

/// A call from a provider to `did`, presented by `caller`.
pub async fn inbound(
    conn: &impl ConnectionTrait,
    did: &str,
    caller: &str,
    now: DateTime<Utc>,
) -> RouteResult<Decision> {
    let row = match find_did(conn, did).await? {
        None => return Ok(refuse(format!("'{did}' is not a DID"))),
        Some(DidMatch::None) => return Ok(refuse(format!("no DID {did}"))),
        Some(DidMatch::Ambiguous) => return Ok(refuse(format!("DID {did} matches several DIDs"))),
        Some(DidMatch::One(row)) => row,
    };
    let Some(te) = tenant(conn, row.di_te_id).await? else {
        return Ok(refuse(format!("DID {did} has no tenant")));
    };
    if te.disabled {
        return Ok(decision(
            &te,
            Step::Refuse {
                reason: "tenant disabled".into(),
            },
            Cont::default(),
        ));
    }
    let caller = caller.trim();
    if dialable(caller) {
        let blocked = bl::Entity::find()
            .filter(bl::Column::BlTeId.eq(te.id))
            .filter(bl::Column::BlNumber.eq(caller))
            .one(conn)
            .await?
            .is_some();
        if blocked {
            tracing::info!(tenant = %te.code, %caller, "blacklisted caller hung up");
            return Ok(decision(&te, Step::Hangup, Cont::default()));
        }
    }
    let mut cx = Cx::new(conn, te, now);
    let cont = Cont(vec![Frame::List {
        src: "DID".into(),
        id: row.di_id,
        pos: 0,
    }]);
    cx.run(cont).await
}
