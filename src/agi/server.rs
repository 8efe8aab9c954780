//! The FastAGI listener: one decision per session. Read the environment block, decide within
//! the deadline (or answer the fallback), set a few variables, close.

use super::contract;
use super::proto::{is_usage_end, AgiError, Caps, Command, Env, LineCodec, Response};
use crate::db::Db;
use crate::routing::{self, Decision, Outcome};
use futures_util::{SinkExt, StreamExt};
use sea_orm::EntityTrait;
use std::collections::HashSet;
use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::{Duration, Instant};
use subtle::ConstantTimeEq;
use tokio::io::AsyncWriteExt;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::RwLock;
use tokio_util::codec::Framed;

#[derive(Debug, Clone)]
pub struct AgiConfig {
    /// The longest a decision may take before the fallback is answered.
    pub deadline: Duration,
    /// The longest a whole session may last (a peer that stalls is dropped).
    pub session_limit: Duration,
    pub caps: Caps,
    /// When set, the request path must start with `<secret>/`.
    pub secret: Option<String>,
    /// How often the addresses of the registered nodes are read again.
    pub refresh: Duration,
    /// The clock conditions are evaluated on (tests set a fixed instant).
    pub clock: fn() -> chrono::DateTime<chrono::Utc>,
}

impl Default for AgiConfig {
    fn default() -> AgiConfig {
        AgiConfig {
            deadline: Duration::from_millis(200),
            session_limit: Duration::from_secs(10),
            caps: Caps::default(),
            secret: None,
            refresh: Duration::from_secs(5),
            clock: chrono::Utc::now,
        }
    }
}

/// The addresses of the registered nodes (`no_nodes.no_host`, names resolved).
#[derive(Default)]
struct Allowed {
    addrs: HashSet<IpAddr>,
    loaded: Option<Instant>,
}

struct Shared {
    db: Db,
    cfg: AgiConfig,
    allowed: RwLock<Allowed>,
}

/// Serve FastAGI on `listener` until the task is dropped.
pub fn spawn(db: Db, listener: TcpListener, cfg: AgiConfig) -> tokio::task::JoinHandle<()> {
    let shared = Arc::new(Shared {
        db,
        cfg,
        allowed: RwLock::new(Allowed::default()),
    });
    let refresher = shared.clone();
    tokio::spawn(async move {
        loop {
            refresher.reload_nodes().await;
            tokio::time::sleep(refresher.cfg.refresh).await;
            if Arc::strong_count(&refresher) == 1 {
                return;
            }
        }
    });
    tokio::spawn(async move {
        loop {
            match listener.accept().await {
                Ok((stream, peer)) => {
                    let shared = shared.clone();
                    tokio::spawn(async move { shared.connection(stream, peer).await });
                }
                Err(e) => {
                    tracing::warn!(error = %e, "FastAGI accept failed");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                }
            }
        }
    })
}

async fn resolve(host: &str) -> Vec<IpAddr> {
    if let Ok(ip) = host.parse::<IpAddr>() {
        return vec![ip];
    }
    match tokio::time::timeout(
        Duration::from_secs(2),
        tokio::net::lookup_host((host, 0u16)),
    )
    .await
    {
        Ok(Ok(addrs)) => addrs.map(|a| a.ip()).collect(),
        _ => {
            tracing::warn!(%host, "cannot resolve a node's host for FastAGI");
            vec![]
        }
    }
}

/// Canonical form: IPv4-mapped IPv6 peers compare as IPv4.
fn canonical(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(ip, IpAddr::V4),
        v4 => v4,
    }
}

impl Shared {
    async fn reload_nodes(&self) {
        let nodes = match entity::no_nodes::Entity::find().all(&self.db.conn).await {
            Ok(n) => n,
            Err(e) => {
                // Keep the last known set: the database being down must not lock nodes out.
                tracing::warn!(error = %e, "cannot read the nodes for FastAGI");
                return;
            }
        };
        let mut addrs = HashSet::new();
        for n in nodes {
            addrs.extend(resolve(&n.no_host).await.into_iter().map(canonical));
        }
        let mut a = self.allowed.write().await;
        a.addrs = addrs;
        a.loaded = Some(Instant::now());
    }

