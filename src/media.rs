//! The content-addressed media store. Each distinct content is kept once, as
//! `<media_dir>/<first two hex digits>/<sha256>`; rows (`me_mediafiles`) record the SHA-256 that
//! names the bytes plus the MD5 and size clients read. SHA-256, not MD5, names the file: two
//! tenants' different contents can never be made to share one name.
//!
//! Bytes are written (to a temporary name, then renamed) before the row that points at them
//! commits, and again after, so a concurrent clean-up can never leave a row without its bytes.
//! A delete releases the SHA-256 of content that may have lost its last row
//! ([`crate::files::release`], in the same transaction); the file goes after the commit, only if
//! no row refers to that content any more.
//!
//! Audio types are recognised by content, never by the client's file name:
//! - WAV: `RIFF` at 0 and `WAVE` at 8;
//! - MP3: an `ID3` tag, or an MPEG audio frame sync (`FF Ex`/`FF Fx` with a valid layer);
//! - OGG: `OggS` at 0;
//! - GSM 06.10 (raw, no header): only with a `.gsm` name, a size that is a non-zero multiple
//!   of the 33-byte frame, and every frame starting with the GSM signature nibble `0xD`;
//! - G.711 u-law / a-law (raw, no header): only with a `.ulaw`/`.ul`/`.mulaw` or `.alaw`/`.al`
//!   name, at least 160 bytes (20 ms), not starting like one of the containers above, and not
//!   text (a first kilobyte of printable ASCII is refused).
//!
//! Anything else is refused; so is content over [`MAX_BYTES`].

use crate::error::{internal, ApiResult};
use crate::files::{content_path as relative, resolve_inside, resolve_new_inside};
use std::path::Path;

/// The largest media file accepted (16 MiB: about 35 minutes of 8 kHz WAV).
pub const MAX_BYTES: usize = 16 << 20;

/// A recognised audio type.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Audio {
    /// Stored in `me_format`; also the extension offered on download.
    pub format: &'static str,
    pub content_type: &'static str,
}

const WAV: Audio = Audio {
    format: "wav",
    content_type: "audio/wav",
};
const MP3: Audio = Audio {
    format: "mp3",
    content_type: "audio/mpeg",
};
const OGG: Audio = Audio {
    format: "ogg",
    content_type: "audio/ogg",
};
const GSM: Audio = Audio {
    format: "gsm",
    content_type: "audio/x-gsm",
};
const ULAW: Audio = Audio {
    format: "ulaw",
    content_type: "audio/basic",
};
const ALAW: Audio = Audio {
    format: "alaw",
    content_type: "audio/x-alaw-basic",
};

/// The content type of a stored format (for downloads).
pub fn content_type(format: &str) -> &'static str {
    [WAV, MP3, OGG, GSM, ULAW, ALAW]
        .iter()
        .find(|a| a.format == format)
        .map_or("application/octet-stream", |a| a.content_type)
}

fn container(bytes: &[u8]) -> Option<Audio> {
    if bytes.len() >= 12 && &bytes[..4] == b"RIFF" && &bytes[8..12] == b"WAVE" {
        return Some(WAV);
    }
    if bytes.starts_with(b"OggS") {
        return Some(OGG);
    }
    if bytes.starts_with(b"ID3") {
        return Some(MP3);
    }
    // MPEG audio frame: 11 sync bits, a version other than "reserved", a layer other than 0.
    if bytes.len() >= 4
        && bytes[0] == 0xFF
        && bytes[1] & 0xE0 == 0xE0
        && (bytes[1] >> 3) & 0x03 != 0x01
        && (bytes[1] >> 1) & 0x03 != 0x00
        && bytes[2] >> 4 != 0x0F
    {
        return Some(MP3);
    }
    None
}

