//! What the nodes tell without being asked: one consumer per connected node reads the node's
//! AMI event stream and hands each event to the handlers registered for its name.
//!
//! The [`Router`] is the one dispatch point: `Cdr` events feed the CDR store, `UserEvent`s are
//! routed by their `UserEvent:` header (`router.on("UserEvent:SwitchboardFax", …)`), and other
//! parts of the server register their own handlers the same way. A handler that fails (a
//! malformed event) is logged with the node and event name — never the event's text — and the
//! consumer goes on with the next event.
//!
//! Every process sharing the database consumes every node's events: handlers must be idempotent
//! (the CDR store is; status updates are conditional on the row's current state).

use crate::ami::Message;
use crate::db::Db;
use crate::error::ApiResult;
use futures_util::future::BoxFuture;
use std::collections::HashMap;
use std::sync::{Arc, RwLock};
use tokio::sync::broadcast::{error::RecvError, Receiver};
use tokio_util::sync::CancellationToken;

/// One event as a handler sees it.
#[derive(Clone)]
pub struct Event {
    pub db: Db,
    /// The name of the node that sent it (`no_name`).
    pub node: String,
    /// The zone of that node's clock (`no_timezone`).
    pub zone: chrono_tz::Tz,
    pub message: Arc<Message>,
}

pub type Handler = Arc<dyn Fn(Event) -> BoxFuture<'static, ApiResult<()>> + Send + Sync>;

/// Event name (case-insensitive; `UserEvent:<name>` for user events) → handlers.
#[derive(Default)]
pub struct Router {
    handlers: RwLock<HashMap<String, Vec<Handler>>>,
}

impl Router {
    /// Add a handler for an event name (`Cdr`, `Hangup`, `UserEvent:SwitchboardFax`).
    pub fn on(
        &self,
        name: &str,
        handler: impl Fn(Event) -> BoxFuture<'static, ApiResult<()>> + Send + Sync + 'static,
    ) {
        if let Ok(mut map) = self.handlers.write() {
            map.entry(name.to_ascii_lowercase())
                .or_default()
                .push(Arc::new(handler));
        }
    }

    fn handlers_for(&self, m: &Message) -> Vec<Handler> {
        let Some(name) = m.event() else {
            return Vec::new();
        };
        let mut key = name.trim().to_ascii_lowercase();
        if key == "userevent" {
            key = format!("userevent:{}", m.get("UserEvent").unwrap_or("").trim());
            key.make_ascii_lowercase();
        }
        self.handlers
            .read()
            .ok()
            .and_then(|map| map.get(&key).cloned())
            .unwrap_or_default()
    }

    /// Run every handler of the event, in registration order; failures are logged, not fatal.
    pub async fn dispatch(&self, event: Event) {
        for handler in self.handlers_for(&event.message) {
            if let Err(e) = handler(event.clone()).await {
                tracing::warn!(
                    node = %event.node,
                    event = event.message.event().unwrap_or(""),
                    error = %e,
                    "AMI event skipped"
                );
            }
        }
    }
}

/// Read one node's events until `stop` (the node was removed or changed, or the cluster
/// stopped) or until its connection actor is gone.
pub(super) fn spawn_consumer(
    router: Arc<Router>,
    db: Db,
    node: String,
    zone: chrono_tz::Tz,
    mut events: Receiver<Arc<Message>>,
    stop: CancellationToken,
) {
    tokio::spawn(async move {
        loop {
            let received = tokio::select! {
                _ = stop.cancelled() => break,
                r = events.recv() => r,
            };
            match received {
                Ok(message) => {
                    router
                        .dispatch(Event {
                            db: db.clone(),
                            node: node.clone(),
                            zone,
                            message,
                        })
                        .await
                }
                Err(RecvError::Lagged(n)) => {
                    tracing::warn!(node = %node, lost = n, "AMI event consumer fell behind; events lost")
                }
                Err(RecvError::Closed) => break,
            }
        }
    });
}
