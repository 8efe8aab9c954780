//! `me_mediafiles` table (schema: migrations `m20261122_000001_foundation` and `m20261122_000002_objects`).

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "me_mediafiles")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub me_id: i32,
    pub me_te_id: i32,
    pub me_name: String,
    pub me_format: String,
    pub me_size: i32,
    pub me_md5: String,
    pub me_moh: String,
    pub me_description: String,
    pub me_datetime: Option<DateTime>,
    pub me_sha256: String,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
