//! Stored CDR templates (`format=xml&template=NAME`). Written in the upstream syntax — a loop
//! block `{row_loop}…{/row_loop}` repeated per row, `{$column}` substitutions, text outside the
//! loop emitted once; `\n`, `\r`, `\t` stand for newline, carriage return and tab — and
//! translated to handlebars once, when stored, so a mistake is reported to whoever stores it.
//!
//! Managed through MANAGEDB: `cdrtemplate` (a tenant's own, `tp_cdrtemplates`) and
//! `globalcdrtemplate` (admin, for every tenant, `gt_cdrtemplates`), described in the objects
//! registry. A name is looked up in the
//! caller's tenant first, then among the global ones.

use super::report::is_cdr_column;
use crate::auth::Caller;
use crate::db::Db;
use crate::error::{internal, ApiError, ApiResult};
use crate::output::{Cell, RowTemplate};
use handlebars::Handlebars;
use sea_orm::sea_query::{Expr, ExprTrait, Query};
use sea_orm::ConnectionTrait;
use serde::{Deserialize, Serialize};
use std::sync::Arc;

/// The handlebars sources of a template's three parts, and the literal texts they print
/// (stored as JSON in `*_compiled`). Literal text is data, not template source: `{{t.[N]}}`
/// prints text N and `{{r.[col]}}` a column of the row, so no user text is ever parsed by
/// handlebars (no escaping rules to get wrong).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Translated {
    pub head: String,
    pub row: String,
    pub tail: String,
    pub texts: Vec<String>,
}

const OPEN: &str = "{row_loop}";
const CLOSE: &str = "{/row_loop}";

/// Upstream text → handlebars. `Err` says what is wrong and where.
pub fn translate(source: &str) -> Result<Translated, String> {
    // Without a loop block the whole text is printed once, whatever the rows.
    let open = source.find(OPEN).unwrap_or(source.len());
    let after_open = source.get(open + OPEN.len()..).unwrap_or("");
    let close = match after_open.find(CLOSE) {
        Some(i) => i,
        None if open == source.len() => 0,
        None => return Err("{row_loop} is never closed by {/row_loop}".into()),
    };
    let (head, body, tail) = (
        &source[..open],
        &after_open[..close],
        after_open.get(close + CLOSE.len()..).unwrap_or(""),
    );
    if body.contains(OPEN) || tail.contains(OPEN) {
        return Err("only one {row_loop} block is allowed".into());
    }
    if head.contains(CLOSE) || tail.contains(CLOSE) {
        return Err("{/row_loop} without a matching {row_loop}".into());
    }
    let mut texts = Vec::new();
    let t = Translated {
        head: part(head, false, &mut texts)?,
        row: part(body, true, &mut texts)?,
        tail: part(tail, false, &mut texts)?,
        texts,
    };
    // The translation is ours, but check that handlebars agrees before storing it.
    registry(&t).map_err(|e| format!("template does not compile: {e}"))?;
    Ok(t)
}

/// One part: literal texts and `{$column}` substitutions.
fn part(text: &str, in_loop: bool, texts: &mut Vec<String>) -> Result<String, String> {
    let mut out = String::new();
    let mut literal = |s: &str, out: &mut String| {
        if !s.is_empty() {
            out.push_str(&format!("{{{{t.[{}]}}}}", texts.len()));
            texts.push(unescape(s));
        }
    };
    let mut rest = text;
    while let Some(i) = rest.find("{$") {
        literal(&rest[..i], &mut out);
        let after = &rest[i + 2..];
        let end = after
            .find('}')
            .ok_or_else(|| format!("'{{${}' is not closed by '}}'", short(after)))?;
        let name = &after[..end];
        if !is_cdr_column(name) {
            return Err(format!("unknown column '{{${name}}}'"));
        }
        if !in_loop {
            return Err(format!(
                "'{{${name}}}' is outside {{row_loop}}…{{/row_loop}}"
            ));
        }
        out.push_str(&format!("{{{{r.[{name}]}}}}"));
        rest = &after[end + 1..];
    }
    literal(rest, &mut out);
    Ok(out)
}

fn short(s: &str) -> &str {
    let end = s.char_indices().nth(20).map_or(s.len(), |(i, _)| i);
    &s[..end]
}

/// `\n`, `\r`, `\t` → newline, carriage return, tab; anything else as written.
fn unescape(text: &str) -> String {
    text.replace("\\n", "\n")
        .replace("\\r", "\r")
        .replace("\\t", "\t")
}

