//! `te_tenants` table (schema: migration `m20261122_000001_foundation`).

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "te_tenants")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub te_id: i32,
    #[sea_orm(unique)]
    pub te_code: String,
    pub te_name: String,
    pub te_disabled: String,
    pub te_maxchannels: i32,
    pub te_maxextensions: i32,
    pub te_maxdids: i32,
    #[sea_orm(column_type = "Double")]
    pub te_balance: f64,
    #[sea_orm(column_type = "Text", nullable)]
    pub te_cdr_csv_layout: Option<String>,
    pub te_context: Option<String>,
    pub te_created: DateTime,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
