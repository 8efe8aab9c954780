//! `meetme` table (schema: migration `m20261122_000002_objects`).

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "meetme")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub bookid: i32,
    pub confno: String,
    pub pin: Option<String>,
    pub adminpin: Option<String>,
    pub opts: Option<String>,
    pub adminopts: Option<String>,
    pub maxusers: Option<i32>,
    pub members: i32,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
