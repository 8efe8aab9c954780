//! The xml format: `<response>` with one `<row>` per row, text escaped as XML 1.0 content.

use std::borrow::Cow;

use super::{as_table, xml_char, Cell, Output};

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

pub(super) fn xml(out: &Output) -> String {
    let t = as_table(out);
    let mut s = String::from(XML_HEAD);
    for row in &t.rows {
        xml_row(&t.columns, row, &mut s);
    }
    s.push_str(XML_TAIL);
    s
}

pub(super) const XML_HEAD: &str = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<response>\n";
pub(super) const XML_TAIL: &str = "</response>\n";

pub(super) fn xml_row(columns: &[String], row: &[Cell], s: &mut String) {
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
