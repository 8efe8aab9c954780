//! Rows → plain | json | xml | csv | JSONP. The only place that turns data into response text:
//! handlers return an [`Output`], never a string they formatted themselves.

use crate::error::{ApiError, ApiResult};
use actix_web::web::Bytes;
use futures_util::stream::{BoxStream, StreamExt};
use serde_json::{Map, Value};
use std::borrow::Cow;
use std::sync::Arc;

pub use crate::output::{mask, Cell, Output, RowStream, RowTemplate, Table, MASK};
pub use crate::text::{xml_char, xml_safe};

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

/// Bytes gathered before a chunk goes to the socket.
const CHUNK: usize = 64 * 1024;

/// Turns rows into text one at a time, for [`Rendering::render_stream`]. Plain and csv print
/// their header with the first row (no row, empty body, as for a miss); json, xml and
/// templates always frame the rows.
struct Encoder {
    format: Format,
    callback: Option<Callback>,
    template: Option<Arc<dyn RowTemplate>>,
    columns: Vec<String>,
    plain_header: Option<&'static str>,
    rows_seen: u64,
}

impl Encoder {
    /// Whether the frame is written with no row: json, xml, templates, and csv (an export
    /// with no rows still has its header line, which spreadsheet imports map columns by).
    fn framed(&self) -> bool {
        self.template.is_some() || matches!(self.format, Format::Json | Format::Xml | Format::Csv)
    }

    fn head(&mut self, buf: &mut Vec<u8>) {
        if let Some(t) = &self.template {
            buf.extend_from_slice(t.head().as_bytes());
            return;
        }
        match self.format {
            Format::Plain => {
                match self.plain_header {
                    Some(h) => buf.extend_from_slice(h.as_bytes()),
                    None => buf.extend_from_slice(self.columns.join("|").as_bytes()),
                }
                buf.push(b'\n');
            }
            Format::Csv => csv_record(buf, &self.columns),
            Format::Json => {
                if let Some(Callback(name)) = &self.callback {
                    buf.extend_from_slice(name.as_bytes());
                    buf.push(b'(');
                }
                buf.push(b'[');
            }
            Format::Xml => buf.extend_from_slice(XML_HEAD.as_bytes()),
        }
    }

    fn row(&mut self, row: &[Cell], buf: &mut Vec<u8>) -> ApiResult<()> {
        if self.rows_seen == 0 {
            self.head(buf);
        }
        self.rows_seen += 1;
        if let Some(t) = &self.template {
            buf.extend_from_slice(t.row(&self.columns, row)?.as_bytes());
            return Ok(());
        }
        match self.format {
            Format::Plain => {
                let mut s = String::new();
                plain_row(row, &mut s);
                buf.extend_from_slice(s.as_bytes());
            }
            Format::Csv => csv_record(buf, row.iter().map(|c| c.as_deref().unwrap_or(""))),
            Format::Json => {
                if self.rows_seen > 1 {
                    buf.push(b',');
                }
                // Strings and nulls into a Vec: cannot fail.
                let _ = serde_json::to_writer(
                    &mut *buf,
                    &JsonRow {
                        columns: &self.columns,
                        row,
                    },
                );
            }
            Format::Xml => {
                let mut s = String::new();
                xml_row(&self.columns, row, &mut s);
                buf.extend_from_slice(s.as_bytes());
            }
        }
        Ok(())
    }

    fn finish(&mut self, buf: &mut Vec<u8>) {
        if self.rows_seen == 0 {
            if !self.framed() {
                return;
            }
            self.head(buf);
        }
        if let Some(t) = &self.template {
            buf.extend_from_slice(t.tail().as_bytes());
            return;
        }
        match self.format {
            Format::Json => {
                buf.push(b']');
                if self.callback.is_some() {
                    buf.extend_from_slice(b");");
                }
            }
            Format::Xml => buf.extend_from_slice(XML_TAIL.as_bytes()),
            Format::Plain | Format::Csv => {}
        }
    }
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

