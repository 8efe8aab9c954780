//! `pe_phonebookentries` table (schema: migration `m20261122_000003_account`).

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "pe_phonebookentries")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub pe_id: i32,
    pub pe_te_id: i32,
    pub pe_pb_id: i32,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
