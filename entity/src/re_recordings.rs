//! `re_recordings` table (schema: migration `m20261122_000004_cdr`).

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "re_recordings")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub re_id: i32,
    pub re_te_id: i32,
    pub re_uniqueid: String,
    pub re_date: DateTime,
    pub re_name: String,
    pub re_format: String,
    pub re_size: i32,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
