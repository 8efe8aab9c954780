//! Channels and Originate: channel status, `CoreShowChannels` rows, originated channels.

use switchboard::ami::Message;

use super::state::{Channel, State};
use super::wire::Writer;
use super::Headers;

pub(super) fn status_text(status: i32) -> &'static str {
    match status {
        0 => "Idle",
        1 => "InUse",
        2 => "Busy",
        4 => "Unavailable",
        8 => "Ringing",
        9 => "InUse&Ringing",
        16 => "Hold",
        17 => "InUse&Hold",
        _ => "Unknown",
    }
}

pub(super) fn core_show_channel(c: &Channel) -> Headers {
    hdrs![
        "Channel" => c.channel, "ChannelState" => 6, "ChannelStateDesc" => c.state,
        "CallerIDNum" => c.caller_id_num, "AccountCode" => c.account_code, "Context" => c.context,
        "Exten" => c.exten, "Priority" => c.priority, "Uniqueid" => c.uniqueid, "Linkedid" => c.linkedid,
        "Application" => c.application, "ApplicationData" => c.application_data,
        "Duration" => "00:00:01", "BridgeId" => c.bridge_id,
    ]
}

pub(super) fn originate(st: &mut State, m: &Message, w: &mut Writer, silent: bool) {
    let get = |name: &str| m.get(name).unwrap_or("").trim().to_string();
    let channel = get("Channel");
    if channel.is_empty() {
        return w.error("Channel not specified");
    }
    let is_async = ["true", "yes", "1", "on"].contains(&get("Async").to_ascii_lowercase().as_str());
    // An unknown context (as recorded) or an endpoint that is not there fails.
    let fails = channel.contains("@nosuchcontext")
        || channel.strip_prefix("PJSIP/").is_some_and(|ep| {
            !st.endpoints.is_empty() && !st.endpoints.iter().any(|e| e.name == ep)
        });
    if !is_async {
        return if fails {
            w.error("Originate failed")
        } else {
            add_originated(st, &channel, m);
            w.success("Originate successfully queued")
        };
    }
    w.success("Originate successfully queued");
    if fails {
        if !silent {
            w.event_id_first(
                "OriginateResponse",
                hdrs![
                    "Response" => "Failure", "Channel" => channel, "Context" => get("Context"),
                    "Exten" => get("Exten"), "Reason" => 0, "Uniqueid" => "<null>",
                ],
            );
        }
        return;
    }
    let c = add_originated(st, &channel, m);
    w.frame(hdrs![
        "Event" => "Newchannel", "Channel" => c.channel, "Context" => c.context, "Exten" => c.exten,
        "Priority" => 1, "Uniqueid" => c.uniqueid,
    ]);
    if !silent {
        w.event_id_first(
            "OriginateResponse",
            hdrs![
                "Response" => "Success", "Channel" => c.channel, "Context" => get("Context"),
                "Exten" => get("Exten"), "Reason" => 4, "Uniqueid" => c.uniqueid,
            ],
        );
    }
}

/// The channel an originate creates (`Local/…-0000000N;1`, `PJSIP/100-0000000N`).
fn add_originated(st: &mut State, requested: &str, m: &Message) -> Channel {
    let n = st.next_uid;
    st.next_uid += 1;
    let suffix = if requested.starts_with("Local/") {
        ";1"
    } else {
        ""
    };
    let uid = format!("1795319962.{n}");
    let mut c = Channel::new(
        &format!("{requested}-{n:08x}{suffix}"),
        m.get("Context").unwrap_or(""),
        m.get("Exten").unwrap_or(""),
    );
    c.uniqueid = uid.clone();
    c.linkedid = uid;
    c.application = m.get("Application").unwrap_or("AppDial").to_string();
    c.caller_id_num = m.get("CallerID").unwrap_or("").to_string();
    c.account_code = m.get("Account").unwrap_or("").to_string();
    for v in m.get_all("Variable") {
        if let Some((k, val)) = v.split_once('=') {
            c.vars.insert(k.to_string(), val.to_string());
        }
    }
    st.channels.push(c.clone());
    c
}
