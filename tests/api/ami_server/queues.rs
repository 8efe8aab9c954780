//! The app_queue actions: members, callers, status and summary.

use switchboard::ami::Message;

use super::state::{QueueMember, State};
use super::wire::{now_secs, Writer};
use super::Headers;

fn member_fields(q: &str, m: &QueueMember) -> Headers {
    hdrs![
        "Queue" => q, "MemberName" => m.name, "Interface" => m.interface,
        "StateInterface" => m.state_interface, "Membership" => "dynamic", "Penalty" => m.penalty,
        "CallsTaken" => m.calls_taken, "LastCall" => m.last_call, "LastPause" => m.last_pause,
        "LoginTime" => m.login_time, "InCall" => u8::from(m.in_call), "Status" => m.status,
        "Paused" => u8::from(m.paused), "PausedReason" => m.paused_reason, "Ringinuse" => 0,
        "Wrapuptime" => 0,
    ]
}

pub(super) fn queue_action(st: &mut State, m: &Message, action: &str, w: &mut Writer) {
    let get = |name: &str| m.get(name).unwrap_or("").trim().to_string();
    let truthy = |v: String| ["true", "yes", "1", "on"].contains(&v.to_ascii_lowercase().as_str());
    let (queue, interface) = (get("Queue"), get("Interface"));
    match action {
        "queueadd" => {
            let Some(q) = st.queues.get_mut(&queue) else {
                return w.error("Unable to add interface to queue: No such queue");
            };
            if q.members.iter().any(|mem| mem.interface == interface) {
                return w.error("Unable to add interface: Already there");
            }
            let name = m
                .get("MemberName")
                .map(str::to_string)
                .unwrap_or_else(|| interface.clone());
            let member = QueueMember {
                interface: interface.clone(),
                name,
                state_interface: m
                    .get("StateInterface")
                    .map(str::to_string)
                    .unwrap_or_else(|| interface.clone()),
                penalty: get("Penalty").parse().unwrap_or(0),
                paused: truthy(get("Paused")),
                status: 1,
                login_time: now_secs(),
                ..Default::default()
            };
            let fields = member_fields(&queue, &member);
            q.members.push(member);
            w.success("Added interface to queue");
            let mut h = hdrs!["Event" => "QueueMemberAdded"];
            h.extend(fields);
            w.frame(h);
        }
        "queueremove" => {
            let Some(q) = st.queues.get_mut(&queue) else {
                return w.error("Unable to remove interface from queue: No such queue");
            };
            match q.members.iter().position(|mem| mem.interface == interface) {
                Some(i) => {
                    let member = q.members.remove(i);
                    w.success("Removed interface from queue");
                    let mut h = hdrs!["Event" => "QueueMemberRemoved"];
                    h.extend(member_fields(&queue, &member));
                    w.frame(h);
                }
                None => w.error("Unable to remove interface: Not there"),
            }
        }
        "queuepause" => {
            let paused = truthy(get("Paused"));
            let reason = get("Reason");
            let mut events = Vec::new();
            for (name, q) in st
                .queues
                .iter_mut()
                .filter(|(n, _)| queue.is_empty() || **n == queue)
            {
                for mem in q
                    .members
                    .iter_mut()
                    .filter(|mem| mem.interface == interface)
                {
                    mem.paused = paused;
                    mem.paused_reason = if paused {
                        reason.clone()
                    } else {
                        String::new()
                    };
                    mem.last_pause = now_secs();
                    let mut h = hdrs!["Event" => "QueueMemberPause"];
                    h.extend(member_fields(name, mem));
                    events.push(h);
                }
            }
            if events.is_empty() {
                return w.error("Interface not found");
            }
            w.success(if paused {
                "Interface paused successfully"
            } else {
                "Interface unpaused successfully"
            });
            for e in events {
                w.frame(e);
            }
        }
        "queuestatus" => {
            let mut items: Vec<(&str, Headers)> = Vec::new();
            for (name, q) in st
                .queues
                .iter()
                .filter(|(n, _)| queue.is_empty() || **n == queue)
            {
                items.push((
                    "QueueParams",
                    hdrs![
                        "Queue" => name, "Max" => 0, "Strategy" => q.strategy, "Calls" => q.calls(),
                        "Holdtime" => 0, "TalkTime" => 0, "Completed" => 0, "Abandoned" => 0,
                        "ServiceLevel" => q.service_level, "ServicelevelPerf" => "0.0", "ServicelevelPerf2" => "0.0",
                        "Weight" => 0,
                    ],
                ));
                for mem in &q.members {
                    items.push((
                        "QueueMember",
                        hdrs![
                            "Queue" => name, "Name" => mem.name, "Location" => mem.interface,
                            "StateInterface" => mem.state_interface, "Membership" => "dynamic",
                            "Penalty" => mem.penalty, "CallsTaken" => mem.calls_taken, "LastCall" => mem.last_call,
                            "LastPause" => mem.last_pause, "LoginTime" => mem.login_time,
                            "InCall" => u8::from(mem.in_call), "Status" => mem.status,
                            "Paused" => u8::from(mem.paused), "PausedReason" => mem.paused_reason,
                            "Wrapuptime" => 0,
                        ],
                    ));
                }
                // app_queue lists the waiting callers after the members, positions from 1.
                let now = now_secs();
                for (i, c) in q.entries.iter().enumerate() {
                    items.push((
                        "QueueEntry",
                        hdrs![
                            "Queue" => name, "Position" => i + 1, "Channel" => c.channel,
                            "Uniqueid" => c.uniqueid, "CallerIDNum" => c.caller_id_num,
                            "CallerIDName" => c.caller_id_name, "ConnectedLineNum" => c.connected_num,
                            "ConnectedLineName" => c.connected_name,
                            "Wait" => now.saturating_sub(c.since), "Priority" => c.priority,
                        ],
                    ));
                }
            }
            w.list_start("Queue status will follow");
            let n = items.len();
            for (event, fields) in items {
                w.event_id_last(event, fields);
            }
            w.list_complete("QueueStatusComplete", n);
        }
        _ => {
            // queuesummary
            let items = st
                .queues
                .iter()
                .filter(|(n, _)| queue.is_empty() || **n == queue)
                .map(|(name, q)| {
                    // As app_queue: unavailable and invalid members are not logged in;
                    // available = not in use or unknown, and not paused.
                    let logged_in: Vec<_> = q.members.iter().filter(|m| !matches!(m.status, 4 | 5)).collect();
                    let available = logged_in.iter().filter(|m| !m.paused && matches!(m.status, 0 | 1)).count();
                    hdrs![
                        "Queue" => name, "LoggedIn" => logged_in.len(), "Available" => available,
                        "Callers" => q.calls(), "HoldTime" => 0, "TalkTime" => 0, "LongestHoldTime" => q.longest_hold_time,
                    ]
                })
                .collect();
            w.list(
                "Queue summary will follow",
                "QueueSummary",
                true,
                items,
                "QueueSummaryComplete",
            );
        }
    }
}
