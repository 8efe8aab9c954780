//! `vm_virtualmembers` table (schema: migration `m20261122_000010_groups_files`).

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "vm_virtualmembers")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub vm_id: i32,
    pub vm_te_id: i32,
    pub vm_vx_ex_id: i32,
    pub vm_ex_id: i32,
    pub vm_joined: DateTime,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
