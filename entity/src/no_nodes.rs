//! `no_nodes` table (schema: migrations `m20261122_000005_cluster`, `m20261122_000006_cluster_lease`
//! and `m20261207_000016_node_timezone`).
//! `no_secret` is the AMI secret in clear (MD5 login needs it): never returned, never logged.

use sea_orm::entity::prelude::*;

#[derive(Clone, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "no_nodes")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub no_id: i32,
    #[sea_orm(unique)]
    pub no_name: String,
    pub no_host: String,
    pub no_port: i32,
    pub no_username: String,
    pub no_secret: String,
    pub no_enabled: bool,
    pub no_systemname: String,
    pub no_version: String,
    pub no_created: DateTime,
    pub no_lease: String,
    pub no_lease_until: Option<DateTime>,
    /// The zone of the node's clock (an IANA name): its `Cdr` events' times are read in it.
    pub no_timezone: String,
}

/// Debug without the secret, so a stray `{:?}` cannot log it.
impl std::fmt::Debug for Model {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Node")
            .field("no_id", &self.no_id)
            .field("no_name", &self.no_name)
            .field("no_host", &self.no_host)
            .field("no_port", &self.no_port)
            .field("no_username", &self.no_username)
            .field("no_enabled", &self.no_enabled)
            .field("no_timezone", &self.no_timezone)
            .finish_non_exhaustive()
    }
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
