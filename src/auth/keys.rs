//! API keys. A key is found without scanning (a 16-bit bucket of its SHA-256, indexed), verified
//! with argon2id once, then served from an in-memory cache keyed by the full SHA-256 of the
//! presented key. Cached entries are re-read from the database (no argon2) every
//! [`REFRESH`], so a revoked key stops working within seconds.

use super::throttle::Throttle;
use super::{dummy_hash, hash_secret, verify_bounded, Principal, Role, TenantRef};
use crate::error::{ApiError, ApiResult};
use chrono::{NaiveDateTime, Utc};
use entity::{ak_apikeys, te_tenants};
use ipnet::IpNet;
use rand::RngCore;
use sea_orm::{ActiveModelTrait, ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, Set};
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, RwLock};
use std::time::{Duration, Instant};

pub const REFRESH: Duration = Duration::from_secs(2);
const LAST_USED_EVERY: Duration = Duration::from_secs(60);
const MAX_CACHED: usize = 50_000;
const MAX_KEY_LEN: usize = 256;

/// What the cache remembers of a verified key.
#[derive(Clone)]
struct Verified {
    key_id: i32,
    hash: String,
    admin: bool,
    read_only: bool,
    widget: bool,
    tenant: Option<TenantRef>,
    allow: Vec<IpNet>,
    expires: Option<NaiveDateTime>,
    checked: Instant,
    last_used_written: Instant,
}

pub struct KeyStore {
    db: DatabaseConnection,
    cache: RwLock<HashMap<[u8; 32], Verified>>,
    throttle: Throttle,
    /// Verifications in progress, by key digest: concurrent first uses of one key share one.
    inflight: Mutex<HashMap<[u8; 32], Arc<Flight>>>,
    /// argon2 verifications run so far (observable work, for tests and diagnostics).
    verifications: AtomicU64,
}

/// The outcome of one verification: the key, or `None` for a refused key. Errors (database,
/// blocked address) are not shared: the next waiter tries itself.
type Flight = tokio::sync::OnceCell<Option<Verified>>;

/// The indexed bucket of a key: 16 bits of its SHA-256, too few to help an offline guesser.
pub fn lookup_bucket(digest: &[u8; 32]) -> String {
    hex::encode(&digest[..2])
}

fn digest(key: &str) -> [u8; 32] {
    Sha256::digest(key.as_bytes()).into()
}

/// Display prefix: enough to tell keys apart in `key list`, never enough to use.
pub fn display_prefix(key: &str) -> String {
    let n = if key.starts_with("sbk_") || key.starts_with(WIDGET_PREFIX) {
        12
    } else {
        4
    };
    key.chars().take(n).collect()
}

/// A fresh random key: `sbk_` + 48 hex digits (192 bits).
pub fn generate_key() -> String {
    random_key("sbk_")
}

fn random_key(prefix: &str) -> String {
    let mut bytes = [0u8; 24];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    format!("{prefix}{}", hex::encode(bytes))
}

/// Widget tokens start so, to be told from keys at a glance (in a page's source, in logs).
pub const WIDGET_PREFIX: &str = "sbw_";
/// The lifetime of a widget token: seconds, default and bounds (`ttl`, `--ttl`).
pub const WIDGET_TTL_DEFAULT: i64 = 3600;
pub const WIDGET_TTL_MIN: i64 = 60;
pub const WIDGET_TTL_MAX: i64 = 86_400;

/// A widget token's lifetime from the text of `what` (absent: the default), in bounds.
pub fn widget_ttl(what: &str, text: Option<&str>) -> ApiResult<i64> {
    let Some(text) = text.map(str::trim).filter(|t| !t.is_empty()) else {
        return Ok(WIDGET_TTL_DEFAULT);
    };
    match text.parse::<i64>() {
        Ok(n) if (WIDGET_TTL_MIN..=WIDGET_TTL_MAX).contains(&n) => Ok(n),
        _ => Err(ApiError::invalid(format!(
            "{what} must be a number of seconds from {WIDGET_TTL_MIN} to {WIDGET_TTL_MAX}"
        ))),
    }
}

/// A new widget token: bound to `tenant_id`, read-only, expiring `ttl` seconds from now.
pub struct WidgetToken {
    pub id: i32,
    pub value: String,
    pub expires: NaiveDateTime,
}

/// Store a new widget token of the tenant (only its hash, like every key).
pub async fn store_widget_token(
    db: &impl sea_orm::ConnectionTrait,
    tenant_id: i32,
    ttl: i64,
    description: &str,
) -> ApiResult<WidgetToken> {
    let value = random_key(WIDGET_PREFIX);
    let expires = Utc::now().naive_utc() + chrono::Duration::seconds(ttl);
    let new = NewKey {
        value: &value,
        admin: false,
        tenant_id: Some(tenant_id),
        read_only: true,
        allow: &[],
        expires: Some(expires),
        description,
    };
    let id = insert_key(db, new, true).await?;
    // Pages mint a token every hour or so: tokens a day past their expiry go, so the table
    // does not grow with them.
    ak_apikeys::Entity::delete_many()
        .filter(ak_apikeys::Column::AkWidget.eq(true))
        .filter(
            ak_apikeys::Column::AkExpires.lt(Utc::now().naive_utc() - chrono::Duration::days(1)),
        )
        .exec(db)
        .await?;
    Ok(WidgetToken { id, value, expires })
}

