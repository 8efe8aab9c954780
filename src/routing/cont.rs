//! The continuation of a call: where it goes when the current step ends unanswered.
//!
//! Text form (a channel variable): frames separated by `/`, the top last.
//! `L.<source type>.<source id>.<position>` is a position in the destination list of a source
//! (`L.DID.12.1` = the second destination of DID 12); `X.<ex_id>` is an extension being rung,
//! whose busy / no-answer / offline destinations apply to the outcome. Parsing is strict: an
//! unknown source type, a non-numeric id or too many frames is refused.

use std::fmt;

/// Most frames a continuation holds (nested lists: a DID → condition → IVR key → …).
pub const MAX_FRAMES: usize = 12;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Frame {
    List { src: String, id: i32, pos: usize },
    Ext(i32),
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Cont(pub Vec<Frame>);

/// The owner table of a destination list's source type: `did`, `condition`, `extension`,
/// `ivr`, `queue` or `huntlist`.
pub fn source_kind(src: &str) -> Option<&'static str> {
    match src {
        "DID" => Some("did"),
        "CONDITION" | "NOTCONDITION" => Some("condition"),
        "EXT-UNCONDITIONAL" | "EXT-BUSY" | "EXT-NOANSWER" | "EXT-OFFLINE" => Some("extension"),
        "QUEUE" => Some("queue"),
        "HUNTLIST" => Some("huntlist"),
        s => {
            let key = s.strip_prefix("IVR_")?;
            let ok = matches!(key, "TIMEOUT" | "INVALID")
                || (key.len() == 1
                    && key
                        .chars()
                        .all(|c| c.is_ascii_digit() || c == '*' || c == '#'));
            ok.then_some("ivr")
        }
    }
}

impl Cont {
    pub fn parse(text: &str) -> Result<Cont, String> {
        let text = text.trim();
        if text.is_empty() {
            return Ok(Cont::default());
        }
        if text.len() > 512 {
            return Err("continuation too long".into());
        }
        let mut frames = vec![];
        for part in text.split('/') {
            if frames.len() == MAX_FRAMES {
                return Err("continuation has too many frames".into());
            }
            let fields: Vec<&str> = part.split('.').collect();
            let id = |s: &str| -> Result<i32, String> {
                match s.parse::<i32>() {
                    Ok(n) if n > 0 && s.chars().all(|c| c.is_ascii_digit()) => Ok(n),
                    _ => Err(format!("'{s}' is not an object id")),
                }
            };
            let frame = match fields.as_slice() {
                ["L", src, n, pos] => {
                    if source_kind(src).is_none() {
                        return Err(format!("unknown source type '{src}'"));
                    }
                    let pos = match pos.parse::<usize>() {
                        Ok(p) if p <= 1000 && pos.chars().all(|c| c.is_ascii_digit()) => p,
                        _ => return Err(format!("'{pos}' is not a position")),
                    };
                    Frame::List {
                        src: src.to_string(),
                        id: id(n)?,
                        pos,
                    }
                }
                ["X", n] => Frame::Ext(id(n)?),
                _ => return Err(format!("'{part}' is not a frame")),
            };
            frames.push(frame);
        }
        Ok(Cont(frames))
    }

    pub fn push(&mut self, frame: Frame) -> bool {
        if self.0.len() >= MAX_FRAMES {
            return false;
        }
        self.0.push(frame);
        true
    }

    pub fn pop(&mut self) -> Option<Frame> {
        self.0.pop()
    }
}

impl fmt::Display for Cont {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, frame) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str("/")?;
            }
            match frame {
                Frame::List { src, id, pos } => write!(f, "L.{src}.{id}.{pos}")?,
                Frame::Ext(id) => write!(f, "X.{id}")?,
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip() {
        let text = "L.DID.12.1/L.IVR_1.3.0/L.EXT-BUSY.7.2/X.7";
        let c = Cont::parse(text).unwrap();
        assert_eq!(c.0.len(), 4);
        assert_eq!(c.0[3], Frame::Ext(7));
        assert_eq!(c.to_string(), text);
        assert_eq!(Cont::parse("").unwrap(), Cont::default());
        assert_eq!(Cont::default().to_string(), "");
    }

    #[test]
    fn strict() {
        for bad in [
            "L.FOO.1.0",
            "L.DID.x.0",
            "L.DID.-1.0",
            "L.DID.0.0",
            "L.DID.1.+1",
            "L.DID.1",
            "X.1.2",
            "Y.1",
            "L.IVR_12.1.0",
            "L.DID.1.0//X.1",
            "L.DID.1.5000",
        ] {
            assert!(Cont::parse(bad).is_err(), "{bad}");
        }
        let many = vec!["X.1"; MAX_FRAMES + 1].join("/");
        assert!(Cont::parse(&many).is_err());
        let mut c = Cont::parse(&vec!["X.1"; MAX_FRAMES].join("/")).unwrap();
        assert!(!c.push(Frame::Ext(2)));
    }
}
