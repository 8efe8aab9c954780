//! `qu_queues` table (schema: migrations `m20261122_000001_foundation` and `m20261122_000002_objects`).

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "qu_queues")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub qu_id: i32,
    pub qu_te_id: i32,
    pub qu_name: String,
    pub qu_number: String,
    pub qu_timeout: i32,
    pub qu_alwaysrecord: String,
    pub qu_strategy: String,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