pub fn parse_allow_list(text: &str) -> Result<Vec<IpNet>, String> {
    text.split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(|s| {
            s.parse::<IpNet>()
                .or_else(|_| s.parse::<IpAddr>().map(IpNet::from))
                .map_err(|_| format!("'{s}' is not an IP address or CIDR block"))
        })
        .collect()
}

/// What a new key is for.
pub struct NewKey<'a> {
    pub value: &'a str,
    pub admin: bool,
    pub tenant_id: Option<i32>,
    pub read_only: bool,
    pub allow: &'a [IpNet],
    pub expires: Option<NaiveDateTime>,
    pub description: &'a str,
}

/// Store a key (only its hash) and return the row id.
pub async fn store_key(db: &impl sea_orm::ConnectionTrait, new: NewKey<'_>) -> ApiResult<i32> {
    insert_key(db, new, false).await
}

async fn insert_key(
    db: &impl sea_orm::ConnectionTrait,
    new: NewKey<'_>,
    widget: bool,
) -> ApiResult<i32> {
    if new.value.len() < 8
        || new.value.len() > MAX_KEY_LEN
        || new
            .value
            .chars()
            .any(|c| c.is_whitespace() || c.is_control())
    {
        return Err(ApiError::invalid(format!(
            "a key must be 8 to {MAX_KEY_LEN} printable characters without spaces"
        )));
    }
    let model = ak_apikeys::ActiveModel {
        ak_prefix: Set(display_prefix(new.value)),
        ak_lookup: Set(lookup_bucket(&digest(new.value))),
        ak_hash: Set(hash_secret(new.value)?),
        ak_admin: Set(new.admin),
        ak_te_id: Set(new.tenant_id),
        ak_readonly: Set(new.read_only),
        ak_allow_ips: Set(new
            .allow
            .iter()
            .map(|n| n.to_string())
            .collect::<Vec<_>>()
            .join(",")),
        ak_expires: Set(new.expires),
        ak_description: Set(new.description.to_string()),
        ak_created: Set(Utc::now().naive_utc()),
        ak_widget: Set(widget),
        ..Default::default()
    };
    Ok(model.insert(db).await?.ak_id)
}

impl KeyStore {
    pub fn new(db: DatabaseConnection) -> KeyStore {
        KeyStore {
            db,
            cache: RwLock::new(HashMap::new()),
            throttle: Throttle::default(),
            inflight: Mutex::new(HashMap::new()),
            verifications: AtomicU64::new(0),
        }
    }

    /// How many argon2 verifications this store has run.
    pub fn verifications(&self) -> u64 {
        self.verifications.load(Ordering::Relaxed)
    }

    /// Verify a presented key for a request from `ip`.
    pub async fn authenticate(&self, presented: &str, ip: IpAddr) -> ApiResult<Principal> {
        if presented.is_empty() || presented.len() > MAX_KEY_LEN {
            return Err(ApiError::Auth);
        }
        let digest = digest(presented);
        let cached = self
            .cache
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .get(&digest)
            .cloned();
        let verified = match cached {
            Some(v) if v.checked.elapsed() < REFRESH => v,
            Some(v) => self.refresh(&digest, v).await?,
            None => self.verify_once(presented, &digest, ip).await?,
        };
        admit(&verified, ip)
    }

    /// First sight of a key, once however many requests present it at the same time.
    async fn verify_once(
        &self,
        presented: &str,
        digest: &[u8; 32],
        ip: IpAddr,
    ) -> ApiResult<Verified> {
        if self.throttle.blocked(ip) {
            return Err(ApiError::Auth);
        }
        let flight = self
            .inflight
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .entry(*digest)
            .or_default()
            .clone();
        let outcome = flight
            .get_or_try_init(|| self.verify_slow(presented, digest, ip))
            .await
            .cloned();
        // Whoever finishes first ends the flight: later requests find the cache (or start anew).
        let mut inflight = self.inflight.lock().unwrap_or_else(|p| p.into_inner());
        if inflight
            .get(digest)
            .is_some_and(|f| Arc::ptr_eq(f, &flight))
        {
            inflight.remove(digest);
        }
        outcome?.ok_or(ApiError::Auth)
    }

