//! `hu_huntlists` table (schema: migration `m20261122_000001_foundation`).

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "hu_huntlists")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub hu_id: i32,
    pub hu_te_id: i32,
    pub hu_number: String,
    pub hu_name: String,
    pub hu_type: String,
    pub hu_ringtime: i32,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
