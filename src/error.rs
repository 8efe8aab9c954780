//! The one closed error type of the API. Every failure a client can meet is a variant here;
//! the renderer turns it into the caller's format (legacy text with HTTP 200 on the ProxyAPI).

/// The exact upstream text for any authentication failure (clients test `includes('Too bad')`).
pub const AUTH_FAILURE: &str = "Too bad... you mistaken the security api key.";

#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// Bad key, missing/unknown/other tenant for a tenant key, read-only or tenant key asking for
    /// admin-only data.
    #[error("{AUTH_FAILURE}")]
    Auth,
    /// An admin key named a tenant that does not exist (upstream literal).
    #[error("Wrong or missing tenant")]
    WrongTenant,
    #[error("unknown reqtype '{0}'")]
    UnknownReqtype(String),
    /// Input that does not parse or validate; the text names the parameter or field.
    #[error("{0}")]
    Invalid(String),
    /// The request is valid but conflicts with stored data (duplicates, limits, references).
    #[error("{0}")]
    Conflict(String),
    /// The named object does not exist (in the caller's scope).
    #[error("{0}")]
    NotFound(String),
    /// A reqtype or action of the upstream API that Switchboard does not implement (yet).
    #[error("{0} is not implemented by this server")]
    NotImplemented(String),
    /// The database cannot be reached (down, restarting, no free connection in time): worth
    /// retrying in a few seconds. The detail goes to the log.
    #[error("the database is unavailable; try again in a few seconds")]
    Unavailable,
    /// Anything unexpected (database down, …). The detail goes to the log with a reference;
    /// the client sees only the reference.
    #[error("internal error (reference {0}); the server log has the details")]
    Internal(String),
}

impl ApiError {
    pub fn invalid(msg: impl Into<String>) -> Self {
        ApiError::Invalid(msg.into())
    }

    /// Stable machine-readable code per variant (used by the REST front door and in logs).
    pub fn code(&self) -> &'static str {
        match self {
            ApiError::Auth => "auth",
            ApiError::WrongTenant => "wrong_tenant",
            ApiError::UnknownReqtype(_) => "unknown_reqtype",
            ApiError::Invalid(_) => "invalid",
            ApiError::Conflict(_) => "conflict",
            ApiError::NotFound(_) => "not_found",
            ApiError::NotImplemented(_) => "not_implemented",
            ApiError::Unavailable => "unavailable",
            ApiError::Internal(_) => "internal",
        }
    }

    /// The one-line plain-text body: the upstream literals as they are, everything else
    /// prefixed with `Error: `.
    pub fn line(&self) -> String {
        match self {
            ApiError::Auth | ApiError::WrongTenant => self.to_string(),
            other => format!("Error: {other}"),
        }
    }
}

impl From<crate::ami::BadValue> for ApiError {
    fn from(e: crate::ami::BadValue) -> Self {
        ApiError::Invalid(e.0)
    }
}

impl From<sea_orm::DbErr> for ApiError {
    fn from(e: sea_orm::DbErr) -> Self {
        if database_unreachable(&e) {
            tracing::warn!(error = %e, "database unavailable");
            return ApiError::Unavailable;
        }
        internal(e)
    }
}

/// Whether a database error says the server cannot be reached (rather than that a statement
/// failed): no connection within the acquire timeout, a connection cut, the server shutting
/// down or starting up (SQLSTATE classes 08 and 57P).
pub fn database_unreachable(e: &sea_orm::DbErr) -> bool {
    use sea_orm::sqlx::Error as Sqlx;
    use sea_orm::{DbErr, RuntimeErr};
    let sqlx = match e {
        DbErr::ConnectionAcquire(_) => return true,
        DbErr::Conn(RuntimeErr::SqlxError(x))
        | DbErr::Exec(RuntimeErr::SqlxError(x))
        | DbErr::Query(RuntimeErr::SqlxError(x)) => x,
        _ => return false,
    };
    match &**sqlx {
        Sqlx::Io(_) | Sqlx::PoolTimedOut | Sqlx::PoolClosed | Sqlx::WorkerCrashed => true,
        Sqlx::Database(d) => d
            .code()
            .is_some_and(|c| c.starts_with("08") || c.starts_with("57P")),
        _ => false,
    }
}

/// Log an unexpected failure under a fresh reference and return the opaque error.
pub fn internal(e: impl std::fmt::Display) -> ApiError {
    let reference = uuid::Uuid::new_v4().simple().to_string()[..12].to_string();
    tracing::error!(reference = %reference, error = %e, "internal error");
    ApiError::Internal(reference)
}

pub type ApiResult<T> = Result<T, ApiError>;
