//! The node table: registration (CLI), listing without secrets, and which nodes a tenant uses.
//!
//! The AMI secret is kept in clear because the MD5 challenge login needs it; no function here
//! returns it except [`all`], which feeds the AMI connections, and nothing logs it.

use crate::error::{ApiError, ApiResult};
use entity::{no_nodes, tn_tenantnodes};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, Set,
};

/// What `node add` takes.
pub struct NewNode<'a> {
    pub name: &'a str,
    pub host: &'a str,
    pub port: u16,
    pub username: &'a str,
    pub secret: &'a str,
    /// The zone of the node's clock (`UTC` unless the node runs on local time).
    pub timezone: &'a str,
}

/// A node as reads show it: never the secret.
#[derive(Debug, Clone)]
pub struct NodeView {
    pub id: i32,
    pub name: String,
    pub host: String,
    pub port: i32,
    pub username: String,
    pub enabled: bool,
    pub systemname: String,
    pub version: String,
    pub timezone: String,
}

impl From<no_nodes::Model> for NodeView {
    fn from(m: no_nodes::Model) -> Self {
        NodeView {
            id: m.no_id,
            name: m.no_name,
            host: m.no_host,
            port: m.no_port,
            username: m.no_username,
            enabled: m.no_enabled,
            systemname: m.no_systemname,
            version: m.no_version,
            timezone: m.no_timezone,
        }
    }
}

fn check(what: &str, value: &str, max: usize, ok: impl Fn(char) -> bool) -> ApiResult<()> {
    if value.is_empty() || value.len() > max || !value.chars().all(ok) {
        return Err(ApiError::invalid(format!(
            "{what} must be 1 to {max} characters{}",
            if what == "name" {
                " of letters, digits, '_', '.' and '-'"
            } else {
                " without spaces or control characters"
            }
        )));
    }
    Ok(())
}

pub async fn add(conn: &impl ConnectionTrait, n: NewNode<'_>) -> ApiResult<NodeView> {
    check("name", n.name, 40, |c| {
        c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-')
    })?;
    let printable = |c: char| !c.is_control() && !c.is_whitespace();
    check("host", n.host, 255, printable)?;
    check("user", n.username, 80, printable)?;
    // A secret may contain spaces, never a line break (it travels in an AMI header).
    check("secret", n.secret, 255, |c| !c.is_control())?;
    if n.port == 0 {
        return Err(ApiError::invalid("port must be 1 to 65535"));
    }
    let timezone = checked_zone(n.timezone)?;
    if find(conn, n.name).await?.is_some() {
        return Err(ApiError::Conflict(format!(
            "a node named '{}' already exists",
            n.name
        )));
    }
    let model = no_nodes::ActiveModel {
        no_name: Set(n.name.to_string()),
        no_host: Set(n.host.to_string()),
        no_port: Set(i32::from(n.port)),
        no_username: Set(n.username.to_string()),
        no_secret: Set(n.secret.to_string()),
        no_enabled: Set(true),
        no_systemname: Set(String::new()),
        no_version: Set(String::new()),
        no_created: Set(chrono::Utc::now().naive_utc()),
        no_lease: Set(String::new()),
        no_lease_until: Set(None),
        no_timezone: Set(timezone),
        ..Default::default()
    }
    .insert(conn)
    .await?;
    // A new node starts without the tenants' call-flow states and DND entries: queue them.
    seed(conn, model.no_id, None).await?;
    Ok(model.into())
}

/// A node's clock zone: an IANA name, as the API's TIMEZONE setting takes.
fn checked_zone(name: &str) -> ApiResult<String> {
    crate::time::zone(name)
        .map(|tz| tz.name().to_string())
        .ok_or_else(|| {
            ApiError::invalid(format!(
                "tz: '{name}' is not a time zone name such as UTC or Europe/Rome"
            ))
        })
}

/// `node tz`: the zone a node's clock runs on (its `Cdr` events' times are read in it).
pub async fn set_timezone(
    conn: &impl ConnectionTrait,
    name: &str,
    zone: &str,
) -> ApiResult<String> {
    let zone = checked_zone(zone)?;
    let node = find(conn, name)
        .await?
        .ok_or_else(|| ApiError::NotFound(format!("no node named '{name}'")))?;
    let mut m: no_nodes::ActiveModel = node.into();
    m.no_timezone = Set(zone.clone());
    m.update(conn).await?;
    Ok(zone)
}

