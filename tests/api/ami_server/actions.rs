//! The action table (`ListCommands`), login, and the generic actions of the dispatcher.

use std::sync::atomic::Ordering;

use switchboard::ami::Message;

use super::calls::{core_show_channel, originate, status_text};
use super::command::command;
use super::queues::queue_action;
use super::server::{lock, Inner};
use super::state::{ExtensionState, State};
use super::wire::{md5_hex, now_secs, Session, Writer};
use super::{Headers, ASTERISK_VERSION, SECRET, USERNAME};

/// The sorcery memory caches of the deploy files' `sorcery.conf`.
pub const CACHES: &[&str] = &["pjsip_endpoint", "pjsip_auth", "pjsip_aor"];

/// Actions this server knows (ListCommands lists them, minus the denied ones).
const ACTIONS: &[(&str, &str)] = &[
    ("Login", "Login Manager."),
    ("Logoff", "Logoff Manager."),
    ("Challenge", "Generate Challenge for MD5 Auth."),
    ("Ping", "Keepalive command."),
    ("Events", "Control Event Flow."),
    ("ListCommands", "List available manager commands."),
    ("Originate", "Originate a call."),
    ("Hangup", "Hangup channel."),
    ("Redirect", "Redirect (transfer) a call."),
    ("Atxfer", "Attended transfer."),
    ("CoreShowChannels", "List currently active channels."),
    ("Status", "List channel status."),
    ("CoreSettings", "Show PBX core settings (version etc)."),
    ("CoreStatus", "Show PBX core status variables."),
    ("Command", "Execute Asterisk CLI Command."),
    ("Reload", "Send a reload event."),
    ("QueueAdd", "Add interface to queue."),
    ("QueueRemove", "Remove interface from queue."),
    (
        "QueuePause",
        "Makes a queue member temporarily unavailable.",
    ),
    ("QueueStatus", "Show queue status."),
    ("QueueSummary", "Show queue summary."),
    ("DBPut", "Put DB entry."),
    ("DBGet", "Get DB Entry."),
    (
        "DBGetTree",
        "Get DB entries, optionally at a particular family/key",
    ),
    ("DBDel", "Delete DB entry."),
    ("DBDelTree", "Delete DB Tree."),
    ("ExtensionState", "Check Extension Status."),
    (
        "ExtensionStateList",
        "List the current known extension states.",
    ),
    ("DeviceStateList", "List the current known device states."),
    ("Getvar", "Gets a channel variable or function value."),
    ("Setvar", "Sets a channel variable or function value."),
    ("PJSIPShowEndpoints", "Lists PJSIP endpoints."),
    ("PJSIPShowContacts", "Lists PJSIP Contacts."),
    ("PJSIPUnregister", "Unregister an outbound registration."),
    (
        "PJSIPNotify",
        "Send NOTIFY to either an endpoint, an arbitrary URI, or inside a SIP dialog.",
    ),
    ("MessageSend", "Send an out of call message to an endpoint."),
    ("QueueReset", "Reset queue statistics."),
    (
        "SorceryMemoryCacheExpireObject",
        "Expire (remove) an object from a sorcery memory cache.",
    ),
];

