//! `ob_outbox` table (schema: migration `m20261122_000005_cluster`).

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "ob_outbox")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub ob_id: i32,
    pub ob_te_id: Option<i32>,
    pub ob_key: String,
    pub ob_action: String,
    #[sea_orm(column_type = "Text")]
    pub ob_headers: String,
    pub ob_created: DateTime,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
