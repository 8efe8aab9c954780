//! `ce_conditionextendedinfos` table (schema: migration `m20261122_000002_objects`).

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "ce_conditionextendedinfos")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub ce_id: i32,
    pub ce_te_id: i32,
    pub ce_co_id: i32,
    pub ce_ord: i32,
    pub ce_param1: String,
    pub ce_param2: String,
    pub ce_param3: String,
    pub ce_param4: String,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