    /// Bucket lookup, then argon2 on the (usually zero or one) candidates; a bucket without
    /// candidates costs one verification too, so its occupancy does not show in the timing.
    /// The attempt counts against the address before the work starts.
    async fn verify_slow(
        &self,
        presented: &str,
        digest: &[u8; 32],
        ip: IpAddr,
    ) -> ApiResult<Option<Verified>> {
        let attempt = self.throttle.attempt(ip).ok_or(ApiError::Auth)?;
        let candidates = ak_apikeys::Entity::find()
            .filter(ak_apikeys::Column::AkLookup.eq(lookup_bucket(digest)))
            .filter(ak_apikeys::Column::AkRevoked.is_null())
            .all(&self.db)
            .await?;
        if candidates.is_empty() {
            self.verify(presented, dummy_hash()).await?;
        }
        for candidate in candidates {
            if self.verify(presented, &candidate.ak_hash).await? {
                attempt.succeeded();
                let Some(verified) = self.load(candidate).await? else {
                    return Ok(None);
                };
                let mut cache = self.cache.write().unwrap_or_else(|p| p.into_inner());
                if cache.len() >= MAX_CACHED {
                    cache.clear();
                }
                cache.insert(*digest, verified.clone());
                return Ok(Some(verified));
            }
        }
        Ok(None)
    }

    async fn verify(&self, presented: &str, hash: &str) -> ApiResult<bool> {
        self.verifications.fetch_add(1, Ordering::Relaxed);
        verify_bounded(presented, hash).await
    }

    /// A cached key whose entry is stale: re-read its row (cheap), drop it if revoked.
    async fn refresh(&self, digest: &[u8; 32], old: Verified) -> ApiResult<Verified> {
        let row = ak_apikeys::Entity::find_by_id(old.key_id)
            .one(&self.db)
            .await?;
        let fresh = match row {
            Some(row) if row.ak_revoked.is_none() && row.ak_hash == old.hash => {
                self.load(row).await?
            }
            _ => None,
        };
        let mut cache = self.cache.write().unwrap_or_else(|p| p.into_inner());
        match fresh {
            Some(mut v) => {
                v.last_used_written = old.last_used_written;
                if v.last_used_written.elapsed() >= LAST_USED_EVERY {
                    v.last_used_written = Instant::now();
                    self.touch(v.key_id);
                }
                cache.insert(*digest, v.clone());
                Ok(v)
            }
            None => {
                cache.remove(digest);
                Err(ApiError::Auth)
            }
        }
    }

    /// Key row → cache entry (with its tenant); `None` if its tenant is gone or disabled.
    async fn load(&self, row: ak_apikeys::Model) -> ApiResult<Option<Verified>> {
        let tenant = match row.ak_te_id {
            Some(te_id) => match te_tenants::Entity::find_by_id(te_id).one(&self.db).await? {
                Some(t) if t.te_disabled.is_empty() => Some(TenantRef {
                    id: t.te_id,
                    code: t.te_code,
                }),
                _ => return Ok(None),
            },
            None => None,
        };
        // A widget token is a tenant's and reads only: a row saying otherwise is refused.
        let tenant_less = (!row.ak_admin || row.ak_widget) && tenant.is_none();
        if tenant_less || (row.ak_widget && (row.ak_admin || !row.ak_readonly)) {
            return Ok(None);
        }
        let first_use = row.ak_last_used.is_none();
        let verified = Verified {
            key_id: row.ak_id,
            hash: row.ak_hash,
            admin: row.ak_admin,
            read_only: row.ak_readonly,
            widget: row.ak_widget,
            tenant,
            allow: parse_allow_list(&row.ak_allow_ips).unwrap_or_default(),
            expires: row.ak_expires,
            checked: Instant::now(),
            last_used_written: Instant::now(),
        };
        if first_use {
            self.touch(verified.key_id);
        }
        Ok(Some(verified))
    }

    /// Record "last used" in the background; never on the request's path.
    fn touch(&self, key_id: i32) {
        let db = self.db.clone();
        tokio::spawn(async move {
            let _ = ak_apikeys::Entity::update_many()
                .col_expr(
                    ak_apikeys::Column::AkLastUsed,
                    sea_orm::sea_query::Expr::value(Utc::now().naive_utc()),
                )
                .filter(ak_apikeys::Column::AkId.eq(key_id))
                .exec(&db)
                .await;
        });
    }
}

/// Per-request checks on a verified key: expiry and the address allow-list.
fn admit(v: &Verified, ip: IpAddr) -> ApiResult<Principal> {
    if matches!(v.expires, Some(at) if at <= Utc::now().naive_utc()) {
        return Err(ApiError::Auth);
    }
    if !v.allow.is_empty() && !v.allow.iter().any(|net| net.contains(&ip)) {
        return Err(ApiError::Auth);
    }
    let role = match (&v.tenant, v.admin) {
        (_, true) => Role::Admin,
        (Some(t), false) => Role::Tenant(t.clone()),
        (None, false) => return Err(ApiError::Auth),
    };
    Ok(Principal {
        key_id: v.key_id,
        role,
        read_only: v.read_only,
        widget: v.widget,
    })
}
