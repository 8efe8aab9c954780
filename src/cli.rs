//! The command line: serve, migrate, tenant, key, node, outbox.

use crate::auth::keys::{self, NewKey};
use crate::auth::{Caller, Principal, Role};
use crate::db::{tenant_id, Db};
use crate::error::ApiError;
use crate::objects::{engine, input, tenant::TENANT, Op};
use chrono::{NaiveDate, NaiveDateTime, Utc};
use clap::{Args, Parser, Subcommand};
use entity::{ak_apikeys, te_tenants};
use sea_orm::{ActiveModelTrait, EntityTrait, QueryOrder, Set};

#[derive(Parser)]
#[command(
    name = "switchboard",
    version,
    about = "Multi-tenant hosted-PBX admin server (MiRTA ProxyAPI compatible)"
)]
pub struct Cli {
    /// Database URL: sqlite://…, postgres://…, mysql://…
    #[arg(long, env = "DATABASE_URL", default_value = crate::config::DEFAULT_DATABASE_URL, global = true, hide_env_values = true)]
    pub database_url: String,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand)]
pub enum Command {
    /// Apply migrations and serve the API.
    Serve {
        #[arg(long, default_value = "127.0.0.1:8080")]
        bind: String,
        /// Seed tenant DEMO on an empty database and print ready-to-use keys.
        #[arg(long)]
        demo: bool,
        /// Where the FastAGI call-routing service listens (the nodes' `AGI(agi://…)`).
        #[arg(long, default_value = "127.0.0.1:4573")]
        agi_bind: String,
        /// Do not serve FastAGI.
        #[arg(long)]
        no_agi: bool,
        /// A shared secret the nodes put first in the FastAGI request path.
        #[arg(long, env = "SWITCHBOARD_AGI_SECRET", hide_env_values = true)]
        agi_secret: Option<String>,
        /// The longest a call-routing decision may take before the fallback is answered.
        #[arg(long, default_value_t = 200)]
        agi_deadline_ms: u64,
    },
    /// Apply pending migrations.
    Migrate,
    /// Manage tenants.
    #[command(subcommand)]
    Tenant(TenantCmd),
    /// Manage API keys.
    #[command(subcommand)]
    Key(KeyCmd),
    /// Manage Asterisk nodes.
    #[command(subcommand)]
    Node(crate::cluster::cli::NodeCmd),
    /// The outbox of node actions.
    #[command(subcommand)]
    Outbox(crate::cluster::cli::OutboxCmd),
    /// Source addresses banned on every node (SIP brute force).
    #[command(subcommand)]
    Ban(crate::cluster::cli::BanCmd),
    /// Call records: import.
    #[command(subcommand)]
    Cdr(crate::cdr::cli::CdrCmd),
    /// Asterisk queue_log import.
    #[command(subcommand)]
    Queuelog(crate::cdr::cli::QueuelogCmd),
    /// Call recordings: index the files under the recordings root.
    #[command(subcommand)]
    Recordings(crate::cdr::cli::RecordingsCmd),
}

#[derive(Subcommand)]
pub enum TenantCmd {
    Add {
        #[arg(long)]
        code: String,
        #[arg(long)]
        name: String,
    },
    List,
}

#[derive(Args)]
#[group(required = true, multiple = false)]
pub struct KeyOwner {
    /// An admin key (all tenants).
    #[arg(long)]
    admin: bool,
    /// A key for this tenant code.
    #[arg(long, value_name = "CODE")]
    tenant: Option<String>,
}

