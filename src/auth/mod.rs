//! Who is calling: API keys (argon2id at rest, a verification cache on the hot path, IP
//! allow-lists, expiry, throttling of guessers) and the [`Caller`] every handler receives.

pub mod forwarded;
pub mod keys;
pub mod throttle;

use crate::error::{ApiError, ApiResult};
use argon2::password_hash::{rand_core::OsRng, PasswordHash, PasswordHasher, SaltString};
use argon2::Argon2;

pub use keys::KeyStore;

/// A tenant as the request sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TenantRef {
    pub id: i32,
    pub code: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Role {
    Admin,
    Tenant(TenantRef),
}

/// A verified key.
#[derive(Debug, Clone)]
pub struct Principal {
    pub key_id: i32,
    pub role: Role,
    pub read_only: bool,
    /// A widget token: only [`WIDGET_READS`], always of its own tenant.
    pub widget: bool,
}

/// What a widget token may call, (reqtype, `info`) in lower case: the reads of the embeddable
/// status page (`/widget/status`), nothing that holds a secret (INFO extensions has passwords).
pub const WIDGET_READS: &[(&str, Option<&str>)] = &[
    ("blfs", None),
    ("info", Some("queues")),
    ("info", Some("queuecallers")),
];

/// The authenticated caller of one request, with the tenant the request is about.
#[derive(Debug, Clone)]
pub struct Caller {
    pub principal: Principal,
    /// The key's own tenant, or for an admin the tenant named by `tenant=` (if any).
    pub tenant: Option<TenantRef>,
}

impl Caller {
    pub fn is_admin(&self) -> bool {
        self.principal.role == Role::Admin
    }

    /// Admin-only data: any other key gets the upstream auth failure.
    pub fn require_admin(&self) -> ApiResult<()> {
        if self.is_admin() {
            Ok(())
        } else {
            Err(ApiError::Auth)
        }
    }

    /// The tenant a request is about; an admin key must name one with `tenant=`.
    pub fn require_tenant(&self, what: &str) -> ApiResult<&TenantRef> {
        self.tenant.as_ref().ok_or_else(|| {
            ApiError::invalid(format!(
                "parameter 'tenant' is required for {what} with an admin key"
            ))
        })
    }

    /// A widget token may call only [`WIDGET_READS`]; anything else is the auth failure, as
    /// for a key that does not exist.
    pub fn admits(&self, reqtype: &str, info: Option<&str>) -> ApiResult<()> {
        let allowed = WIDGET_READS
            .iter()
            .any(|(r, i)| *r == reqtype && (i.is_none() || *i == info));
        if !self.principal.widget || allowed {
            Ok(())
        } else {
            Err(ApiError::Auth)
        }
    }

    /// Refuse every write for a read-only key.
    pub fn require_write(&self, what: &str) -> ApiResult<()> {
        if self.principal.read_only {
            Err(ApiError::invalid(format!(
                "this key is read-only; {what} needs a read/write key"
            )))
        } else {
            Ok(())
        }
    }
}

/// Hash a secret (API key, user or web password) with argon2id and a fresh salt.
pub fn hash_secret(secret: &str) -> Result<String, ApiError> {
    let salt = SaltString::generate(&mut OsRng);
    Argon2::default()
        .hash_password(secret.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(crate::error::internal)
}

/// A hash to verify against when there is nothing to verify (an unknown key or user name), so
/// that costs the same as a wrong secret.
pub fn dummy_hash() -> &'static str {
    static DUMMY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    DUMMY.get_or_init(|| hash_secret("switchboard-dummy-password").unwrap_or_default())
}

/// Constant-time verification of a secret against a stored argon2 hash (on the calling
/// thread, allocating its own memory: for the CLI and tests; requests use [`verify_bounded`]).
pub fn verify_secret(secret: &str, stored: &str) -> bool {
    verify_in(secret, stored, &mut Vec::new())
}

/// The most memory one verification may take (the default is 19 MiB): a larger cost in a
/// stored hash is refused rather than allocated.
const MAX_ARGON_KIB: u32 = 64 * 1024;

