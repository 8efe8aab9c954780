//! `ph_phones` table (schema: migration `m20261122_000002_objects`).

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "ph_phones")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub ph_id: i32,
    pub ph_te_id: i32,
    pub ph_name: String,
    pub ph_mac: String,
    pub ph_pm_id: Option<i32>,
    pub ph_ex_id: Option<i32>,
    pub ph_description: String,
    pub ph_active: String,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
