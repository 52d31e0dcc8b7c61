//! The integration-test binary: the real npass over HTTP and its CLI, on SQLite or PostgreSQL.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod acting;
mod admin_api;
mod app;
mod cluster;
mod delivery;
mod esign;
mod harness;
mod interop;
mod journeys;
mod login_rules;
mod oidc;
mod operator;
mod pages;
mod passkeys;
mod qrlogin;
mod registration;
mod roles;
mod saml;
mod saml_logout;
mod saml_pysaml2;
mod selfservice;
mod softkey;
mod tidy;
