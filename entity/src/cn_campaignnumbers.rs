//! `cn_campaignnumbers` table (schema: migration `m20261122_000009_calls`).

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "cn_campaignnumbers")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub cn_id: i32,
    pub cn_cp_id: i32,
    pub cn_te_id: i32,
    pub cn_number: String,
    /// pending, dialing, answered, done, failed, unknown.
    pub cn_state: String,
    pub cn_attempts: i32,
    pub cn_node: String,
    pub cn_originateid: String,
    pub cn_uniqueid: String,
    pub cn_reason: i32,
    /// When a dialer claimed it for its current attempt.
    pub cn_claimed: Option<DateTime>,
    pub cn_updated: Option<DateTime>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
