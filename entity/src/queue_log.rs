//! `queue_log` table (schema: migration `m20261122_000004_cdr`).

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "queue_log")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub te_id: i32,
    pub time: DateTime,
    pub callid: String,
    pub queuename: String,
    pub qu_id: i32,
    pub agent: String,
    pub event: String,
    pub data1: String,
    pub data2: String,
    pub data3: String,
    pub data4: String,
    pub data5: String,
    pub node: String,
    pub linekey: String,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
