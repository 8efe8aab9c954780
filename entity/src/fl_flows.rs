//! `fl_flows` table (schema: migration `m20261122_000008_live`).

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "fl_flows")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub fl_id: i32,
    pub fl_te_id: i32,
    pub fl_number: String,
    pub fl_state: String,
    pub fl_value: String,
    pub fl_updated: DateTime,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
