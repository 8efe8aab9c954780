//! The AMI wire format as a tokio codec.
//!
//! A frame is `Key: Value` lines ended by an empty line; lines end in `\r\n` or a bare `\n`
//! (old PBXs mix them). The server's first line is a banner (`Asterisk Call Manager/11.0.0`).
//! Old-style `Command` output (`Response: Follows`, raw lines, `--END COMMAND--`) is turned into
//! `Output:` headers, so both styles look the same to the layers above. Caps on frame size and
//! headers per frame keep a broken peer from exhausting memory.

use bytes::BytesMut;
use tokio_util::codec::{Decoder, Encoder};

use super::{AmiError, Message};

/// What the decoder yields.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Frame {
    /// The server's greeting line, e.g. `Asterisk Call Manager/11.0.0`.
    Banner(String),
    Message(Message),
}

/// Memory caps for one frame.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    pub max_frame_bytes: usize,
    pub max_headers: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_frame_bytes: 4 * 1024 * 1024,
            max_headers: 50_000,
        }
    }
}

const END_COMMAND: &str = "--END COMMAND--";
/// Headers an old-style `Response: Follows` carries before its raw output.
const FOLLOWS_HEADERS: &[&str] = &["Privilege", "ActionID", "Message"];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mode {
    Banner,
    Headers,
    /// Inside an old-style `Response: Follows` body; `true` once raw output started.
    Follows(bool),
}

#[derive(Debug)]
pub struct AmiCodec {
    limits: Limits,
    mode: Mode,
    current: Message,
    current_bytes: usize,
    /// Bytes of the buffer already searched for a line end (no rescans of a long line).
    scanned: usize,
}

impl AmiCodec {
    /// Client side: the first line read is the banner.
    pub fn client(limits: Limits) -> Self {
        Self::with_mode(limits, Mode::Banner)
    }

    /// Server side: no banner, the peer sends actions straight away.
    pub fn server(limits: Limits) -> Self {
        Self::with_mode(limits, Mode::Headers)
    }

    fn with_mode(limits: Limits, mode: Mode) -> Self {
        AmiCodec {
            limits,
            mode,
            current: Message::new(),
            current_bytes: 0,
            scanned: 0,
        }
    }

    fn finish(&mut self) -> Frame {
        self.mode = Mode::Headers;
        self.current_bytes = 0;
        Frame::Message(std::mem::take(&mut self.current))
    }

    fn push(&mut self, name: &str, value: &str) -> Result<(), AmiError> {
        if self.current.len() >= self.limits.max_headers {
            return Err(AmiError::TooLarge);
        }
        self.current.push(name, value);
        Ok(())
    }

    /// Handle one line (without its terminator); `Some` when it completes a frame.
    fn line(&mut self, line: &str) -> Result<Option<Frame>, AmiError> {
        match self.mode {
            Mode::Banner => {
                self.mode = Mode::Headers;
                self.current_bytes = 0;
                Ok(Some(Frame::Banner(line.to_string())))
            }
            Mode::Headers if line.is_empty() => {
                if self.current.is_empty() {
                    // Stray blank line (e.g. after `--END COMMAND--`): not a frame.
                    self.current_bytes = 0;
                    return Ok(None);
                }
                Ok(Some(self.finish()))
            }
            Mode::Headers => {
                match split_header(line) {
                    Some((name, value)) => {
                        let follows = name.eq_ignore_ascii_case("Response")
                            && value.eq_ignore_ascii_case("Follows");
                        self.push(name, value)?;
                        if follows {
                            self.mode = Mode::Follows(false);
                        }
                    }
                    // A line without a colon carries nothing we could address; skip it.
                    None => tracing::trace!("AMI: ignoring a line without a header name"),
                }
                Ok(None)
            }
            Mode::Follows(started) => {
                if let Some(rest) = line.strip_suffix(END_COMMAND) {
                    if !rest.is_empty() {
                        self.push("Output", rest)?;
                    }
                    return Ok(Some(self.finish()));
                }
                if !started {
                    if let Some((name, value)) = split_header(line)
                        .filter(|(n, _)| FOLLOWS_HEADERS.iter().any(|h| n.eq_ignore_ascii_case(h)))
                    {
                        return self.push(name, value).map(|_| None);
                    }
                }
                self.mode = Mode::Follows(true);
                self.push("Output", line).map(|_| None)
            }
        }
    }
}

/// `Key: Value` → (`Key`, `Value`): the name is trimmed, the value loses its leading blanks
/// and keeps the rest as sent.
fn split_header(line: &str) -> Option<(&str, &str)> {
    let (name, value) = line.split_once(':')?;
    let name = name.trim();
    if name.is_empty() {
        return None;
    }
    Some((name, value.trim_start_matches([' ', '\t'])))
}

impl Decoder for AmiCodec {
    type Item = Frame;
    type Error = AmiError;

    fn decode(&mut self, src: &mut BytesMut) -> Result<Option<Frame>, AmiError> {
        loop {
            let from = self.scanned.min(src.len());
            let Some(nl) = src[from..]
                .iter()
                .position(|&b| b == b'\n')
                .map(|i| from + i)
            else {
                if self.current_bytes + src.len() > self.limits.max_frame_bytes {
                    return Err(AmiError::TooLarge);
                }
                self.scanned = src.len();
                return Ok(None);
            };
            self.scanned = 0;
            self.current_bytes += nl + 1;
            if self.current_bytes > self.limits.max_frame_bytes {
                return Err(AmiError::TooLarge);
            }
            let raw = src.split_to(nl + 1);
            let mut bytes = &raw[..nl];
            if let Some(stripped) = bytes.strip_suffix(b"\r") {
                bytes = stripped;
            }
            let line = String::from_utf8_lossy(bytes);
            if let Some(frame) = self.line(&line)? {
                return Ok(Some(frame));
            }
        }
    }

    fn decode_eof(&mut self, src: &mut BytesMut) -> Result<Option<Frame>, AmiError> {
        // A frame cut off by the peer closing is dropped, not an error.
        let frame = self.decode(src)?;
        if frame.is_none() {
            src.clear();
        }
        Ok(frame)
    }
}

impl Encoder<&Message> for AmiCodec {
    type Error = AmiError;

    fn encode(&mut self, item: &Message, dst: &mut BytesMut) -> Result<(), AmiError> {
        item.write_wire(dst);
        Ok(())
    }
}
