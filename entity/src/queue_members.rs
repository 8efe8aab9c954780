//! `queue_members` table: Asterisk 22's realtime queue members (unique per queue and interface); schema: migration `m20261208_000022_realtime_complete`.

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "queue_members")]
pub struct Model {
    pub queue_name: String,
    pub interface: String,
    pub membername: Option<String>,
    pub state_interface: Option<String>,
    pub penalty: Option<i32>,
    pub paused: Option<i32>,
    #[sea_orm(primary_key)]
    pub uniqueid: i32,
    pub wrapuptime: Option<i32>,
    pub ringinuse: Option<String>,
    pub reason_paused: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
