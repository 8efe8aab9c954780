//! What every migration shares: the column kinds and the create/drop loops.
//!
//! Column kinds (the matching Rust types in the `entity` crate are given in brackets):
//! `id` auto-increment integer PK [i32], `int` integer NOT NULL DEFAULT 0 [i32],
//! `te` tenant reference, integer NOT NULL without default [i32], `intn` [Option<i32>],
//! `s` varchar NOT NULL DEFAULT '' [String], `sn` [Option<String>], `txt` nullable text
//! [Option<String>], `dt` datetime NOT NULL [NaiveDateTime], `dtn` [Option<NaiveDateTime>],
//! `flag` boolean NOT NULL DEFAULT false [bool], `dbl` double NOT NULL DEFAULT 0 [f64],
//! `pks` varchar PK, not auto-generated [String].

use sea_orm_migration::{prelude::*, schema::*};

pub type C = &'static str;

/// An index: name, table, columns, unique.
pub type IndexDef = (C, C, &'static [C], bool);

#[rustfmt::skip]
mod kinds {
    use super::*;
    pub fn id(c: C) -> ColumnDef { pk_auto(c) }
    pub fn int(c: C) -> ColumnDef { integer(c).default(0).take() }
    pub fn te(c: C) -> ColumnDef { integer(c) }
    pub fn intn(c: C) -> ColumnDef { integer_null(c) }
    pub fn s(c: C, n: u32) -> ColumnDef { string_len(c, n).default("").take() }
    pub fn sn(c: C, n: u32) -> ColumnDef { string_len_null(c, n) }
    pub fn txt(c: C) -> ColumnDef { text_null(c) }
    pub fn dt(c: C) -> ColumnDef { date_time(c) }
    pub fn dtn(c: C) -> ColumnDef { date_time_null(c) }
    pub fn flag(c: C) -> ColumnDef { boolean(c).default(false).take() }
    pub fn dbl(c: C) -> ColumnDef { double(c).default(0.0).take() }
    pub fn pks(c: C, n: u32) -> ColumnDef { string_len(c, n).primary_key().take() }
}
pub use kinds::*;

/// Create the tables in order, then the indexes.
pub async fn create(
    manager: &SchemaManager<'_>,
    tables: Vec<(C, Vec<ColumnDef>)>,
    indexes: &[IndexDef],
) -> Result<(), DbErr> {
    for (table, cols) in tables {
        let mut stmt = Table::create().table(table).take();
        for col in cols {
            stmt.col(col);
        }
        manager.create_table(stmt).await?;
    }
    for &(name, table, cols, unique) in indexes {
        let mut stmt = Index::create().name(name).table(table).take();
        for &col in cols {
            stmt.col(col);
        }
        if unique {
            stmt.unique();
        }
        manager.create_index(stmt).await?;
    }
    Ok(())
}

/// Drop the tables in reverse creation order (their indexes go with them).
pub async fn drop(
    manager: &SchemaManager<'_>,
    tables: Vec<(C, Vec<ColumnDef>)>,
) -> Result<(), DbErr> {
    for (table, _) in tables.into_iter().rev() {
        manager
            .drop_table(Table::drop().table(table).take())
            .await?;
    }
    Ok(())
}
