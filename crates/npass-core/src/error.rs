//! The core's small, stable error vocabulary. The web layer maps each variant to a localised page,
//! an OAuth/OIDC error or an API answer; `reason` codes name locale keys (`err-<reason>`).

#[derive(Debug, thiserror::Error, Clone, PartialEq, Eq)]
pub enum Error {
    #[error("not found")]
    NotFound,
    #[error("conflict: {0}")]
    Conflict(&'static str),
    #[error("invalid {field}: {reason}")]
    Invalid {
        field: &'static str,
        reason: &'static str,
        /// A number the message needs (a minimum length, say).
        n: Option<i64>,
    },
    /// Credentials did not prove the claimed identity. One message for every cause.
    #[error("unauthenticated: {0}")]
    Unauthenticated(&'static str),
    #[error("forbidden: {0}")]
    Forbidden(&'static str),
    #[error("rate limited for {retry_after_ms} ms")]
    RateLimited { retry_after_ms: i64 },
    #[error("expired: {0}")]
    Expired(&'static str),
    /// The database or another part we depend on is unreachable: fail closed, try again later.
    #[error("unavailable: {0}")]
    Unavailable(String),
    #[error("internal: {0}")]
    Internal(String),
}

impl Error {
    pub fn invalid(field: &'static str, reason: &'static str) -> Self {
        Error::Invalid {
            field,
            reason,
            n: None,
        }
    }
    pub fn invalid_n(field: &'static str, reason: &'static str, n: i64) -> Self {
        Error::Invalid {
            field,
            reason,
            n: Some(n),
        }
    }
}

pub type Result<T, E = Error> = std::result::Result<T, E>;
