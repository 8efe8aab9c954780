//! `st_settings` table (schema: migration `m20261122_000003_account`).

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "st_settings")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub st_id: i32,
    pub st_te_id: i32,
    pub st_code: String,
    #[sea_orm(column_type = "Text", nullable)]
    pub st_value: Option<String>,
    pub st_updated: DateTime,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
