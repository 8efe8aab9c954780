//! `queues` table: every column of Asterisk 22's own; schema: migrations `m20261122_000002_objects`, migration `m20261208_000022_realtime_complete`.

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "queues")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub name: String,
    pub musiconhold: Option<String>,
    pub announce: Option<String>,
    pub context: Option<String>,
    pub timeout: Option<i32>,
    pub ringinuse: Option<String>,
    pub setinterfacevar: Option<String>,
    pub setqueuevar: Option<String>,
    pub setqueueentryvar: Option<String>,
    pub monitor_format: Option<String>,
    pub membermacro: Option<String>,
    pub membergosub: Option<String>,
    pub queue_youarenext: Option<String>,
    pub queue_thereare: Option<String>,
    pub queue_callswaiting: Option<String>,
    pub queue_quantity1: Option<String>,
    pub queue_quantity2: Option<String>,
    pub queue_holdtime: Option<String>,
    pub queue_minutes: Option<String>,
    pub queue_minute: Option<String>,
    pub queue_seconds: Option<String>,
    pub queue_thankyou: Option<String>,
    pub queue_callerannounce: Option<String>,
    pub queue_reporthold: Option<String>,
    pub announce_frequency: Option<i32>,
    pub announce_to_first_user: Option<String>,
    pub min_announce_frequency: Option<i32>,
    pub announce_round_seconds: Option<i32>,
    pub announce_holdtime: Option<String>,
    pub announce_position: Option<String>,
    pub announce_position_limit: Option<i32>,
    pub periodic_announce: Option<String>,
    pub periodic_announce_frequency: Option<i32>,
    pub relative_periodic_announce: Option<String>,
    pub random_periodic_announce: Option<String>,
    pub retry: Option<i32>,
    pub wrapuptime: Option<i32>,
    pub penaltymemberslimit: Option<i32>,
    pub autofill: Option<String>,
    pub monitor_type: Option<String>,
    pub autopause: Option<String>,
    pub autopausedelay: Option<i32>,
    pub autopausebusy: Option<String>,
    pub autopauseunavail: Option<String>,
    pub maxlen: Option<i32>,
    pub servicelevel: Option<i32>,
    pub strategy: Option<String>,
    pub joinempty: Option<String>,
    pub leavewhenempty: Option<String>,
    pub reportholdtime: Option<String>,
    pub memberdelay: Option<i32>,
    pub weight: Option<i32>,
    pub timeoutrestart: Option<String>,
    pub defaultrule: Option<String>,
    pub timeoutpriority: Option<String>,
    pub log_restricted_caller_id: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
