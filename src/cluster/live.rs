//! Live questions to the nodes: which nodes serve a tenant, asking all of them at once (a node
//! that does not answer is reported, not waited for). Whose a channel is: [`crate::device`].

use super::registry::{Cluster, Node};
use crate::ami::{Action, AmiError, Message, Response};
use crate::device::Visible;
use crate::error::ApiResult;
use futures_util::future::join_all;

/// The running nodes a tenant uses (its pinned nodes, or all); every node for `None`.
pub async fn nodes_for(cluster: &Cluster, te_id: Option<i32>) -> ApiResult<Vec<Node>> {
    let running = cluster.nodes();
    if te_id.is_none() {
        return Ok(running);
    }
    let allowed = super::nodes::targets(&cluster.db.conn, te_id).await?;
    Ok(running
        .into_iter()
        .filter(|n| allowed.contains(&n.id))
        .collect())
}

/// The answers of the nodes that answered, the refusals (`Response: Error`), and the names of
/// the nodes that did not answer (a refusal also counts as missing data for reads).
pub struct Answers {
    pub ok: Vec<(Node, Response)>,
    pub refused: Vec<(Node, String)>,
    pub missing: Vec<String>,
}

/// Send the same action to every node at once.
pub async fn ask_all(cluster: &Cluster, nodes: &[Node], action: impl Fn() -> Action) -> Answers {
    let t = cluster.settings.action_timeout;
    let replies = join_all(nodes.iter().map(|n| {
        let a = action();
        async move {
            if !n.is_connected() {
                return Err(AmiError::NotConnected);
            }
            n.client.send_with_timeout(a, t).await
        }
    }))
    .await;
    let mut out = Answers {
        ok: Vec::new(),
        refused: Vec::new(),
        missing: Vec::new(),
    };
    for (n, r) in nodes.iter().zip(replies) {
        match r {
            Ok(resp) => out.ok.push((n.clone(), resp)),
            Err(AmiError::Refused(msg)) => {
                out.missing.push(n.name.clone());
                out.refused.push((n.clone(), msg));
            }
            Err(e) => {
                tracing::debug!(node = %n.name, error = %e, "live query without answer");
                out.missing.push(n.name.clone());
            }
        }
    }
    out
}

/// The device part of a channel name (`PJSIP/103-ACME-00000001` → `PJSIP/103-ACME`).
pub fn channel_device(channel: &str) -> &str {
    channel.rsplit_once('-').map_or(channel, |(d, _)| d)
}

/// One channel seen on a node.
#[derive(Debug, Clone)]
pub struct LiveChannel {
    pub node: String,
    pub event: Message,
}

impl LiveChannel {
    pub fn get(&self, name: &str) -> &str {
        self.event.get(name).unwrap_or("")
    }
    pub fn name(&self) -> &str {
        self.get("Channel")
    }
}

/// Every channel of every node the caller may see.
pub async fn channels(
    cluster: &Cluster,
    nodes: &[Node],
    visible: &Visible,
) -> (Vec<LiveChannel>, Vec<String>) {
    let answers = ask_all(cluster, nodes, || Action::new("CoreShowChannels")).await;
    let mut out = Vec::new();
    for (node, resp) in answers.ok {
        for ev in resp.events {
            if visible.allows(ev.get("Channel").unwrap_or("")) {
                out.push(LiveChannel {
                    node: node.name.clone(),
                    event: ev,
                });
            }
        }
    }
    (out, answers.missing)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn channel_devices() {
        assert_eq!(channel_device("PJSIP/103-ACME-00000001"), "PJSIP/103-ACME");
    }
}
