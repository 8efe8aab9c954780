//! `voicemail_messages` table (schema: migration `m20261122_000003_account`).

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "voicemail_messages")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub te_id: i32,
    pub mailboxuser: String,
    pub mailboxcontext: String,
    pub dir: String,
    pub msgnum: i32,
    pub msg_id: String,
    pub callerid: String,
    pub origtime: String,
    pub duration: i32,
    pub flag: String,
    pub recording: String,
    pub format: String,
    pub size: i32,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
