//! `dc_dialcalls` table (schema: migrations `m20261122_000005_cluster`, `m20261122_000009_calls`).

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "dc_dialcalls")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub dc_id: i32,
    #[sea_orm(unique)]
    pub dc_originateid: String,
    pub dc_te_id: i32,
    pub dc_node: String,
    pub dc_source: String,
    pub dc_dest: String,
    pub dc_uniqueid: String,
    pub dc_state: String,
    pub dc_created: DateTime,
    /// Asterisk's OriginateResponse reason (0 failed, 1 hung up, 3 ringing, 4 answered, 5 busy, 8 congested).
    pub dc_reason: i32,
    /// The originated channel as the node named it.
    pub dc_channel: String,
    pub dc_updated: Option<DateTime>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
