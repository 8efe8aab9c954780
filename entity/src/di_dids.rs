//! `di_dids` table (schema: migration `m20261122_000001_foundation`).

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "di_dids")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub di_id: i32,
    pub di_te_id: i32,
    pub di_country: String,
    pub di_area: String,
    pub di_number: String,
    pub di_comment: String,
    pub di_recording: String,
    pub di_fax: String,
    pub di_faxstationid: String,
    pub di_fax_email: String,
    pub di_maxchannels: i32,
    pub di_unconditionalstatus: String,
    pub di_recording_email: String,
    pub di_sms_email: String,
    /// Country, area and number joined (`m20261203_000011_did_fullnumber`), unique.
    pub di_fullnumber: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
