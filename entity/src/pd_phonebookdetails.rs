//! `pd_phonebookdetails` table (schema: migration `m20261122_000003_account`).

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "pd_phonebookdetails")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub pd_id: i32,
    pub pd_te_id: i32,
    pub pd_pe_id: i32,
    pub pd_pi_id: i32,
    pub pd_pi_value: String,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