/// A template ready to render rows.
pub struct Compiled {
    hb: Handlebars<'static>,
    texts: serde_json::Value,
}

fn registry(t: &Translated) -> Result<Handlebars<'static>, handlebars::TemplateError> {
    let mut hb = Handlebars::new();
    hb.register_escape_fn(handlebars::no_escape);
    for (name, text) in [("head", &t.head), ("row", &t.row), ("tail", &t.tail)] {
        hb.register_template_string(name, text)?;
    }
    Ok(hb)
}

impl Compiled {
    pub fn new(t: &Translated) -> ApiResult<Compiled> {
        Ok(Compiled {
            hb: registry(t).map_err(internal)?,
            texts: t.texts.clone().into(),
        })
    }

    fn render(&self, name: &str, row: serde_json::Value) -> ApiResult<String> {
        let data = serde_json::json!({ "t": self.texts, "r": row });
        self.hb.render(name, &data).map_err(internal)
    }
}

impl RowTemplate for Compiled {
    fn head(&self) -> String {
        self.render("head", serde_json::Value::Null)
            .unwrap_or_default()
    }
    fn row(&self, columns: &[String], row: &[Cell]) -> ApiResult<String> {
        let map: serde_json::Map<String, serde_json::Value> = columns
            .iter()
            .zip(row)
            .map(|(c, v)| {
                let v = crate::text::xml_safe(v.as_deref().unwrap_or_default());
                (c.clone(), v.into_owned().into())
            })
            .collect();
        self.render("row", serde_json::Value::Object(map))
    }
    fn tail(&self) -> String {
        self.render("tail", serde_json::Value::Null)
            .unwrap_or_default()
    }
}

/// The template `name` as the caller sees it: the tenant's own first, then a global one.
pub async fn find(db: &Db, caller: &Caller, name: &str) -> ApiResult<Arc<Compiled>> {
    let mut sources = Vec::new();
    if let Some(t) = &caller.tenant {
        let mut q = Query::select();
        q.column("tp_compiled")
            .from("tp_cdrtemplates")
            .and_where(Expr::col("tp_te_id").eq(t.id))
            .and_where(Expr::col("tp_name").eq(name));
        sources.push(q);
    }
    let mut q = Query::select();
    q.column("gt_compiled")
        .from("gt_cdrtemplates")
        .and_where(Expr::col("gt_name").eq(name));
    sources.push(q);
    for q in sources {
        if let Some(row) = db.conn.query_one(&q).await? {
            let text: Option<String> = row.try_get_by_index(0).map_err(internal)?;
            let t: Translated =
                serde_json::from_str(text.as_deref().unwrap_or_default()).map_err(internal)?;
            return Ok(Arc::new(Compiled::new(&t)?));
        }
    }
    Err(ApiError::NotFound(format!(
        "parameter 'template': no template named '{name}'"
    )))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn render(source: &str, row: &[(&str, &str)]) -> String {
        let c = Compiled::new(&translate(source).unwrap()).unwrap();
        let cols: Vec<String> = row.iter().map(|(c, _)| c.to_string()).collect();
        let cells: Vec<Cell> = row.iter().map(|(_, v)| Some(v.to_string())).collect();
        format!("{}{}{}", c.head(), c.row(&cols, &cells).unwrap(), c.tail())
    }

    #[test]
    fn upstream_example() {
        let out = render(
            "<x>{{literal}} \\{row_loop}{$uniqueid},{$src}&\\n\\{{$ID}}{/row_loop}</x>",
            &[("uniqueid", "n1-1.2"), ("src", "<103>"), ("ID", "7")],
        );
        assert_eq!(out, "<x>{{literal}} \\n1-1.2,<103>&\n\\{7}</x>");
    }

    #[test]
    fn text_without_loop_is_printed_once() {
        assert_eq!(render("just text", &[]), "just text");
    }

    #[test]
    fn syntax_errors() {
        for (bad, says) in [
            ("text {/row_loop}", "without a matching"),
            ("{row_loop}x", "never closed"),
            ("{row_loop}{row_loop}{/row_loop}", "only one"),
            ("{/row_loop}{row_loop}{/row_loop}", "without a matching"),
            ("{row_loop}{$nope}{/row_loop}", "unknown column '{$nope}'"),
            ("{row_loop}{$src{/row_loop}", "is not closed"),
            ("{row_loop}{$src", "never closed"),
            ("{$src}{row_loop}{/row_loop}", "outside"),
        ] {
            let e = translate(bad).unwrap_err();
            assert!(e.contains(says), "{bad}: {e}");
        }
    }
}
