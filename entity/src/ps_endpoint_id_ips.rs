//! `ps_endpoint_id_ips` table: Asterisk 22's identify objects (a trunk matched by its address); schema: migration `m20261208_000022_realtime_complete`.

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "ps_endpoint_id_ips")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: String,
    pub endpoint: Option<String>,
    #[sea_orm(column_name = "match")]
    pub match_: Option<String>,
    pub srv_lookups: Option<String>,
    pub match_header: Option<String>,
    pub match_request_uri: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
