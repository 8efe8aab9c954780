//! `cr_conferencerooms` table (schema: migration `m20261122_000001_foundation`).

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "cr_conferencerooms")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub cr_id: i32,
    pub cr_te_id: i32,
    pub cr_number: String,
    pub cr_name: String,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
