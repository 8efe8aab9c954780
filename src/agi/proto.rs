//! FastAGI as Asterisk 22 speaks it (`shared/spec/agi.md`): LF-only lines, the environment
//! block, commands with quoted arguments, and the `200`/`510`/`511`/`520` answers.

use bytes::{Buf, BufMut, BytesMut};
use std::collections::HashMap;
use tokio_util::codec::{Decoder, Encoder};

/// Limits that keep a broken or hostile peer from exhausting memory.
#[derive(Debug, Clone, Copy)]
pub struct Caps {
    /// Longest line accepted (bytes, without the `\n`).
    pub max_line: usize,
    /// Most lines read in one session.
    pub max_lines: usize,
}

impl Default for Caps {
    fn default() -> Caps {
        Caps {
            max_line: 8192,
            max_lines: 512,
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum AgiError {
    #[error("line longer than {0} bytes")]
    LineTooLong(usize),
    #[error("more than {0} lines in one session")]
    TooManyLines(usize),
    #[error("line is not UTF-8")]
    NotUtf8,
    #[error("{0}")]
    Io(#[from] std::io::Error),
}

/// Splits the byte stream into LF-terminated lines. A `\r` before the `\n` is kept: Asterisk
/// never sends one, and treating it as text is what Asterisk itself does with ours.
pub struct LineCodec {
    caps: Caps,
    lines: usize,
    /// How far the current buffer was already searched for `\n`.
    scanned: usize,
}

impl LineCodec {
    pub fn new(caps: Caps) -> LineCodec {
        LineCodec {
            caps,
            lines: 0,
            scanned: 0,
        }
    }
}

impl Decoder for LineCodec {
    type Item = String;
    type Error = AgiError;

    fn decode(&mut self, src: &mut BytesMut) -> Result<Option<String>, AgiError> {
        let found = src[self.scanned..].iter().position(|b| *b == b'\n');
        match found {
            None => {
                if src.len() > self.caps.max_line {
                    return Err(AgiError::LineTooLong(self.caps.max_line));
                }
                self.scanned = src.len();
                Ok(None)
            }
            Some(i) => {
                let end = self.scanned + i;
                self.scanned = 0;
                if end > self.caps.max_line {
                    return Err(AgiError::LineTooLong(self.caps.max_line));
                }
                self.lines += 1;
                if self.lines > self.caps.max_lines {
                    return Err(AgiError::TooManyLines(self.caps.max_lines));
                }
                let line = src.split_to(end);
                src.advance(1);
                String::from_utf8(line.to_vec())
                    .map(Some)
                    .map_err(|_| AgiError::NotUtf8)
            }
        }
    }
}

/// A command line ready to send (its words already quoted), ended by `\n` only.
impl Encoder<Command> for LineCodec {
    type Error = AgiError;

    fn encode(&mut self, cmd: Command, dst: &mut BytesMut) -> Result<(), AgiError> {
        dst.reserve(cmd.0.len() + 1);
        dst.put_slice(cmd.0.as_bytes());
        dst.put_u8(b'\n');
        Ok(())
    }
}

/// One AGI command. Built only through the constructors, so every free-text argument is quoted
/// and nothing can end the line early.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Command(String);

/// Why a command could not be built.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum CommandError {
    #[error("a value cannot contain a line break or NUL")]
    LineBreak,
    #[error("'{0}' is not a variable name")]
    BadName(String),
}

/// `"…"` with `\` and `"` escaped (§3). CR, LF and NUL are refused: no quoting can carry them
/// and they would end or corrupt the command line.
pub fn quote(value: &str) -> Result<String, CommandError> {
    if value.contains(['\r', '\n', '\0']) {
        return Err(CommandError::LineBreak);
    }
    let mut out = String::with_capacity(value.len() + 2);
    out.push('"');
    for c in value.chars() {
        if matches!(c, '\\' | '"') {
            out.push('\\');
        }
        out.push(c);
    }
    out.push('"');
    Ok(out)
}

impl Command {
    /// `SET VARIABLE name "value"`. Names are plain identifiers (no functions, no spaces).
    pub fn set_variable(name: &str, value: &str) -> Result<Command, CommandError> {
        let ok = !name.is_empty()
            && name.len() <= 64
            && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
        if !ok {
            return Err(CommandError::BadName(name.to_string()));
        }
        Ok(Command(format!("SET VARIABLE {name} {}", quote(value)?)))
    }

    /// `VERBOSE "message" level`.
    pub fn verbose(message: &str, level: u8) -> Result<Command, CommandError> {
        Ok(Command(format!("VERBOSE {} {level}", quote(message)?)))
    }

    pub fn noop() -> Command {
        Command("NOOP".into())
    }

    pub fn text(&self) -> &str {
        &self.0
    }
}

/// One answer of Asterisk to a command, or the unsolicited hang-up notice.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Response {
    /// `200 result=<result>[ (<data>)][ endpos=<n>]`.
    Ok {
        result: String,
        data: Option<String>,
        endpos: Option<i64>,
    },
    /// `510 Invalid or unknown command`.
    Invalid,
    /// `511 Command Not Permitted on a dead channel or intercept routine`.
    DeadChannel,
    /// `520-…` usage text up to `520 End of proper usage.`
    Usage(Vec<String>),
    /// A line `HANGUP`: the channel hung up (may arrive at any time).
    Hangup,
    /// Anything else (kept for the log, never interpreted).
    Other(String),
}

impl Response {
    /// Parse the first line of an answer. `Usage` comes back with only the first line; the
    /// caller reads on until a line starting with `520 ` ([`is_usage_end`]).
    pub fn parse(line: &str) -> Response {
        if line == "HANGUP" {
            return Response::Hangup;
        }
        if let Some(rest) = line.strip_prefix("200 ") {
            return parse_200(rest).unwrap_or_else(|| Response::Other(line.to_string()));
        }
        if line.starts_with("510") {
            return Response::Invalid;
        }
        if line.starts_with("511") {
            return Response::DeadChannel;
        }
        if line.starts_with("520-") || line.starts_with("520 ") {
            return Response::Usage(vec![line.to_string()]);
        }
        Response::Other(line.to_string())
    }
}

/// The line that ends a multi-line `520` answer.
pub fn is_usage_end(line: &str) -> bool {
    line.starts_with("520 ")
}

fn parse_200(rest: &str) -> Option<Response> {
    let rest = rest.strip_prefix("result=")?;
    let (result, mut tail) = match rest.find(' ') {
        Some(i) => (&rest[..i], &rest[i + 1..]),
        None => (rest, ""),
    };
    let mut data = None;
    if tail.starts_with('(') {
        // Data runs to the last ')': values may hold parentheses themselves.
        let close = tail.rfind(')')?;
        data = Some(tail[1..close].to_string());
        tail = tail[close + 1..].trim_start();
    }
    let endpos = match tail.strip_prefix("endpos=") {
        Some(n) => Some(n.trim().parse().ok()?),
        None if tail.trim().is_empty() => None,
        None => return None,
    };
    Some(Response::Ok {
        result: result.to_string(),
        data,
        endpos,
    })
}

/// The environment block Asterisk sends first (`key: value` lines up to an empty line).
#[derive(Debug, Clone, Default)]
pub struct Env {
    vars: HashMap<String, String>,
    /// `agi_arg_1..N`, in order.
    pub args: Vec<String>,
}

/// Most lines an environment block may have (Asterisk sends ~25 plus the arguments).
pub const MAX_ENV_LINES: usize = 128;

impl Env {
    /// Add one line of the block; `Ok(true)` when it was the empty line that ends it.
    pub fn push_line(&mut self, line: &str) -> Result<bool, String> {
        if line.is_empty() {
            return Ok(true);
        }
        if self.vars.len() + self.args.len() >= MAX_ENV_LINES {
            return Err("environment block too long".into());
        }
        let (key, value) = line
            .split_once(':')
            .ok_or_else(|| "environment line without ':'".to_string())?;
        let value = value.strip_prefix(' ').unwrap_or(value);
        if !key.starts_with("agi_") {
            return Err("environment key does not start with agi_".into());
        }
        if let Some(n) = key.strip_prefix("agi_arg_") {
            let n: usize = n.parse().map_err(|_| "bad argument number".to_string())?;
            if n != self.args.len() + 1 {
                return Err("arguments out of order".into());
            }
            self.args.push(value.to_string());
        } else {
            self.vars.insert(key.to_string(), value.to_string());
        }
        Ok(false)
    }

    pub fn get(&self, key: &str) -> Option<&str> {
        self.vars.get(key).map(String::as_str)
    }

    /// `agi_network_script` (absent when the URL has no path).
    pub fn script(&self) -> Option<&str> {
        self.get("agi_network_script")
    }

    /// Argument `n` (1-based), empty when absent.
    pub fn arg(&self, n: usize) -> &str {
        n.checked_sub(1)
            .and_then(|i| self.args.get(i))
            .map_or("", String::as_str)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn decode_all(caps: Caps, bytes: &[u8]) -> Result<Vec<String>, AgiError> {
        let mut codec = LineCodec::new(caps);
        let mut buf = BytesMut::from(bytes);
        let mut out = vec![];
        while let Some(l) = codec.decode(&mut buf)? {
            out.push(l);
        }
        Ok(out)
    }

    #[test]
    fn lines_split_on_lf_and_keep_cr() {
        let lines = decode_all(Caps::default(), b"agi_network: yes\nNOOP\r\n\npart").unwrap();
        assert_eq!(lines, vec!["agi_network: yes", "NOOP\r", ""]);
    }

    #[test]
    fn lines_arriving_in_pieces() {
        let mut codec = LineCodec::new(Caps::default());
        let mut buf = BytesMut::new();
        for chunk in [&b"agi_netw"[..], b"ork: y", b"es\nagi_", b"x: 1\n"] {
            buf.extend_from_slice(chunk);
            while let Some(l) = codec.decode(&mut buf).unwrap() {
                assert!(l.starts_with("agi_"));
            }
        }
        assert!(buf.is_empty());
    }

    #[test]
    fn caps_refuse_long_lines_and_too_many_lines() {
        let caps = Caps {
            max_line: 16,
            max_lines: 3,
        };
        assert!(matches!(
            decode_all(caps, &[b'a'; 17]),
            Err(AgiError::LineTooLong(16))
        ));
        assert!(matches!(
            decode_all(caps, b"aaaaaaaaaaaaaaaaaaaaaa\n"),
            Err(AgiError::LineTooLong(16))
        ));
        assert_eq!(decode_all(caps, &[b'a'; 16]).unwrap().len(), 0);
        assert!(matches!(
            decode_all(caps, b"a\nb\nc\nd\n"),
            Err(AgiError::TooManyLines(3))
        ));
    }

    #[test]
    fn quoting_follows_the_transcripts() {
        assert_eq!(quote("hello world").unwrap(), "\"hello world\"");
        assert_eq!(quote("say \"hi\" there").unwrap(), r#""say \"hi\" there""#);
        assert_eq!(quote(r"a\b").unwrap(), r#""a\\b""#);
        assert_eq!(quote("").unwrap(), "\"\"");
        assert_eq!(quote("tab\there").unwrap(), "\"tab\there\"");
        assert_eq!(quote("x\nNOOP"), Err(CommandError::LineBreak));
        assert_eq!(quote("x\rNOOP"), Err(CommandError::LineBreak));
    }

    #[test]
    fn set_variable_cannot_inject() {
        let c = Command::set_variable("SB_ACTION", "DIAL").unwrap();
        assert_eq!(c.text(), "SET VARIABLE SB_ACTION \"DIAL\"");
        let c = Command::set_variable("X", "a\" ANSWER \"").unwrap();
        assert_eq!(c.text(), r#"SET VARIABLE X "a\" ANSWER \"""#);
        assert!(Command::set_variable("X", "a\nHANGUP").is_err());
        assert!(Command::set_variable("X Y", "a").is_err());
        assert!(Command::set_variable("CDR(x)", "a").is_err());
        assert!(Command::set_variable("", "a").is_err());
        let mut codec = LineCodec::new(Caps::default());
        let mut out = BytesMut::new();
        codec.encode(Command::noop(), &mut out).unwrap();
        assert_eq!(&out[..], b"NOOP\n");
    }

    #[test]
    fn responses_parse() {
        assert_eq!(
            Response::parse("200 result=1 (two words (and parens))"),
            Response::Ok {
                result: "1".into(),
                data: Some("two words (and parens)".into()),
                endpos: None
            }
        );
        assert_eq!(
            Response::parse("200 result=0 endpos=3520"),
            Response::Ok {
                result: "0".into(),
                data: None,
                endpos: Some(3520)
            }
        );
        assert_eq!(
            Response::parse("200 result= (timeout)"),
            Response::Ok {
                result: "".into(),
                data: Some("timeout".into()),
                endpos: None
            }
        );
        assert_eq!(
            Response::parse("200 result=1 ()"),
            Response::Ok {
                result: "1".into(),
                data: Some("".into()),
                endpos: None
            }
        );
        assert_eq!(
            Response::parse("200 result=1"),
            Response::parse("200 result=1 ")
        );
        assert_eq!(
            Response::parse("510 Invalid or unknown command"),
            Response::Invalid
        );
        assert_eq!(
            Response::parse("511 Command Not Permitted on a dead channel or intercept routine"),
            Response::DeadChannel
        );
        assert!(matches!(
            Response::parse("520-Invalid command syntax.  Proper usage follows:"),
            Response::Usage(_)
        ));
        assert!(is_usage_end("520 End of proper usage."));
        assert!(!is_usage_end("200 result=1"));
        assert_eq!(Response::parse("HANGUP"), Response::Hangup);
        assert!(matches!(
            Response::parse("200 result=1 (x"),
            Response::Other(_)
        ));
        assert!(matches!(Response::parse("garbage"), Response::Other(_)));
    }

    #[test]
    fn environment_block() {
        let text = "agi_network: yes\nagi_network_script: v1/inbound?x=1\nagi_request: agi://127.0.0.1:4573/v1/inbound?x=1\nagi_callerid: 5551234\nagi_accountcode: \nagi_arg_1: 390612345678\nagi_arg_2: arg 2 with spaces\n";
        let mut env = Env::default();
        for l in text.lines() {
            assert!(!env.push_line(l).unwrap());
        }
        assert!(env.push_line("").unwrap());
        assert_eq!(env.script(), Some("v1/inbound?x=1"));
        assert_eq!(env.get("agi_accountcode"), Some(""));
        assert_eq!(env.arg(1), "390612345678");
        assert_eq!(env.arg(2), "arg 2 with spaces");
        assert_eq!(env.arg(3), "");
        assert_eq!(env.arg(0), "");

        let mut env = Env::default();
        env.push_line("agi_network: yes").unwrap();
        assert_eq!(env.script(), None);
        assert!(env.push_line("agi_arg_2: x").is_err());
        assert!(env.push_line("no colon").is_err());
        assert!(env.push_line("other: x").is_err());
    }
}