pub(super) fn answer(
    inner: &Inner,
    session: &mut Session,
    m: &Message,
    action: &str,
    w: &mut Writer,
) {
    let get = |name: &str| m.get(name).unwrap_or("").trim().to_string();
    let (error, canned, denied, old_style, silent) = {
        let k = lock(&inner.knobs);
        (
            k.errors.get(action).cloned(),
            k.answers.get(action).cloned(),
            k.denied.iter().any(|d| d == action),
            k.old_command_style,
            k.silent_originate,
        )
    };
    // Before login only these work; everything else is "Permission denied" (as recorded).
    match action {
        "login" => return login(inner, session, m, w),
        "challenge" => {
            if !get("AuthType").eq_ignore_ascii_case("md5") {
                return w.error("Must specify AuthType");
            }
            let nonce = format!("{}", rand::random::<u32>() % 1_000_000_000);
            session.challenge = Some(nonce.clone());
            return w.response("Success", hdrs!["Challenge" => nonce]);
        }
        "logoff" => {
            w.response("Goodbye", hdrs!["Message" => "Thanks for all the fish."]);
            w.reply.close = true;
            return;
        }
        _ if !session.logged_in => return w.error("Permission denied"),
        _ => {}
    }
    if denied {
        return w.error("Permission denied");
    }
    if let Some(message) = error {
        return w.error(&message);
    }
    if let Some(headers) = canned {
        return w.response("Success", headers);
    }
    let mut st = lock(&inner.state);
    if device_actions(&mut st, m, action, w) {
        return;
    }
    match action {
        "ping" => w.response(
            "Success",
            hdrs!["Ping" => "Pong", "Timestamp" => format!("{}.000000", now_secs())],
        ),
        "events" => {
            let on = !get("EventMask").eq_ignore_ascii_case("off");
            session.events = on;
            w.reply.subscribe = Some(on);
            w.response("Success", hdrs!["Events" => if on { "On" } else { "Off" }]);
        }
        "listcommands" => {
            let denied = lock(&inner.knobs).denied.clone();
            let listed = ACTIONS
                .iter()
                .filter(|(a, _)| !denied.iter().any(|d| a.eq_ignore_ascii_case(d)))
                .map(|(a, syn)| (a.to_string(), format!("{syn}  (Priv: <none>)")))
                .collect();
            w.response("Success", listed);
        }
        "coresettings" => w.response(
            "Success",
            hdrs![
                "AMIversion" => "11.0.0", "AsteriskVersion" => ASTERISK_VERSION, "SystemName" => "",
                "CoreMaxCalls" => 0, "CoreMaxLoadAvg" => "0.000000", "CoreRunUser" => "",
                "CoreRunGroup" => "", "CoreMaxFilehandles" => 0, "CoreRealTimeEnabled" => "No",
                "CoreCDRenabled" => "Yes", "CoreHTTPenabled" => "Yes", "SoundsSearchCustomDir" => "No",
            ],
        ),
        "corestatus" => {
            let calls = st.channels.len();
            w.response(
                "Success",
                hdrs![
                    "CoreStartupDate" => "2026-11-22", "CoreStartupTime" => "03:59:18",
                    "CoreReloadDate" => "2026-11-22", "CoreReloadTime" => "03:59:35",
                    "CoreCurrentCalls" => calls, "CoreProcessedCalls" => st.next_uid,
                ],
            )
        }
        "originate" => originate(&mut st, m, w, silent),
        "coreshowchannels" => {
            let items = st.channels.iter().map(core_show_channel).collect();
            w.list("Channels will follow", "CoreShowChannel", false, items, "CoreShowChannelsComplete");
        }
        "status" => {
            let items: Vec<Headers> = st
                .channels
                .iter()
                .map(|c| {
                    hdrs![
                        "Channel" => c.channel, "ChannelStateDesc" => c.state, "CallerIDNum" => c.caller_id_num,
                        "AccountCode" => c.account_code, "Context" => c.context, "Exten" => c.exten,
                        "Priority" => c.priority, "Uniqueid" => c.uniqueid, "Linkedid" => c.linkedid,
                        "Application" => c.application, "Data" => c.application_data, "BridgeID" => c.bridge_id,
                    ]
                })
                .collect();
            let n = items.len();
            w.list_start("Channel status will follow");
            for fields in items {
                w.event_id_first("Status", fields);
            }
            w.event_id_first("StatusComplete", hdrs!["EventList" => "Complete", "ListItems" => n, "Items" => n]);
        }
        "hangup" => {
            let name = get("Channel");
            match st.channels.iter().position(|c| c.channel == name) {
                Some(i) => {
                    let c = st.channels.remove(i);
                    w.success("Channel Hungup");
                    w.frame(hdrs![
                        "Event" => "Hangup", "Channel" => c.channel, "Context" => c.context, "Exten" => "h",
                        "Priority" => 2, "Uniqueid" => c.uniqueid, "Cause" => 16, "Cause-txt" => "Normal Clearing",
                    ]);
                }
                None => w.error("No such channel"),
            }
        }
        "redirect" => {
            let name = get("Channel");
            match st.channels.iter_mut().find(|c| c.channel == name) {
                Some(c) => {
                    c.context = get("Context");
                    c.exten = get("Exten");
                    c.priority = get("Priority");
                    w.success("Redirect successful");
                }
                None => w.error(&format!("Channel does not exist: {name}")),
            }
        }
        "atxfer" => {
            let name = get("Channel");
            if st.channels.iter().any(|c| c.channel == name) {
                w.success("Atxfer successfully queued");
            } else {
                w.error("No such channel");
            }
        }
        "command" => command(&st, &get("Command"), w, old_style),
        "reload" => {
            let module = get("Module");
            if module.is_empty() || module.ends_with(".so") && module != "nosuchmodule.so" {
                w.success("Module Reloaded");
                w.frame(hdrs!["Event" => "Reload", "Module" => if module.is_empty() { "All".into() } else { module }, "Status" => 0]);
            } else {
                w.error("No such module");
            }
        }
        "queueadd" | "queueremove" | "queuepause" | "queuestatus" | "queuesummary" => {
            queue_action(&mut st, m, action, w)
        }
        "dbput" => {
            let key = (get("Family"), get("Key"));
            if key.0.is_empty() || key.1.is_empty() {
                return w.error(if key.0.is_empty() { "No family specified" } else { "No key specified" });
            }
            st.astdb.insert(key, m.get("Val").unwrap_or("").to_string());
            w.success("Updated database successfully");
        }
        "dbget" => {
            let (family, key) = (get("Family"), get("Key"));
            match st.astdb.get(&(family.clone(), key.clone())) {
                Some(val) => {
                    let val = val.clone();
                    w.list("Result will follow", "DBGetResponse", true,
                        vec![hdrs!["Family" => family, "Key" => key, "Val" => val]], "DBGetComplete");
                }
                None => w.error("Database entry not found"),
            }
        }
        "dbgettree" => {
            let (family, key) = (get("Family"), get("Key"));
            let items: Vec<Headers> = st
                .astdb
                .iter()
                .filter(|((f, k), _)| *f == family && (key.is_empty() || k.starts_with(&key)))
                .map(|((f, k), v)| hdrs!["Key" => format!("/{f}/{k}"), "Val" => v])
                .collect();
            if items.is_empty() {
                return w.error("Database entry not found");
            }
            w.list("Result will follow", "DBGetTreeResponse", true, items, "DBGetTreeComplete");
        }
        "dbdel" => match st.astdb.remove(&(get("Family"), get("Key"))) {
            Some(_) => w.success("Key deleted successfully"),
            None => w.error("Database entry could not be deleted"),
        },
        "dbdeltree" => {
            let (family, key) = (get("Family"), get("Key"));
            let before = st.astdb.len();
            st.astdb.retain(|(f, k), _| !(*f == family && (key.is_empty() || k.starts_with(&key))));
            if st.astdb.len() < before {
                w.success("Key tree deleted successfully");
            } else {
                w.error("Database entry not found");
            }
        }
        "getvar" => {
            let var = get("Variable");
            let chan = get("Channel");
            let value = if chan.is_empty() {
                Some(st.globals.get(&var).cloned().unwrap_or_default())
            } else {
                st.channels.iter().find(|c| c.channel == chan).map(|c| c.vars.get(&var).cloned().unwrap_or_default())
            };
            match value {
                Some(v) => w.response("Success", hdrs!["Variable" => var, "Value" => v]),
                None => w.error("No such channel"),
            }
        }
        "setvar" => {
            let (var, value, chan) = (get("Variable"), m.get("Value").unwrap_or("").to_string(), get("Channel"));
            if var.is_empty() {
                return w.error("No variable specified");
            }
            if chan.is_empty() {
                st.globals.insert(var, value);
            } else if let Some(c) = st.channels.iter_mut().find(|c| c.channel == chan) {
                c.vars.insert(var, value);
            } else {
                return w.error("No such channel");
            }
            w.success("Variable Set");
        }
        "extensionstate" => {
            let (exten, context) = (get("Exten"), get("Context"));
            let s = st.extension_states.get(&format!("{exten}@{context}")).cloned().unwrap_or(ExtensionState {
                hint: String::new(),
                status: -1,
            });
            w.response(
                "Success",
                hdrs![
                    "Message" => "Extension Status", "Exten" => exten, "Context" => context, "Hint" => s.hint,
                    "Status" => s.status, "StatusText" => status_text(s.status),
                ],
            );
        }
        "extensionstatelist" => {
            let items = st
                .extension_states
                .iter()
                .map(|(k, s)| {
                    let (exten, context) = k.split_once('@').unwrap_or((k, ""));
                    hdrs![
                        "Exten" => exten, "Context" => context, "Hint" => s.hint, "Status" => s.status,
                        "StatusText" => status_text(s.status),
                    ]
                })
                .collect();
            w.list("Extension Statuses will follow", "ExtensionStatus", false, items, "ExtensionStateListComplete");
        }
        "devicestatelist" => {
            let items = st.device_states.iter().map(|(d, s)| hdrs!["Device" => d, "State" => s]).collect();
            w.list("Device State Changes will follow", "DeviceStateChange", false, items, "DeviceStateListComplete");
        }
        "pjsipshowendpoints" => {
            let items = st
                .endpoints
                .iter()
                .map(|e| {
                    hdrs![
                        "ObjectType" => "endpoint", "ObjectName" => e.name, "Transport" => e.transport,
                        "Aor" => e.aor, "Auths" => e.auths, "OutboundAuths" => "", "Contacts" => e.contacts,
                        "DeviceState" => e.device_state, "ActiveChannels" => e.active_channels,
                    ]
                })
                .collect();
            w.list(
                "A listing of Endpoints follows, presented as EndpointList events",
                "EndpointList", false, items, "EndpointListComplete",
            );
        }
        // Asterisk answers an empty contact list with an error (the value ends in a bare LF).
        "pjsipshowcontacts" if st.contacts.is_empty() => w.error("No Contacts found\n"),
        "pjsipshowcontacts" => {
            let items = st
                .contacts
                .iter()
                .map(|c| {
                    hdrs![
                        "ObjectType" => "contact", "ObjectName" => format!("{};@{}", c.aor, md5_hex(&c.uri)),
                        "Uri" => c.uri, "Aor" => c.aor, "Endpoint" => c.endpoint, "UserAgent" => c.user_agent,
                        "Status" => c.status, "RegExpire" => c.reg_expire,
                    ]
                })
                .collect();
            w.list(
                "A listing of Contacts follows, presented as ContactList events",
                "ContactList", false, items, "ContactListComplete",
            );
        }
        // res_sorcery_memory_cache's texts (each ends in a bare LF, as Asterisk sends them).
        "sorcerymemorycacheexpireobject" => {
            let (cache, object) = (get("Cache"), get("Object"));
            if cache.is_empty() {
                w.error("SorceryMemoryCacheExpireObject requires that a cache name be provided.\n");
            } else if object.is_empty() {
                w.error("SorceryMemoryCacheExpireObject requires that an object name be provided\n");
            } else if !CACHES.contains(&cache.as_str()) {
                w.error("The provided cache does not exist\n");
            } else if st.cached.remove(&(cache, object)) {
                w.success("The provided object was expired from the cache\n");
            } else {
                w.error("The provided object could not be expired from the cache\n");
            }
        }
        "pjsipunregister" => {
            let name = get("Registration");
            if st.registrations.contains(&name) {
                w.success("Unregistration sent");
            } else {
                w.error(&format!("Unable to retrieve registration entry {name}"));
            }
        }
        "pjsipnotify" => {
            let endpoint = get("Endpoint");
            if endpoint.is_empty() && get("URI").is_empty() {
                w.error("PJSIPNotify requires either an endpoint name, a SIP URI, or a channel.");
            } else if !endpoint.is_empty() && !st.endpoints.iter().any(|e| e.name == endpoint) {
                w.error(&format!("Unable to retrieve endpoint {endpoint}"));
            } else {
                w.success("NOTIFY sent");
            }
        }
        "messagesend" => {
            if get("To").is_empty() {
                w.error("No 'To' address specified.");
            } else {
                w.success("Message successfully sent");
            }
        }
        _ => w.error(&format!(
            "Invalid/unknown command: {action_name}. Use Action: ListCommands to show available commands.",
            action_name = m.action().unwrap_or("")
        )),
    }
}

