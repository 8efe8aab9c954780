//! `cdr` table (schema: migration `m20261122_000004_cdr`).

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "cdr")]
pub struct Model {
    #[sea_orm(primary_key, column_name = "ID")]
    pub id: i32,
    pub te_id: i32,
    pub start: DateTime,
    pub answer: Option<DateTime>,
    pub end: Option<DateTime>,
    pub clid: String,
    pub src: String,
    pub dst: String,
    pub realsrc: String,
    pub firstdst: String,
    pub lastdst: String,
    pub dcontext: String,
    pub channel: String,
    pub dstchannel: String,
    pub lastapp: String,
    pub lastdata: String,
    pub duration: i32,
    pub billsec: i32,
    pub disposition: String,
    pub amaflags: String,
    pub accountcode: String,
    pub userfield: String,
    pub uniqueid: String,
    pub linkedid: String,
    pub peeraccount: String,
    pub originateid: String,
    pub wherelanded: String,
    pub direction: String,
    pub node: String,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
