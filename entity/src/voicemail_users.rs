//! `voicemail_users` table (schema: migration `m20261122_000001_foundation`).

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "voicemail_users")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub uniqueid: i32,
    pub te_id: i32,
    pub context: String,
    pub mailbox: String,
    pub password: String,
    pub fullname: String,
    pub email: String,
    pub attach: String,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
