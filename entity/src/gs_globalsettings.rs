//! `gs_globalsettings` table (schema: migration `m20261122_000004_cdr`).

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "gs_globalsettings")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub gs_name: String,
    #[sea_orm(column_type = "Text", nullable)]
    pub gs_value: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
