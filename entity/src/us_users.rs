//! `us_users` table (schema: migration `m20261122_000001_foundation`).

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "us_users")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub us_id: i32,
    #[sea_orm(unique)]
    pub us_username: String,
    pub us_password: String,
    pub us_name: String,
    pub us_email: String,
    pub us_up_id: Option<i32>,
    pub us_created: DateTime,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
