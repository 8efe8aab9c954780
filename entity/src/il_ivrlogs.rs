//! `il_ivrlogs` table (schema: migration `m20261122_000007_ivrlogs`).

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "il_ivrlogs")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub il_id: i32,
    pub il_te_id: i32,
    pub il_time: DateTime,
    pub il_node: String,
    pub il_uniqueid: String,
    pub il_iv_id: i32,
    pub il_ivr_name: String,
    pub il_callerid: String,
    pub il_digits: String,
    pub il_destination: String,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
