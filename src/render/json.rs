//! The json format: outputs serialized straight from the rows.

use serde_json::{Map, Value};

use super::{file_label, Cell, Output, Table};

/// An output as JSON text, serialized straight from the rows (no intermediate `Value` tree:
/// this is the hot path of every json answer).
pub(super) fn json_text(out: &Output) -> String {
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
pub(super) struct JsonRow<'a> {
    pub(super) columns: &'a [String],
    pub(super) row: &'a [Cell],
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
