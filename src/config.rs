//! Settings, from the environment, with defaults that run out of the box.

use ipnet::IpNet;
use std::net::IpAddr;
use std::path::PathBuf;
use std::time::Duration;

pub const DEFAULT_DATABASE_URL: &str = "sqlite://switchboard.db?mode=rwc";
pub const DEFAULT_DATA_DIR: &str = "switchboard-data";

#[derive(Debug, Clone)]
pub struct Config {
    pub database_url: String,
    pub limits: BodyLimits,
    /// Reverse proxies whose `X-Forwarded-For` entries are believed (see `auth::forwarded`).
    pub trusted_proxies: Vec<ipnet::IpNet>,
    /// Root of every file Switchboard keeps (media, voicemail, faxes; recordings by default).
    pub data_dir: PathBuf,
    /// Where call recordings live (often Asterisk's monitor directory on shared storage).
    pub recordings_dir: PathBuf,
    /// When a source address failing on the nodes is banned cluster-wide.
    pub bans: BanPolicy,
}

impl Config {
    /// Settings from the environment; a malformed value is an error naming its variable.
    pub fn from_env() -> Result<Config, String> {
        Ok(Config {
            database_url: std::env::var("DATABASE_URL")
                .unwrap_or_else(|_| DEFAULT_DATABASE_URL.into()),
            limits: BodyLimits::default(),
            trusted_proxies: trusted_proxies_from_env()?,
            bans: BanPolicy::from_env()?,
            ..Config::with_data_dir(
                std::env::var_os("SWITCHBOARD_DATA_DIR")
                    .map_or_else(|| PathBuf::from(DEFAULT_DATA_DIR), PathBuf::from),
            )
        })
    }

    /// Defaults, with every file kept under `data_dir` (tests give each run its own).
    pub fn with_data_dir(data_dir: PathBuf) -> Config {
        Config {
            database_url: DEFAULT_DATABASE_URL.into(),
            limits: BodyLimits::default(),
            trusted_proxies: Vec::new(),
            recordings_dir: std::env::var_os("SWITCHBOARD_RECORDINGS_DIR")
                .map_or_else(|| data_dir.join("recordings"), PathBuf::from),
            data_dir,
            bans: Default::default(),
        }
    }

    /// The data directory must exist (or be creatable) and take files: found at start, not at
    /// the first upload.
    pub fn check_data_dir(&self) -> Result<(), String> {
        let dir = &self.data_dir;
        let fail = |e: std::io::Error| {
            format!(
                "SWITCHBOARD_DATA_DIR {}: {e} (it must be a writable directory)",
                dir.display()
            )
        };
        std::fs::create_dir_all(dir).map_err(fail)?;
        let probe = dir.join(format!(".write-check-{}", std::process::id()));
        std::fs::write(&probe, b"ok").map_err(fail)?;
        std::fs::remove_file(&probe).map_err(fail)
    }

