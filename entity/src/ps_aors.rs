//! `ps_aors` table (schema: migrations `m20261122_000001_foundation`, `m20261203_000013_aor_contact`).

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "ps_aors")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: String,
    pub max_contacts: Option<i32>,
    pub remove_existing: Option<String>,
    pub qualify_frequency: Option<i32>,
    pub mailboxes: Option<String>,
    /// Asterisk's static contact; Switchboard leaves it empty (phones register).
    pub contact: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
