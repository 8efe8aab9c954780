//! Logging in (MD5 challenge or plain secret), reading the node info, and `check`.

use md5::{Digest, Md5};

use super::conn::Conn;
use super::handle::Shared;
use crate::ami::{Action, AmiError, AuthMethod, Message, NodeConfig, NodeInfo};

/// Actions Switchboard may send to a node; `check` reports the ones the AMI user may not use.
pub const REQUIRED_ACTIONS: &[&str] = &[
    "Ping",
    "Originate",
    "Hangup",
    "Redirect",
    "Atxfer",
    "CoreShowChannels",
    "CoreSettings",
    "CoreStatus",
    "Command",
    "Reload",
    "QueueAdd",
    "QueueRemove",
    "QueuePause",
    "QueueStatus",
    "QueueSummary",
    "DBPut",
    "DBGet",
    "DBDel",
    "DBGetTree",
    "ExtensionState",
    "ExtensionStateList",
    "DeviceStateList",
    "Getvar",
    "Setvar",
    "PJSIPShowEndpoints",
    "PJSIPShowContacts",
    "PJSIPUnregister",
    "PJSIPNotify",
    "MessageSend",
    "QueueReset",
    "SorceryMemoryCacheExpireObject",
];

impl Conn {
    async fn login(
        &mut self,
        cfg: &NodeConfig,
        publish: &(dyn Fn(Message) + Sync),
    ) -> Result<(), AmiError> {
        let mut login = Action::new("Login").header("Username", cfg.username.as_str());
        match cfg.auth {
            AuthMethod::Md5 => {
                let challenge = self
                    .call(&Action::new("Challenge").header("AuthType", "md5"), publish)
                    .await?;
                if challenge.is_error() {
                    return Err(AmiError::Auth(
                        challenge.text().unwrap_or("challenge refused").into(),
                    ));
                }
                let nonce = challenge
                    .get("Challenge")
                    .ok_or_else(|| AmiError::Protocol("Challenge missing".into()))?;
                let key = Md5::digest(format!("{nonce}{}", cfg.secret).as_bytes());
                login = login
                    .header("AuthType", "md5")
                    .header("Key", hex::encode(key.as_slice()));
            }
            AuthMethod::Plain => login = login.header("Secret", cfg.secret.as_str()),
        }
        if !cfg.events {
            login = login.header("Events", "off");
        }
        let answer = self.call(&login, publish).await?;
        if answer.is_error() || answer.response().is_none() {
            return Err(AmiError::Auth(
                answer.text().unwrap_or("login refused").into(),
            ));
        }
        Ok(())
    }

    /// Banner version plus `CoreSettings` when the user may read it.
    async fn node_info(
        &mut self,
        publish: &(dyn Fn(Message) + Sync),
    ) -> Result<NodeInfo, AmiError> {
        let mut info = NodeInfo {
            ami_version: self
                .banner
                .trim_start_matches("Asterisk Call Manager/")
                .trim()
                .to_string(),
            ..NodeInfo::default()
        };
        let settings = self.call(&Action::new("CoreSettings"), publish).await?;
        if !settings.is_error() {
            info.asterisk_version = settings.get("AsteriskVersion").unwrap_or("").trim().into();
            info.system_name = settings.get("SystemName").unwrap_or("").trim().into();
        }
        Ok(info)
    }
}

/// Connect, log in and learn the node info.
pub(super) async fn connect(
    cfg: &NodeConfig,
    shared: &Shared,
) -> Result<(Conn, NodeInfo), AmiError> {
    let publish = |m: Message| shared.publish(m);
    let work = async {
        let mut conn = Conn::open(cfg).await?;
        conn.login(cfg, &publish).await?;
        let info = conn.node_info(&publish).await?;
        Ok((conn, info))
    };
    tokio::time::timeout(cfg.connect_timeout, work)
        .await
        .unwrap_or(Err(AmiError::Timeout))
}

/// What `check` found on a node.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckReport {
    pub info: NodeInfo,
    /// Actions of [`REQUIRED_ACTIONS`] the AMI user may not use (from `ListCommands`).
    pub missing: Vec<String>,
}

/// Log in once, read the version and list which of the actions Switchboard needs the user may
/// not use (Asterisk's `ListCommands` shows only the actions the user is permitted).
pub async fn check(cfg: &NodeConfig) -> Result<CheckReport, AmiError> {
    let publish = |_: Message| {};
    let work = async {
        let mut conn = Conn::open(cfg).await?;
        conn.login(cfg, &publish).await?;
        let info = conn.node_info(&publish).await?;
        let commands = conn.call(&Action::new("ListCommands"), &publish).await?;
        if commands.is_error() {
            return Err(AmiError::Refused(
                commands.text().unwrap_or("ListCommands").into(),
            ));
        }
        let missing = REQUIRED_ACTIONS
            .iter()
            .filter(|a| commands.get(a).is_none())
            .map(|a| a.to_string())
            .collect();
        let _ = conn.call(&Action::new("Logoff"), &publish).await;
        Ok(CheckReport { info, missing })
    };
    tokio::time::timeout(cfg.connect_timeout * 2, work)
        .await
        .unwrap_or(Err(AmiError::Timeout))
}
