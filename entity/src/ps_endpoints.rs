//! `ps_endpoints` table (schema: migration `m20261122_000001_foundation`).

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "ps_endpoints")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: String,
    pub transport: Option<String>,
    pub aors: Option<String>,
    pub auth: Option<String>,
    pub context: Option<String>,
    pub disallow: Option<String>,
    pub allow: Option<String>,
    pub direct_media: Option<String>,
    pub callerid: Option<String>,
    pub mailboxes: Option<String>,
    pub dtmf_mode: Option<String>,
    pub named_call_group: Option<String>,
    pub named_pickup_group: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
