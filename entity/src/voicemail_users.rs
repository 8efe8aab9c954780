//! `voicemail_users` table: Asterisk 22's `voicemail` realtime columns plus the owning tenant (`te_id`); schema: migrations `m20261122_000001_foundation`, migration `m20261208_000022_realtime_complete`.

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
    pub alias: Option<String>,
    pub email: String,
    pub pager: Option<String>,
    pub attach: String,
    pub attachfmt: Option<String>,
    pub serveremail: Option<String>,
    pub language: Option<String>,
    pub tz: Option<String>,
    pub deletevoicemail: Option<String>,
    pub saycid: Option<String>,
    pub sendvoicemail: Option<String>,
    pub review: Option<String>,
    pub tempgreetwarn: Option<String>,
    pub operator: Option<String>,
    pub envelope: Option<String>,
    pub sayduration: Option<i32>,
    pub forcename: Option<String>,
    pub forcegreetings: Option<String>,
    pub callback: Option<String>,
    pub dialout: Option<String>,
    pub exitcontext: Option<String>,
    pub maxmsg: Option<i32>,
    pub volgain: Option<f64>,
    pub imapuser: Option<String>,
    pub imappassword: Option<String>,
    pub imapserver: Option<String>,
    pub imapport: Option<String>,
    pub imapflags: Option<String>,
    pub stamp: Option<DateTime>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
