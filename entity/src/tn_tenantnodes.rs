//! `tn_tenantnodes` table (schema: migration `m20261122_000005_cluster`).

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "tn_tenantnodes")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub tn_id: i32,
    pub tn_te_id: i32,
    pub tn_no_id: i32,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
