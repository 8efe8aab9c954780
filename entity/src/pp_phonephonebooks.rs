//! `pp_phonephonebooks` table (schema: migration `m20261122_000003_account`).

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "pp_phonephonebooks")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub pp_id: i32,
    pub pp_te_id: i32,
    pub pp_name: String,
    pub pp_pb_id: i32,
    pub pp_description: String,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
