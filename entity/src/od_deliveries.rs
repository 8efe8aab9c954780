//! `od_deliveries` table (schema: migration `m20261122_000005_cluster`).

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "od_deliveries")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub od_id: i32,
    pub od_ob_id: i32,
    pub od_no_id: i32,
    pub od_state: String,
    pub od_attempts: i32,
    pub od_message: String,
    pub od_updated: Option<DateTime>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
