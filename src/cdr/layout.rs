//! CSV column layouts of INFO cdrs: a comma list of CDR column names, checked when stored.
//! Where a layout comes from, first match wins:
//! 1. the tenant's `te_cdr_csv_layout` (MANAGEDB `tenant`, admin);
//! 2. the setting `CDR_CSV_LAYOUT` (reqtype SETTING): the tenant's own value, else the global
//!    value an admin set without `tenant=` — which is also the layout of `tenant=%` exports;
//! 3. the spec's column list.

use super::report::{CDR_COLUMNS, CDR_EXTRA_COLUMNS};
use crate::db::Db;
use crate::error::{internal, ApiError, ApiResult};
use sea_orm::sea_query::{Expr, ExprTrait, Query};
use sea_orm::ConnectionTrait;

/// The code of the layout among the settings (reqtype SETTING).
pub const SETTING: &str = "CDR_CSV_LAYOUT";

/// A layout's columns; an empty text is the default layout.
pub fn parse(text: &str) -> Result<Vec<&'static str>, String> {
    let mut cols: Vec<&'static str> = Vec::new();
    for name in text.split(',').map(str::trim).filter(|n| !n.is_empty()) {
        let Some(col) = CDR_COLUMNS
            .iter()
            .chain(CDR_EXTRA_COLUMNS)
            .find(|c| c.eq_ignore_ascii_case(name))
        else {
            return Err(format!(
                "unknown CDR column '{name}' (known: {}, {})",
                CDR_COLUMNS.join(","),
                CDR_EXTRA_COLUMNS.join(",")
            ));
        };
        if cols.contains(col) {
            return Err(format!("column '{col}' appears twice"));
        }
        cols.push(col);
    }
    if cols.is_empty() {
        cols = CDR_COLUMNS.to_vec();
    }
    Ok(cols)
}

/// The field check of `te_cdr_csv_layout`.
pub fn check(text: &str) -> Result<(), String> {
    parse(text).map(|_| ())
}

/// A tenant's own `te_cdr_csv_layout`, if it has one.
pub async fn tenant_layout(db: &Db, te_id: i32) -> ApiResult<Option<String>> {
    let mut q = Query::select();
    q.column("te_cdr_csv_layout")
        .from("te_tenants")
        .and_where(Expr::col("te_id").eq(te_id));
    Ok(match db.conn.query_one(&q).await? {
        Some(r) => r.try_get_by_index::<Option<String>>(0).map_err(internal)?,
        None => None,
    })
}

/// Store a tenant's `te_cdr_csv_layout` (checked first; empty = none).
pub async fn set_tenant(db: &Db, te_id: i32, text: &str) -> ApiResult<()> {
    parse(text).map_err(|e| ApiError::invalid(format!("layout: {e}")))?;
    let mut q = Query::update();
    q.table("te_tenants")
        .value("te_cdr_csv_layout", text.trim())
        .and_where(Expr::col("te_id").eq(te_id));
    let txn = db.begin_write().await?;
    txn.execute(&q).await?;
    txn.commit().await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn layouts_are_checked() {
        assert_eq!(parse("").unwrap(), CDR_COLUMNS);
        assert_eq!(
            parse("uniqueid, src ,lastdata").unwrap(),
            ["uniqueid", "src", "lastdata"]
        );
        assert_eq!(parse("id,START").unwrap(), ["ID", "start"]);
        assert!(parse("src,nope").unwrap_err().contains("'nope'"));
        assert!(parse("src,src").unwrap_err().contains("twice"));
        assert!(check("src;dst").is_err());
    }
}
