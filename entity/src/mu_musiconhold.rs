//! `mu_musiconhold` table (schema: migration `m20261122_000002_objects`).

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "mu_musiconhold")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub mu_id: i32,
    pub mu_te_id: i32,
    pub mu_name: String,
    pub mu_mode: String,
    pub mu_directory: String,
    pub mu_random: String,
    pub mu_description: String,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
