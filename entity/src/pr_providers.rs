//! `pr_providers` table (schema: migration `m20261122_000002_objects`, `m20261208_000022_realtime_complete`).

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "pr_providers")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub pr_id: i32,
    pub pr_peername: String,
    pub pr_name: String,
    pub pr_tech: String,
    pub pr_userealtime: String,
    pub pr_host: String,
    pub pr_port: i32,
    pub pr_allow: String,
    pub pr_username: String,
    pub pr_fromdomain: String,
    pub pr_maxchannels: i32,
    pub pr_register: String,
    pub pr_match: String,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
