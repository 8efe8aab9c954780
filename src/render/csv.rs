//! The csv format: RFC 4180 records, cells a spreadsheet would evaluate neutralised.

use std::borrow::Cow;

use super::{as_table, Output};

pub(super) fn csv_body(out: &Output) -> String {
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
pub(super) fn csv_record<I, T>(buf: &mut Vec<u8>, fields: I)
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
