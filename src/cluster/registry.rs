//! The running cluster: one AMI connection per enabled node, kept in step with the node table
//! (a running server picks up `node add/remove` within [`Settings::node_poll`]), and the
//! background task that drives the outbox dispatcher.

use super::nodes;
use crate::ami::{Client, NodeConfig};
use crate::db::Db;
use entity::no_nodes;
use std::sync::{Arc, Mutex, Weak};
use std::time::Duration;
use tokio_util::sync::CancellationToken;

/// Timings of the cluster (defaults suit production and tests alike).
#[derive(Debug, Clone)]
pub struct Settings {
    /// How often the node table is re-read.
    pub node_poll: Duration,
    /// How often the outbox is looked at while nodes exist.
    pub outbox_poll: Duration,
    /// How long a process may drain one node's outbox before another may take over.
    pub lease: Duration,
    /// Per-action limit for outbox deliveries and live queries.
    pub action_timeout: Duration,
    pub backoff_min: Duration,
    pub backoff_max: Duration,
    /// How often delivered outbox rows older than `OUTBOX_RETENTION_DAYS` are purged (the
    /// first pass runs at start).
    pub purge_every: Duration,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            node_poll: Duration::from_secs(1),
            outbox_poll: Duration::from_millis(100),
            lease: Duration::from_secs(10),
            action_timeout: Duration::from_secs(5),
            backoff_min: Duration::from_millis(100),
            backoff_max: Duration::from_secs(5),
            purge_every: Duration::from_secs(3600),
        }
    }
}

/// One node as the running server sees it.
#[derive(Clone)]
pub struct Node {
    pub id: i32,
    pub name: String,
    pub client: Client,
    /// What the connection was built from (host, port, user, secret, enabled): a change
    /// re-creates it.
    fingerprint: String,
    /// The client's login count at the last dispatcher pass: a new login (a reconnect, even
    /// one between two passes) retries failed deliveries.
    pub(super) seen_logins: Arc<std::sync::atomic::AtomicU64>,
    /// Stops this node's event consumer.
    events_stop: CancellationToken,
}

impl Node {
    pub fn is_connected(&self) -> bool {
        self.client.is_connected()
    }
}

pub struct Cluster {
    pub db: Db,
    pub settings: Settings,
    nodes: Mutex<Vec<Node>>,
    /// Identifies this process's leases on node outboxes.
    pub(super) instance: String,
    cancel: CancellationToken,
    /// Next node for a DIAL with no better choice.
    pub round_robin: std::sync::atomic::AtomicUsize,
    /// Where node events go (see [`super::events`]); handlers may be added at any time.
    pub events: Arc<super::events::Router>,
    /// Background tasks of other parts that run while the cluster runs (the campaign dialer),
    /// added at start-up in app.rs.
    on_start: Mutex<Vec<StartHook>>,
}

/// A task started with the cluster: it holds the cluster weakly and ends on the token.
pub type StartHook = fn(Weak<Cluster>, CancellationToken);

fn fingerprint(m: &no_nodes::Model) -> String {
    use sha2::Digest;
    let digest = sha2::Sha256::digest(
        format!(
            "{}\n{}\n{}\n{}\n{}\n{}",
            m.no_host, m.no_port, m.no_username, m.no_secret, m.no_enabled, m.no_timezone
        )
        .as_bytes(),
    );
    hex::encode(digest)
}

impl Cluster {
    pub fn new(db: Db) -> Arc<Cluster> {
        Cluster::with_settings(db, Settings::default())
    }

    pub fn with_settings(db: Db, settings: Settings) -> Arc<Cluster> {
        Arc::new(Cluster {
            db,
            settings,
            nodes: Mutex::new(Vec::new()),
            instance: uuid::Uuid::new_v4().simple().to_string(),
            cancel: CancellationToken::new(),
            round_robin: Default::default(),
            events: Arc::new(super::events::Router::default()),
            on_start: Mutex::new(Vec::new()),
        })
    }

    /// Run `hook` each time the cluster starts (see [`Cluster::start`]).
    pub fn on_start(&self, hook: StartHook) {
        if let Ok(mut hooks) = self.on_start.lock() {
            hooks.push(hook);
        }
    }

    /// The nodes known right now (connected or not), by name.
    pub fn nodes(&self) -> Vec<Node> {
        self.nodes.lock().map(|n| n.clone()).unwrap_or_default()
    }

    /// The next of `nodes` in turn (shared by every caller, so load spreads across them).
    /// `nodes` must not be empty.
    pub fn next_of(&self, nodes: &[Node]) -> Node {
        let i = self
            .round_robin
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        nodes[i % nodes.len()].clone()
    }

    pub fn node(&self, name: &str) -> Option<Node> {
        self.nodes()
            .into_iter()
            .find(|n| n.name.eq_ignore_ascii_case(name))
    }

