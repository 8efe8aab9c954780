//! `vx_virtualexts` table (schema: migration `m20261122_000010_groups_files`).

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "vx_virtualexts")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub vx_id: i32,
    pub vx_te_id: i32,
    pub vx_ex_id: i32,
    pub vx_pin: String,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