    /// A streamed table: the body is produced chunk by chunk as rows arrive from the cursor,
    /// with the same text per row as [`Rendering::render`]. An error after the first chunk
    /// ends the body early (the client sees a truncated transfer, never a silent cut).
    pub fn render_stream(&self, rows: RowStream) -> Streamed {
        let (content_type, attachment) = match (&rows.template, self.format) {
            (Some(_), _) | (None, Format::Plain) => (HTML, None),
            (None, Format::Json) if self.callback.is_some() => (JS, None),
            (None, Format::Json) => (JSON, None),
            (None, Format::Xml) => (XML, None),
            (None, Format::Csv) => (CSV, Some("export.csv")),
        };
        let encoder = Encoder {
            format: self.format,
            callback: self.callback.clone(),
            template: rows.template,
            columns: rows.columns,
            plain_header: rows.plain_header,
            rows_seen: 0,
        };
        let body = futures_util::stream::unfold(Some((rows.rows, encoder)), |state| async move {
            let (mut rows, mut enc) = state?;
            let mut buf = Vec::with_capacity(CHUNK + 4096);
            loop {
                match rows.next().await {
                    Some(Ok(row)) => {
                        if let Err(e) = enc.row(&row, &mut buf) {
                            return Some((Err(e), None));
                        }
                        if buf.len() >= CHUNK {
                            return Some((Ok(Bytes::from(buf)), Some((rows, enc))));
                        }
                    }
                    Some(Err(e)) => return Some((Err(e), None)),
                    None => {
                        enc.finish(&mut buf);
                        return Some((Ok(Bytes::from(buf)), None));
                    }
                }
            }
        });
        Streamed {
            content_type,
            attachment,
            body: body.boxed(),
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

/// An output as JSON text, serialized straight from the rows (no intermediate `Value` tree:
/// this is the hot path of every json answer).
fn json_text(out: &Output) -> String {
    // Serializing strings and nulls into a Vec cannot fail.
    serde_json::to_string(&JsonOut(out)).unwrap_or_default()
}

struct JsonOut<'a>(&'a Output);

/// A live read some nodes did not answer: the rows plus `missing_nodes` (a list is wrapped in
/// `{"rows": …}`, only while a node is missing).
fn partial_json(out: &Output, missing: &[String]) -> Value {
    let missing = Value::Array(missing.iter().cloned().map(Value::String).collect());
    match serde_json::to_value(JsonOut(out)).unwrap_or_default() {
        Value::Object(mut map) => {
            map.insert("missing_nodes".into(), missing);
            Value::Object(map)
        }
        other => {
            let mut map = Map::new();
            map.insert("rows".into(), other);
            map.insert("missing_nodes".into(), missing);
            Value::Object(map)
        }
    }
}

/// One row as an object of its columns (all strings or null).
struct JsonRow<'a> {
    columns: &'a [String],
    row: &'a [Cell],
}

impl<'a> JsonRow<'a> {
    fn of(table: &'a Table, row: &'a [Cell]) -> Self {
        JsonRow {
            columns: &table.columns,
            row,
        }
    }
}

impl serde::Serialize for JsonRow<'_> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let mut map = s.serialize_map(Some(self.columns.len()))?;
        for (name, cell) in self.columns.iter().zip(self.row) {
            map.serialize_entry(name, cell)?;
        }
        map.end()
    }
}

impl serde::Serialize for JsonOut<'_> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::{SerializeMap, SerializeSeq};
        match self.0 {
            Output::Table(t) => {
                let mut seq = s.serialize_seq(Some(t.rows.len()))?;
                for r in &t.rows {
                    seq.serialize_element(&JsonRow::of(t, r))?;
                }
                seq.end()
            }
            Output::Keyed { key, table } => {
                let mut map = s.serialize_map(Some(table.rows.len()))?;
                for r in &table.rows {
                    let id = r.get(*key).and_then(|c| c.as_deref()).unwrap_or_default();
                    map.serialize_entry(id, &JsonRow::of(table, r))?;
                }
                map.end()
            }
            Output::Record { columns, row } => match row {
                Some(row) => JsonRow { columns, row }.serialize(s),
                None => s.serialize_map(Some(0))?.end(),
            },
            Output::Value { name, value } => {
                let mut map = s.serialize_map(Some(1))?;
                map.serialize_entry(name, value)?;
                map.end()
            }
            Output::Text(t) | Output::Line(t) => s.serialize_str(t),
            Output::File(f) => s.serialize_str(&file_label(f)),
            Output::Reply { json, .. } => json.serialize(s),
            Output::Partial { out, missing } => partial_json(out, missing).serialize(s),
            // Streams are rendered by `render_stream`; never buffered.
            Output::Stream(_) => s.serialize_seq(Some(0))?.end(),
        }
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

