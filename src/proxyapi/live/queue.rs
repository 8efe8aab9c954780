//! QUEUE and AGENT: queue members and agents on every node.

use super::*;

pub(crate) async fn tenant_queue(
    state: &AppState,
    t: &TenantRef,
    p: &Params,
) -> ApiResult<qu_queues::Model> {
    let mut q = qu_queues::Entity::find().filter(qu_queues::Column::QuTeId.eq(t.id));
    q = match (p.id("id")?, p.get("number")) {
        (Some(id), _) => q.filter(qu_queues::Column::QuId.eq(id)),
        (None, Some(n)) => q.filter(qu_queues::Column::QuNumber.eq(n.trim())),
        (None, None) => return Err(ApiError::invalid("parameter 'number' or 'id' is required")),
    };
    q.one(&state.db.conn)
        .await?
        .ok_or_else(|| ApiError::NotFound(format!("no such queue in tenant {}", t.code)))
}

/// Send one write to every connected node of the tenant; the first refusal is the answer.
pub(crate) async fn on_every_node(
    state: &AppState,
    t: &TenantRef,
    action: impl Fn() -> Action,
) -> ApiResult<Vec<String>> {
    let nodes = connected(nodes_for(&state.cluster, Some(t.id)).await?)?;
    let all = nodes_for(&state.cluster, Some(t.id)).await?;
    let answers = ask_all(&state.cluster, &nodes, action).await;
    if let Some((_, msg)) = answers.refused.first() {
        return Err(ApiError::Conflict(msg.clone()));
    }
    if answers.ok.is_empty() {
        return Err(ApiError::Conflict("no Asterisk node answered".into()));
    }
    Ok(all
        .into_iter()
        .filter(|n| !answers.ok.iter().any(|(o, _)| o.id == n.id))
        .map(|n| n.name)
        .collect())
}

pub async fn queue(state: &AppState, caller: &Caller, p: &Params) -> ApiResult<Output> {
    let action = p.required_word("action")?;
    let t = caller.require_tenant("QUEUE")?;
    if action == "log" {
        return queues::log(state, caller, p).await;
    }
    let qrow = tenant_queue(state, t, p).await?;
    let qname = qrow.qu_id.to_string();
    match action.as_str() {
        "add" | "del" => {
            let ext = extension(state, t, "extension", p.required("extension")?).await?;
            let iface = device(&ext, "extension")?;
            let penalty = match p.get("penalty") {
                None => 0,
                Some(v) => v.trim().parse::<u16>().map_err(|_| {
                    ApiError::invalid("parameter 'penalty' must be a number 0 to 65535")
                })?,
            };
            let paused = p.flag("paused");
            let missing = on_every_node(state, t, || {
                if action == "add" {
                    Action::new("QueueAdd")
                        .header("Queue", qname.clone())
                        .header("Interface", iface.clone())
                        .header("MemberName", ext.ex_username.clone())
                        .header("Penalty", penalty.to_string())
                        .header("Paused", if paused { "true" } else { "false" })
                } else {
                    Action::new("QueueRemove")
                        .header("Queue", qname.clone())
                        .header("Interface", iface.clone())
                }
            })
            .await?;
            Ok(partial(Output::Text("OK".into()), missing))
        }
        "clean" => {
            let (members, missing) = members(state, t, Some(&qname)).await?;
            for (node, m) in &members {
                send_to(
                    state,
                    node,
                    Action::new("QueueRemove")
                        .header("Queue", qname.clone())
                        .header("Interface", m.get("Location").unwrap_or("")),
                )
                .await?;
            }
            Ok(partial(Output::Text("OK".into()), missing))
        }
        "list" => {
            let (members, missing) = members(state, t, Some(&qname)).await?;
            let mut names: Vec<String> = members
                .iter()
                .map(|(_, m)| m.get("Name").unwrap_or("").to_string())
                .collect();
            names.dedup();
            let json = if names.is_empty() {
                Value::Null
            } else {
                json!(names)
            };
            Ok(partial(
                Output::Reply {
                    plain: names.iter().map(|n| format!("{n}\n")).collect(),
                    json,
                },
                missing,
            ))
        }
        "fulllist" => {
            let (members, missing) = members(state, t, Some(&qname)).await?;
            let cols = [
                "node",
                "Queue",
                "Name",
                "Location",
                "Status",
                "Paused",
                "PausedReason",
                "Penalty",
                "CallsTaken",
                "InCall",
            ];
            let mut table = Table::new(cols.iter().map(|c| c.to_ascii_lowercase()).collect());
            table.rows = members
                .iter()
                .map(|(node, m)| {
                    cols.iter()
                        .map(|c| {
                            Some(if *c == "node" {
                                node.clone()
                            } else {
                                m.get(c).unwrap_or("").to_string()
                            })
                        })
                        .collect()
                })
                .collect();
            Ok(partial(Output::Table(table), missing))
        }
        other => Err(ApiError::invalid(format!(
            "parameter 'action': '{other}' is not list, fulllist, add, del, clean or log"
        ))),
    }
}

