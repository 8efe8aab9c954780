//! CSV column layouts of INFO cdrs. A tenant's layout is `te_tenants.te_cdr_csv_layout`; the
//! admin layout (used for `tenant=%` and admin exports without a tenant) is the global setting
//! `cdr_csv_layout` in `gs_globalsettings`. Empty or absent means the spec's column list. A
//! layout is a comma list of CDR column names, checked when stored.

use super::report::{CDR_COLUMNS, CDR_EXTRA_COLUMNS};
use crate::auth::Caller;
use crate::db::Db;
use crate::error::{internal, ApiError, ApiResult};
use entity::gs_globalsettings;
use sea_orm::sea_query::{Expr, ExprTrait, OnConflict, Query};
use sea_orm::{ConnectionTrait, EntityTrait};

/// The name of the admin layout in `gs_globalsettings`.
pub const GLOBAL_LAYOUT: &str = "cdr_csv_layout";

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

/// The columns of the caller's CSV export.
pub async fn columns_for(db: &Db, caller: &Caller) -> ApiResult<Vec<&'static str>> {
    let stored = match &caller.tenant {
        Some(t) => {
            let mut q = Query::select();
            q.column("te_cdr_csv_layout")
                .from("te_tenants")
                .and_where(Expr::col("te_id").eq(t.id));
            match db.conn.query_one(&q).await? {
                Some(r) => r.try_get_by_index::<Option<String>>(0).map_err(internal)?,
                None => None,
            }
        }
        None => global(db).await?,
    };
    // Stored layouts were checked when written; a column list that no longer parses falls
    // back to the default rather than failing every export.
    Ok(parse(stored.as_deref().unwrap_or("")).unwrap_or_else(|_| CDR_COLUMNS.to_vec()))
}

pub async fn global(db: &Db) -> ApiResult<Option<String>> {
    Ok(
        gs_globalsettings::Entity::find_by_id(GLOBAL_LAYOUT.to_string())
            .one(&db.conn)
            .await?
            .and_then(|r| r.gs_value),
    )
}

/// Store the admin layout (checked first; empty = the default).
pub async fn set_global(db: &Db, text: &str) -> ApiResult<()> {
    parse(text).map_err(|e| ApiError::invalid(format!("layout: {e}")))?;
    let row = gs_globalsettings::ActiveModel {
        gs_name: sea_orm::Set(GLOBAL_LAYOUT.to_string()),
        gs_value: sea_orm::Set(Some(text.trim().to_string())),
    };
    let txn = db.begin_write().await?;
    gs_globalsettings::Entity::insert(row)
        .on_conflict(
            OnConflict::column(gs_globalsettings::Column::GsName)
                .update_column(gs_globalsettings::Column::GsValue)
                .to_owned(),
        )
        .exec_without_returning(&*txn)
        .await?;
    txn.commit().await?;
    Ok(())
}

/// Store a tenant's layout (checked first; empty = the default).
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