    /// Uploads being received (temporary files, removed when their request ends).
    pub fn upload_dir(&self) -> PathBuf {
        self.data_dir.join("tmp")
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

    pub fn with_database(url: &str) -> Result<Config, String> {
        Ok(Config {
            database_url: url.to_string(),
            ..Config::from_env()?
        })
    }
}

/// `SWITCHBOARD_TRUSTED_PROXIES=CIDR,…`, plus the loopback proxies when the older
/// `SWITCHBOARD_TRUST_FORWARDED_FOR=1` is set (a proxy on the same host).
fn trusted_proxies_from_env() -> Result<Vec<ipnet::IpNet>, String> {
    let mut trusted = match std::env::var("SWITCHBOARD_TRUSTED_PROXIES") {
        Ok(list) => crate::auth::keys::parse_allow_list(&list)
            .map_err(|e| format!("SWITCHBOARD_TRUSTED_PROXIES: {e}"))?,
        Err(_) => Vec::new(),
    };
    match std::env::var("SWITCHBOARD_TRUST_FORWARDED_FOR").as_deref() {
        Ok("1" | "yes" | "true") => trusted.extend(crate::auth::forwarded::loopback()),
        Ok("" | "0" | "no" | "false") | Err(_) => {}
        Ok(other) => {
            return Err(format!(
                "SWITCHBOARD_TRUST_FORWARDED_FOR: '{other}' is not 1 or 0"
            ))
        }
    }
    Ok(trusted)
}

/// Limits on what a request may carry.
#[derive(Debug, Clone, Copy)]
pub struct BodyLimits {
    /// Form bodies (url-encoded, and text parts of multipart).
    pub form_bytes: usize,
    /// Uploaded files, all parts together.
    pub upload_bytes: usize,
    /// What is read of a body before its key is checked: a larger body must carry the key in
    /// the query string or within this head.
    pub head_bytes: usize,
    /// A body must keep coming: after `body_grace`, at least `min_body_rate` bytes per second on
    /// average, or the request is answered with an error and the connection closed.
    pub body_grace: Duration,
    pub min_body_rate: u64,
    /// The upload bytes all requests together may hold at once (handlers read files into
    /// memory): beyond it, uploads wait for their turn (up to `body_grace`).
    pub upload_budget_bytes: usize,
}

impl Default for BodyLimits {
    fn default() -> Self {
        BodyLimits {
            form_bytes: 1 << 20,
            upload_bytes: 32 << 20,
            head_bytes: 16 << 10,
            body_grace: Duration::from_secs(10),
            min_body_rate: 16 << 10,
            upload_budget_bytes: 48 << 20,
        }
    }
}

/// When a source address failing on the nodes is banned cluster-wide, and for how long
/// (see `cluster::bans`).
#[derive(Debug, Clone)]
pub struct BanPolicy {
    /// Failures within `window` that ban an address.
    pub failures: u32,
    pub window: Duration,
    /// How long an automatic ban lasts (None: until lifted).
    pub ban_for: Option<Duration>,
    /// Addresses never banned (the operator's office, monitoring; loopback always).
    pub ignore: Vec<IpNet>,
}

impl Default for BanPolicy {
    fn default() -> BanPolicy {
        BanPolicy {
            failures: 10,
            window: Duration::from_secs(60),
            ban_for: Some(Duration::from_secs(3600)),
            ignore: Vec::new(),
        }
    }
}

impl BanPolicy {
    /// `SWITCHBOARD_BAN_FAILURES`, `SWITCHBOARD_BAN_WINDOW_SECONDS`, `SWITCHBOARD_BAN_SECONDS`
    /// (0: until lifted) and `SWITCHBOARD_BAN_IGNORE` (comma-separated addresses or CIDRs);
    /// a malformed value is an error naming its variable.
    pub fn from_env() -> Result<BanPolicy, String> {
        let mut p = BanPolicy::default();
        let number = |name: &str| -> Result<Option<u64>, String> {
            match std::env::var(name) {
                Err(_) => Ok(None),
                Ok(v) => v
                    .trim()
                    .parse::<u64>()
                    .map(Some)
                    .map_err(|_| format!("{name} must be a whole number, not '{v}'")),
            }
        };
        if let Some(n) = number("SWITCHBOARD_BAN_FAILURES")? {
            p.failures = u32::try_from(n.max(1)).unwrap_or(u32::MAX);
        }
        if let Some(n) = number("SWITCHBOARD_BAN_WINDOW_SECONDS")? {
            p.window = Duration::from_secs(n.max(1));
        }
        if let Some(n) = number("SWITCHBOARD_BAN_SECONDS")? {
            p.ban_for = (n > 0).then(|| Duration::from_secs(n));
        }
        if let Ok(list) = std::env::var("SWITCHBOARD_BAN_IGNORE") {
            p.ignore = list
                .split(',')
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(|s| {
                    parse_net(s).ok_or_else(|| {
                        format!("SWITCHBOARD_BAN_IGNORE: '{s}' is not an address or CIDR")
                    })
                })
                .collect::<Result<_, _>>()?;
        }
        Ok(p)
    }

    pub fn ignores(&self, addr: IpAddr) -> bool {
        addr.is_loopback() || addr.is_unspecified() || self.ignore.iter().any(|n| n.contains(&addr))
    }
}

pub fn parse_net(s: &str) -> Option<IpNet> {
    s.parse::<IpNet>()
        .ok()
        .or_else(|| s.parse::<IpAddr>().ok().map(IpNet::from))
}