pub async fn find(conn: &impl ConnectionTrait, name: &str) -> ApiResult<Option<no_nodes::Model>> {
    Ok(no_nodes::Entity::find()
        .filter(no_nodes::Column::NoName.eq(name))
        .one(conn)
        .await?)
}

/// Every node, secrets included: for the AMI connections only.
pub async fn all(conn: &impl ConnectionTrait) -> ApiResult<Vec<no_nodes::Model>> {
    Ok(no_nodes::Entity::find()
        .order_by_asc(no_nodes::Column::NoName)
        .all(conn)
        .await?)
}

pub async fn list(conn: &impl ConnectionTrait) -> ApiResult<Vec<NodeView>> {
    Ok(all(conn).await?.into_iter().map(NodeView::from).collect())
}

/// Remove a node, its pinning rows and its deliveries (it will never drain them).
pub async fn remove(conn: &impl ConnectionTrait, name: &str) -> ApiResult<()> {
    let node = find(conn, name)
        .await?
        .ok_or_else(|| ApiError::NotFound(format!("no node named '{name}'")))?;
    tn_tenantnodes::Entity::delete_many()
        .filter(tn_tenantnodes::Column::TnNoId.eq(node.no_id))
        .exec(conn)
        .await?;
    entity::od_deliveries::Entity::delete_many()
        .filter(entity::od_deliveries::Column::OdNoId.eq(node.no_id))
        .exec(conn)
        .await?;
    no_nodes::Entity::delete_by_id(node.no_id)
        .exec(conn)
        .await?;
    Ok(())
}

/// Record what a login learnt about a node.
pub async fn set_identity(
    conn: &impl ConnectionTrait,
    id: i32,
    systemname: &str,
    version: &str,
) -> ApiResult<()> {
    no_nodes::ActiveModel {
        no_id: Set(id),
        no_systemname: Set(systemname.chars().take(80).collect()),
        no_version: Set(version.chars().take(80).collect()),
        ..Default::default()
    }
    .update(conn)
    .await?;
    Ok(())
}

/// Pin a tenant to a set of nodes (an empty set: all nodes again).
/// Queue for `node_id` the AstDB state (call flows, DND) of the tenants it serves, or of
/// `tenant` only: config comes from the realtime tables, this state only through the outbox.
async fn seed(conn: &impl ConnectionTrait, node_id: i32, tenant: Option<i32>) -> ApiResult<()> {
    super::flows::seed_node(conn, node_id, tenant).await?;
    super::outbox::seed_dnd(conn, node_id, tenant).await
}

pub async fn pin(conn: &impl ConnectionTrait, te_id: i32, node_names: &[&str]) -> ApiResult<()> {
    let before = targets(conn, Some(te_id)).await?;
    let mut ids = Vec::new();
    for name in node_names {
        let node = find(conn, name)
            .await?
            .ok_or_else(|| ApiError::NotFound(format!("no node named '{name}'")))?;
        ids.push(node.no_id);
    }
    tn_tenantnodes::Entity::delete_many()
        .filter(tn_tenantnodes::Column::TnTeId.eq(te_id))
        .exec(conn)
        .await?;
    for id in ids {
        tn_tenantnodes::ActiveModel {
            tn_te_id: Set(te_id),
            tn_no_id: Set(id),
            ..Default::default()
        }
        .insert(conn)
        .await?;
    }
    // Nodes that serve the tenant from now on get its AstDB state.
    for node in targets(conn, Some(te_id)).await? {
        if !before.contains(&node) {
            seed(conn, node, Some(te_id)).await?;
        }
    }
    Ok(())
}

/// The enabled nodes a tenant's actions go to: its pinned nodes, or all when it has none
/// (`None`: an action not about one tenant goes to every node).
pub async fn targets(conn: &impl ConnectionTrait, te_id: Option<i32>) -> ApiResult<Vec<i32>> {
    let pinned: Vec<i32> = match te_id {
        Some(te) => tn_tenantnodes::Entity::find()
            .filter(tn_tenantnodes::Column::TnTeId.eq(te))
            .all(conn)
            .await?
            .into_iter()
            .map(|t| t.tn_no_id)
            .collect(),
        None => Vec::new(),
    };
    let mut q = no_nodes::Entity::find().filter(no_nodes::Column::NoEnabled.eq(true));
    if !pinned.is_empty() {
        q = q.filter(no_nodes::Column::NoId.is_in(pinned));
    }
    Ok(q.order_by_asc(no_nodes::Column::NoId)
        .all(conn)
        .await?
        .into_iter()
        .map(|n| n.no_id)
        .collect())
}
