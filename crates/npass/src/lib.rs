//! npass: the binary's library — configuration, wiring, mail delivery and the CLI — so the
//! integration tests start exactly what `npass serve` starts.
#![cfg_attr(
    test,
    allow(
        clippy::unwrap_used,
        clippy::expect_used,
        clippy::panic,
        clippy::indexing_slicing
    )
)]

pub mod app;
pub mod backchannel;
pub mod cli;
pub mod config;
pub mod demo;
pub mod esign_tls;
pub mod keyfetch;
pub mod mail;
pub mod webpush;
