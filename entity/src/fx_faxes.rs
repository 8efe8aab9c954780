//! `fx_faxes` table (schema: migration `m20261122_000009_calls`).

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "fx_faxes")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub fx_id: i32,
    pub fx_te_id: i32,
    /// `out` (sent through FAX send) or `in`.
    pub fx_direction: String,
    pub fx_number: String,
    pub fx_callerid: String,
    pub fx_stationid: String,
    /// queued, sending, sent, failed, refused, unknown.
    pub fx_status: String,
    /// The client's file name, for display only.
    pub fx_name: String,
    /// The stored file, relative to the fax directory.
    pub fx_file: String,
    /// `pdf` or `tiff`.
    pub fx_type: String,
    pub fx_size: i32,
    pub fx_pages: i32,
    pub fx_node: String,
    #[sea_orm(unique)]
    pub fx_originateid: String,
    pub fx_uniqueid: String,
    pub fx_message: String,
    pub fx_created: DateTime,
    pub fx_updated: Option<DateTime>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
