//! `ps_auths` table: every column of Asterisk 22's own; schema: migrations `m20261122_000001_foundation`, migration `m20261208_000022_realtime_complete`.

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "ps_auths")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: String,
    pub auth_type: Option<String>,
    pub nonce_lifetime: Option<i32>,
    pub md5_cred: Option<String>,
    pub password: Option<String>,
    pub realm: Option<String>,
    pub username: Option<String>,
    pub refresh_token: Option<String>,
    pub oauth_clientid: Option<String>,
    pub oauth_secret: Option<String>,
    pub password_digest: Option<String>,
    pub supported_algorithms_uas: Option<String>,
    pub supported_algorithms_uac: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
