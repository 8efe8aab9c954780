//! AMI messages as ordered multimaps, and the actions Switchboard writes.

use std::fmt;

use bytes::BufMut;

/// Header names whose values are secrets: never shown by `Debug`.
const SECRET_HEADERS: &[&str] = &["Secret", "Key"];

/// One AMI message (response, event or action): `Key: Value` pairs in wire order. Keys repeat
/// where they mean a list (`Output:`, `Variable:`, `ChanVariable:`), so this is a multimap.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct Message {
    headers: Vec<(String, String)>,
}

impl Message {
    pub fn new() -> Self {
        Self::default()
    }

    /// Append a header as it is (no sanitising: for messages read from the wire).
    pub fn push(&mut self, name: impl Into<String>, value: impl Into<String>) {
        self.headers.push((name.into(), value.into()));
    }

    /// First value of `name` (case-insensitive, as Asterisk compares header names).
    pub fn get(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// Every value of `name`, in wire order.
    pub fn get_all<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a str> + 'a {
        self.headers
            .iter()
            .filter(move |(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// The headers in order (repeated names kept).
    pub fn headers(&self) -> &[(String, String)] {
        &self.headers
    }

    pub fn iter(&self) -> impl Iterator<Item = (&str, &str)> {
        self.headers.iter().map(|(k, v)| (k.as_str(), v.as_str()))
    }

    pub fn len(&self) -> usize {
        self.headers.len()
    }

    pub fn is_empty(&self) -> bool {
        self.headers.is_empty()
    }

    /// `Event:` value, if this is an event.
    pub fn event(&self) -> Option<&str> {
        self.get("Event")
    }

    /// `Response:` value (`Success`, `Error`, `Follows`, `Goodbye`), if this is a response.
    pub fn response(&self) -> Option<&str> {
        self.get("Response")
    }

    /// `Action:` value, if this is an action.
    pub fn action(&self) -> Option<&str> {
        self.get("Action")
    }

    pub fn action_id(&self) -> Option<&str> {
        self.get("ActionID")
    }

    /// `Message:` value (the human text of a response).
    pub fn text(&self) -> Option<&str> {
        self.get("Message")
    }

    /// True for `Response: Error`/`Failure` (an event such as OriginateResponse also uses
    /// `Response: Failure`).
    pub fn is_error(&self) -> bool {
        self.response()
            .is_some_and(|r| r.eq_ignore_ascii_case("Error") || r.eq_ignore_ascii_case("Failure"))
    }

    /// `EventList:` value in lower case (`start`, `complete`), if any.
    pub(crate) fn event_list(&self) -> Option<String> {
        self.get("EventList").map(|v| v.trim().to_ascii_lowercase())
    }

    /// Remove every header called `name`.
    pub(crate) fn remove(&mut self, name: &str) {
        self.headers.retain(|(k, _)| !k.eq_ignore_ascii_case(name));
    }

    /// Serialise for the wire: `Key: Value\r\n` lines and the closing empty line. Names and
    /// values are sanitised here, the one place every outgoing byte passes, so no value can
    /// carry a line break into a second header or a second action.
    pub fn write_wire(&self, out: &mut impl BufMut) {
        for (k, v) in &self.headers {
            let name = sanitize_name(k);
            if name.is_empty() {
                continue;
            }
            out.put_slice(name.as_bytes());
            out.put_slice(b": ");
            put_sanitized_value(out, v);
            out.put_slice(b"\r\n");
        }
        out.put_slice(b"\r\n");
    }
}

impl fmt::Debug for Message {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut map = f.debug_list();
        for (k, v) in &self.headers {
            if SECRET_HEADERS.iter().any(|s| k.eq_ignore_ascii_case(s)) {
                map.entry(&(k, "<redacted>"));
            } else {
                map.entry(&(k, v));
            }
        }
        map.finish()
    }
}

impl<K: Into<String>, V: Into<String>> FromIterator<(K, V)> for Message {
    fn from_iter<I: IntoIterator<Item = (K, V)>>(iter: I) -> Self {
        Message {
            headers: iter
                .into_iter()
                .map(|(k, v)| (k.into(), v.into()))
                .collect(),
        }
    }
}

/// A header name keeps only the characters a name can have: no separator, no line break.
fn sanitize_name(name: &str) -> String {
    name.chars()
        .filter(|c| c.is_ascii_graphic() && *c != ':')
        .collect()
}

fn is_unsafe(b: u8) -> bool {
    b.is_ascii_control() && b != b'\t'
}

/// CR, LF and other control characters inside a value become spaces.
fn put_sanitized_value(out: &mut impl BufMut, value: &str) {
    let bytes = value.as_bytes();
    if !bytes.iter().any(|&b| is_unsafe(b)) {
        return out.put_slice(bytes);
    }
    for &b in bytes {
        out.put_u8(if is_unsafe(b) { b' ' } else { b });
    }
}

/// An action to send: `Action::new("Originate").header("Channel", "PJSIP/100-ACME")`.
/// The client adds the `ActionID` (any ActionID set here is replaced).
#[derive(Clone, PartialEq, Eq)]
pub struct Action {
    message: Message,
}

impl Action {
    pub fn new(name: &str) -> Self {
        let mut message = Message::new();
        message.push("Action", name);
        Action { message }
    }

    /// An action from stored parts (e.g. an outbox row): name and headers in order.
    pub fn from_parts<K: AsRef<str>, V: Into<String>>(
        name: &str,
        headers: impl IntoIterator<Item = (K, V)>,
    ) -> Self {
        let mut action = Action::new(name);
        for (k, v) in headers {
            action.push(k.as_ref(), v);
        }
        action
    }

    pub fn header(mut self, name: &str, value: impl Into<String>) -> Self {
        self.message.push(name, value);
        self
    }

    /// Add a header in place (for builders that loop).
    pub fn push(&mut self, name: &str, value: impl Into<String>) {
        self.message.push(name, value);
    }

    /// Add a channel variable (`Variable: NAME=value` of an Originate), checked so that it
    /// sets exactly one variable.
    pub fn variable(mut self, v: super::Variable) -> Self {
        self.push_variable(v);
        self
    }

    pub fn push_variable(&mut self, v: super::Variable) {
        self.message.push("Variable", v.0);
    }

    pub fn name(&self) -> &str {
        self.message.action().unwrap_or("")
    }

    pub fn get(&self, name: &str) -> Option<&str> {
        self.message.get(name)
    }

    pub fn message(&self) -> &Message {
        &self.message
    }

    /// The message to write, with the client's ActionID in place of any other.
    pub(crate) fn with_action_id(&self, id: &str) -> Message {
        let mut m = self.message.clone();
        m.remove("ActionID");
        m.push("ActionID", id);
        m
    }
}

impl fmt::Debug for Action {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("Action").field(&self.message).finish()
    }
}
