//! A logged-in link: writing queued actions, matching answers by ActionID (lists, Originate,
//! the keep-alive ping) and publishing every other event.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use bytes::BytesMut;
use futures_util::StreamExt;
use tokio::io::AsyncWriteExt;
use tokio::sync::{mpsc, oneshot};

use super::actor::End;
use super::conn::Conn;
use super::handle::{Kind, Request, Shared};
use crate::ami::{Action, AmiError, Frame, Message, NodeConfig, Response};

/// Bytes waiting to be written beyond which no new action is taken from the queue.
const WRITE_HIGH_WATER: usize = 1024 * 1024;
/// How long an abandoned (timed-out) action keeps swallowing its late list events.
const ABANDONED_GRACE: Duration = Duration::from_secs(60);

/// An action written and not yet fully answered.
struct Pending {
    kind: Kind,
    /// `None` once the caller gave up (timeout) or got an early error.
    reply: Option<oneshot::Sender<Result<Response, AmiError>>>,
    response: Option<Message>,
    events: Vec<Message>,
    abandoned_at: Option<Instant>,
}

pub(super) struct Session<'a> {
    cfg: &'a NodeConfig,
    shared: &'a Shared,
    conn: Conn,
    pending: HashMap<String, Pending>,
    out: BytesMut,
    /// ActionID of the keep-alive ping in flight.
    ping: Option<String>,
    last_ping: Instant,
}

impl<'a> Session<'a> {
    pub(super) fn new(cfg: &'a NodeConfig, shared: &'a Shared, conn: Conn) -> Self {
        Session {
            cfg,
            shared,
            conn,
            pending: HashMap::new(),
            out: BytesMut::with_capacity(16 * 1024),
            ping: None,
            last_ping: Instant::now(),
        }
    }

    pub(super) async fn run(mut self, rx: &mut mpsc::Receiver<Request>) -> End {
        let tick_every = self.cfg.ping_interval.min(Duration::from_secs(1));
        let mut tick = tokio::time::interval(tick_every);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        let end = loop {
            tokio::select! {
                frame = self.conn.reader.next() => match frame {
                    Some(Ok(Frame::Message(m))) => self.on_message(m),
                    Some(Ok(Frame::Banner(_))) => {}
                    Some(Err(e)) => {
                        tracing::warn!(node = %self.cfg.name, error = %e, "AMI read failed");
                        break End::Lost;
                    }
                    None => break End::Lost,
                },
                written = self.conn.writer.write_buf(&mut self.out), if !self.out.is_empty() => {
                    if let Err(e) = written {
                        tracing::warn!(node = %self.cfg.name, error = %e, "AMI write failed");
                        break End::Lost;
                    }
                }
                req = rx.recv(), if self.out.len() < WRITE_HIGH_WATER => match req {
                    Some(r) => {
                        self.enqueue(r);
                        // Batch whatever else is queued into the same write.
                        while self.out.len() < WRITE_HIGH_WATER {
                            match rx.try_recv() {
                                Ok(r) => self.enqueue(r),
                                Err(_) => break,
                            }
                        }
                    }
                    None => break End::Stop,
                },
                _ = tick.tick() => {
                    if !self.keep_alive() {
                        tracing::warn!(node = %self.cfg.name, "AMI keep-alive unanswered");
                        break End::Lost;
                    }
                }
                _ = self.shared.cancel.cancelled() => {
                    let mut bye = BytesMut::new();
                    self.out.clear();
                    Action::new("Logoff").with_action_id("logoff").write_wire(&mut bye);
                    let _ = tokio::time::timeout(Duration::from_millis(200), self.conn.writer.write_all(&bye)).await;
                    break End::Stop;
                }
            }
        };
        // Everything written and unanswered: outcome unknown, never re-sent.
        for (_, p) in self.pending.drain() {
            if let Some(reply) = p.reply {
                let _ = reply.send(Err(AmiError::OutcomeUnknown));
            }
        }
        end
    }

