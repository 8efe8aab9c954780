//! Rows → plain | json | xml | csv | JSONP. The only place that turns data into response text:
//! handlers return an [`Output`], never a string they formatted themselves.
//!
//! This file holds the request side (format, callback, the rendered body) and what every
//! format shares; one file per format, and [`encoder`] for streamed tables.

mod csv;
mod encoder;
mod json;
mod plain;
mod xml;

use crate::error::{ApiError, ApiResult};
use actix_web::web::Bytes;
use futures_util::stream::BoxStream;
use serde_json::{Map, Value};

pub use self::csv::csv_cell;
pub use self::plain::plain_cell;
pub use self::xml::xml_text;
pub use crate::output::{mask, Cell, Output, RowStream, RowTemplate, Table, MASK};
pub use crate::text::{xml_char, xml_safe};

use self::csv::csv_body;
use self::json::json_text;
use self::plain::plain;
use self::xml::xml;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Plain,
    Json,
    Xml,
    Csv,
}

impl Format {
    pub fn parse(s: Option<&str>) -> ApiResult<Format> {
        match s.map(|s| s.to_ascii_lowercase()).as_deref() {
            None | Some("") | Some("plain") | Some("text") => Ok(Format::Plain),
            Some("json") => Ok(Format::Json),
            Some("xml") => Ok(Format::Xml),
            Some("csv") => Ok(Format::Csv),
            Some(other) => Err(ApiError::invalid(format!(
                "format '{other}' is not one of plain, json, xml, csv"
            ))),
        }
    }
}

/// A JSONP callback name, validated so it can never carry script.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Callback(String);

impl Callback {
    pub fn parse(s: &str) -> ApiResult<Callback> {
        let mut chars = s.chars();
        let first_ok =
            matches!(chars.next(), Some(c) if c.is_ascii_alphabetic() || c == '_' || c == '$');
        let rest_ok = chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '$' | '.'));
        if first_ok && rest_ok && s.len() <= 64 {
            Ok(Callback(s.to_string()))
        } else {
            Err(ApiError::invalid(
                "callback must match ^[A-Za-z_$][A-Za-z0-9_$.]{0,63}$",
            ))
        }
    }
}

/// How the caller wants the answer.
#[derive(Debug, Clone)]
pub struct Rendering {
    pub format: Format,
    pub callback: Option<Callback>,
}

impl Default for Rendering {
    fn default() -> Self {
        Rendering {
            format: Format::Plain,
            callback: None,
        }
    }
}

/// A rendered body with its content type.
#[derive(Debug)]
pub struct Rendered {
    pub content_type: &'static str,
    pub body: Vec<u8>,
    /// `Some(filename)` asks for `Content-Disposition: attachment`.
    pub attachment: Option<&'static str>,
}

/// A streamed body with its content type.
pub struct Streamed {
    pub content_type: &'static str,
    pub attachment: Option<&'static str>,
    pub body: BoxStream<'static, ApiResult<Bytes>>,
}

const HTML: &str = "text/html; charset=UTF-8";
const JSON: &str = "application/json";
const JS: &str = "application/javascript";
const XML: &str = "text/xml; charset=UTF-8";
const CSV: &str = "text/csv; charset=UTF-8";

impl Rendering {
    pub fn render(&self, out: &Output) -> Rendered {
        if let Output::Line(t) = out {
            return text(HTML, t.clone());
        }
        match self.format {
            Format::Json => self.json(json_text(out)),
            Format::Plain => text(HTML, plain(out)),
            Format::Xml => text(XML, xml(out)),
            Format::Csv => match out {
                Output::Text(t) => text(HTML, t.clone()),
                other => Rendered {
                    content_type: CSV,
                    // A record miss is an empty body; a table with no rows is its header line.
                    body: if is_empty(other) && !has_columns(other) {
                        Vec::new()
                    } else {
                        csv_body(other).into_bytes()
                    },
                    attachment: Some("export.csv"),
                },
            },
        }
    }

    /// Errors: one plain line, or `{"Response":"Error","Message":…}` for json clients.
    /// The auth failure is the upstream plain text in every format (spec §2, ruling of 2026-12):
    /// clients test for it as text, and a PHP client decodes a JSON error object as data.
    pub fn render_error(&self, err: &ApiError) -> Rendered {
        match self.format {
            Format::Json if !matches!(err, ApiError::Auth) => {
                let message = err.to_string();
                let mut map = Map::new();
                map.insert("Response".into(), Value::String("Error".into()));
                map.insert("Message".into(), Value::String(message));
                self.json(Value::Object(map).to_string())
            }
            // A line, newline-terminated: the upstream auth failure is exactly 46 bytes.
            _ => text(HTML, format!("{}\n", err.line())),
        }
    }

    fn json(&self, body: String) -> Rendered {
        match &self.callback {
            Some(Callback(name)) => text(JS, format!("{name}({body});")),
            None => text(JSON, body),
        }
    }
}

fn text(content_type: &'static str, body: String) -> Rendered {
    Rendered {
        content_type,
        body: body.into_bytes(),
        attachment: None,
    }
}

fn file_label(f: &crate::files::FileBody) -> String {
    f.filename.clone().unwrap_or_else(|| "file".into())
}

/// Whether an output is a table whose header a csv export prints even with no rows.
fn has_columns(out: &Output) -> bool {
    match out {
        Output::Table(t) | Output::Keyed { table: t, .. } => !t.columns.is_empty(),
        Output::Partial { out, .. } => has_columns(out),
        _ => false,
    }
}

/// Whether an output holds no row at all (a miss: empty body in plain and csv).
fn is_empty(out: &Output) -> bool {
    match out {
        Output::Table(t) | Output::Keyed { table: t, .. } => t.rows.is_empty(),
        Output::Record { row, .. } => row.is_none(),
        Output::Value { .. } | Output::Text(_) | Output::File(_) | Output::Reply { .. } => false,
        Output::Line(t) => t.is_empty(),
        Output::Stream(_) => true,
        Output::Partial { out, missing } => missing.is_empty() && is_empty(out),
    }
}

/// The rows of any output, as one table (for xml and csv).
fn as_table(out: &Output) -> Table {
    match out {
        Output::Table(t) | Output::Keyed { table: t, .. } => t.clone(),
        Output::Record { columns, row } => Table {
            columns: columns.clone(),
            plain_header: None,
            rows: row.iter().cloned().collect(),
        },
        Output::Value { name, value } => Table {
            columns: vec![(*name).to_string()],
            plain_header: None,
            rows: vec![vec![value.clone()]],
        },
        Output::Text(t) | Output::Line(t) => Table {
            columns: vec!["message".into()],
            plain_header: None,
            rows: vec![vec![Some(t.clone())]],
        },
        Output::File(f) => Table {
            columns: vec!["file".into()],
            plain_header: None,
            rows: vec![vec![Some(file_label(f))]],
        },
        Output::Reply { json, .. } => match json {
            Value::Object(map) => Table {
                columns: map.keys().cloned().collect(),
                plain_header: None,
                rows: vec![map
                    .values()
                    .map(|v| match v {
                        Value::Null => None,
                        Value::String(s) => Some(s.clone()),
                        other => Some(other.to_string()),
                    })
                    .collect()],
            },
            other => as_table(&Output::Text(other.to_string())),
        },
        Output::Partial { out, .. } => as_table(out),
        Output::Stream(s) => Table::new(s.columns.clone()),
    }
}

#[cfg(test)]
mod tests;
