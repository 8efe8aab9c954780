//! Call records, call outcomes and faxes (tests/cluster_calls.rs): the events a node sends.

use super::server::{lock, AmiServer};
use super::state::Channel;
use super::wire::render;
use super::Headers;

/// One `Cdr` event as cdr_manager sends it when a call leg ends (fields and order as recorded
/// in `asterisk-22-main.txt`; `AccountCode` and `CallerID` are sent when set, and `LinkedID` /
/// `OriginateID` when the node maps them in `cdr_manager.conf`).
#[derive(Debug, Clone, Default)]
pub struct CdrEvent {
    pub account_code: String,
    pub source: String,
    pub destination: String,
    pub destination_context: String,
    pub caller_id: String,
    pub channel: String,
    pub destination_channel: String,
    pub last_application: String,
    pub last_data: String,
    pub start: String,
    pub answer: String,
    pub end: String,
    pub duration: String,
    pub billable: String,
    pub disposition: String,
    pub uniqueid: String,
    pub user_field: String,
    pub linkedid: String,
    pub originate_id: String,
}

impl CdrEvent {
    /// An answered leg of `channel` to `destination` (ten seconds, as Asterisk writes times).
    pub fn answered(
        channel: &str,
        destination_channel: &str,
        source: &str,
        destination: &str,
        uniqueid: &str,
    ) -> CdrEvent {
        CdrEvent {
            source: source.into(),
            destination: destination.into(),
            destination_context: "from-internal".into(),
            channel: channel.into(),
            destination_channel: destination_channel.into(),
            last_application: "Dial".into(),
            last_data: destination_channel.into(),
            start: "2026-11-22 03:59:22".into(),
            answer: "2026-11-22 03:59:24".into(),
            end: "2026-11-22 03:59:34".into(),
            duration: "12".into(),
            billable: "10".into(),
            disposition: "ANSWERED".into(),
            uniqueid: uniqueid.into(),
            ..Default::default()
        }
    }

    fn headers(&self) -> Headers {
        let mut h = hdrs!["Event" => "Cdr"];
        if !self.account_code.is_empty() {
            h.push(("AccountCode".into(), self.account_code.clone()));
        }
        h.extend(hdrs![
            "Source" => self.source, "Destination" => self.destination,
            "DestinationContext" => self.destination_context,
        ]);
        if !self.caller_id.is_empty() {
            h.push(("CallerID".into(), self.caller_id.clone()));
        }
        h.extend(hdrs![
            "Channel" => self.channel, "DestinationChannel" => self.destination_channel,
            "LastApplication" => self.last_application, "LastData" => self.last_data,
            "StartTime" => self.start, "AnswerTime" => self.answer, "EndTime" => self.end,
            "Duration" => self.duration, "BillableSeconds" => self.billable,
            "Disposition" => self.disposition, "AMAFlags" => "DOCUMENTATION",
            "UniqueID" => self.uniqueid, "UserField" => self.user_field,
        ]);
        if !self.linkedid.is_empty() {
            h.push(("LinkedID".into(), self.linkedid.clone()));
        }
        if !self.originate_id.is_empty() {
            h.push(("OriginateID".into(), self.originate_id.clone()));
        }
        h
    }
}

impl AmiServer {
    /// Send a `Cdr` event to every session that takes events.
    pub fn emit_cdr(&self, cdr: &CdrEvent) {
        let bytes = render(&cdr.headers(), lock(&self.inner.knobs).bare_lf).into_bytes();
        self.emit_raw(&bytes);
    }

    /// The `OriginateResponse` of an Originate answered under [`AmiServer::silent_originate`]
    /// (ActionID first, as recorded).
    pub fn emit_originate_response(
        &self,
        action_id: &str,
        success: bool,
        channel: &str,
        uniqueid: &str,
    ) {
        let (response, reason) = if success {
            ("Success", "4")
        } else {
            ("Failure", "0")
        };
        self.emit(&[
            ("Event", "OriginateResponse"),
            ("ActionID", action_id),
            ("Response", response),
            ("Channel", channel),
            ("Context", ""),
            ("Exten", ""),
            ("Reason", reason),
            ("Uniqueid", uniqueid),
        ]);
    }

    /// What the fax dialplan's `h` extension reports (`UserEvent(SwitchboardFax,…)`), with the
    /// channel fields Asterisk puts before a user event's own headers.
    pub fn emit_fax_result(
        &self,
        channel: &Channel,
        fax_id: &str,
        status: &str,
        pages: &str,
        error: &str,
    ) {
        self.emit(&[
            ("Event", "UserEvent"),
            ("Privilege", "user,all"),
            ("Channel", &channel.channel),
            ("Context", "switchboard-fax-out"),
            ("Exten", "h"),
            ("Uniqueid", &channel.uniqueid),
            ("Linkedid", &channel.linkedid),
            ("UserEvent", "SwitchboardFax"),
            ("FaxID", fax_id),
            ("Status", status),
            ("Pages", pages),
            ("Error", error),
        ]);
    }

    /// The channel an Originate created, found by one of its `Variable`s (`FAXID=…`).
    pub fn originated_with(&self, variable: &str, value: &str) -> Option<Channel> {
        self.state()
            .channels
            .iter()
            .find(|c| c.vars.get(variable).map(String::as_str) == Some(value))
            .cloned()
    }
}
