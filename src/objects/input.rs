//! `jsondata` → typed column values. Parsing happens once, at the edge: unknown fields, read-only
//! fields, wrong types, over-long text and missing required fields are errors naming the field.

use super::{Access, Field, Kind, Object, Op};
use crate::error::{ApiError, ApiResult};
use sea_orm::Value;
use serde_json::Value as Json;

/// Parsed write input: column values in descriptor order, plus non-column extras.
#[derive(Debug, Default, Clone)]
pub struct Input {
    pub columns: Vec<(&'static Field, Value)>,
    pub extras: Vec<(&'static Field, Option<String>)>,
}

impl Input {
    /// `jsondata` (absent or empty = no fields) for `op` on `obj`; see [`parse`].
    pub fn parse(obj: &'static Object, op: Op, jsondata: Option<&str>) -> ApiResult<Input> {
        parse(obj, op, jsondata)
    }

    /// `jsondata` to update row `id`; see [`parse_update`].
    pub fn parse_update(obj: &'static Object, id: i32, jsondata: Option<&str>) -> ApiResult<Input> {
        parse_update(obj, id, jsondata)
    }

    /// The text of a column value, if given.
    pub fn text(&self, name: &str) -> Option<&str> {
        self.columns
            .iter()
            .find(|(f, _)| f.name == name)
            .and_then(|(_, v)| match v {
                Value::String(Some(s)) => Some(s.as_str()),
                _ => None,
            })
    }
    pub fn has(&self, name: &str) -> bool {
        self.columns.iter().any(|(f, _)| f.name == name)
    }
    pub fn extra(&self, name: &str) -> Option<&str> {
        self.extras
            .iter()
            .find(|(f, _)| f.name == name)
            .and_then(|(_, v)| v.as_deref())
    }
    /// Set (or replace) a column value chosen by the server.
    pub fn set(&mut self, obj: &Object, name: &str, value: Value) {
        if let Some(slot) = self.columns.iter_mut().find(|(f, _)| f.name == name) {
            slot.1 = value;
        } else if let Some(field) = obj.field(name) {
            self.columns.push((field, value));
        }
    }
}

/// Parse `jsondata` (a JSON object) for `op` on `obj`.
pub fn parse(obj: &'static Object, op: Op, jsondata: Option<&str>) -> ApiResult<Input> {
    from_json(obj, op, &json_map(jsondata)?)
}

/// Parse `jsondata` to update row `id`: the row's own primary key may be repeated in it (the
/// manual's custom update sends `cu_id`) and is then ignored; any other value is an error.
pub fn parse_update(obj: &'static Object, id: i32, jsondata: Option<&str>) -> ApiResult<Input> {
    let mut map = json_map(jsondata)?;
    if let Some(v) = map.remove(obj.pk) {
        let same = match &v {
            Json::String(s) => s.trim().parse::<i64>().ok() == Some(i64::from(id)),
            Json::Number(n) => n.as_i64() == Some(i64::from(id)),
            _ => false,
        };
        if !same {
            return Err(ApiError::invalid(format!(
                "field '{}' ({v}) is not objectid {id}: the primary key cannot change",
                obj.pk
            )));
        }
    }
    from_json(obj, Op::Update, &map)
}

fn json_map(jsondata: Option<&str>) -> ApiResult<serde_json::Map<String, Json>> {
    Ok(match jsondata.map(str::trim) {
        None | Some("") => serde_json::Map::new(),
        Some(text) => match serde_json::from_str::<Json>(text) {
            Ok(Json::Object(map)) => map,
            Ok(_) => return Err(ApiError::invalid("jsondata must be a JSON object")),
            Err(e) => {
                return Err(ApiError::invalid(format!(
                    "jsondata is not valid JSON: {e}"
                )))
            }
        },
    })
}

/// The fields of a JSON object (jsondata already parsed, or built by the CLI) → input.
pub fn from_json(
    obj: &'static Object,
    op: Op,
    map: &serde_json::Map<String, Json>,
) -> ApiResult<Input> {
    let mut input = Input::default();
    for (name, value) in map {
        if let Some(field) = obj.field(name) {
            if !field.writable_on(op) {
                let when = if field.access == Access::Once {
                    " after add"
                } else {
                    ""
                };
                return Err(ApiError::invalid(format!(
                    "field '{name}' of {} cannot be changed{when}",
                    obj.name
                )));
            }
            input.columns.push((field, column_value(field, value)?));
        } else if let Some(field) = obj.extra(name) {
            let v = column_value(field, value)?;
            input.extras.push((
                field,
                match v {
                    Value::String(s) => s,
                    other => Some(value_text(&other)),
                },
            ));
        } else if let Some(refusal) = super::realtime::refused(obj, name) {
            return Err(refusal);
        } else if name == obj.pk || Some(name.as_str()) == obj.tenant_col {
            return Err(ApiError::invalid(format!(
                "field '{name}' of {} is set by the server",
                obj.name
            )));
        } else {
            return Err(ApiError::invalid(format!(
                "unknown field '{name}' for object {}",
                obj.name
            )));
        }
    }
    if op == Op::Add {
        // Every missing one named at once; nothing is written.
        let missing: Vec<String> = obj
            .fields
            .iter()
            .filter(|f| matches!(f.access, Access::Required | Access::Once))
            .filter(|f| !input.has(f.name))
            .map(|f| format!("'{}'", f.name))
            .collect();
        match missing.len() {
            0 => {}
            1 => {
                return Err(ApiError::invalid(format!(
                    "field {} is required to add {}",
                    missing[0],
                    obj.a()
                )))
            }
            _ => {
                return Err(ApiError::invalid(format!(
                    "fields {} are required to add {}",
                    missing.join(", "),
                    obj.a()
                )))
            }
        }
    }
    Ok(input)
}

/// One JSON value → the column's typed value (text forms of numbers accepted, as PHP clients
/// send everything as strings).
fn column_value(field: &Field, value: &Json) -> ApiResult<Value> {
    let name = field.name;
    let bad = |what: &str| ApiError::invalid(format!("field '{name}' {what}"));
    let text = match value {
        Json::String(s) => Some(s.trim().to_string()),
        Json::Number(n) => Some(n.to_string()),
        Json::Bool(b) => Some(if *b { "on" } else { "" }.to_string()),
        Json::Null => None,
        Json::Array(_) | Json::Object(_) => {
            return Err(bad("must be a single value, not a list or object"))
        }
    };
    let nullable =
        field.clearable || matches!(field.kind, Kind::OptInt | Kind::OptText(_) | Kind::Secret);
    let Some(text) = text else {
        return if nullable {
            Ok(null_of(field.kind))
        } else {
            Err(bad("must not be null"))
        };
    };
    if field.clearable && text.is_empty() {
        return Ok(null_of(field.kind));
    }
    if let Some(check) = field.check {
        check(&text).map_err(|e| bad(&e))?;
    }
    Ok(match field.kind {
        Kind::Int | Kind::OptInt => {
            if text.is_empty() && field.kind == Kind::OptInt {
                Value::Int(None)
            } else {
                Value::Int(Some(
                    text.parse::<i32>().map_err(|_| bad("must be an integer"))?,
                ))
            }
        }
        Kind::Double => Value::Double(Some(
            text.parse::<f64>()
                .ok()
                .filter(|f| f.is_finite())
                .ok_or_else(|| bad("must be a number"))?,
        )),
        Kind::Text(max) | Kind::OptText(max) => {
            if text.chars().count() > max {
                return Err(bad(&format!("is longer than {max} characters")));
            }
            if !crate::text::clean(&text, field.multiline) {
                return Err(bad(if field.multiline {
                    "must not contain control characters other than newline and tab"
                } else {
                    "must not contain control characters"
                }));
            }
            Value::String(Some(text))
        }
        Kind::Flag => Value::String(Some(
            match text.to_ascii_lowercase().as_str() {
                "on" | "yes" | "1" | "true" => "on",
                "" | "off" | "no" | "0" | "false" => "",
                _ => return Err(bad("must be 'on' or '' (or yes/no)")),
            }
            .to_string(),
        )),
        Kind::Choice(options) => Value::String(Some(
            options
                .iter()
                .find(|o| o.eq_ignore_ascii_case(&text))
                .ok_or_else(|| bad(&format!("must be one of {}", options.join(", "))))?
                .to_string(),
        )),
        Kind::Secret => {
            if text.chars().count() > 128 {
                return Err(bad("is longer than 128 characters"));
            }
            Value::String(Some(text))
        }
        Kind::DateTime => return Err(bad("is set by the server")),
    })
}

fn null_of(kind: Kind) -> Value {
    match kind {
        Kind::Int | Kind::OptInt => Value::Int(None),
        Kind::Double => Value::Double(None),
        _ => Value::String(None),
    }
}

/// A value as the text a client would see (for statement echoes and hooks).
pub fn value_text(v: &Value) -> String {
    match v {
        Value::String(Some(s)) => s.clone(),
        Value::Int(Some(i)) => i.to_string(),
        Value::Double(Some(f)) => f.to_string(),
        Value::ChronoDateTime(Some(d)) => d.format("%Y-%m-%d %H:%M:%S").to_string(),
        _ => String::new(),
    }
}
