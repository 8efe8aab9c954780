//! `switchboard node …` and `switchboard outbox …`.

use super::{bans, nodes, outbox};
use crate::db::Db;
use crate::error::ApiError;
use clap::Subcommand;

#[derive(Subcommand)]
pub enum NodeCmd {
    /// Register an Asterisk node (its AMI address and user). Running servers pick it up.
    Add {
        name: String,
        #[arg(long)]
        host: String,
        #[arg(long, default_value_t = 5038)]
        port: u16,
        #[arg(long)]
        user: String,
        /// The AMI secret (or SWITCHBOARD_NODE_SECRET, which keeps it out of the shell history).
        #[arg(long, env = "SWITCHBOARD_NODE_SECRET", hide_env_values = true)]
        secret: String,
        /// The zone of the node's clock (cdr_manager writes `Cdr` times in it).
        #[arg(long, default_value = "UTC")]
        tz: String,
    },
    /// Set the zone of a node's clock (an IANA name: UTC, Europe/Rome).
    Tz { name: String, zone: String },
    /// List nodes (never their secrets).
    List,
    /// Remove a node (and its undelivered actions).
    Remove { name: String },
    /// Log in once: print the Asterisk version and whether the AMI user may use every action
    /// Switchboard needs.
    Check { name: String },
    /// Pin a tenant to some nodes; with no node, the tenant uses all nodes again.
    Pin {
        #[arg(long, value_name = "CODE")]
        tenant: String,
        nodes: Vec<String>,
    },
}

#[derive(Subcommand)]
pub enum OutboxCmd {
    /// Per-node backlog: pending, failed and delivered actions, and the last error.
    Status,
}

pub async fn run_node(db: &Db, cmd: NodeCmd) -> Result<(), ApiError> {
    match cmd {
        NodeCmd::Add {
            name,
            host,
            port,
            user,
            secret,
            tz,
        } => {
            let node = nodes::add(
                &db.conn,
                nodes::NewNode {
                    name: &name,
                    host: &host,
                    port,
                    username: &user,
                    secret: &secret,
                    timezone: &tz,
                },
            )
            .await?;
            println!("node {} added ({}:{})", node.name, node.host, node.port);
        }
        NodeCmd::List => {
            println!(
                "{:<16} {:<24} {:<6} {:<14} {:<8} {:<16} {:<20} version",
                "name", "host", "port", "user", "enabled", "systemname", "tz"
            );
            for n in nodes::list(&db.conn).await? {
                println!(
                    "{:<16} {:<24} {:<6} {:<14} {:<8} {:<16} {:<20} {}",
                    n.name,
                    n.host,
                    n.port,
                    n.username,
                    if n.enabled { "yes" } else { "no" },
                    n.systemname,
                    n.timezone,
                    n.version
                );
            }
        }
        NodeCmd::Tz { name, zone } => {
            let zone = nodes::set_timezone(&db.conn, &name, &zone).await?;
            println!("node {name} runs on {zone}");
        }
        NodeCmd::Remove { name } => {
            nodes::remove(&db.conn, &name).await?;
            println!("node {name} removed");
        }
        NodeCmd::Check { name } => check(db, &name).await?,
        NodeCmd::Pin {
            tenant,
            nodes: names,
        } => {
            let te_id = crate::db::tenant_id(db, &tenant).await?;
            let names: Vec<&str> = names.iter().map(String::as_str).collect();
            // The pins and the state queued for newly serving nodes land together or not at all.
            let txn = db.begin_write().await?;
            nodes::pin(&*txn, te_id, &names).await?;
            txn.commit().await?;
            if names.is_empty() {
                println!("tenant {} uses all nodes", tenant.to_ascii_uppercase());
            } else {
                println!(
                    "tenant {} pinned to {}",
                    tenant.to_ascii_uppercase(),
                    names.join(", ")
                );
            }
        }
    }
    Ok(())
}

/// `node check`: fails (non-zero exit) when the login fails or an action is not permitted.
async fn check(db: &Db, name: &str) -> Result<(), ApiError> {
    let node = nodes::find(&db.conn, name)
        .await?
        .ok_or_else(|| ApiError::NotFound(format!("no node named '{name}'")))?;
    let cfg = super::registry::config_of(&node);
    let report = crate::ami::check(&cfg)
        .await
        .map_err(|e| ApiError::Conflict(format!("node {name}: {e}")))?;
    let info = &report.info;
    println!(
        "node {name}: logged in as {}; Asterisk {} (AMI {}), system name '{}'",
        node.no_username,
        if info.asterisk_version.is_empty() {
            "version unknown"
        } else {
            &info.asterisk_version
        },
        info.ami_version,
        info.system_name
    );
    nodes::set_identity(
        &db.conn,
        node.no_id,
        &info.system_name,
        &info.asterisk_version,
    )
    .await?;
    if report.missing.is_empty() {
        println!("the AMI user may use every action Switchboard needs");
        Ok(())
    } else {
        Err(ApiError::Conflict(format!(
            "the AMI user of node {name} may not use: {} (grant the manager.conf read/write classes that cover them)",
            report.missing.join(", ")
        )))
    }
}

pub async fn run_outbox(db: &Db, cmd: OutboxCmd) -> Result<(), ApiError> {
    match cmd {
        OutboxCmd::Status => {
            println!(
                "{:<16} {:>8} {:>8} {:>10}  last error",
                "node", "pending", "failed", "delivered"
            );
            for (node, b) in outbox::status(&db.conn).await? {
                println!(
                    "{:<16} {:>8} {:>8} {:>10}  {}",
                    node.name, b.pending, b.failed, b.done, b.last_error
                );
            }
        }
    }
    Ok(())
}

#[derive(Subcommand)]
pub enum BanCmd {
    /// The addresses banned on every node, with cause and end.
    List,
    /// Ban an address on every node.
    Add {
        address: String,
        /// How long (0: until lifted).
        #[arg(long, default_value_t = 3600)]
        seconds: u64,
        #[arg(long, default_value = "added by an operator")]
        cause: String,
    },
    /// Lift a ban.
    Remove { address: String },
}

pub async fn run_ban(db: &Db, cmd: BanCmd) -> Result<(), ApiError> {
    match cmd {
        BanCmd::List => {
            println!(
                "{:<40} {:<20} {:<20} {:<14} cause",
                "address", "created", "until", "by"
            );
            for b in bans::active(&db.conn).await? {
                println!(
                    "{:<40} {:<20} {:<20} {:<14} {}",
                    b.bn_address,
                    crate::time::timestamp_text(b.bn_created),
                    b.bn_until
                        .map_or_else(|| "until lifted".into(), crate::time::timestamp_text),
                    b.bn_by,
                    b.bn_cause
                );
            }
        }
        BanCmd::Add {
            address,
            seconds,
            cause,
        } => {
            let addr = bans::parse_address("address", &address)?;
            let ban_for = (seconds > 0).then(|| std::time::Duration::from_secs(seconds));
            if bans::ban(&db.conn, addr, &cause, 0, "cli", ban_for).await? {
                println!("{addr} banned on every node");
            } else {
                println!("{addr} was already banned");
            }
        }
        BanCmd::Remove { address } => {
            let addr = bans::parse_address("address", &address)?;
            if !bans::lift(&db.conn, addr, "cli").await? {
                return Err(ApiError::NotFound(format!("{addr} is not banned")));
            }
            println!("ban of {addr} lifted");
        }
    }
    Ok(())
}
