//! Live questions to the nodes: which nodes serve a tenant, asking all of them at once (a node
//! that does not answer is reported, not waited for), and the channel naming rule that tells
//! whose a channel is.

use super::registry::{Cluster, Node};
use crate::ami::{Action, AmiError, Message, Response};
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

/// The tenant code a channel belongs to, from Switchboard's naming: device channels are
/// `<tech>/<number>-<TENANT>-<seq>` (`PJSIP/103-ACME-00000001`), Local channels carry the
/// tenant's context (`Local/100@from-internal-ACME-00000000;1`). Trunk channels belong to no
/// tenant.
pub fn channel_tenant(channel: &str) -> Option<&str> {
    let (tech, rest) = channel.split_once('/')?;
    let name = if tech.eq_ignore_ascii_case("Local") {
        let at = rest.split_once('@')?.1;
        at.split(';').next()?
    } else {
        rest
    };
    // Drop the sequence suffix, then the tenant is the last `-` segment of what remains.
    let (base, _seq) = name.rsplit_once('-')?;
    let (_, tenant) = base.rsplit_once('-')?;
    (!tenant.is_empty()).then_some(tenant)
}

pub fn channel_is_tenants(channel: &str, code: &str) -> bool {
    channel_tenant(channel).is_some_and(|t| t.eq_ignore_ascii_case(code))
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

/// Every channel of every node the caller may see (`code`: only that tenant's channels).
pub async fn channels(
    cluster: &Cluster,
    nodes: &[Node],
    code: Option<&str>,
) -> (Vec<LiveChannel>, Vec<String>) {
    let answers = ask_all(cluster, nodes, || Action::new("CoreShowChannels")).await;
    let mut out = Vec::new();
    for (node, resp) in answers.ok {
        for ev in resp.events {
            let keep = match code {
                Some(code) => channel_is_tenants(ev.get("Channel").unwrap_or(""), code),
                None => true,
            };
            if keep {
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
    fn channel_names_tell_the_tenant() {
        assert_eq!(channel_tenant("PJSIP/103-ACME-00000001"), Some("ACME"));
        assert_eq!(channel_tenant("SIP/100-BETA-0000000a"), Some("BETA"));
        assert_eq!(
            channel_tenant("Local/100@from-internal-ACME-00000000;1"),
            Some("ACME")
        );
        assert_eq!(channel_tenant("PJSIP/provider-00000001"), None);
        assert_eq!(channel_tenant("PJSIP/x"), None);
        assert_eq!(channel_tenant("garbage"), None);
        assert!(channel_is_tenants("PJSIP/103-acme-00000001", "ACME"));
        assert!(!channel_is_tenants("PJSIP/103-ACMEX-00000001", "ACME"));
        assert_eq!(channel_device("PJSIP/103-ACME-00000001"), "PJSIP/103-ACME");
    }
}
