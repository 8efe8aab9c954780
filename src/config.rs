//! Settings, from the environment, with defaults that run out of the box.

use std::path::PathBuf;

pub const DEFAULT_DATABASE_URL: &str = "sqlite://switchboard.db?mode=rwc";
pub const DEFAULT_DATA_DIR: &str = "switchboard-data";

#[derive(Debug, Clone)]
pub struct Config {
    pub database_url: String,
    pub limits: BodyLimits,
    /// Trust the first address of `X-Forwarded-For` (only behind a reverse proxy you run).
    pub trust_forwarded_for: bool,
    /// Root of every file Switchboard keeps (media, voicemail, faxes; recordings by default).
    pub data_dir: PathBuf,
    /// Where call recordings live (often Asterisk's monitor directory on shared storage).
    pub recordings_dir: PathBuf,
}

impl Config {
    pub fn from_env() -> Config {
        Config {
            database_url: std::env::var("DATABASE_URL")
                .unwrap_or_else(|_| DEFAULT_DATABASE_URL.into()),
            limits: BodyLimits::default(),
            trust_forwarded_for: matches!(
                std::env::var("SWITCHBOARD_TRUST_FORWARDED_FOR").as_deref(),
                Ok("1" | "yes" | "true")
            ),
            ..Config::with_data_dir(
                std::env::var_os("SWITCHBOARD_DATA_DIR")
                    .map_or_else(|| PathBuf::from(DEFAULT_DATA_DIR), PathBuf::from),
            )
        }
    }

    /// Defaults, with every file kept under `data_dir` (tests give each run its own).
    pub fn with_data_dir(data_dir: PathBuf) -> Config {
        Config {
            database_url: DEFAULT_DATABASE_URL.into(),
            limits: BodyLimits::default(),
            trust_forwarded_for: false,
            recordings_dir: std::env::var_os("SWITCHBOARD_RECORDINGS_DIR")
                .map_or_else(|| data_dir.join("recordings"), PathBuf::from),
            data_dir,
        }
    }

    /// The content-addressed media store.
    pub fn media_dir(&self) -> PathBuf {
        self.data_dir.join("media")
    }

    /// Voicemail spool, in Asterisk's layout (`<context>/<mailbox>/<folder>/msgNNNN.*`).
    pub fn voicemail_dir(&self) -> PathBuf {
        self.data_dir.join("voicemail")
    }

    /// Faxes sent and received.
    pub fn fax_dir(&self) -> PathBuf {
        self.data_dir.join("fax")
    }

    pub fn with_database(url: &str) -> Config {
        Config {
            database_url: url.to_string(),
            ..Config::from_env()
        }
    }
}

/// Limits on what a request may carry.
#[derive(Debug, Clone, Copy)]
pub struct BodyLimits {
    /// Form bodies (url-encoded, and text parts of multipart).
    pub form_bytes: usize,
    /// Uploaded files, all parts together.
    pub upload_bytes: usize,
}

impl Default for BodyLimits {
    fn default() -> Self {
        BodyLimits {
            form_bytes: 1 << 20,
            upload_bytes: 32 << 20,
        }
    }
}
