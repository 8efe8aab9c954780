//! `pb_phonebooks` table (schema: migration `m20261122_000003_account`).

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "pb_phonebooks")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub pb_id: i32,
    pub pb_te_id: i32,
    pub pb_name: String,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
