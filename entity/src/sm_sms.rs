//! `sm_sms` table (schema: migration `m20261122_000008_live`).

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "sm_sms")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub sm_id: i32,
    pub sm_te_id: i32,
    pub sm_from: String,
    pub sm_to: String,
    pub sm_body: Option<String>,
    pub sm_node: String,
    pub sm_state: String,
    pub sm_created: DateTime,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
