//! Migrations: two trees with identical file names and, word for word, the same schema (the
//! contract tests compare them), applied in order, each in a transaction,
//! recorded in `npass_migrations`. Nodes of an older version keep serving while a newer one
//! migrates, because migrations only add.

use npass_core::error::{Error, Result};

use crate::{Backend, SqlStore, args};

/// (version, name, SQLite text, PostgreSQL text)
pub const MIGRATIONS: &[(i64, &str, &str, &str)] = &[
    (
        1,
        "0001_init.sql",
        include_str!("../migrations/sqlite/0001_init.sql"),
        include_str!("../migrations/postgres/0001_init.sql"),
    ),
    (
        2,
        "0002_oidc.sql",
        include_str!("../migrations/sqlite/0002_oidc.sql"),
        include_str!("../migrations/postgres/0002_oidc.sql"),
    ),
    (
        3,
        "0003_esign.sql",
        include_str!("../migrations/sqlite/0003_esign.sql"),
        include_str!("../migrations/postgres/0003_esign.sql"),
    ),
    (
        4,
        "0004_grants.sql",
        include_str!("../migrations/sqlite/0004_grants.sql"),
        include_str!("../migrations/postgres/0004_grants.sql"),
    ),
    (
        5,
        "0005_assertion_expiry.sql",
        include_str!("../migrations/sqlite/0005_assertion_expiry.sql"),
        include_str!("../migrations/postgres/0005_assertion_expiry.sql"),
    ),
    (
        6,
        "0006_grant_tokens.sql",
        include_str!("../migrations/sqlite/0006_grant_tokens.sql"),
        include_str!("../migrations/postgres/0006_grant_tokens.sql"),
    ),
    (
        7,
        "0007_refresh_audit.sql",
        include_str!("../migrations/sqlite/0007_refresh_audit.sql"),
        include_str!("../migrations/postgres/0007_refresh_audit.sql"),
    ),
    (
        8,
        "0008_session_chain.sql",
        include_str!("../migrations/sqlite/0008_session_chain.sql"),
        include_str!("../migrations/postgres/0008_session_chain.sql"),
    ),
    (
        9,
        "0009_health.sql",
        include_str!("../migrations/sqlite/0009_health.sql"),
        include_str!("../migrations/postgres/0009_health.sql"),
    ),
    (
        10,
        "0010_login_transactions.sql",
        include_str!("../migrations/sqlite/0010_login_transactions.sql"),
        include_str!("../migrations/postgres/0010_login_transactions.sql"),
    ),
    (
        11,
        "0011_key_certificates.sql",
        include_str!("../migrations/sqlite/0011_key_certificates.sql"),
        include_str!("../migrations/postgres/0011_key_certificates.sql"),
    ),
    (
        12,
        "0012_self_service.sql",
        include_str!("../migrations/sqlite/0012_self_service.sql"),
        include_str!("../migrations/postgres/0012_self_service.sql"),
    ),
    (
        13,
        "0013_passkeys.sql",
        include_str!("../migrations/sqlite/0013_passkeys.sql"),
        include_str!("../migrations/postgres/0013_passkeys.sql"),
    ),
    (
        14,
        "0014_webauthn_ceremonies.sql",
        include_str!("../migrations/sqlite/0014_webauthn_ceremonies.sql"),
        include_str!("../migrations/postgres/0014_webauthn_ceremonies.sql"),
    ),
    (
        15,
        "0015_app_devices.sql",
        include_str!("../migrations/sqlite/0015_app_devices.sql"),
        include_str!("../migrations/postgres/0015_app_devices.sql"),
    ),
    (
        16,
        "0016_saml.sql",
        include_str!("../migrations/sqlite/0016_saml.sql"),
        include_str!("../migrations/postgres/0016_saml.sql"),
    ),
    (
        17,
        "0017_saml_logout.sql",
        include_str!("../migrations/sqlite/0017_saml_logout.sql"),
        include_str!("../migrations/postgres/0017_saml_logout.sql"),
    ),
    (
        18,
        "0018_session_organization.sql",
        include_str!("../migrations/sqlite/0018_session_organization.sql"),
        include_str!("../migrations/postgres/0018_session_organization.sql"),
    ),
    (
        19,
        "0019_roles.sql",
        include_str!("../migrations/sqlite/0019_roles.sql"),
        include_str!("../migrations/postgres/0019_roles.sql"),
    ),
    (
        20,
        "0020_organizations.sql",
        include_str!("../migrations/sqlite/0020_organizations.sql"),
        include_str!("../migrations/postgres/0020_organizations.sql"),
    ),
    (
        21,
        "0021_mandates.sql",
        include_str!("../migrations/sqlite/0021_mandates.sql"),
        include_str!("../migrations/postgres/0021_mandates.sql"),
    ),
];

/// Applies the migrations not yet applied, up to `upto` (tests stop early to stand for an
/// older schema).
pub(crate) async fn run(store: &SqlStore, upto: i64) -> Result<()> {
    let mut tx = store.begin().await?;
    tx.exec("CREATE TABLE IF NOT EXISTS npass_migrations (version BIGINT PRIMARY KEY, name TEXT NOT NULL)", args![]).await?;
    if store.backend() == Backend::Postgres {
        // One node migrates at a time; the others wait here and then find nothing to do.
        tx.exec("SELECT pg_advisory_xact_lock(7262271)", args![])
            .await?;
    }
    let rows = tx
        .all("SELECT version FROM npass_migrations", args![])
        .await?;
    let applied: Vec<i64> = rows.iter().filter_map(|r| r.get::<i64>(0).ok()).collect();
    if let Some(newest) = applied.iter().max()
        && *newest > MIGRATIONS.iter().map(|m| m.0).max().unwrap_or(0)
    {
        tracing::warn!(
            newest,
            "the database was migrated by a newer npass; serving with the older schema"
        );
    }
    for (version, name, sqlite, postgres) in MIGRATIONS {
        if applied.contains(version) || *version > upto {
            continue;
        }
        let sql = match store.backend() {
            Backend::Sqlite => sqlite,
            Backend::Postgres => postgres,
        };
        tx.script(sql)
            .await
            .map_err(|e| Error::Internal(format!("{name}: {e}")))?;
        tx.exec(
            "INSERT INTO npass_migrations (version, name) VALUES ($1, $2)",
            args![*version, *name],
        )
        .await?;
        tracing::info!(migration = name, "applied");
    }
    tx.commit().await
}
