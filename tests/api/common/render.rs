//! A reference renderer written from the wire contract (spec §3), independent of the server's:
//! what a response must look like in each format, byte for byte.
#![allow(dead_code)]

use super::{Resp, CSV, HTML, JS, JSON, XML};
use serde_json::{Map, Value};

/// Every format a client can ask for; `jsonp` is `format=json&callback=…`.
pub const FORMATS: &[&str] = &["plain", "json", "xml", "csv", "jsonp"];
pub const CALLBACK: &str = "jQuery_1.cb$";

/// What an answer holds, independent of the format.
#[derive(Debug, Clone)]
pub enum Shape {
    /// MANAGEDB list: rows keyed by their first column.
    Keyed(Vec<Value>),
    /// MANAGEDB get/add: one row or a miss.
    Record(Option<Value>),
    /// INFO tables: rows, with the plain-format header line.
    Table(Vec<Value>, &'static str),
    /// One named value (INFO version).
    Value(&'static str, String),
    /// Free text (update/delete echoes).
    Text(String),
}

pub fn xml_escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('\'', "&apos;")
        .replace('"', "&quot;")
}

fn xml_rows(rows: &[Value]) -> String {
    let mut s = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<response>\n");
    for row in rows {
        s.push_str("<row>");
        for (k, v) in row.as_object().unwrap() {
            match v {
                Value::Null => s.push_str(&format!("<{k} null=\"true\"/>")),
                v => s.push_str(&format!("<{k}>{}</{k}>", xml_escape(v.as_str().unwrap()))),
            }
        }
        s.push_str("</row>\n");
    }
    s.push_str("</response>\n");
    s
}

fn csv_field(v: &Value) -> String {
    let s = v.as_str().unwrap_or("");
    if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_string()
    }
}

fn csv_rows(rows: &[Value]) -> String {
    let Some(first) = rows.first() else {
        return String::new();
    };
    let mut s = first
        .as_object()
        .unwrap()
        .keys()
        .cloned()
        .collect::<Vec<_>>()
        .join(",");
    s.push('\n');
    for row in rows {
        let cells: Vec<String> = row.as_object().unwrap().values().map(csv_field).collect();
        s.push_str(&cells.join(","));
        s.push('\n');
    }
    s
}

fn keyed(rows: &[Value]) -> Value {
    let mut map = Map::new();
    for row in rows {
        let first = row.as_object().unwrap().values().next().unwrap();
        map.insert(first.as_str().unwrap().to_string(), row.clone());
    }
    Value::Object(map)
}

impl Shape {
    fn rows(&self) -> Vec<Value> {
        match self {
            Shape::Keyed(rows) | Shape::Table(rows, _) => rows.clone(),
            Shape::Record(row) => row.iter().cloned().collect(),
            Shape::Value(name, v) => vec![serde_json::json!({ *name: v })],
            Shape::Text(t) => vec![serde_json::json!({ "message": t })],
        }
    }

    fn json(&self) -> Value {
        match self {
            Shape::Keyed(rows) => keyed(rows),
            Shape::Record(row) => row.clone().unwrap_or(Value::Object(Map::new())),
            Shape::Table(rows, _) => Value::Array(rows.clone()),
            Shape::Value(name, v) => serde_json::json!({ *name: v }),
            Shape::Text(t) => Value::String(t.clone()),
        }
    }

    fn plain(&self) -> String {
        match self {
            Shape::Keyed(rows) if rows.is_empty() => String::new(),
            Shape::Record(None) => String::new(),
            // MANAGEDB rows are JSON whatever the format (clients parse them).
            Shape::Keyed(_) | Shape::Record(_) => self.json().to_string(),
            Shape::Table(rows, _) if rows.is_empty() => String::new(),
            Shape::Table(rows, header) => {
                let mut s = format!("{header}\n");
                for row in rows {
                    let cells: Vec<&str> = row
                        .as_object()
                        .unwrap()
                        .values()
                        .map(|v| v.as_str().unwrap_or(""))
                        .collect();
                    s.push_str(&cells.join("|"));
                    // Upstream's VOICEMAIL list ends its header and its rows with `|`.
                    if header.ends_with('|') {
                        s.push('|');
                    }
                    s.push('\n');
                }
                s
            }
            Shape::Value(_, v) => v.clone(),
            Shape::Text(t) => t.clone(),
        }
    }

    /// (content type, body, content disposition) in `format`.
    pub fn render(&self, format: &str) -> (&'static str, String, Option<String>) {
        match format {
            "plain" => (HTML, self.plain(), None),
            "json" => (JSON, self.json().to_string(), None),
            "jsonp" => (JS, format!("{CALLBACK}({});", self.json()), None),
            "xml" => (XML, xml_rows(&self.rows()), None),
            "csv" => match self {
                Shape::Text(t) => (HTML, t.clone(), None),
                _ => (
                    CSV,
                    csv_rows(&self.rows()),
                    Some("attachment; filename=\"export.csv\"".to_string()),
                ),
            },
            other => panic!("unknown format {other}"),
        }
    }
}

/// Assert a response is exactly `shape` rendered in `format`.
#[track_caller]
pub fn assert_shape(resp: &Resp, shape: &Shape, format: &str) {
    let (content_type, body, disposition) = shape.render(format);
    assert_eq!(resp.text(), body, "body in format {format}");
    assert_eq!(
        resp.content_type, content_type,
        "content type in format {format}"
    );
    assert_eq!(
        resp.disposition, disposition,
        "disposition in format {format}"
    );
    let json_body = match format {
        "json" => true,
        "plain" => matches!(shape, Shape::Keyed(_) | Shape::Record(_)),
        _ => false,
    };
    if json_body && !body.is_empty() {
        super::assert_string_scalars(&resp.json());
    }
}