    /// Whether `ip` is a registered node's. An unknown address makes the list be read again
    /// (at most once a second, within the decision deadline) so a node added a moment ago is
    /// accepted; otherwise the background refresh keeps it current.
    async fn is_node(&self, ip: IpAddr) -> bool {
        let ip = canonical(ip);
        let (known, age) = {
            let a = self.allowed.read().await;
            (a.addrs.contains(&ip), a.loaded.map(|t| t.elapsed()))
        };
        if known {
            return true;
        }
        if age.is_none_or(|a| a > Duration::from_secs(1)) {
            let _ = tokio::time::timeout(self.cfg.deadline, self.reload_nodes()).await;
            return self.allowed.read().await.addrs.contains(&ip);
        }
        false
    }

    async fn connection(&self, stream: TcpStream, peer: SocketAddr) {
        if !self.is_node(peer.ip()).await {
            tracing::warn!(%peer, "FastAGI connection from an address that is no node's: refused");
            return;
        }
        let _ = stream.set_nodelay(true);
        let mut framed = Framed::new(stream, LineCodec::new(self.cfg.caps));
        match tokio::time::timeout(self.cfg.session_limit, self.session(&mut framed, peer)).await {
            Ok(Ok(())) => {}
            Ok(Err(e)) => tracing::warn!(%peer, error = %e, "FastAGI session ended early"),
            Err(_) => tracing::warn!(%peer, "FastAGI session took too long: closed"),
        }
        // Half-close, then let Asterisk say its last HANGUP and close (briefly, bounded).
        let _ = framed.get_mut().shutdown().await;
        let _ = tokio::time::timeout(Duration::from_secs(2), async {
            while let Some(Ok(_)) = framed.next().await {}
        })
        .await;
    }

    async fn session(
        &self,
        framed: &mut Framed<TcpStream, LineCodec>,
        peer: SocketAddr,
    ) -> Result<(), AgiError> {
        let mut env = Env::default();
        loop {
            match framed.next().await {
                Some(Ok(line)) => match env.push_line(&line) {
                    Ok(true) => break,
                    Ok(false) => {}
                    Err(e) => {
                        tracing::warn!(%peer, error = %e, "bad FastAGI environment block");
                        return Ok(());
                    }
                },
                Some(Err(e)) => return Err(e),
                // The channel went away before asking anything.
                None => return Ok(()),
            }
        }
        let Some(vars) = self.answer(&env, peer).await else {
            return Ok(());
        };
        for (name, value) in vars {
            let cmd = match Command::set_variable(&name, &value) {
                Ok(c) => c,
                Err(e) => {
                    tracing::warn!(%peer, variable = %name, error = %e, "value not sendable: skipped");
                    continue;
                }
            };
            framed.send(cmd).await?;
            match read_response(framed).await? {
                None => return Ok(()),
                Some((Response::Ok { .. }, false)) => {}
                Some((r, hung_up)) => {
                    if hung_up || r == Response::DeadChannel {
                        // The caller is gone: nothing more worth setting.
                        return Ok(());
                    }
                    tracing::warn!(%peer, variable = %name, answer = ?r, "SET VARIABLE not accepted");
                }
            }
        }
        Ok(())
    }

