//! One connection: reading actions, dispatching them, and writing the answer frames.

use std::sync::Arc;

use futures_util::StreamExt;
use md5::{Digest, Md5};
use switchboard::ami::{AmiCodec, Frame, Limits, Message};
use tokio::io::AsyncWriteExt;
use tokio::net::TcpStream;
use tokio::sync::mpsc;
use tokio_util::codec::FramedRead;

use super::actions::answer;
use super::server::{lock, Inner};
use super::state::Received;
use super::{Headers, BANNER};

pub(super) fn render(headers: &Headers, bare_lf: bool) -> String {
    let eol = if bare_lf { "\n" } else { "\r\n" };
    let mut s = String::new();
    for (k, v) in headers {
        s.push_str(k);
        s.push_str(": ");
        s.push_str(v);
        s.push_str(eol);
    }
    s.push_str(eol);
    s
}

/// Per-connection session state.
pub(super) struct Session {
    pub(super) conn: u64,
    pub(super) logged_in: bool,
    pub(super) challenge: Option<String>,
    pub(super) events: bool,
}

/// What one action produces.
#[derive(Default)]
pub(super) struct Reply {
    /// Rendered frames, in order.
    pub(super) out: String,
    /// Close the connection after writing.
    pub(super) close: bool,
    /// Start (`Some(true)`) or stop (`Some(false)`) streaming events to this session.
    pub(super) subscribe: Option<bool>,
}

pub(super) async fn serve(inner: Arc<Inner>, conn: u64, stream: TcpStream) {
    let _ = stream.set_nodelay(true);
    let (read, mut write) = stream.into_split();
    let mut frames = FramedRead::new(read, AmiCodec::server(Limits::default()));
    let (tx, mut rx) = mpsc::unbounded_channel::<Vec<u8>>();
    if write
        .write_all(format!("{BANNER}\r\n").as_bytes())
        .await
        .is_err()
    {
        return;
    }
    let mut session = Session {
        conn,
        logged_in: false,
        challenge: None,
        events: true,
    };
    loop {
        tokio::select! {
            frame = frames.next() => {
                let Some(Ok(Frame::Message(m))) = frame else { break };
                let Some(reply) = handle(&inner, &mut session, &m).await else { break };
                match reply.subscribe {
                    Some(true) => { lock(&inner.subscribers).insert(conn, tx.clone()); }
                    Some(false) => { lock(&inner.subscribers).remove(&conn); }
                    None => {}
                }
                if write.write_all(reply.out.as_bytes()).await.is_err() || reply.close {
                    break;
                }
            }
            Some(bytes) = rx.recv() => {
                if write.write_all(&bytes).await.is_err() {
                    break;
                }
            }
        }
    }
    lock(&inner.subscribers).remove(&conn);
    let _ = write.shutdown().await;
}

/// Handle one action; `None` drops the link without an answer.
async fn handle(inner: &Inner, session: &mut Session, m: &Message) -> Option<Reply> {
    let action = m.action().unwrap_or("").to_string();
    let lower = action.to_ascii_lowercase();
    lock(&inner.received).push(Received {
        conn: session.conn,
        action: action.clone(),
        headers: m
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect(),
    });
    let (delay, drop, bare_lf) = {
        let mut k = lock(&inner.knobs);
        let drop = k.drop_next.as_deref() == Some(lower.as_str());
        if drop {
            k.drop_next = None;
        }
        (k.delay, drop, k.bare_lf)
    };
    if drop {
        return None;
    }
    if !delay.is_zero() {
        tokio::time::sleep(delay).await;
    }
    let mut w = Writer {
        id: m.action_id().map(str::to_string),
        bare_lf,
        reply: Reply::default(),
    };
    answer(inner, session, m, &lower, &mut w);
    Some(w.reply)
}

/// Builds the answer frames of one action.
pub(super) struct Writer {
    pub(super) id: Option<String>,
    pub(super) bare_lf: bool,
    pub(super) reply: Reply,
}

impl Writer {
    pub(super) fn frame(&mut self, headers: Headers) {
        self.reply.out.push_str(&render(&headers, self.bare_lf));
    }

    /// `Response: <kind>`, the ActionID if the action had one, then `extra`.
    pub(super) fn response(&mut self, kind: &str, extra: Headers) {
        let mut h = hdrs!["Response" => kind];
        if let Some(id) = &self.id {
            h.push(("ActionID".into(), id.clone()));
        }
        h.extend(extra);
        self.frame(h);
    }

    pub(super) fn success(&mut self, message: &str) {
        self.response("Success", hdrs!["Message" => message]);
    }

    pub(super) fn error(&mut self, message: &str) {
        self.response("Error", hdrs!["Message" => message]);
    }

    /// An event with the ActionID right after `Event:` (CoreShowChannel, EndpointList style).
    pub(super) fn event_id_first(&mut self, event: &str, fields: Headers) {
        let mut h = hdrs!["Event" => event];
        if let Some(id) = &self.id {
            h.push(("ActionID".into(), id.clone()));
        }
        h.extend(fields);
        self.frame(h);
    }

    /// An event with the ActionID last (QueueMember, DBGetResponse style).
    pub(super) fn event_id_last(&mut self, event: &str, fields: Headers) {
        let mut h = hdrs!["Event" => event];
        h.extend(fields);
        if let Some(id) = &self.id {
            h.push(("ActionID".into(), id.clone()));
        }
        self.frame(h);
    }

    pub(super) fn list_start(&mut self, message: &str) {
        self.response(
            "Success",
            hdrs!["EventList" => "start", "Message" => message],
        );
    }

    pub(super) fn list_complete(&mut self, event: &str, items: usize) {
        self.event_id_first(
            event,
            hdrs!["EventList" => "Complete", "ListItems" => items],
        );
    }

    /// A whole list: start, items (ActionID first or last), complete.
    pub(super) fn list(
        &mut self,
        message: &str,
        item: &str,
        id_last: bool,
        items: Vec<Headers>,
        complete: &str,
    ) {
        self.list_start(message);
        let n = items.len();
        for fields in items {
            if id_last {
                self.event_id_last(item, fields);
            } else {
                self.event_id_first(item, fields);
            }
        }
        self.list_complete(complete, n);
    }
}

pub(super) fn md5_hex(s: &str) -> String {
    hex::encode(Md5::digest(s.as_bytes()).as_slice())
}

pub(super) fn now_secs() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}
