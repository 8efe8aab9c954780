//! Responses and the checks every test makes on them.

use serde_json::{json, Value};

use super::{HTML, JSON, TOO_BAD};

#[derive(Debug)]
pub struct Resp {
    pub status: u16,
    pub content_type: String,
    pub disposition: Option<String>,
    pub content_range: Option<String>,
    pub body: Vec<u8>,
}

impl Resp {
    pub fn text(&self) -> String {
        String::from_utf8(self.body.clone()).expect("body is UTF-8")
    }
    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.text()))
    }
    /// Assert a plain-format body exactly (and its content type).
    #[track_caller]
    pub fn is_plain(&self, expected: &str) {
        assert_eq!(self.text(), expected);
        assert_eq!(self.content_type, HTML, "{}", self.text());
    }
    /// Assert the plain `Error: …` line exactly.
    #[track_caller]
    pub fn is_error(&self, message: &str) {
        self.is_plain(&format!("Error: {message}\n"));
    }
    /// Assert a plain error line that starts with `Error: <prefix>`.
    #[track_caller]
    pub fn is_error_starting(&self, prefix: &str) {
        let text = self.text();
        assert!(
            text.starts_with(&format!("Error: {prefix}")) && text.ends_with('\n'),
            "expected an error starting with {prefix:?}, got {text:?}"
        );
        assert_eq!(text.lines().count(), 1, "{text:?}");
        assert_eq!(self.content_type, HTML);
    }
    /// Assert the exact upstream auth failure.
    #[track_caller]
    pub fn is_too_bad(&self) {
        assert_eq!(self.text(), TOO_BAD);
        assert_eq!(self.body.len(), 46);
        assert_eq!(self.content_type, HTML);
    }
    /// Assert a JSON error object with this message.
    #[track_caller]
    pub fn is_json_error(&self, message: &str) {
        assert_eq!(self.content_type, JSON, "{}", self.text());
        assert_eq!(
            self.json(),
            json!({ "Response": "Error", "Message": message }),
            "{}",
            self.text()
        );
    }
    pub fn is_any_error(&self) -> bool {
        let t = self.text();
        t.starts_with("Error: ") || t == TOO_BAD || t.contains("\"Response\":\"Error\"")
    }
}

/// Every scalar of a JSON document is a string (or null): PHP's json_encode of database rows.
#[track_caller]
pub fn assert_string_scalars(v: &Value) {
    match v {
        Value::Null | Value::String(_) => {}
        Value::Array(items) => items.iter().for_each(assert_string_scalars),
        Value::Object(map) => map.values().for_each(assert_string_scalars),
        other => panic!("non-string scalar {other} in JSON output"),
    }
}

/// The id of a row returned by add/get.
pub fn id_of(row: &Value, pk: &str) -> i32 {
    row[pk]
        .as_str()
        .unwrap_or_else(|| panic!("no {pk} in {row}"))
        .parse()
        .unwrap()
}
