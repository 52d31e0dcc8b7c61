//! Migrations: two trees with identical file names, applied in order, each in a transaction,
//! recorded in `npass_migrations`. Nodes of an older version keep serving while a newer one
//! migrates, because migrations only add.

use npass_core::error::{Error, Result};
use sqlx::Row;

use crate::{Backend, SqlStore, db};

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
];

/// The statements of a migration file: comment lines dropped, then split on `;`.
fn statements(sql: &str) -> Vec<String> {
    let code: Vec<&str> = sql
        .lines()
        .filter(|l| !l.trim_start().starts_with("--"))
        .collect();
    code.join("\n")
        .split(';')
        .map(str::to_owned)
        .filter(|s| !s.trim().is_empty())
        .collect()
}

pub(crate) async fn run(store: &SqlStore) -> Result<()> {
    let mut tx = store.begin().await?;
    sqlx::query(
        "CREATE TABLE IF NOT EXISTS npass_migrations (version BIGINT PRIMARY KEY, name TEXT NOT NULL)",
    )
    .execute(&mut *tx)
    .await
    .map_err(db)?;
    if store.backend() == Backend::Postgres {
        // One node migrates at a time; the others wait here and then find nothing to do.
        sqlx::query("SELECT pg_advisory_xact_lock(7262271)")
            .execute(&mut *tx)
            .await
            .map_err(db)?;
    }
    let rows = sqlx::query("SELECT version FROM npass_migrations")
        .fetch_all(&mut *tx)
        .await
        .map_err(db)?;
    let applied: Vec<i64> = rows
        .iter()
        .filter_map(|r| r.try_get::<i64, _>(0).ok())
        .collect();
    if let Some(newest) = applied.iter().max()
        && *newest > MIGRATIONS.iter().map(|m| m.0).max().unwrap_or(0)
    {
        tracing::warn!(
            newest,
            "the database was migrated by a newer npass; serving with the older schema"
        );
    }
    for (version, name, sqlite, postgres) in MIGRATIONS {
        if applied.contains(version) {
            continue;
        }
        let sql = match store.backend() {
            Backend::Sqlite => sqlite,
            Backend::Postgres => postgres,
        };
        for stmt in statements(sql) {
            sqlx::query(sqlx::AssertSqlSafe(stmt))
                .execute(&mut *tx)
                .await
                .map_err(|e| Error::Internal(format!("{name}: {e}")))?;
        }
        sqlx::query("INSERT INTO npass_migrations (version, name) VALUES ($1, $2)")
            .bind(*version)
            .bind(*name)
            .execute(&mut *tx)
            .await
            .map_err(db)?;
        tracing::info!(migration = name, "applied");
    }
    tx.commit().await.map_err(db)
}