    /// Start the background task (node table polling and outbox dispatch). It ends with
    /// [`Cluster::stop`] or when the cluster is dropped.
    pub fn start(self: &Arc<Self>) {
        for hook in self.on_start.lock().map(|h| h.clone()).unwrap_or_default() {
            hook(Arc::downgrade(self), self.cancel.clone());
        }
        self.spawn_purge();
        let weak = Arc::downgrade(self);
        let cancel = self.cancel.clone();
        tokio::spawn(async move {
            let mut last_refresh: Option<tokio::time::Instant> = None;
            loop {
                let Some(cluster) = Weak::upgrade(&weak) else {
                    break;
                };
                let due = last_refresh.is_none_or(|t| t.elapsed() >= cluster.settings.node_poll);
                if due {
                    if let Err(e) = cluster.refresh().await {
                        tracing::warn!(error = %e, "reading the node table failed");
                    }
                    last_refresh = Some(tokio::time::Instant::now());
                }
                super::dispatcher::pass(&cluster).await;
                let pause = cluster.settings.outbox_poll;
                drop(cluster);
                tokio::select! {
                    _ = cancel.cancelled() => break,
                    _ = tokio::time::sleep(pause) => {}
                }
            }
        });
    }

    /// The outbox retention task: its own task, so a long purge never delays a delivery.
    fn spawn_purge(self: &Arc<Self>) {
        let weak = Arc::downgrade(self);
        let cancel = self.cancel.clone();
        tokio::spawn(async move {
            loop {
                let Some(cluster) = Weak::upgrade(&weak) else {
                    break;
                };
                match super::outbox::purge_expired(&cluster.db).await {
                    Ok(0) => {}
                    Ok(n) => tracing::info!(deliveries = n, "purged delivered outbox actions"),
                    Err(e) => tracing::warn!(error = %e, "purging the outbox failed"),
                }
                let pause = cluster.settings.purge_every;
                drop(cluster);
                tokio::select! {
                    _ = cancel.cancelled() => break,
                    _ = tokio::time::sleep(pause) => {}
                }
            }
        });
    }

    /// Stop the background task and close every node connection.
    pub fn stop(&self) {
        self.cancel.cancel();
        if let Ok(mut nodes) = self.nodes.lock() {
            for n in nodes.drain(..) {
                n.events_stop.cancel();
                n.client.shutdown();
            }
        }
    }

    /// Bring the running connections in step with the node table.
    pub async fn refresh(&self) -> crate::error::ApiResult<()> {
        let rows = nodes::all(&self.db.conn).await?;
        let mut learnt = Vec::new();
        {
            let mut running = self
                .nodes
                .lock()
                .map_err(|_| crate::error::internal("node list poisoned"))?;
            let wanted: Vec<&no_nodes::Model> = rows.iter().filter(|m| m.no_enabled).collect();
            running.retain(|n| {
                let keep = wanted
                    .iter()
                    .any(|m| m.no_id == n.id && fingerprint(m) == n.fingerprint);
                if !keep {
                    n.events_stop.cancel();
                    n.client.shutdown();
                }
                keep
            });
            for m in wanted {
                if !running.iter().any(|n| n.id == m.no_id) {
                    running.push(self.connect(m));
                }
            }
            running.sort_by(|a, b| a.name.cmp(&b.name));
            for n in running.iter() {
                let Some(m) = rows.iter().find(|m| m.no_id == n.id) else {
                    continue;
                };
                if let Some(info) = n.client.info() {
                    let version = info.asterisk_version.clone();
                    if (!version.is_empty() && version != m.no_version)
                        || info.system_name != m.no_systemname
                    {
                        learnt.push((n.id, info.system_name, version));
                    }
                }
            }
        }
        for (id, systemname, version) in learnt {
            nodes::set_identity(&self.db.conn, id, &systemname, &version).await?;
        }
        Ok(())
    }

    fn connect(&self, m: &no_nodes::Model) -> Node {
        let mut cfg = config_of(m);
        cfg.action_timeout = self.settings.action_timeout;
        cfg.backoff_min = self.settings.backoff_min;
        cfg.backoff_max = self.settings.backoff_max;
        let client = Client::spawn(cfg);
        let events_stop = self.cancel.child_token();
        super::events::spawn_consumer(
            self.events.clone(),
            self.db.clone(),
            m.no_name.clone(),
            crate::time::zone(&m.no_timezone).unwrap_or(chrono_tz::Tz::UTC),
            client.events(),
            events_stop.clone(),
        );
        Node {
            id: m.no_id,
            name: m.no_name.clone(),
            client,
            fingerprint: fingerprint(m),
            seen_logins: Default::default(),
            events_stop,
        }
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        self.stop();
    }
}

/// The AMI client configuration of a node row.
pub fn config_of(m: &no_nodes::Model) -> NodeConfig {
    NodeConfig::new(
        m.no_name.clone(),
        m.no_host.clone(),
        u16::try_from(m.no_port).unwrap_or(5038),
        m.no_username.clone(),
        m.no_secret.clone(),
    )
}
