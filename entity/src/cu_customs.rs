//! `cu_customs` table (schema: migration `m20261122_000001_foundation`).

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
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