/// What `bytes` (uploaded as `filename`) are, or why they are refused.
pub fn detect(bytes: &[u8], filename: &str) -> Result<Audio, String> {
    if bytes.is_empty() {
        return Err("the file is empty".into());
    }
    if bytes.len() > MAX_BYTES {
        return Err(format!(
            "the file is larger than the limit of {MAX_BYTES} bytes"
        ));
    }
    if let Some(audio) = container(bytes) {
        return Ok(audio);
    }
    // Only the extension of the last path component counts, whatever the client sent.
    let name = filename.rsplit(['/', '\\']).next().unwrap_or_default();
    let ext = name
        .rsplit_once('.')
        .map(|(_, e)| e.to_ascii_lowercase())
        .unwrap_or_default();
    let unsupported = || {
        "the file is not a supported audio type (WAV, MP3, OGG, raw GSM, raw u-law/a-law)"
            .to_string()
    };
    match ext.as_str() {
        "gsm" => {
            let frames_ok =
                bytes.len().is_multiple_of(33) && bytes.chunks(33).all(|f| f[0] >> 4 == 0x0D);
            frames_ok
                .then_some(GSM)
                .ok_or_else(|| "the file is not raw GSM 06.10 (33-byte frames starting 0xD)".into())
        }
        "ulaw" | "ul" | "mulaw" | "alaw" | "al" => {
            let head = &bytes[..bytes.len().min(1024)];
            let text = head
                .iter()
                .all(|b| b.is_ascii_graphic() || b.is_ascii_whitespace());
            if bytes.len() < 160 || text {
                return Err(
                    "the file is not raw G.711 audio (at least 160 bytes, not text)".into(),
                );
            }
            Ok(if ext.contains('u') { ULAW } else { ALAW })
        }
        _ => Err(unsupported()),
    }
}

/// Digests of `bytes`: (sha256 hex, md5 hex).
pub fn digests(bytes: &[u8]) -> (String, String) {
    (
        hex::encode(<sha2::Sha256 as sha2::Digest>::digest(bytes)),
        hex::encode(<md5::Md5 as md5::Digest>::digest(bytes)),
    )
}

/// The path of stored content, or a miss.
pub fn path_of(dir: &Path, sha256: &str) -> ApiResult<std::path::PathBuf> {
    resolve_inside(dir, &relative(sha256)?)
}

/// Make sure the content `sha256` is in the store (write-once; an existing file is kept).
pub async fn store(dir: &Path, sha256: &str, bytes: &[u8]) -> ApiResult<()> {
    let target = resolve_new_inside(dir, &relative(sha256)?)?;
    if tokio::fs::metadata(&target)
        .await
        .is_ok_and(|m| m.len() == bytes.len() as u64)
    {
        return Ok(());
    }
    let tmp = target.with_extension(format!("tmp-{}", uuid::Uuid::new_v4().simple()));
    tokio::fs::write(&tmp, bytes).await.map_err(internal)?;
    if let Err(e) = tokio::fs::rename(&tmp, &target).await {
        let _ = tokio::fs::remove_file(&tmp).await;
        return Err(internal(e));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn wav() -> Vec<u8> {
        let mut b = b"RIFF\x24\x00\x00\x00WAVEfmt ".to_vec();
        b.resize(64, 0);
        b
    }

    #[test]
    fn recognises_by_content_not_name() {
        assert_eq!(detect(&wav(), "x.mp3"), Ok(WAV));
        assert_eq!(detect(b"ID3\x04\x00rest", "x.wav"), Ok(MP3));
        assert_eq!(detect(&[0xFF, 0xFB, 0x90, 0x00, 1, 2], "a"), Ok(MP3));
        assert_eq!(detect(b"OggS\x00\x02", "a.bin"), Ok(OGG));
        assert!(detect(b"<?php system($_GET['c']); ?>", "evil.wav").is_err());
        assert!(detect(b"MZ\x90\x00", "x.ogg").is_err());
        assert!(detect(b"", "x.wav").is_err());
    }

    #[test]
    fn raw_formats_need_name_and_shape() {
        let mut gsm = vec![0u8; 66];
        gsm[0] = 0xD3;
        gsm[33] = 0xDA;
        assert_eq!(detect(&gsm, "greeting.GSM"), Ok(GSM));
        assert!(detect(&gsm, "greeting.raw").is_err());
        assert!(detect(&gsm[..65], "greeting.gsm").is_err());
        gsm[33] = 0x13;
        assert!(detect(&gsm, "greeting.gsm").is_err());

        let ulaw: Vec<u8> = (0..400u32).map(|i| (i * 7 % 256) as u8 | 0x80).collect();
        assert_eq!(detect(&ulaw, "../../a.ulaw"), Ok(ULAW));
        assert_eq!(detect(&ulaw, "a.al"), Ok(ALAW));
        assert!(detect(&ulaw[..100], "a.ulaw").is_err());
        assert!(detect(&[b'a'; 400], "a.ulaw").is_err());
        assert!(detect(&ulaw, "a.ulaw/evil").is_err());
    }
}
