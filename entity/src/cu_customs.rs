//! `cu_customs` table (schema: migrations `m20261122_000001_foundation` and `m20261122_000002_objects`).

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "cu_customs")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub cu_id: i32,
    pub cu_te_id: i32,
    pub cu_name: String,
    pub cu_ct_id: Option<i32>,
    pub cu_param1: String,
    pub cu_param2: String,
    pub cu_param3: String,
    pub cu_param4: String,
    pub cu_param5: String,
    pub cu_param6: String,
    pub cu_param7: String,
    pub cu_param8: String,
    pub cu_param9: String,
    pub cu_param10: String,
    pub cu_param11: String,
    pub cu_param12: String,
    pub cu_param13: String,
    pub cu_param14: String,
    pub cu_param15: String,
    pub cu_param16: String,
    pub cu_param17: String,
    pub cu_param18: String,
    pub cu_param19: String,
    pub cu_param20: String,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