#[derive(Subcommand)]
pub enum KeyCmd {
    /// Create a key; it is printed once, as the last line, and stored only hashed.
    Create {
        #[command(flatten)]
        owner: KeyOwner,
        #[arg(long)]
        read_only: bool,
        /// Only accept the key from this address or CIDR block (repeatable).
        #[arg(long = "allow-ip", value_name = "CIDR")]
        allow_ip: Vec<String>,
        /// Expiry: YYYY-MM-DD or "YYYY-MM-DD HH:MM:SS" (UTC).
        #[arg(long)]
        expires: Option<String>,
        #[arg(long, default_value = "")]
        description: String,
    },
    /// Import a key of an existing installation so clients keep working.
    Import {
        #[arg(long)]
        value: String,
        #[command(flatten)]
        owner: KeyOwner,
        #[arg(long)]
        read_only: bool,
    },
    /// Create a widget token for the status page (/widget/status): bound to the tenant,
    /// read-only, only the page's reads, expiring after --ttl seconds (60–86400).
    Widget {
        #[arg(long, value_name = "CODE")]
        tenant: String,
        #[arg(long, value_name = "SECONDS")]
        ttl: Option<String>,
    },
    /// List keys (never the keys themselves).
    List,
    /// Revoke a key by id.
    Revoke { id: i32 },
}

fn cli_admin() -> Caller {
    Caller {
        principal: Principal {
            key_id: 0,
            role: Role::Admin,
            read_only: false,
            widget: false,
        },
        tenant: None,
    }
}

fn fail(msg: impl std::fmt::Display) -> ApiError {
    ApiError::invalid(msg.to_string())
}

fn parse_expiry(s: &str) -> Result<NaiveDateTime, ApiError> {
    NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M:%S")
        .or_else(|_| {
            NaiveDate::parse_from_str(s, "%Y-%m-%d")
                .map(|d| d.and_hms_opt(0, 0, 0).unwrap_or_default())
        })
        .map_err(|_| {
            fail(format!(
                "--expires '{s}' is not YYYY-MM-DD or YYYY-MM-DD HH:MM:SS"
            ))
        })
}

/// Create a tenant through the same engine as MANAGEDB (same validation).
pub async fn add_tenant(
    db: &Db,
    code: &str,
    name: &str,
    extra: serde_json::Value,
) -> Result<i32, ApiError> {
    let mut data = serde_json::json!({ "te_code": code, "te_name": name });
    if let (Some(d), Some(e)) = (data.as_object_mut(), extra.as_object()) {
        d.extend(e.clone());
    }
    let w = engine::writer(&cli_admin(), &TENANT, Op::Add)?;
    let input = input::from_json(
        &TENANT,
        Op::Add,
        data.as_object().unwrap_or(&Default::default()),
    )?;
    let row = engine::add(db, &w, &TENANT, input).await?;
    row.id("te_id").ok_or_else(|| fail("tenant not created"))
}

pub async fn run_tenant(db: &Db, cmd: TenantCmd) -> Result<(), ApiError> {
    match cmd {
        TenantCmd::Add { code, name } => {
            let id = add_tenant(db, &code, &name, serde_json::json!({})).await?;
            println!("tenant {} created with id {id}", code.to_ascii_uppercase());
        }
        TenantCmd::List => {
            println!("{:<6} {:<20} name", "id", "code");
            for t in te_tenants::Entity::find()
                .order_by_asc(te_tenants::Column::TeId)
                .all(&db.conn)
                .await?
            {
                println!("{:<6} {:<20} {}", t.te_id, t.te_code, t.te_name);
            }
        }
    }
    Ok(())
}

