//! `hm_huntlistmembers` table (schema: migration `m20261122_000002_objects`).

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "hm_huntlistmembers")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub hm_id: i32,
    pub hm_te_id: i32,
    pub hm_hu_id: i32,
    pub hm_type: String,
    pub hm_type_id: String,
    pub hm_ord: i32,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
