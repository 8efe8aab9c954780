//! `de_destinations` table (schema: migration `m20261122_000001_foundation`).

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "de_destinations")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub de_id: i32,
    pub de_te_id: i32,
    pub de_type_src: String,
    pub de_type_id_src: i32,
    pub de_type_dst: String,
    pub de_type_id_dst: String,
    pub de_ord: i32,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
