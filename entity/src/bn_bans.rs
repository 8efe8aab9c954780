//! `bn_bans` table (schema: migration `m20261208_000024_bans`).

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "bn_bans")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub bn_id: i32,
    /// The banned source address, canonical text (`203.0.113.5`, `2001:db8::1`).
    #[sea_orm(unique)]
    pub bn_address: String,
    pub bn_cause: String,
    /// How many security events led to it (0 for a ban an operator added).
    pub bn_events: i32,
    /// `auto`, or who added it (`cli`, `api`).
    pub bn_by: String,
    pub bn_created: DateTime,
    /// None: until lifted.
    pub bn_until: Option<DateTime>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
