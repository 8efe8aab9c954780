//! Settings, from the environment, with defaults that run out of the box.

use crate::proxyapi::params::BodyLimits;

pub const DEFAULT_DATABASE_URL: &str = "sqlite://switchboard.db?mode=rwc";

#[derive(Debug, Clone)]
pub struct Config {
    pub database_url: String,
    pub limits: BodyLimits,
    /// Trust the first address of `X-Forwarded-For` (only behind a reverse proxy you run).
    pub trust_forwarded_for: bool,
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
        }
    }

    pub fn with_database(url: &str) -> Config {
        Config {
            database_url: url.to_string(),
            ..Config::from_env()
        }
    }
}
