//! `pk_parkinglots` table (schema: migration `m20261122_000001_foundation`).

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "pk_parkinglots")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub pk_id: i32,
    pub pk_te_id: i32,
    pub pk_name: String,
    pub pk_start: String,
    pub pk_end: String,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
