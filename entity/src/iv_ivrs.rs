//! `iv_ivrs` table (schema: migrations `m20261122_000001_foundation` and `m20261122_000002_objects`).

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "iv_ivrs")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub iv_id: i32,
    pub iv_te_id: i32,
    pub iv_name: String,
    pub iv_timeout: i32,
    pub iv_me_id: Option<i32>,
    pub iv_maxretries: i32,
    pub iv_directdial: String,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
