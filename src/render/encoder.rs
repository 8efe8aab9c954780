//! The streamed body: an encoder that turns rows into text one at a time, chunked for the socket.

use std::sync::Arc;

use actix_web::web::Bytes;
use futures_util::stream::StreamExt;

use super::csv::csv_record;
use super::json::JsonRow;
use super::plain::plain_row;
use super::xml::{xml_row, XML_HEAD, XML_TAIL};
use super::{
    Callback, Cell, Format, Rendering, RowStream, RowTemplate, Streamed, CSV, HTML, JS, JSON, XML,
};
use crate::error::ApiResult;

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

impl Rendering {
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
}