/// Queue members on the tenant's nodes (only the tenant's queues): (node, QueueMember event).
pub(crate) async fn members(
    state: &AppState,
    t: &TenantRef,
    queue: Option<&str>,
) -> ApiResult<(Vec<(String, crate::ami::Message)>, Vec<String>)> {
    queue_events(state, t, queue, "QueueMember").await
}

/// The `event` items (QueueMember, QueueEntry) of QueueStatus on the tenant's nodes, only of
/// the tenant's queues: (node, event), and the nodes that did not answer.
pub(crate) async fn queue_events(
    state: &AppState,
    t: &TenantRef,
    queue: Option<&str>,
    event: &str,
) -> ApiResult<(Vec<(String, crate::ami::Message)>, Vec<String>)> {
    let own: Vec<String> = qu_queues::Entity::find()
        .filter(qu_queues::Column::QuTeId.eq(t.id))
        .all(&state.db.conn)
        .await?
        .into_iter()
        .map(|q| q.qu_id.to_string())
        .collect();
    let nodes = nodes_for(&state.cluster, Some(t.id)).await?;
    let answers = ask_all(&state.cluster, &nodes, || match queue {
        Some(q) => Action::new("QueueStatus").header("Queue", q),
        None => Action::new("QueueStatus"),
    })
    .await;
    let mut out = Vec::new();
    for (node, resp) in answers.ok {
        for e in resp.events {
            let mine = own.iter().any(|q| Some(q.as_str()) == e.get("Queue"));
            if e.event() == Some(event) && mine {
                out.push((node.name.clone(), e));
            }
        }
    }
    Ok((out, answers.missing))
}

pub async fn agent(state: &AppState, caller: &Caller, p: &Params) -> ApiResult<Output> {
    let action = p.required_word("action")?;
    let t = caller.require_tenant("AGENT")?;
    let ext = extension(state, t, "extension", p.required("extension")?).await?;
    let iface = device(&ext, "extension")?;
    match action.as_str() {
        "pause" | "unpause" => {
            let queue = match p.get("queue").map(str::trim) {
                None | Some("ALL") | Some("all") => None,
                Some(_) => Some(tenant_queue_by_param(state, t, p).await?),
            };
            let reason = HeaderValue::new("pausereason", p.get("pausereason").unwrap_or(""), 80)?;
            let pause = action == "pause";
            let missing = on_every_node(state, t, || {
                let mut a = Action::new("QueuePause")
                    .header("Interface", iface.clone())
                    .header("Paused", if pause { "true" } else { "false" });
                if let Some(q) = &queue {
                    a.push("Queue", q.clone());
                }
                if pause && !reason.as_str().is_empty() {
                    a.push("Reason", reason.as_str());
                }
                a
            })
            .await?;
            Ok(partial(Output::Text("OK".into()), missing))
        }
        "listqueues" => {
            let (members, missing) = members(state, t, None).await?;
            let mut queues: Vec<String> = members
                .iter()
                .filter(|(_, m)| m.get("Location") == Some(iface.as_str()))
                .map(|(_, m)| m.get("Queue").unwrap_or("").to_string())
                .collect();
            queues.sort();
            queues.dedup();
            Ok(partial(
                Output::Reply {
                    plain: queues.join("|"),
                    json: json!(queues),
                },
                missing,
            ))
        }
        "del" => queues::agent_del(state, caller, p).await,
        other => Err(ApiError::invalid(format!(
            "parameter 'action': '{other}' is not pause, unpause, listqueues or del"
        ))),
    }
}

/// `queue=<id>` of AGENT: one of the tenant's queues.
pub(crate) async fn tenant_queue_by_param(
    state: &AppState,
    t: &TenantRef,
    p: &Params,
) -> ApiResult<String> {
    let id = p
        .id("queue")?
        .ok_or_else(|| ApiError::invalid("parameter 'queue' must be a queue id or ALL"))?;
    let found = qu_queues::Entity::find_by_id(id)
        .filter(qu_queues::Column::QuTeId.eq(t.id))
        .one(&state.db.conn)
        .await?;
    found.map(|q| q.qu_id.to_string()).ok_or_else(|| {
        ApiError::NotFound(format!(
            "parameter 'queue': no queue {id} in tenant {}",
            t.code
        ))
    })
}
