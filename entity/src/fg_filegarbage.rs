//! `fg_filegarbage` table (schema: migration `m20261122_000010_groups_files`).

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "fg_filegarbage")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub fg_id: i32,
    pub fg_store: String,
    pub fg_name: String,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
