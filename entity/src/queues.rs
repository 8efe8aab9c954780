//! `queues` table (schema: migration `m20261122_000002_objects`).

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "queues")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub name: String,
    pub musiconhold: Option<String>,
    pub context: Option<String>,
    pub timeout: Option<i32>,
    pub strategy: Option<String>,
    pub retry: Option<i32>,
    pub wrapuptime: Option<i32>,
    pub maxlen: Option<i32>,
    pub joinempty: Option<String>,
    pub leavewhenempty: Option<String>,
    pub ringinuse: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
