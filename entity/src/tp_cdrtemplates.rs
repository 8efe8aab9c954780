//! `tp_cdrtemplates` table (schema: migration `m20261122_000004_cdr`).

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "tp_cdrtemplates")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub tp_id: i32,
    pub tp_te_id: i32,
    pub tp_name: String,
    #[sea_orm(column_type = "Text", nullable)]
    pub tp_template: Option<String>,
    #[sea_orm(column_type = "Text", nullable)]
    pub tp_compiled: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
