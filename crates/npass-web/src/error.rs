//! How handlers fail: `PageError` for pages (the browser middleware renders it as the localised
//! error page with the request id), `ApiError` for everything a program reads — one JSON problem
//! shape (`{"error": code, "message": text}`) and the OAuth shape its RFCs fix
//! (`{"error", "error_description"}`). Handlers return `Result<Response, _>` and use `?`.

use axum::Json;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use npass_core::Error;
use npass_core::oidc::{OAuthCode, OAuthError};
use serde_json::{Value, json};

/// A page handler's failure.
#[derive(Debug)]
pub enum PageError {
    /// A core error: the error page for it.
    Core(Error),
    /// The same, in another language than the browser's (an e-service's `ui_locales`).
    CoreIn(Error, &'static str),
    /// An answer of its own (a redirect to the login page, a form with its errors).
    Answer(Response),
}

pub type PageResult = Result<Response, PageError>;

impl From<Error> for PageError {
    fn from(e: Error) -> Self {
        PageError::Core(e)
    }
}

impl From<Response> for PageError {
    fn from(r: Response) -> Self {
        PageError::Answer(r)
    }
}

/// The core error a page failed with, for the browser middleware to render (it knows the
/// browser's language and the request id; a handler's response does not).
#[derive(Debug, Clone)]
pub struct Failed(pub Error, pub Option<&'static str>);

/// The status a core error answers with.
pub fn status_of(e: &Error) -> StatusCode {
    match e {
        Error::NotFound => StatusCode::NOT_FOUND,
        Error::Conflict(_) => StatusCode::CONFLICT,
        Error::Invalid { .. } => StatusCode::BAD_REQUEST,
        Error::Unauthenticated(_) => StatusCode::UNAUTHORIZED,
        Error::Forbidden(_) => StatusCode::FORBIDDEN,
        Error::RateLimited { .. } => StatusCode::TOO_MANY_REQUESTS,
        Error::Expired(_) => StatusCode::GONE,
        Error::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
        Error::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
    }
}

impl IntoResponse for PageError {
    fn into_response(self) -> Response {
        match self {
            PageError::Core(e) => failed(e, None),
            PageError::CoreIn(e, lang) => failed(e, Some(lang)),
            PageError::Answer(r) => r,
        }
    }
}

fn failed(e: Error, lang: Option<&'static str>) -> Response {
    let mut res = status_of(&e).into_response();
    res.extensions_mut().insert(Failed(e, lang));
    res
}

/// An API's failure.
#[derive(Debug)]
pub enum ApiError {
    /// The problem shape of npass's own APIs.
    Problem {
        status: StatusCode,
        code: &'static str,
        message: String,
    },
    /// An OAuth 2.0 / OpenID Connect endpoint's error. `challenge` names the scheme of the
    /// `WWW-Authenticate` header a 401 carries.
    OAuth {
        status: StatusCode,
        error: OAuthError,
        challenge: &'static str,
    },
}

impl ApiError {
    pub fn problem(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        ApiError::Problem {
            status,
            code,
            message: message.into(),
        }
    }

    /// An OAuth error with the status its code answers with at a back-channel endpoint
    /// (RFC 6749 §5.2: 400, or 503 while npass cannot answer).
    pub fn oauth(error: OAuthError) -> Self {
        let status = match error.error {
            OAuthCode::TemporarilyUnavailable => StatusCode::SERVICE_UNAVAILABLE,
            _ => StatusCode::BAD_REQUEST,
        };
        ApiError::OAuth {
            status,
            error,
            challenge: "Basic",
        }
    }

    pub fn oauth_with(status: StatusCode, code: OAuthCode, description: &str) -> Self {
        ApiError::OAuth {
            status,
            error: OAuthError::new(code, description),
            challenge: "Basic",
        }
    }

    /// A client that failed to authenticate: 401 with a `Basic` challenge, unless npass could
    /// not answer (503).
    pub fn unauthenticated_client(error: OAuthError) -> Self {
        let status = match error.error {
            OAuthCode::TemporarilyUnavailable => StatusCode::SERVICE_UNAVAILABLE,
            _ => StatusCode::UNAUTHORIZED,
        };
        ApiError::OAuth {
            status,
            error,
            challenge: "Basic",
        }
    }
}

/// The problem for a core error: its status, a stable code, and a message for a person
/// reading logs (never a secret; an internal error says only that).
impl From<Error> for ApiError {
    fn from(e: Error) -> Self {
        let status = status_of(&e);
        let (code, message) = match &e {
            Error::NotFound => ("not_found", "not found".to_owned()),
            Error::Conflict(r) => ("conflict", (*r).to_owned()),
            Error::Invalid { field, reason, .. } => ("invalid", format!("{field}: {reason}")),
            Error::Unauthenticated(r) => ("unauthorized", (*r).to_owned()),
            Error::Forbidden(r) => ("forbidden", (*r).to_owned()),
            Error::RateLimited { .. } => ("rate_limited", "try again later".to_owned()),
            Error::Expired(r) => ("expired", (*r).to_owned()),
            Error::Unavailable(_) => ("unavailable", "try again".to_owned()),
            Error::Internal(_) => ("internal", "internal error".to_owned()),
        };
        if status.is_server_error() {
            tracing::error!(error = %e, "API request failed");
        }
        ApiError::Problem {
            status,
            code,
            message,
        }
    }
}

impl From<OAuthError> for ApiError {
    fn from(e: OAuthError) -> Self {
        ApiError::oauth(e)
    }
}

/// JSON no cache may keep.
pub fn api_json(status: StatusCode, v: Value) -> Response {
    (
        status,
        [
            (header::CACHE_CONTROL, "no-store"),
            (header::PRAGMA, "no-cache"),
        ],
        Json(v),
    )
        .into_response()
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        match self {
            ApiError::Problem {
                status,
                code,
                message,
            } => api_json(status, json!({"error": code, "message": message})),
            ApiError::OAuth {
                status,
                error,
                challenge,
            } => {
                let code = error.error.as_str();
                let mut res = api_json(
                    status,
                    json!({"error": code, "error_description": error.description}),
                );
                if status == StatusCode::UNAUTHORIZED
                    && let Ok(v) = HeaderValue::from_str(&format!(
                        "{challenge} realm=\"npass\", error=\"{code}\""
                    ))
                {
                    res.headers_mut().insert(header::WWW_AUTHENTICATE, v);
                }
                res
            }
        }
    }
}
