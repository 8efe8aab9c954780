//! `bl_calleridblacklist` table (schema: migration `m20261122_000002_objects`).

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "bl_calleridblacklist")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub bl_id: i32,
    pub bl_te_id: i32,
    pub bl_number: String,
    pub bl_description: String,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
