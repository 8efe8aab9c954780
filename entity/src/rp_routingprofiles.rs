//! `rp_routingprofiles` table (schema: migration `m20261122_000002_objects`).

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "rp_routingprofiles")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub rp_id: i32,
    pub rp_name: String,
    pub rp_type: String,
    pub rp_description: String,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
