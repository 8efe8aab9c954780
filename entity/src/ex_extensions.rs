//! `ex_extensions` table (schema: migration `m20261122_000001_foundation`).

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "ex_extensions")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub ex_id: i32,
    pub ex_te_id: i32,
    pub ex_number: String,
    pub ex_name: String,
    pub ex_tech: String,
    #[sea_orm(unique)]
    pub ex_username: String,
    pub ex_cidnum: String,
    pub ex_cidname: String,
    pub ex_callallowed: String,
    pub ex_pickupgroup: String,
    pub ex_callgroup: String,
    pub ex_dnd: String,
    pub ex_voicemail: String,
    pub ex_webpassword: Option<String>,
    pub ex_created: DateTime,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
