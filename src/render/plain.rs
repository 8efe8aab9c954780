//! The plain format: a `|`-separated header line and rows, one per line.

use std::borrow::Cow;

use super::json::json_text;
use super::{file_label, is_empty, Cell, Output};

pub(super) fn plain(out: &Output) -> String {
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

pub(super) fn plain_row(row: &[Cell], s: &mut String) {
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
