//! `bt_balancetransactions` table (schema: migration `m20261122_000003_account`).

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "bt_balancetransactions")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub bt_id: i32,
    pub bt_te_id: i32,
    #[sea_orm(column_type = "Double")]
    pub bt_amount: f64,
    #[sea_orm(column_type = "Double")]
    pub bt_balance: f64,
    pub bt_description: String,
    pub bt_ak_id: Option<i32>,
    pub bt_created: DateTime,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