    /// The variables to set, or `None` when the request is not to be answered at all.
    async fn answer(&self, env: &Env, peer: SocketAddr) -> Option<Vec<(String, String)>> {
        let script = env.script().unwrap_or("");
        let path = script.split('?').next().unwrap_or("");
        let mut parts = path.split('/').filter(|p| !p.is_empty());
        if let Some(secret) = &self.cfg.secret {
            let given = parts.next().unwrap_or("");
            if !bool::from(given.as_bytes().ct_eq(secret.as_bytes())) {
                tracing::warn!(%peer, "FastAGI request without the right secret: refused");
                return None;
            }
        }
        let version = parts.next().unwrap_or("");
        let request = parts.next().unwrap_or("");
        let version = match version
            .strip_prefix('v')
            .and_then(|v| v.parse::<u32>().ok())
        {
            Some(v) if contract::SUPPORTED.contains(&v) => v,
            _ => {
                tracing::warn!(%peer, %version, "FastAGI contract version not supported");
                return Some(contract::fallback(
                    &format!("contract version '{version}' not supported"),
                    contract::CURRENT,
                ));
            }
        };
        let started = Instant::now();
        let decided = tokio::time::timeout(
            self.cfg.deadline,
            decide(&self.db, env, request, (self.cfg.clock)()),
        )
        .await;
        match decided {
            Ok(Ok(Some(d))) => {
                tracing::debug!(%peer, request, step = ?d.step, next = %d.next, elapsed_us = started.elapsed().as_micros() as u64, "FastAGI decision");
                Some(contract::variables(&d, version))
            }
            Ok(Ok(None)) => {
                tracing::warn!(%peer, request, "unknown FastAGI request");
                Some(contract::fallback(
                    &format!("unknown request '{request}'"),
                    version,
                ))
            }
            Ok(Err(e)) => {
                tracing::warn!(%peer, request, error = %e, "FastAGI decision failed: fallback answered");
                Some(contract::fallback("database unavailable", version))
            }
            Err(_) => {
                tracing::warn!(%peer, request, deadline_ms = self.cfg.deadline.as_millis() as u64, "FastAGI decision missed its deadline: fallback answered");
                Some(contract::fallback("no decision in time", version))
            }
        }
    }
}

/// One answer to a command: the response, and whether a `HANGUP` line came before it.
/// `None` when the peer closed.
async fn read_response(
    framed: &mut Framed<TcpStream, LineCodec>,
) -> Result<Option<(Response, bool)>, AgiError> {
    let mut hung_up = false;
    loop {
        let Some(line) = framed.next().await.transpose()? else {
            return Ok(None);
        };
        match Response::parse(&line) {
            Response::Hangup => hung_up = true,
            Response::Usage(mut lines) => {
                if !is_usage_end(&lines[0]) {
                    loop {
                        let Some(l) = framed.next().await.transpose()? else {
                            return Ok(None);
                        };
                        let end = is_usage_end(&l);
                        lines.push(l);
                        if end {
                            break;
                        }
                    }
                }
                return Ok(Some((Response::Usage(lines), hung_up)));
            }
            r => return Ok(Some((r, hung_up))),
        }
    }
}

/// The decision for one request; `Ok(None)` for a request this service does not know.
async fn decide(
    db: &Db,
    env: &Env,
    request: &str,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<Option<Decision>, sea_orm::DbErr> {
    let conn = &db.conn;
    let uniqueid = env.get("agi_uniqueid").unwrap_or("");
    let mut d = match request {
        "inbound" => routing::inbound(conn, env.arg(1), env.arg(2), now).await?,
        "internal" => {
            let channel = env.get("agi_channel").unwrap_or("");
            routing::internal(conn, channel, env.arg(1), now).await?
        }
        "next" => routing::next(conn, env.arg(1), Outcome::parse(env.arg(2)), now).await?,
        "ivr" => {
            let (Ok(id), Ok(attempt)) = (env.arg(1).parse::<i32>(), env.arg(2).parse::<u32>())
            else {
                return Ok(Some(Decision::refuse("ivr: bad IVR id or attempt")));
            };
            routing::ivr_input(conn, id, attempt, env.arg(3), env.arg(4), now).await?
        }
        "hangup" => {
            // The call holding an outbound slot ended (or its dial did): the slot is free.
            if let Ok(slot) = env.arg(1).parse::<i64>() {
                if !routing::release(db, slot, uniqueid, now).await? {
                    tracing::debug!(
                        slot,
                        uniqueid,
                        "hang-up of a slot already free or not this channel's"
                    );
                }
            }
            Decision {
                step: routing::Step::Hangup,
                ..Decision::refuse("")
            }
        }
        _ => return Ok(None),
    };
    // Count an outbound call against its limits (or record its refusal).
    routing::admit(db, &mut d, uniqueid, now).await?;
    Ok(Some(d))
}
