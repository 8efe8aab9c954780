//! Outside numbers: the dial strings through the provider routes of the tenant's routing
//! profile, after normalisation and the toll-fraud guards (see `routing::guard`).

use super::{dialable, setting, Cx, MAX_ROUTES, OUTBOUND_RING_SECONDS, ROUTING_PROFILE};
use crate::routing::guard::{self, Admission, DestClass, Limits, Refusal, Settings};
use crate::routing::number::normalise;
use crate::routing::{Failover, RouteResult, Step};
use entity::{dl_routes as dl, pr_providers as pr};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder};

/// One way out: the dial string, its provider and the provider's `pr_maxchannels`.
pub(super) struct Target {
    dial: String,
    provider: i32,
    max_channels: i32,
}

impl<C: ConnectionTrait> Cx<'_, C> {
    /// The ways out for `number` through the matching routes: emergency routes only
    /// (`emergency`; the tenant's profile first, then every profile), or the tenant's profile.
    pub(super) async fn routes(&self, number: &str, emergency: bool) -> RouteResult<Vec<Target>> {
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
        let mut targets: Vec<Target> = vec![];
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
            let dial = match p.pr_tech.as_str() {
                "SIP" => format!("SIP/{}/{out}", p.pr_peername),
                _ => format!("PJSIP/{out}@{}", p.pr_peername),
            };
            if !targets.iter().any(|t| t.dial == dial) {
                targets.push(Target {
                    dial,
                    provider: p.pr_id,
                    max_channels: p.pr_maxchannels,
                });
            }
        }
        Ok(targets)
    }

    /// The dial strings of [`Cx::routes`].
    pub(super) async fn dial_strings(
        &self,
        number: &str,
        emergency: bool,
    ) -> RouteResult<Vec<String>> {
        Ok(self
            .routes(number, emergency)
            .await?
            .into_iter()
            .map(|t| t.dial)
            .collect())
    }

    fn dial(targets: Vec<String>) -> Step {
        Step::Dial {
            targets,
            timeout: OUTBOUND_RING_SECONDS,
            failover: Failover::Unavailable,
        }
    }

    /// An outside number through the routes (`emergency_checked`: the emergency routes were
    /// already looked at and matched nothing). Emergency routes and the plan's emergency
    /// numbers are never blocked; any other call passes the destination classes, and the
    /// decision carries the admission that counts it against the limits.
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
        if !emergency_checked {
            let emergency = self.dial_strings(number, true).await?;
            if !emergency.is_empty() {
                return Ok(Self::dial(emergency));
            }
        }
        let extension = self.caller.as_ref().map(|c| c.1.as_str());
        let settings = Settings::load(self.conn, self.te.id, extension).await?;
        let plan = settings.plan();
        let canonical = normalise(number, &plan);
        let class = DestClass::of(self.conn, number, &canonical, &plan).await?;
        if let Some(cause) = class.refused_by(&settings) {
            if let Ok(mut g) = self.guard.lock() {
                g.refusal = Some(Refusal {
                    te_id: self.te.id,
                    extension: extension.map(String::from),
                    number: number.to_string(),
                    cause,
                });
            }
            return Ok(guard::refusal_step(cause, number));
        }
        let targets = self.routes(&canonical.route_form(), false).await?;
        if targets.is_empty() {
            return Ok(Step::Refuse {
                reason: format!("no route for {number}"),
            });
        }
        if !class.emergency {
            if let Ok(mut g) = self.guard.lock() {
                g.admission = Some(Admission {
                    te_id: self.te.id,
                    tenant: self.te.code.clone(),
                    extension: self.caller.clone(),
                    number: number.to_string(),
                    limits: Limits::new(&settings, self.te.max_channels),
                    providers: targets
                        .iter()
                        .map(|t| (t.provider, t.max_channels))
                        .collect(),
                });
            }
        }
        Ok(Self::dial(targets.into_iter().map(|t| t.dial).collect()))
    }
}
