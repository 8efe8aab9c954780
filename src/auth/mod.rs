//! Who is calling: API keys (argon2id at rest, a verification cache on the hot path, IP
//! allow-lists, expiry, throttling of guessers) and the [`Caller`] every handler receives.

pub mod keys;
pub mod throttle;

use crate::error::{ApiError, ApiResult};
use argon2::password_hash::{
    rand_core::OsRng, PasswordHash, PasswordHasher, PasswordVerifier, SaltString,
};
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
}

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

/// Constant-time verification of a secret against a stored argon2 hash.
pub fn verify_secret(secret: &str, stored: &str) -> bool {
    PasswordHash::new(stored)
        .map(|h| {
            Argon2::default()
                .verify_password(secret.as_bytes(), &h)
                .is_ok()
        })
        .unwrap_or(false)
}
