//! `ak_apikeys` table (schema: migration `m20261122_000001_foundation`).

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "ak_apikeys")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub ak_id: i32,
    pub ak_prefix: String,
    pub ak_lookup: String,
    pub ak_hash: String,
    pub ak_admin: bool,
    pub ak_te_id: Option<i32>,
    pub ak_readonly: bool,
    pub ak_allow_ips: String,
    pub ak_expires: Option<DateTime>,
    pub ak_description: String,
    pub ak_created: DateTime,
    pub ak_last_used: Option<DateTime>,
    pub ak_revoked: Option<DateTime>,
    /// A widget token (migration `m20261207_000014_widget_tokens`).
    pub ak_widget: bool,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
