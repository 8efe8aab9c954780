//! `dc_dialcalls` table (schema: migration `m20261122_000005_cluster`).

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
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
