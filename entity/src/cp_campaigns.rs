//! `cp_campaigns` table (schema: migration `m20261122_000009_calls`).

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "cp_campaigns")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub cp_id: i32,
    pub cp_te_id: i32,
    pub cp_name: String,
    /// `queue`, `extension` or `ivr`.
    pub cp_source: String,
    /// Queue id, extension number or IVR id.
    pub cp_target: String,
    pub cp_callerid: String,
    pub cp_maxcalls: i32,
    pub cp_maxattempts: i32,
    pub cp_dialtimeout: i32,
    /// stopped, running, paused.
    pub cp_state: String,
    pub cp_created: DateTime,
    pub cp_updated: Option<DateTime>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
