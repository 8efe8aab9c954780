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

/// Asterisk's answer to `PJSIPShowContacts` on a node with no registered contact: a
/// `Response: Error` that means an empty list (see the README, "Node events").
pub const NO_CONTACTS: &str = "No Contacts found";

/// `PJSIPShowContacts` on every node at once; a node without contacts answered an empty list.
pub async fn contacts(cluster: &Cluster, nodes: &[Node]) -> Answers {
    let mut answers = ask_all(cluster, nodes, || Action::new("PJSIPShowContacts")).await;
    let (empty, refused): (Vec<_>, Vec<_>) = std::mem::take(&mut answers.refused)
        .into_iter()
        .partition(|(_, msg)| msg == NO_CONTACTS);
    answers.refused = refused;
    for (node, _) in empty {
        answers.missing.retain(|m| *m != node.name);
        let none = Response::new(Message::default(), Vec::new(), None);
        answers.ok.push((node, none));
    }
    // In the nodes' order, as `ask_all` answers.
    answers
        .ok
        .sort_by_key(|(n, _)| nodes.iter().position(|x| x.id == n.id));
    answers
}

/// The AOR of a contact id (`ObjectName` of a `ContactList` event, the AstDB key under
/// `registrar/contact`): `103-ACME;@5f2c…` → `103-ACME`.
pub fn contact_aor(object_name: &str) -> &str {
    object_name
        .split_once(";@")
        .map_or(object_name, |(aor, _)| aor)
}

/// The ids of the contacts of `aor` registered on one node (none is an empty list).
pub async fn aor_contacts(
    cluster: &Cluster,
    node: &Node,
    aor: &str,
) -> Result<Vec<String>, AmiError> {
    let asked = node
        .client
        .send_with_timeout(
            Action::new("PJSIPShowContacts"),
            cluster.settings.action_timeout,
        )
        .await;
    let resp = match asked {
        Ok(resp) => resp,
        Err(AmiError::Refused(msg)) if msg == NO_CONTACTS => return Ok(Vec::new()),
        Err(e) => return Err(e),
    };
    Ok(resp
        .events
        .iter()
        .filter_map(|e| e.get("ObjectName"))
        .filter(|id| contact_aor(id) == aor)
        .map(str::to_string)
        .collect())
}

/// Whether a `ContactList` event is a contact the node reached at its last qualify.
pub fn reachable(contact: &Message) -> bool {
    let s = contact.get("Status").unwrap_or("");
    s.eq_ignore_ascii_case("Reachable") || s.eq_ignore_ascii_case("Avail")
}

/// Whether a `ContactList` event is a peer for COUNTPEERS: reachable at its last qualify, or
/// registered and not qualified (yet: a phone just registered, or its AOR has qualify off).
/// Unreachable, Unknown and Removed contacts are not.
pub fn counts_as_peer(contact: &Message) -> bool {
    let s = contact.get("Status").unwrap_or("");
    reachable(contact)
        || s.eq_ignore_ascii_case("NonQualified")
        || s.eq_ignore_ascii_case("NonQual")
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
        assert_eq!(contact_aor("103-ACME;@5f2c0a"), "103-ACME");
        assert_eq!(contact_aor("103-ACME"), "103-ACME");
    }
}
