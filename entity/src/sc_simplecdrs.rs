//! `sc_simplecdrs` table (schema: migration `m20261122_000004_cdr`).

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "sc_simplecdrs")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub sc_id: i32,
    pub sc_te_id: i32,
    pub sc_start: DateTime,
    pub sc_direction: String,
    pub sc_calleridnum: String,
    pub sc_calleridname: String,
    pub sc_dialednum: String,
    pub sc_disposition: String,
    pub sc_duration: i32,
    pub sc_billsec: i32,
    pub sc_uniqueid: String,
    pub sc_whoanswered: String,
    pub sc_cdr_id: i32,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