pub async fn run_key(db: &Db, cmd: KeyCmd) -> Result<(), ApiError> {
    match cmd {
        KeyCmd::Create {
            owner,
            read_only,
            allow_ip,
            expires,
            description,
        } => {
            let allow = keys::parse_allow_list(&allow_ip.join(","))
                .map_err(|e| fail(format!("--allow-ip: {e}")))?;
            let expires = expires.as_deref().map(parse_expiry).transpose()?;
            let tenant_id = match &owner.tenant {
                Some(code) => Some(tenant_id(db, code).await?),
                None => None,
            };
            let value = keys::generate_key();
            let id = keys::store_key(
                &db.conn,
                NewKey {
                    value: &value,
                    admin: owner.admin,
                    tenant_id,
                    read_only,
                    allow: &allow,
                    expires,
                    description: &description,
                },
            )
            .await?;
            let kind = describe(owner.admin, owner.tenant.as_deref(), read_only);
            println!("created key {id} ({kind}); it is shown only now:");
            println!("{value}");
        }
        KeyCmd::Import {
            value,
            owner,
            read_only,
        } => {
            let tenant_id = match &owner.tenant {
                Some(code) => Some(tenant_id(db, code).await?),
                None => None,
            };
            let id = keys::store_key(
                &db.conn,
                NewKey {
                    value: &value,
                    admin: owner.admin,
                    tenant_id,
                    read_only,
                    allow: &[],
                    expires: None,
                    description: "imported",
                },
            )
            .await?;
            println!(
                "imported key {id} ({})",
                describe(owner.admin, owner.tenant.as_deref(), read_only)
            );
        }
        KeyCmd::Widget { tenant, ttl } => {
            let ttl = keys::widget_ttl("--ttl", ttl.as_deref())?;
            let te_id = tenant_id(db, &tenant).await?;
            let token =
                keys::store_widget_token(&db.conn, te_id, ttl, "widget token (CLI)").await?;
            println!(
                "created widget token {} (tenant {tenant}, expires {} UTC); it is shown only now:",
                token.id,
                token.expires.format("%Y-%m-%d %H:%M:%S")
            );
            println!("{}", token.value);
        }
        KeyCmd::List => {
            let tenants: std::collections::HashMap<i32, String> = te_tenants::Entity::find()
                .all(&db.conn)
                .await?
                .into_iter()
                .map(|t| (t.te_id, t.te_code))
                .collect();
            println!(
                "{:<5} {:<14} {:<22} {:<20} {:<20} state",
                "id", "prefix", "kind", "created", "last used"
            );
            for k in ak_apikeys::Entity::find()
                .order_by_asc(ak_apikeys::Column::AkId)
                .all(&db.conn)
                .await?
            {
                let tenant = k
                    .ak_te_id
                    .and_then(|id| tenants.get(&id))
                    .map(String::as_str);
                let state = match (k.ak_revoked, k.ak_expires) {
                    (Some(_), _) => "revoked",
                    (None, Some(e)) if e <= Utc::now().naive_utc() => "expired",
                    _ => "active",
                };
                let fmt = |d: Option<NaiveDateTime>| {
                    d.map(|d| d.format("%Y-%m-%d %H:%M:%S").to_string())
                        .unwrap_or_else(|| "-".into())
                };
                println!(
                    "{:<5} {:<14} {:<22} {:<20} {:<20} {state}",
                    k.ak_id,
                    format!("{}…", k.ak_prefix),
                    if k.ak_widget {
                        format!("tenant {} widget", tenant.unwrap_or("?"))
                    } else {
                        describe(k.ak_admin, tenant, k.ak_readonly)
                    },
                    fmt(Some(k.ak_created)),
                    fmt(k.ak_last_used)
                );
            }
        }
        KeyCmd::Revoke { id } => {
            let key = ak_apikeys::Entity::find_by_id(id)
                .one(&db.conn)
                .await?
                .ok_or_else(|| fail(format!("no key with id {id}")))?;
            let mut key: ak_apikeys::ActiveModel = key.into();
            key.ak_revoked = Set(Some(Utc::now().naive_utc()));
            key.update(&db.conn).await?;
            println!(
                "key {id} revoked (running servers stop accepting it within {} s)",
                keys::REFRESH.as_secs()
            );
        }
    }
    Ok(())
}

fn describe(admin: bool, tenant: Option<&str>, read_only: bool) -> String {
    let who = if admin {
        "admin".to_string()
    } else {
        format!("tenant {}", tenant.unwrap_or("?"))
    };
    format!(
        "{who} {}",
        if read_only { "read-only" } else { "read/write" }
    )
}
