//! `ut_usertenants` table (schema: migration `m20261122_000001_foundation`).

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "ut_usertenants")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub ut_id: i32,
    pub ut_us_id: i32,
    pub ut_te_id: i32,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