    fn enqueue(&mut self, r: Request) {
        if r.reply.is_closed() {
            return; // The caller gave up before it was written.
        }
        let id = self.conn.next_id();
        r.action.with_action_id(&id).write_wire(&mut self.out);
        tracing::trace!(node = %self.cfg.name, action = r.action.name(), action_id = %id, "AMI action queued");
        self.pending.insert(
            id,
            Pending {
                kind: r.kind,
                reply: Some(r.reply),
                response: None,
                events: Vec::new(),
                abandoned_at: None,
            },
        );
    }

    /// Periodic work: send or check the keep-alive ping and forget abandoned actions.
    /// False when the last ping went unanswered for a whole interval.
    fn keep_alive(&mut self) -> bool {
        let now = Instant::now();
        self.pending.retain(|_, p| {
            if p.reply.as_ref().is_some_and(|r| r.is_closed()) {
                p.reply = None;
            }
            if p.reply.is_none() && p.kind != Kind::Ping {
                let since = *p.abandoned_at.get_or_insert(now);
                return now.duration_since(since) < ABANDONED_GRACE;
            }
            true
        });
        if now.duration_since(self.last_ping) < self.cfg.ping_interval {
            return true;
        }
        if self
            .ping
            .as_ref()
            .is_some_and(|id| self.pending.contains_key(id))
        {
            return false;
        }
        self.last_ping = now;
        let id = self.conn.next_id();
        Action::new("Ping")
            .with_action_id(&id)
            .write_wire(&mut self.out);
        self.pending.insert(
            id.clone(),
            Pending {
                kind: Kind::Ping,
                reply: None,
                response: None,
                events: Vec::new(),
                abandoned_at: None,
            },
        );
        self.ping = Some(id);
        true
    }

    fn on_message(&mut self, m: Message) {
        let id = m.action_id().unwrap_or("").to_string();
        let Some(p) = self.pending.get_mut(&id) else {
            if m.event().is_some() {
                self.shared.publish(m);
            } else {
                tracing::trace!(node = %self.cfg.name, "AMI: unmatched response dropped");
            }
            return;
        };
        if let Some(event) = m.event() {
            if p.kind == Kind::Originate && event.eq_ignore_ascii_case("OriginateResponse") {
                p.events.push(m.clone());
                self.shared.publish(m);
                self.finish(&id, None);
            } else if m.event_list().as_deref() == Some("complete") {
                self.finish(&id, Some(m));
            } else if p.events.len() >= self.cfg.max_list_items {
                // Too long: answer now, swallow the rest of the list until its end.
                if let Some(reply) = p.reply.take() {
                    let _ = reply.send(Err(AmiError::TooLarge));
                }
            } else if p.reply.is_some() {
                p.events.push(m);
            }
            return;
        }
        let waits_for_more =
            m.event_list().as_deref() == Some("start") || p.kind == Kind::Originate;
        let done = m.is_error() || !waits_for_more;
        p.response = Some(m);
        if done {
            self.finish(&id, None);
        }
    }

    /// The action `id` is fully answered: hand the result to its caller.
    fn finish(&mut self, id: &str, complete: Option<Message>) {
        let Some(p) = self.pending.remove(id) else {
            return;
        };
        if p.kind == Kind::Ping {
            self.ping = None;
            return;
        }
        let Some(reply) = p.reply else { return };
        let message = p.response.unwrap_or_default();
        let result = if message.is_error() {
            Err(AmiError::Refused(refusal_text(&message)))
        } else {
            Ok(Response::new(message, p.events, complete))
        };
        let _ = reply.send(result);
    }
}

/// The node's reason for `Response: Error`: `Message`, plus the output of a failed `Command`.
fn refusal_text(m: &Message) -> String {
    let text = m.text().unwrap_or("").trim();
    let output: Vec<&str> = m.get_all("Output").collect();
    match (text.is_empty(), output.is_empty()) {
        (_, true) => text.to_string(),
        (true, false) => output.join("\n"),
        (false, false) => format!("{text}: {}", output.join("\n")),
    }
}