/// Verify `secret` against `stored` in `blocks`, argon2's working memory (grown as needed and
/// kept by the caller for the next verification).
fn verify_in(secret: &str, stored: &str, blocks: &mut Vec<argon2::Block>) -> bool {
    use subtle::ConstantTimeEq;
    let Ok(hash) = PasswordHash::new(stored) else {
        return false;
    };
    let (Some(salt), Some(expected)) = (hash.salt, hash.hash) else {
        return false;
    };
    let Ok(params) = argon2::Params::try_from(&hash) else {
        return false;
    };
    let Ok(algorithm) = argon2::Algorithm::try_from(hash.algorithm) else {
        return false;
    };
    let Ok(version) = hash.version.map(argon2::Version::try_from).transpose() else {
        return false;
    };
    let mut salt_buf = [0u8; 64];
    let Ok(salt) = salt.decode_b64(&mut salt_buf) else {
        return false;
    };
    if params.m_cost() > MAX_ARGON_KIB {
        return false;
    }
    if blocks.len() < params.block_count() {
        blocks.resize(params.block_count(), argon2::Block::default());
    }
    let mut out = vec![0u8; expected.len()];
    Argon2::new(algorithm, version.unwrap_or_default(), params)
        .hash_password_into_with_memory(secret.as_bytes(), salt, &mut out, &mut blocks[..])
        .is_ok()
        && bool::from(out.as_slice().ct_eq(expected.as_bytes()))
}

/// argon2 takes ~19 MiB and a core for tens of milliseconds: requests verify through a fixed
/// number of slots (one per core), each with working memory that is reused, so a storm of
/// guesses queues instead of growing the heap (fresh buffers on many blocking threads each
/// stayed in a malloc arena of their own).
struct ArgonSlots {
    permits: tokio::sync::Semaphore,
    buffers: std::sync::Mutex<Vec<Vec<argon2::Block>>>,
}

fn argon_slots() -> &'static ArgonSlots {
    static SLOTS: std::sync::OnceLock<ArgonSlots> = std::sync::OnceLock::new();
    SLOTS.get_or_init(|| ArgonSlots {
        permits: tokio::sync::Semaphore::new(argon_parallelism()),
        buffers: Default::default(),
    })
}

/// How many verifications run at once: the cores, at most 4.
pub fn argon_parallelism() -> usize {
    std::thread::available_parallelism().map_or(2, |n| n.get().min(4))
}

/// [`verify_secret`] for request handlers: off the async threads, at most
/// [`argon_parallelism`] at once, in reused memory.
pub async fn verify_bounded(secret: &str, stored: &str) -> ApiResult<bool> {
    let slots = argon_slots();
    let permit = slots
        .permits
        .acquire()
        .await
        .map_err(crate::error::internal)?;
    let (secret, stored) = (secret.to_string(), stored.to_string());
    // The slot and its memory go with the work: a request that is dropped meanwhile frees
    // neither early.
    tokio::task::spawn_blocking(move || {
        let _permit = permit;
        let pool = || slots.buffers.lock().unwrap_or_else(|p| p.into_inner());
        let mut blocks = pool().pop().unwrap_or_default();
        let ok = verify_in(&secret, &stored, &mut blocks);
        pool().push(blocks);
        ok
    })
    .await
    .map_err(crate::error::internal)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn verification_in_reused_memory_matches_argon2() {
        let stored = hash_secret("sbk_right").unwrap();
        let mut blocks = Vec::new();
        assert!(verify_in("sbk_right", &stored, &mut blocks));
        assert!(!verify_in("sbk_wrong", &stored, &mut blocks));
        assert!(verify_in("sbk_right", &stored, &mut blocks));
        assert!(!verify_in("sbk_right", "not a hash", &mut blocks));
        // A hash asking for more memory than allowed is refused, not allocated.
        let greedy = Argon2::new(
            argon2::Algorithm::Argon2id,
            argon2::Version::V0x13,
            argon2::Params::new(MAX_ARGON_KIB + 8, 1, 1, None).unwrap(),
        )
        .hash_password(b"x", &SaltString::generate(&mut OsRng))
        .unwrap()
        .to_string();
        assert!(!verify_in("x", &greedy, &mut blocks));
    }
}
