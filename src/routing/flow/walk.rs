//! The walk: a continuation's destination lists, one destination at a time, until one needs the
//! node (extensions, hunt lists, IVRs, conditions, voicemail, media).

use super::{
    decision, media_name, setting, Cx, Outcome, EXT_RING_SECONDS, HUNTLIST_RING_SECONDS, MAX_HOPS,
};
use crate::routing::cont::{Cont, Frame};
use crate::routing::time;
use crate::routing::{Decision, Failover, RouteResult, Step, VoicemailGreeting};
use entity::{
    ce_conditionextendedinfos as ce, co_conditions as co, de_destinations as de,
    ex_extensions as ex, fl_flows as fl, hm_huntlistmembers as hm, hu_huntlists as hu,
    iv_ivrs as iv, me_mediafiles as me, qu_queues as qu, voicemail_users as vu,
};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect};

impl<C: ConnectionTrait> Cx<'_, C> {
    /// Walk the continuation until a destination needs the node; an exhausted walk hangs up.
    pub(super) async fn run(&mut self, mut cont: Cont) -> RouteResult<Decision> {
        loop {
            self.hops += 1;
            if self.hops > MAX_HOPS {
                let reason = "too many destinations in a row (a loop in the configuration?)";
                return Ok(decision(
                    &self.te,
                    Step::Refuse {
                        reason: reason.into(),
                    },
                    Cont::default(),
                ));
            }
            let Some(frame) = cont.pop() else {
                return Ok(decision(&self.te, Step::Hangup, cont));
            };
            // An extension frame with no outcome to apply: that extension's turn is over.
            let Frame::List { src, id, pos } = frame else {
                continue;
            };
            let Some(d) = self.destination_at(&src, id, pos).await? else {
                continue;
            };
            cont.push(Frame::List {
                src,
                id,
                pos: pos + 1,
            });
            if let Some(step) = self
                .exec(&d.de_type_dst, &d.de_type_id_dst, &mut cont)
                .await?
            {
                return Ok(self.decision(step, cont));
            }
        }
    }

    pub(super) async fn destination_at(
        &self,
        src: &str,
        id: i32,
        pos: usize,
    ) -> RouteResult<Option<de::Model>> {
        de::Entity::find()
            .filter(de::Column::DeTeId.eq(self.te.id))
            .filter(de::Column::DeTypeSrc.eq(src))
            .filter(de::Column::DeTypeIdSrc.eq(id))
            .order_by_asc(de::Column::DeOrd)
            .order_by_asc(de::Column::DeId)
            .offset(pos as u64)
            .limit(1)
            .one(self.conn)
            .await
    }

    pub(super) async fn extension(&self, id: i32) -> RouteResult<Option<ex::Model>> {
        ex::Entity::find_by_id(id)
            .filter(ex::Column::ExTeId.eq(self.te.id))
            .one(self.conn)
            .await
    }

    /// Push a list to walk next; `false` (with a refusal to answer) when nested too deeply.
    fn enter(cont: &mut Cont, src: &str, id: i32) -> Result<(), Step> {
        if cont.push(Frame::List {
            src: src.into(),
            id,
            pos: 0,
        }) {
            Ok(())
        } else {
            Err(Step::Refuse {
                reason: "destinations nested too deeply".into(),
            })
        }
    }

    /// One destination: `Some(step)` for the node, or `None` to go on walking `cont` (which may
    /// now hold the destination's own list on top).
    pub(super) async fn exec(
        &self,
        tag: &str,
        arg: &str,
        cont: &mut Cont,
    ) -> RouteResult<Option<Step>> {
        let id = arg.parse::<i32>().unwrap_or(0);
        let te_id = self.te.id;
        let gone = |what: &str| {
            tracing::warn!(tenant = %self.te.code, "destination {what}-{arg} no longer exists: skipped");
            None
        };
        Ok(match tag {
            "EXT" => match self.extension(id).await? {
                None => gone(tag),
                Some(row) => self.ext(row, cont).await?,
            },
            "QUEUE" => match qu::Entity::find_by_id(id)
                .filter(qu::Column::QuTeId.eq(te_id))
                .one(self.conn)
                .await?
            {
                None => gone(tag),
                Some(q) => Some(match Self::enter(cont, "QUEUE", id) {
                    Err(refusal) => refusal,
                    Ok(()) => Step::Queue {
                        name: q.qu_id.to_string(),
                        timeout: q.qu_timeout.max(1) as u32,
                    },
                }),
            },
            "IVR" => match iv::Entity::find_by_id(id)
                .filter(iv::Column::IvTeId.eq(te_id))
                .one(self.conn)
                .await?
            {
                None => gone(tag),
                Some(ivr) => Some(self.ivr_step(&ivr, 1).await?),
            },
            "CONDITION" => match co::Entity::find_by_id(id)
                .filter(co::Column::CoTeId.eq(te_id))
                .one(self.conn)
                .await?
            {
                None => gone(tag),
                Some(c) => {
                    let holds = self.condition(&c).await?;
                    let src = if holds { "CONDITION" } else { "NOTCONDITION" };
                    Self::enter(cont, src, id).err()
                }
            },
            "HUNTLIST" => match hu::Entity::find_by_id(id)
                .filter(hu::Column::HuTeId.eq(te_id))
                .one(self.conn)
                .await?
            {
                None => gone(tag),
                Some(h) => self.huntlist(h, cont).await?,
            },
            "VOICEMAIL" => match vu::Entity::find_by_id(id)
                .filter(vu::Column::TeId.eq(te_id))
                .one(self.conn)
                .await?
            {
                None => gone(tag),
                Some(b) => Some(Step::Voicemail {
                    mailbox: format!("{}@{}", b.mailbox, b.context),
                    greeting: VoicemailGreeting::None,
                }),
            },
            "PLAYBACK" => match me::Entity::find_by_id(id)
                .filter(me::Column::MeTeId.eq(te_id))
                .one(self.conn)
                .await?
            {
                None => gone(tag),
                Some(m) => Some(Step::Playback {
                    media: media_name(&m),
                }),
            },
            "EXTERNAL" => Some(self.outbound(arg, false).await?),
            "HANGUP" => Some(Step::Hangup),
            "BUSY" => Some(Step::Busy),
            "CONGESTION" => Some(Step::Congestion),
            other => Some(Step::Refuse {
                reason: format!("destination {other} is not executed by this server yet"),
            }),
        })
    }

    pub(super) async fn ivr_step(&self, ivr: &iv::Model, attempt: u32) -> RouteResult<Step> {
        let media = match ivr.iv_me_id {
            Some(me_id) => me::Entity::find_by_id(me_id)
                .filter(me::Column::MeTeId.eq(self.te.id))
                .one(self.conn)
                .await?
                .map(|m| media_name(&m)),
            None => None,
        };
        Ok(Step::Ivr {
            id: ivr.iv_id,
            media,
            timeout: ivr.iv_timeout.clamp(1, 60) as u32,
            attempt,
        })
    }

    /// The device of an extension, if it has one the node can dial.
    fn device(row: &ex::Model) -> Option<String> {
        match row.ex_tech.as_str() {
            "PJSIP" | "SIP" if !row.ex_username.is_empty() => {
                Some(format!("{}/{}", row.ex_tech, row.ex_username))
            }
            _ => None,
        }
    }

    async fn ext(&self, row: ex::Model, cont: &mut Cont) -> RouteResult<Option<Step>> {
        if self
            .destination_at("EXT-UNCONDITIONAL", row.ex_id, 0)
            .await?
            .is_some()
        {
            return Ok(Self::enter(cont, "EXT-UNCONDITIONAL", row.ex_id).err());
        }
        if row.ex_dnd == "on" {
            return self.ext_unanswered(&row, Outcome::Busy, cont).await;
        }
        let Some(device) = Self::device(&row) else {
            return Ok(Some(Step::Refuse {
                reason: format!(
                    "extension {} ({}) is not executed by this server yet",
                    row.ex_number, row.ex_tech
                ),
            }));
        };
        if !cont.push(Frame::Ext(row.ex_id)) {
            return Ok(Some(Step::Refuse {
                reason: "destinations nested too deeply".into(),
            }));
        }
        Ok(Some(Step::Dial {
            targets: vec![device],
            timeout: EXT_RING_SECONDS,
            failover: Failover::Any,
        }))
    }

    /// An extension that did not answer: its busy / no-answer / offline list, else its
    /// voicemail box, else whatever follows it.
    pub(super) async fn ext_unanswered(
        &self,
        row: &ex::Model,
        outcome: Outcome,
        cont: &mut Cont,
    ) -> RouteResult<Option<Step>> {
        let src = match outcome {
            Outcome::Busy => "EXT-BUSY",
            Outcome::Unavailable => "EXT-OFFLINE",
            Outcome::NoAnswer | Outcome::Other => "EXT-NOANSWER",
        };
        if self.destination_at(src, row.ex_id, 0).await?.is_some() {
            return Ok(Self::enter(cont, src, row.ex_id).err());
        }
        if row.ex_voicemail == "on" {
            let bx = vu::Entity::find()
                .filter(vu::Column::TeId.eq(self.te.id))
                .filter(vu::Column::Mailbox.eq(row.ex_number.as_str()))
                .one(self.conn)
                .await?;
            if let Some(b) = bx {
                let greeting = if outcome == Outcome::Busy {
                    VoicemailGreeting::Busy
                } else {
                    VoicemailGreeting::Unavailable
                };
                return Ok(Some(Step::Voicemail {
                    mailbox: format!("{}@{}", b.mailbox, b.context),
                    greeting,
                }));
            }
        }
        Ok(None)
    }

    async fn huntlist(&self, h: hu::Model, cont: &mut Cont) -> RouteResult<Option<Step>> {
        let members = hm::Entity::find()
            .filter(hm::Column::HmTeId.eq(self.te.id))
            .filter(hm::Column::HmHuId.eq(h.hu_id))
            .order_by_asc(hm::Column::HmOrd)
            .order_by_asc(hm::Column::HmId)
            .all(self.conn)
            .await?;
        let mut devices = vec![];
        for m in members {
            match m.hm_type.as_str() {
                "EXT" => {
                    let row = match m.hm_type_id.parse::<i32>() {
                        Ok(id) => self.extension(id).await?,
                        Err(_) => None,
                    };
                    match row {
                        Some(r) if r.ex_dnd != "on" => devices.extend(Self::device(&r)),
                        _ => {}
                    }
                }
                other => {
                    tracing::warn!(tenant = %self.te.code, hunt_list = h.hu_id, "hunt-list member {other}-{} is not rung by this server yet", m.hm_type_id)
                }
            }
        }
        if let Err(refusal) = Self::enter(cont, "HUNTLIST", h.hu_id) {
            return Ok(Some(refusal));
        }
        if devices.is_empty() {
            return Ok(None);
        }
        let timeout = if h.hu_ringtime > 0 {
            h.hu_ringtime as u32
        } else {
            HUNTLIST_RING_SECONDS
        };
        let targets = if h.hu_type == "SEQUENTIAL" {
            devices
        } else {
            vec![devices.join("&")]
        };
        Ok(Some(Step::Dial {
            targets,
            timeout,
            failover: Failover::Any,
        }))
    }

    async fn condition(&self, c: &co::Model) -> RouteResult<bool> {
        if c.co_type == "FLOW" {
            let flow = fl::Entity::find()
                .filter(fl::Column::FlTeId.eq(self.te.id))
                .filter(fl::Column::FlNumber.eq(c.co_param1.trim()))
                .one(self.conn)
                .await?;
            return Ok(flow.is_some_and(|f| f.fl_state == "INUSE"));
        }
        let zone_name = match c.co_timezone.trim() {
            "" => setting(self.conn, self.te.id, "TIMEZONE")
                .await?
                .unwrap_or_else(|| "UTC".into()),
            z => z.to_string(),
        };
        let tz = time::zone(&zone_name).unwrap_or_else(|| {
            tracing::warn!(tenant = %self.te.code, condition = c.co_id, zone = %zone_name, "unknown time zone: UTC used");
            chrono_tz::UTC
        });
        let rows: Vec<[String; 4]> = ce::Entity::find()
            .filter(ce::Column::CeTeId.eq(self.te.id))
            .filter(ce::Column::CeCoId.eq(c.co_id))
            .order_by_asc(ce::Column::CeOrd)
            .all(self.conn)
            .await?
            .into_iter()
            .map(|r| [r.ce_param1, r.ce_param2, r.ce_param3, r.ce_param4])
            .collect();
        Ok(match c.co_type.as_str() {
            "DATE" => time::date(&rows, tz, self.now),
            _ => time::weektime(&rows, tz, self.now),
        })
    }
}
