//! Outside numbers: the dial strings through the provider routes of the tenant's routing profile.

use super::{dialable, setting, Cx, MAX_ROUTES, OUTBOUND_RING_SECONDS, ROUTING_PROFILE};
use crate::routing::{Failover, RouteResult, Step};
use entity::{dl_routes as dl, pr_providers as pr};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder};

impl<C: ConnectionTrait> Cx<'_, C> {
    /// Dial strings for `number` through the matching routes: emergency routes only
    /// (`emergency`; the tenant's profile first, then every profile), or the tenant's profile.
    pub(super) async fn routes(&self, number: &str, emergency: bool) -> RouteResult<Vec<String>> {
        let profile = setting(self.conn, self.te.id, ROUTING_PROFILE)
            .await?
            .and_then(|v| v.trim().parse::<i32>().ok());
        let mut q = dl::Entity::find();
        if emergency {
            q = q.filter(dl::Column::DlEmergencyroute.eq("on"));
        } else {
            let Some(p) = profile else { return Ok(vec![]) };
            q = q.filter(dl::Column::DlRpId.eq(p));
        }
        let mut routes = q
            .order_by_asc(dl::Column::DlOrd)
            .order_by_asc(dl::Column::DlId)
            .all(self.conn)
            .await?;
        if emergency {
            // The tenant's own profile first, the others after (stable within each).
            routes.sort_by_key(|r| Some(r.dl_rp_id) != profile);
        }
        let mut targets = vec![];
        for r in routes {
            if targets.len() == MAX_ROUTES {
                break;
            }
            let Ok(re) = regex::RegexBuilder::new(&r.dl_regex)
                .size_limit(1 << 20)
                .build()
            else {
                tracing::warn!(route = r.dl_id, "route pattern does not compile: skipped");
                continue;
            };
            if !re.is_match(number) {
                continue;
            }
            let strip = r.dl_strip.max(0) as usize;
            let Some(rest) = number.get(strip..).filter(|s| !s.is_empty()) else {
                continue;
            };
            let out = format!("{}{rest}", r.dl_prepend);
            let Some(p) = pr::Entity::find_by_id(r.dl_pr_id).one(self.conn).await? else {
                continue;
            };
            let target = match p.pr_tech.as_str() {
                "SIP" => format!("SIP/{}/{out}", p.pr_peername),
                _ => format!("PJSIP/{out}@{}", p.pr_peername),
            };
            if !targets.contains(&target) {
                targets.push(target);
            }
        }
        Ok(targets)
    }

    /// An outside number through the routes (`emergency_checked`: the emergency routes were
    /// already looked at and matched nothing).
    pub(super) async fn outbound(
        &self,
        number: &str,
        emergency_checked: bool,
    ) -> RouteResult<Step> {
        if !dialable(number) {
            return Ok(Step::Refuse {
                reason: format!("'{number}' cannot be dialled"),
            });
        }
        let mut targets = if emergency_checked {
            vec![]
        } else {
            self.routes(number, true).await?
        };
        if targets.is_empty() {
            targets = self.routes(number, false).await?;
        }
        if targets.is_empty() {
            return Ok(Step::Refuse {
                reason: format!("no route for {number}"),
            });
        }
        Ok(Step::Dial {
            targets,
            timeout: OUTBOUND_RING_SECONDS,
            failover: Failover::Unavailable,
        })
    }
}
