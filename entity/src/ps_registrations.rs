//! `ps_registrations` table: Asterisk 22's outbound registrations; schema: migration `m20261208_000022_realtime_complete`.

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "ps_registrations")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: String,
    pub auth_rejection_permanent: Option<String>,
    pub client_uri: Option<String>,
    pub contact_user: Option<String>,
    pub expiration: Option<i32>,
    pub max_retries: Option<i32>,
    pub outbound_auth: Option<String>,
    pub outbound_proxy: Option<String>,
    pub retry_interval: Option<i32>,
    pub forbidden_retry_interval: Option<i32>,
    pub server_uri: Option<String>,
    pub transport: Option<String>,
    pub support_path: Option<String>,
    pub fatal_retry_interval: Option<i32>,
    pub line: Option<String>,
    pub endpoint: Option<String>,
    pub support_outbound: Option<String>,
    pub contact_header_params: Option<String>,
    pub max_random_initial_delay: Option<i32>,
    pub security_negotiation: Option<String>,
    pub security_mechanisms: Option<String>,
    pub user_agent: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
