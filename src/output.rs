//! What the domain answers: rows of text cells, one record, a value, text, a file, or rows
//! streamed from a cursor. A neutral table type: `render/` turns it into bytes for a front door.

use crate::error::ApiResult;
use futures_util::stream::BoxStream;
use serde_json::Value;
use std::path::PathBuf;
use std::sync::Arc;

/// One cell: a database value as text, or SQL NULL.
pub type Cell = Option<String>;

/// What a read-only key sees in place of a secret the database holds in clear (device
/// passwords, voicemail and conference PINs).
pub const MASK: &str = "********";

/// Mask a secret cell for a key that may only read (NULL stays NULL).
pub fn mask(cell: &mut Cell) {
    if cell.is_some() {
        *cell = Some(MASK.to_string());
    }
}

/// Ordered columns and their rows. `plain_header` replaces the column names in the plain
/// format where the upstream API prints human labels (`Number|Name|Tech|…`).
#[derive(Debug, Clone, Default)]
pub struct Table {
    pub columns: Vec<String>,
    pub plain_header: Option<&'static str>,
    pub rows: Vec<Vec<Cell>>,
}

impl Table {
    pub fn new(columns: Vec<String>) -> Self {
        Table {
            columns,
            plain_header: None,
            rows: Vec::new(),
        }
    }
    pub fn with_plain_header(mut self, header: &'static str) -> Self {
        self.plain_header = Some(header);
        self
    }
    /// Print the (UTC) times of these columns as wall-clock times in `tz`.
    pub fn localize(mut self, columns: &[&str], tz: chrono_tz::Tz) -> Self {
        let at: Vec<usize> = columns
            .iter()
            .filter_map(|c| self.columns.iter().position(|n| n == c))
            .collect();
        for row in &mut self.rows {
            for &i in &at {
                if let Some(cell) = row.get_mut(i) {
                    crate::time::localize_cell(cell, tz);
                }
            }
        }
        self
    }
}

/// A text template that formats rows itself (stored CDR templates): text once before the
/// rows, one piece per row, text once after.
pub trait RowTemplate: Send + Sync {
    fn head(&self) -> String;
    fn row(&self, columns: &[String], row: &[Cell]) -> ApiResult<String>;
    fn tail(&self) -> String;
}

/// Rows that come from a database cursor, rendered as they arrive (exports of any size).
pub struct RowStream {
    pub columns: Vec<String>,
    pub rows: BoxStream<'static, ApiResult<Vec<Cell>>>,
    /// Replaces the format (`format=xml&template=NAME`).
    pub template: Option<Arc<dyn RowTemplate>>,
    /// Replaces the column names in the plain header line (as [`Table::plain_header`]).
    pub plain_header: Option<&'static str>,
}

impl std::fmt::Debug for RowStream {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RowStream")
            .field("columns", &self.columns)
            .finish_non_exhaustive()
    }
}

/// What a handler answers.
#[derive(Debug)]
pub enum Output {
    /// Rows: plain = header line + `|`-joined rows (nothing at all when empty); json = array.
    Table(Table),
    /// MANAGEDB list: json = object keyed by the value of column `key` (`{"12":{…}}`).
    Keyed { key: usize, table: Table },
    /// One row (MANAGEDB get/add); `None` is a miss (`{}`).
    Record {
        columns: Vec<String>,
        row: Option<Vec<Cell>>,
    },
    /// A single named value (INFO balance, CDR get): plain = the bare value.
    Value { name: &'static str, value: Cell },
    /// Free text (statement echoes, HELP). json = a JSON string.
    Text(String),
    /// Text sent as it is whatever the format (INFO inforecording: clients split the line on
    /// `|` even when they asked for json); empty is a 0-byte body.
    Line(String),
    /// File bytes (media, recordings, voicemail): sent as they are, with HTTP Range, by the
    /// endpoint; the text formats only ever see its name.
    File(FileBody),
    /// A reply whose plain and json shapes differ (DIAL: `Success|…|<ID>|` and an object).
    Reply { plain: String, json: Value },
    /// Live data from the nodes that answered; `missing` names the nodes that did not
    /// (plain: a trailing note line; json: a `missing_nodes` field).
    Partial {
        out: Box<Output>,
        missing: Vec<String>,
    },
    /// A table streamed from the database: see [`Rendering::render_stream`].
    Stream(RowStream),
}

/// A file to send as the response body.
#[derive(Debug, Clone)]
pub struct FileBody {
    /// An absolute path already checked with `files::resolve_inside`.
    pub path: PathBuf,
    pub content_type: String,
    /// The name offered to the client (`Content-Disposition`).
    pub filename: Option<String>,
    /// `inline` (play in the browser) rather than `attachment` (download).
    pub inline: bool,
}
