//! The `filter` language of MANAGEDB list (upstream: a raw SQL fragment such as
//! `te_disabled='on'`). Here it is parsed into a condition over the object's own columns and
//! bound values; nothing of it is ever spliced into SQL.
//!
//! ```text
//! expr   := term ("or" term)*
//! term   := factor ("and" factor)*
//! factor := "not" factor | "(" expr ")" | column op value | column "is" ["not"] "null"
//! op     := = | != | <> | < | <= | > | >= | like | not like
//! value  := 'text' ('' escapes a quote) | number
//! ```

use super::Kind;
use crate::error::{ApiError, ApiResult};
use sea_orm::sea_query::{Condition, Expr, ExprTrait, SimpleExpr};
use sea_orm::Value;

const MAX_LEN: usize = 2000;
const MAX_DEPTH: usize = 16;

#[derive(Debug, Clone, PartialEq)]
enum Tok {
    Ident(String),
    Str(String),
    Num(String),
    Op(&'static str),
    Open,
    Close,
}

fn err(msg: impl std::fmt::Display) -> ApiError {
    ApiError::invalid(format!("filter: {msg}"))
}

fn lex(s: &str) -> ApiResult<Vec<Tok>> {
    let chars: Vec<char> = s.chars().collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        match c {
            c if c.is_whitespace() => i += 1,
            '(' => {
                out.push(Tok::Open);
                i += 1
            }
            ')' => {
                out.push(Tok::Close);
                i += 1
            }
            '\'' => {
                let mut v = String::new();
                i += 1;
                loop {
                    match chars.get(i) {
                        None => return Err(err("unterminated string")),
                        Some('\'') if chars.get(i + 1) == Some(&'\'') => {
                            v.push('\'');
                            i += 2
                        }
                        Some('\'') => {
                            i += 1;
                            break;
                        }
                        Some(ch) => {
                            v.push(*ch);
                            i += 1
                        }
                    }
                }
                out.push(Tok::Str(v));
            }
            '=' => {
                out.push(Tok::Op("="));
                i += 1
            }
            '!' | '<' | '>' => {
                let two: String = chars[i..chars.len().min(i + 2)].iter().collect();
                let op = match two.as_str() {
                    "!=" | "<>" => "!=",
                    "<=" => "<=",
                    ">=" => ">=",
                    _ if c == '<' => "<",
                    _ if c == '>' => ">",
                    _ => return Err(err(format!("unexpected '{c}'"))),
                };
                i += if op.len() == 2 || two == "<>" { 2 } else { 1 };
                out.push(Tok::Op(op));
            }
            c if c.is_ascii_digit() || c == '-' => {
                let start = i;
                i += 1;
                while i < chars.len() && (chars[i].is_ascii_digit() || chars[i] == '.') {
                    i += 1
                }
                out.push(Tok::Num(chars[start..i].iter().collect()));
            }
            c if c.is_ascii_alphabetic() || c == '_' => {
                let start = i;
                while i < chars.len() && (chars[i].is_ascii_alphanumeric() || chars[i] == '_') {
                    i += 1
                }
                out.push(Tok::Ident(chars[start..i].iter().collect()));
            }
            other => return Err(err(format!("unexpected character '{other}'"))),
        }
    }
    Ok(out)
}

struct Parser<'a> {
    toks: Vec<Tok>,
    pos: usize,
    columns: &'a [(&'static str, Kind)],
    depth: usize,
}

