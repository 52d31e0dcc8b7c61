//! npass core: the domain and protocols. Never imports axum, sqlx or templates.
#![cfg_attr(
    test,
    allow(
        clippy::unwrap_used,
        clippy::expect_used,
        clippy::panic,
        clippy::indexing_slicing
    )
)]

pub mod acting;
pub mod admin;
pub mod approval;
pub mod audit;
pub mod challenge;
pub mod clock;
pub mod device;
pub mod error;
pub mod esign;
pub mod ids;
pub mod keys;
pub mod login;
pub mod mandates;
pub mod model;
pub mod national_id;
pub mod oidc;
pub mod orgs;
pub mod own;
pub mod passkey;
pub mod password;
pub mod picture;
pub mod register;
pub mod registry;
pub mod relying;
pub mod reset;
pub mod rng;
pub mod roles;
pub mod saml;
pub mod seal;
pub mod service;
pub mod store;
#[cfg(test)]
mod testing;
pub mod totp;
pub mod twostep;

pub use error::{Error, Result};
pub use service::Core;

/// Percent-encodes a query value (RFC 3986 unreserved characters pass).
pub fn pct_encode(s: &str) -> String {
    let mut out = String::new();
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}
