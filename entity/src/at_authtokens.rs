//! `at_authtokens` table (schema: migration `m20261122_000003_account`).

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "at_authtokens")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub at_id: i32,
    pub at_te_id: i32,
    pub at_kind: String,
    pub at_owner_id: i32,
    pub at_hash: String,
    pub at_once: bool,
    pub at_expires: Option<DateTime>,
    pub at_used: Option<DateTime>,
    pub at_created: DateTime,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
