//! `sippeers` table (schema: migration `m20261122_000001_foundation`).

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "sippeers")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    #[sea_orm(unique)]
    pub name: String,
    pub r#type: Option<String>,
    pub secret: Option<String>,
    pub host: Option<String>,
    pub context: Option<String>,
    pub callerid: Option<String>,
    pub mailbox: Option<String>,
    pub disallow: Option<String>,
    pub allow: Option<String>,
    pub nat: Option<String>,
    pub defaultuser: Option<String>,
    pub ipaddr: Option<String>,
    pub port: Option<i32>,
    pub regseconds: Option<i32>,
    pub fullcontact: Option<String>,
    pub useragent: Option<String>,
    pub lastms: Option<i32>,
    pub regserver: Option<String>,
    pub callgroup: Option<String>,
    pub pickupgroup: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
