//! `ps_aors` table: every column of Asterisk 22's own; schema: migrations `m20261122_000001_foundation`, `m20261203_000013_aor_contact`, migration `m20261208_000022_realtime_complete`.

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "ps_aors")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: String,
    pub contact: Option<String>,
    pub default_expiration: Option<i32>,
    pub mailboxes: Option<String>,
    pub max_contacts: Option<i32>,
    pub minimum_expiration: Option<i32>,
    pub remove_existing: Option<String>,
    pub qualify_frequency: Option<i32>,
    pub authenticate_qualify: Option<String>,
    pub maximum_expiration: Option<i32>,
    pub outbound_proxy: Option<String>,
    pub support_path: Option<String>,
    pub qualify_timeout: Option<f64>,
    pub voicemail_extension: Option<String>,
    pub remove_unavailable: Option<String>,
    pub qualify_2xx_only: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
