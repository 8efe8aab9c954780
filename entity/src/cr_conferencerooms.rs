//! `cr_conferencerooms` table (schema: migrations `m20261122_000001_foundation` and `m20261122_000002_objects`).

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
    pub cr_pin: String,
    pub cr_adminpin: String,
    pub cr_maxusers: i32,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