fn plain(out: &Output) -> String {
    if is_empty(out) {
        return String::new();
    }
    match out {
        Output::Table(t) => {
            let mut s = match t.plain_header {
                Some(h) => h.to_string(),
                None => t.columns.join("|"),
            };
            // A header that ends with `|` (VOICEMAIL list) means every row does too.
            let trailing = s.ends_with('|');
            s.push('\n');
            for row in &t.rows {
                plain_row(row, &mut s);
                if trailing {
                    s.insert(s.len() - 1, '|');
                }
            }
            s
        }
        // MANAGEDB rows: upstream answers JSON whatever the format, and clients parse it.
        Output::Keyed { .. } | Output::Record { .. } => json_text(out),
        Output::Value { value, .. } => plain_cell(value.as_deref().unwrap_or("")).into_owned(),
        Output::Text(t) | Output::Line(t) => t.clone(),
        Output::File(f) => file_label(f),
        Output::Reply { plain, .. } => plain.clone(),
        Output::Partial { out, missing } => format!(
            "{}Note: no answer from node(s) {}\n",
            plain(out),
            missing.join(", ")
        ),
        Output::Stream(_) => String::new(),
    }
}

fn plain_row(row: &[Cell], s: &mut String) {
    for (i, cell) in row.iter().enumerate() {
        if i > 0 {
            s.push('|');
        }
        s.push_str(&plain_cell(cell.as_deref().unwrap_or("")));
    }
    s.push('\n');
}

/// A cell as the plain format prints it: a control character (CR or LF would split the row
/// and forge a line) becomes a space.
pub fn plain_cell(v: &str) -> Cow<'_, str> {
    if v.chars().any(char::is_control) {
        Cow::Owned(
            v.chars()
                .map(|c| if c.is_control() { ' ' } else { c })
                .collect(),
        )
    } else {
        Cow::Borrowed(v)
    }
}

/// Text as XML 1.0 element content: markup escaped, CR kept as `&#13;` (a parser would turn a
/// raw one into LF), characters XML forbids replaced by U+FFFD so the document stays well formed.
pub fn xml_text(v: &str) -> Cow<'_, str> {
    let escaped = quick_xml::escape::escape(v);
    if escaped.chars().all(|c| xml_char(c) && c != '\r') {
        return escaped;
    }
    let mut s = String::with_capacity(escaped.len() + 8);
    for c in escaped.chars() {
        match c {
            '\r' => s.push_str("&#13;"),
            c if xml_char(c) => s.push(c),
            _ => s.push('\u{FFFD}'),
        }
    }
    Cow::Owned(s)
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

fn xml(out: &Output) -> String {
    let t = as_table(out);
    let mut s = String::from(XML_HEAD);
    for row in &t.rows {
        xml_row(&t.columns, row, &mut s);
    }
    s.push_str(XML_TAIL);
    s
}

const XML_HEAD: &str = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<response>\n";
const XML_TAIL: &str = "</response>\n";

fn xml_row(columns: &[String], row: &[Cell], s: &mut String) {
    use std::fmt::Write;
    s.push_str("<row>");
    for (name, cell) in columns.iter().zip(row) {
        // Writing into a String cannot fail.
        let _ = match cell {
            Some(v) => write!(s, "<{name}>{}</{name}>", xml_text(v)),
            None => write!(s, "<{name} null=\"true\"/>"),
        };
    }
    s.push_str("</row>\n");
}

fn csv_body(out: &Output) -> String {
    let t = as_table(out);
    let mut buf = Vec::new();
    csv_record(&mut buf, &t.columns);
    for row in &t.rows {
        csv_record(&mut buf, row.iter().map(|c| c.as_deref().unwrap_or("")));
    }
    String::from_utf8(buf).unwrap_or_default()
}

/// One RFC 4180 record (quoted where needed), appended to `buf`; every field goes through
/// [`csv_cell`].
fn csv_record<I, T>(buf: &mut Vec<u8>, fields: I)
where
    I: IntoIterator<Item = T>,
    T: AsRef<str>,
{
    let mut w = csv::WriterBuilder::new()
        .buffer_capacity(512)
        .from_writer(buf);
    // Writing into a Vec cannot fail.
    for f in fields {
        let _ = w.write_field(csv_cell(f.as_ref()).as_bytes());
    }
    let _ = w.write_record(None::<&[u8]>);
    let _ = w.flush();
}

