//! `dl_routes` table (schema: migration `m20261122_000002_objects`).

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "dl_routes")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub dl_id: i32,
    pub dl_rp_id: i32,
    pub dl_name: String,
    pub dl_regex: String,
    pub dl_pr_id: i32,
    pub dl_ord: i32,
    pub dl_emergencyroute: String,
    pub dl_usepin: String,
    pub dl_strip: i32,
    pub dl_prepend: String,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