impl Parser<'_> {
    fn peek_word(&self, w: &str) -> bool {
        matches!(self.toks.get(self.pos), Some(Tok::Ident(s)) if s.eq_ignore_ascii_case(w))
    }
    fn next(&mut self) -> Option<Tok> {
        let t = self.toks.get(self.pos).cloned();
        self.pos += 1;
        t
    }
    fn expr(&mut self) -> ApiResult<Condition> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return Err(err("nested too deeply"));
        }
        let mut cond = Condition::any().add(self.term()?);
        while self.peek_word("or") {
            self.pos += 1;
            cond = cond.add(self.term()?);
        }
        self.depth -= 1;
        Ok(cond)
    }
    fn term(&mut self) -> ApiResult<Condition> {
        let mut cond = Condition::all().add(self.factor()?);
        while self.peek_word("and") {
            self.pos += 1;
            cond = cond.add(self.factor()?);
        }
        Ok(cond)
    }
    fn factor(&mut self) -> ApiResult<Condition> {
        if self.peek_word("not") {
            self.pos += 1;
            return Ok(self.factor()?.not());
        }
        match self.next() {
            Some(Tok::Open) => {
                let inner = self.expr()?;
                match self.next() {
                    Some(Tok::Close) => Ok(inner),
                    _ => Err(err("missing ')'")),
                }
            }
            Some(Tok::Ident(name)) => self.comparison(&name),
            Some(other) => Err(err(format!("expected a column name, found {other:?}"))),
            None => Err(err("unexpected end")),
        }
    }
    fn comparison(&mut self, name: &str) -> ApiResult<Condition> {
        let (col, kind) = *self
            .columns
            .iter()
            .find(|(c, _)| c.eq_ignore_ascii_case(name))
            .ok_or_else(|| err(format!("unknown column '{name}'")))?;
        if self.peek_word("is") {
            self.pos += 1;
            let negated = self.peek_word("not");
            if negated {
                self.pos += 1
            }
            if !self.peek_word("null") {
                return Err(err("expected NULL after IS"));
            }
            self.pos += 1;
            let e = Expr::col(col);
            return Ok(Condition::all().add(if negated {
                e.is_not_null()
            } else {
                e.is_null()
            }));
        }
        let op = if self.peek_word("like") {
            self.pos += 1;
            "like"
        } else if self.peek_word("not") {
            self.pos += 1;
            if !self.peek_word("like") {
                return Err(err("expected LIKE after NOT"));
            }
            self.pos += 1;
            "not like"
        } else {
            match self.next() {
                Some(Tok::Op(op)) => op,
                _ => return Err(err(format!("expected an operator after '{col}'"))),
            }
        };
        let raw = match self.next() {
            Some(Tok::Str(s)) | Some(Tok::Num(s)) => s,
            _ => return Err(err(format!("expected a value after '{col} {op}'"))),
        };
        let value: Value = match kind {
            Kind::Int | Kind::OptInt if !op.contains("like") => {
                Value::Int(Some(raw.parse().map_err(|_| {
                    err(format!("'{raw}' is not an integer for '{col}'"))
                })?))
            }
            Kind::Double if !op.contains("like") => Value::Double(Some(
                raw.parse()
                    .map_err(|_| err(format!("'{raw}' is not a number for '{col}'")))?,
            )),
            _ => Value::String(Some(raw)),
        };
        let e = Expr::col(col);
        let cmp: SimpleExpr = match op {
            "=" => e.eq(value),
            "!=" => e.ne(value),
            "<" => e.lt(value),
            "<=" => e.lte(value),
            ">" => e.gt(value),
            ">=" => e.gte(value),
            "like" => e.like(crate::objects::input::value_text(&value)),
            _ => e.not_like(crate::objects::input::value_text(&value)),
        };
        Ok(Condition::all().add(cmp))
    }
}

/// Parse a filter over `columns` into a condition.
pub fn parse(text: &str, columns: &[(&'static str, Kind)]) -> ApiResult<Condition> {
    if text.len() > MAX_LEN {
        return Err(err(format!("longer than {MAX_LEN} characters")));
    }
    let mut p = Parser {
        toks: lex(text)?,
        pos: 0,
        columns,
        depth: 0,
    };
    let cond = p.expr()?;
    if p.pos < p.toks.len() {
        return Err(err(format!("unexpected {:?}", p.toks[p.pos])));
    }
    Ok(cond)
}

#[cfg(test)]
mod tests {
    use super::*;
    use sea_orm::sea_query::{Query, SqliteQueryBuilder};

    const COLS: &[(&str, Kind)] = &[
        ("te_id", Kind::Int),
        ("te_code", Kind::Text(20)),
        ("te_disabled", Kind::Flag),
    ];

    fn sql(f: &str) -> ApiResult<(String, Vec<String>)> {
        let (sql, values) = Query::select()
            .column("te_id")
            .from("t")
            .cond_where(parse(f, COLS)?)
            .build(SqliteQueryBuilder);
        Ok((sql, values.0.iter().map(|v| format!("{v:?}")).collect()))
    }

    #[test]
    fn values_are_bound_never_spliced() {
        let (q, v) = sql("te_disabled='on' and (te_code like 'A%' or te_id >= 3)").unwrap();
        assert!(!q.contains("'on'") && !q.contains("A%"), "{q}");
        assert_eq!(v.len(), 3, "{v:?}");
        let (q, _) = sql("te_code = 'x'' OR 1=1 --'").unwrap();
        assert!(!q.contains("OR 1=1"), "{q}");
    }

    #[test]
    fn anything_else_is_an_error() {
        for bad in [
            "te_code = 'x'; drop table te_tenants",
            "us_password = 'x'",
            "te_id = 1 union select 1",
            "1=1",
            "te_id = (select 1)",
            "te_code = 'unterminated",
            "te_id = 'abc'",
            &"(".repeat(40),
        ] {
            assert!(sql(bad).is_err(), "{bad} accepted");
        }
    }
}
