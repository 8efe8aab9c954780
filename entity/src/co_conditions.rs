//! `co_conditions` table (schema: migration `m20261122_000001_foundation`).

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "co_conditions")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub co_id: i32,
    pub co_te_id: i32,
    pub co_name: String,
    pub co_type: String,
    pub co_timezone: String,
    pub co_param1: String,
    pub co_param2: String,
    pub co_param3: String,
    pub co_param4: String,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
