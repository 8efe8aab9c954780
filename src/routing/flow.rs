//! The decisions: a DID from a provider, a number dialled by a phone, an IVR input, and the next
//! step after one that ended unanswered. Each walks the stored destination lists (MiRTA's
//! ordered fall-through) until it reaches something the node must run.

use super::cont::{source_kind, Cont, Frame};
use super::time;
use super::{Decision, Failover, RouteResult, Step, VoicemailGreeting};
use chrono::{DateTime, Utc};
use entity::{
    bl_calleridblacklist as bl, ce_conditionextendedinfos as ce, co_conditions as co,
    de_destinations as de, di_dids as di, dl_routes as dl, ex_extensions as ex, fl_flows as fl,
    hm_huntlistmembers as hm, hu_huntlists as hu, iv_ivrs as iv, me_mediafiles as me,
    pr_providers as pr, qu_queues as qu, st_settings as st, te_tenants as te,
    voicemail_users as vu,
};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect};

/// How long an extension rings before its no-answer destinations apply (seconds).
pub const EXT_RING_SECONDS: u32 = 30;
/// A hunt list with no ring time set rings each member (or all) this long.
pub const HUNTLIST_RING_SECONDS: u32 = 20;
/// How long an outbound call may ring.
pub const OUTBOUND_RING_SECONDS: u32 = 90;
/// Most destinations one decision walks before it gives up (a loop in the configuration).
pub const MAX_HOPS: u32 = 40;
/// Most provider routes offered for one outbound call.
pub const MAX_ROUTES: usize = 8;
/// The tenant setting naming the routing profile (`rp_id`) of outbound calls.
pub const ROUTING_PROFILE: &str = "ROUTING_PROFILE";

/// How the previous step ended, as the node reports it (DIALSTATUS, QUEUESTATUS, …).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    Busy,
    NoAnswer,
    Unavailable,
    Other,
}

impl Outcome {
    pub fn parse(status: &str) -> Outcome {
        match status.trim().to_ascii_uppercase().as_str() {
            "BUSY" => Outcome::Busy,
            "NOANSWER" | "TIMEOUT" => Outcome::NoAnswer,
            "CHANUNAVAIL" | "CONGESTION" | "UNAVAILABLE" => Outcome::Unavailable,
            _ => Outcome::Other,
        }
    }
}

struct Tenant {
    id: i32,
    code: String,
    disabled: bool,
}

struct Cx<'a, C> {
    conn: &'a C,
    te: Tenant,
    now: DateTime<Utc>,
    hops: u32,
}

fn decision(te: &Tenant, step: Step, next: Cont) -> Decision {
    if let Step::Refuse { reason } = &step {
        tracing::warn!(tenant = %te.code, %reason, "call refused");
    }
    Decision {
        tenant: Some(te.code.clone()),
        step,
        next,
        ivr_choice: None,
    }
}

fn refuse(reason: impl Into<String>) -> Decision {
    let reason = reason.into();
    tracing::warn!(%reason, "call refused");
    Decision::refuse(reason)
}

async fn tenant(conn: &impl ConnectionTrait, id: i32) -> RouteResult<Option<Tenant>> {
    Ok(te::Entity::find_by_id(id).one(conn).await?.map(|t| Tenant {
        id: t.te_id,
        code: t.te_code,
        disabled: t.te_disabled == "on",
    }))
}

/// The effective value of a setting: the tenant's own, else the global one.
async fn setting(
    conn: &impl ConnectionTrait,
    te_id: i32,
    code: &str,
) -> RouteResult<Option<String>> {
    for id in [te_id, 0] {
        let row = st::Entity::find()
            .filter(st::Column::StTeId.eq(id))
            .filter(st::Column::StCode.eq(code))
            .one(conn)
            .await?;
        if let Some(v) = row
            .and_then(|r| r.st_value)
            .filter(|v| !v.trim().is_empty())
        {
            return Ok(Some(v));
        }
    }
    Ok(None)
}

/// A number a caller may dial or a provider may present: digits, `*`, `#`, a leading `+`.
fn dialable(n: &str) -> bool {
    !n.is_empty()
        && n.len() <= 32
        && n.char_indices()
            .all(|(i, c)| c.is_ascii_digit() || c == '*' || c == '#' || (c == '+' && i == 0))
}

// ---------------------------------------------------------------------------------------------
// Inbound

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
    let mut cx = Cx {
        conn,
        te,
        now,
        hops: 0,
    };
    let cont = Cont(vec![Frame::List {
        src: "DID".into(),
        id: row.di_id,
        pos: 0,
    }]);
    cx.run(cont).await
}

// ---------------------------------------------------------------------------------------------
// Later steps

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
    let mut cx = Cx {
        conn,
        te,
        now,
        hops: 0,
    };
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
    let mut cx = Cx {
        conn,
        te,
        now,
        hops: 0,
    };
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

// ---------------------------------------------------------------------------------------------
// Phones

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
    let mut cx = Cx {
        conn,
        te,
        now,
        hops: 0,
    };
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
    let emergency = cx.routes(dialled, true).await?;
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
        Some(step) => Ok(decision(&cx.te, step, cont)),
        None => cx.run(cont).await,
    }
}

// ---------------------------------------------------------------------------------------------
// The walk

impl<C: ConnectionTrait> Cx<'_, C> {
    /// Walk the continuation until a destination needs the node; an exhausted walk hangs up.
    async fn run(&mut self, mut cont: Cont) -> RouteResult<Decision> {
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
                return Ok(decision(&self.te, step, cont));
            }
        }
    }

    async fn destination_at(
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

    async fn extension(&self, id: i32) -> RouteResult<Option<ex::Model>> {
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
    async fn exec(&self, tag: &str, arg: &str, cont: &mut Cont) -> RouteResult<Option<Step>> {
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

    async fn ivr_step(&self, ivr: &iv::Model, attempt: u32) -> RouteResult<Step> {
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
    async fn ext_unanswered(
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

    /// Dial strings for `number` through the matching routes: emergency routes only
    /// (`emergency`; the tenant's profile first, then every profile), or the tenant's profile.
    async fn routes(&self, number: &str, emergency: bool) -> RouteResult<Vec<String>> {
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
    async fn outbound(&self, number: &str, emergency_checked: bool) -> RouteResult<Step> {
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

/// The name a node plays a media file by: `switchboard/<aa>/<sha256>` (the layout of the media
/// store, so nodes can share it), or `switchboard/id/<me_id>` for a row without a digest.
pub fn media_name(m: &me::Model) -> String {
    match m.me_sha256.get(..2) {
        Some(aa) if m.me_sha256.len() == 64 => format!("switchboard/{aa}/{}", m.me_sha256),
        _ => format!("switchboard/id/{}", m.me_id),
    }
}