/// A CSV cell that a spreadsheet will not evaluate (formula injection, OWASP): a cell starting
/// with `=`, `+`, `-`, `@`, tab or CR gets a leading `'`, unless it is a plain number
/// (`+390612345`, `-5`, `-0.25`), which a spreadsheet reads as the number it is.
pub fn csv_cell(v: &str) -> Cow<'_, str> {
    let risky = v.starts_with(['=', '+', '-', '@', '\t', '\r']);
    if risky && !is_plain_number(v) {
        Cow::Owned(format!("'{v}"))
    } else {
        Cow::Borrowed(v)
    }
}

/// An optional sign, digits, and optionally a point and more digits.
fn is_plain_number(v: &str) -> bool {
    let unsigned = v.strip_prefix(['+', '-']).unwrap_or(v);
    let (int, frac) = unsigned.split_once('.').unwrap_or((unsigned, "0"));
    let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    digits(int) && digits(frac)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn table() -> Table {
        let mut t = Table::new(vec!["a".into(), "b".into()]);
        t.rows.push(vec![Some("1".into()), None]);
        t.rows
            .push(vec![Some("x,\"y\"".into()), Some("<&>".into())]);
        t
    }

    #[test]
    fn json_scalars_are_strings_and_null_is_null() {
        let r = Rendering {
            format: Format::Json,
            callback: None,
        }
        .render(&Output::Table(table()));
        assert_eq!(
            String::from_utf8(r.body).unwrap(),
            r#"[{"a":"1","b":null},{"a":"x,\"y\"","b":"<&>"}]"#
        );
    }

    #[test]
    fn keyed_and_empty_outputs_are_valid_json() {
        let json = Rendering {
            format: Format::Json,
            callback: None,
        };
        let keyed = json.render(&Output::Keyed {
            key: 0,
            table: table(),
        });
        assert!(String::from_utf8(keyed.body)
            .unwrap()
            .starts_with(r#"{"1":{"a":"1""#));
        let empty = json.render(&Output::Table(Table::new(vec!["a".into()])));
        assert_eq!(empty.body, b"[]");
        let miss = json.render(&Output::Record {
            columns: vec![],
            row: None,
        });
        assert_eq!(miss.body, b"{}");
    }

    #[test]
    fn csv_quotes_and_xml_escapes() {
        let csv = Rendering {
            format: Format::Csv,
            callback: None,
        }
        .render(&Output::Table(table()));
        assert_eq!(
            String::from_utf8(csv.body).unwrap(),
            "a,b\n1,\n\"x,\"\"y\"\"\",<&>\n"
        );
        let xml = Rendering {
            format: Format::Xml,
            callback: None,
        }
        .render(&Output::Table(table()));
        let body = String::from_utf8(xml.body).unwrap();
        assert!(body.contains("<b>&lt;&amp;&gt;</b>"), "{body}");
    }

    #[test]
    fn csv_cells_that_a_spreadsheet_would_evaluate_get_a_quote() {
        for (cell, out) in [
            ("=1+1", "'=1+1"),
            ("+cmd|' /C calc'!A0", "'+cmd|' /C calc'!A0"),
            ("-2+3", "'-2+3"),
            ("@SUM(A1)", "'@SUM(A1)"),
            ("\t=x", "'\t=x"),
            ("\r=x", "'\r=x"),
            ("-", "'-"),
            ("+", "'+"),
            ("+390612345", "+390612345"),
            ("-5", "-5"),
            ("-0.25", "-0.25"),
            ("12", "12"),
            ("a=b", "a=b"),
            ("", ""),
        ] {
            assert_eq!(csv_cell(cell), out, "{cell:?}");
        }
    }

    #[test]
    fn plain_cells_stay_on_one_line_and_xml_stays_well_formed() {
        assert_eq!(plain_cell("a\r\nb\u{1b}c"), "a  b c");
        assert_eq!(
            xml_text("a\u{1}\u{b}]]><\r\n\t\u{FFFF}é"),
            "a\u{FFFD}\u{FFFD}]]&gt;&lt;&#13;\n\t\u{FFFD}é"
        );
        assert_eq!(xml_safe("<a>\u{1}</a>"), "<a>\u{FFFD}</a>");
    }

    #[test]
    fn callback_is_validated() {
        assert!(Callback::parse("jQuery123_cb.done").is_ok());
        for bad in ["", "1abc", "alert(1)", "a b", "x;y", &"a".repeat(65)] {
            assert!(Callback::parse(bad).is_err(), "{bad}");
        }
    }
}