/// What Asterisk does beyond the generic handling for the device reqtypes (CHANSIPPEERS,
/// REBOOT, UNREGISTER, SETFLOW, QUEUERESET): `true` when the action was answered here.
/// - `Setvar` of `DEVICE_STATE(Custom:…)` sets a custom device state (func_devstate);
/// - `DBDel` in family `registrar/contact` deletes a registered PJSIP contact (res_pjsip keeps
///   them in AstDB under that family, keyed by the contact id `aor;@hash`);
/// - `QueueReset` (app_queue's texts).
fn device_actions(st: &mut State, m: &Message, action: &str, w: &mut Writer) -> bool {
    let get = |name: &str| m.get(name).unwrap_or("").trim().to_string();
    match action {
        "setvar" => {
            let var = get("Variable");
            let Some(dev) = var
                .strip_prefix("DEVICE_STATE(")
                .and_then(|v| v.strip_suffix(')'))
            else {
                return false;
            };
            if !dev.starts_with("Custom:") {
                w.error("Failed to set variable");
                return true;
            }
            st.device_states.insert(dev.to_string(), get("Value"));
            w.success("Variable Set");
            true
        }
        "dbdel" if get("Family") == "registrar/contact" => {
            let key = get("Key");
            let before = st.contacts.len();
            st.contacts
                .retain(|c| format!("{};@{}", c.aor, md5_hex(&c.uri)) != key);
            if st.contacts.len() < before {
                w.success("Key deleted successfully");
            } else {
                w.error("Database entry could not be deleted");
            }
            true
        }
        "queuereset" => {
            let queue = get("Queue");
            if queue.is_empty() || st.queues.contains_key(&queue) {
                w.success("Queue stats reset successfully");
            } else {
                w.error("Error encountered while resetting queue stats");
            }
            true
        }
        _ => false,
    }
}

fn login(inner: &Inner, session: &mut Session, m: &Message, w: &mut Writer) {
    let refuse = lock(&inner.knobs).refuse_logins;
    let user_ok = m.get("Username") == Some(USERNAME);
    let secret_ok = if m
        .get("AuthType")
        .is_some_and(|a| a.eq_ignore_ascii_case("md5"))
    {
        let expected = session
            .challenge
            .as_ref()
            .map(|c| md5_hex(&format!("{c}{SECRET}")));
        expected.is_some() && m.get("Key").map(str::to_ascii_lowercase) == expected
    } else {
        m.get("Secret") == Some(SECRET)
    };
    if refuse || !user_ok || !secret_ok {
        w.error("Authentication failed");
        w.reply.close = true;
        return;
    }
    session.logged_in = true;
    session.events = !m
        .get("Events")
        .is_some_and(|e| e.eq_ignore_ascii_case("off"));
    inner.logins.fetch_add(1, Ordering::SeqCst);
    w.success("Authentication accepted");
    if session.events {
        w.frame(hdrs!["Event" => "FullyBooted", "Uptime" => 3, "LastReload" => 3, "Status" => "Fully Booted"]);
        w.reply.subscribe = Some(true);
    }
}
