//! One TCP link to a node: the banner, ActionIDs and sequential calls (login phase and `check`).

use bytes::BytesMut;
use futures_util::StreamExt;
use rand::Rng;
use tokio::io::AsyncWriteExt;
use tokio::net::tcp::{OwnedReadHalf, OwnedWriteHalf};
use tokio::net::TcpStream;
use tokio_util::codec::FramedRead;

use crate::ami::{Action, AmiCodec, AmiError, Frame, Message, NodeConfig};

/// A logged-in (or logging-in) TCP link.
pub(super) struct Conn {
    pub(super) reader: FramedRead<OwnedReadHalf, AmiCodec>,
    pub(super) writer: OwnedWriteHalf,
    pub(super) banner: String,
    next_id: u64,
    prefix: String,
}

impl Conn {
    pub(super) async fn open(cfg: &NodeConfig) -> Result<Conn, AmiError> {
        let stream = TcpStream::connect((cfg.host.as_str(), cfg.port)).await?;
        stream.set_nodelay(true)?;
        let (read, writer) = stream.into_split();
        let mut reader = FramedRead::new(read, AmiCodec::client(cfg.limits));
        let banner = match reader.next().await {
            Some(Ok(Frame::Banner(b))) => b,
            Some(Ok(Frame::Message(_))) => return Err(AmiError::Protocol("no banner".into())),
            Some(Err(e)) => return Err(e),
            None => return Err(AmiError::Io("closed before the banner".into())),
        };
        if !banner.starts_with("Asterisk Call Manager/") {
            return Err(AmiError::Protocol(format!("unexpected banner {banner:?}")));
        }
        Ok(Conn {
            reader,
            writer,
            banner,
            next_id: 0,
            prefix: format!("sb{:08x}", rand::thread_rng().gen::<u32>()),
        })
    }

    pub(super) fn next_id(&mut self) -> String {
        self.next_id += 1;
        format!("{}-{}", self.prefix, self.next_id)
    }

    /// One action, one answer, sequentially (login phase and `check` only); events read
    /// meanwhile go to `publish`.
    pub(super) async fn call(
        &mut self,
        action: &Action,
        publish: &(dyn Fn(Message) + Sync),
    ) -> Result<Message, AmiError> {
        let id = self.next_id();
        let mut buf = BytesMut::new();
        action.with_action_id(&id).write_wire(&mut buf);
        self.writer.write_all(&buf).await?;
        loop {
            match self.reader.next().await {
                Some(Ok(Frame::Message(m)))
                    if m.response().is_some() && m.action_id() == Some(&id) =>
                {
                    return Ok(m)
                }
                Some(Ok(Frame::Message(m))) if m.event().is_some() => publish(m),
                Some(Ok(_)) => {}
                Some(Err(e)) => return Err(e),
                None => return Err(AmiError::Io("connection closed by the node".into())),
            }
        }
    }
}
