//! npass storage: the only crate with SQL. One implementation of the core's store ports serves
//! SQLite (embedded default) and PostgreSQL (scale), through sqlx's `Any` driver with portable
//! SQL: `$n` placeholders, `RETURNING`, `ON CONFLICT`, ids as text, instants as integer
//! milliseconds from the core's Clock (never `now()` in SQL).
//!
//! SQLite allows one writer: every transaction here starts with a write, so it takes the write
//! lock at once and waits on `busy_timeout` instead of failing on a lock upgrade. On PostgreSQL
//! the audit chain's head row serialises appenders across nodes.
#![cfg_attr(
    test,
    allow(
        clippy::unwrap_used,
        clippy::expect_used,
        clippy::panic,
        clippy::indexing_slicing
    )
)]

mod accounts;
mod audit;
mod credentials;
mod migrate;
mod oidc;
mod sessions;

use std::str::FromStr;
use std::time::Duration;

use async_trait::async_trait;
use npass_core::error::{Error, Result};
use npass_core::model::{AuditEvent, Mail};
use sqlx::any::{AnyConnectOptions, AnyPoolOptions};
use sqlx::{Any, AnyPool, Row, Transaction};

pub use migrate::MIGRATIONS;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// The SQL store. Cheap to clone.
#[derive(Clone)]
pub struct SqlStore {
    pool: AnyPool,
    backend: Backend,
}

pub(crate) type Tx = Transaction<'static, Any>;

/// Maps a database error into the core's vocabulary: unreachable → `Unavailable` (fail closed,
/// "try again"), duplicate key → `Conflict`, everything else → `Internal`.
pub(crate) fn db(e: sqlx::Error) -> Error {
    match &e {
        sqlx::Error::Database(d) if d.is_unique_violation() => Error::Conflict("duplicate"),
        sqlx::Error::PoolTimedOut
        | sqlx::Error::PoolClosed
        | sqlx::Error::Io(_)
        | sqlx::Error::Tls(_) => Error::Unavailable(e.to_string()),
        sqlx::Error::Database(d) if is_busy(d.code().as_deref()) => {
            Error::Unavailable(e.to_string())
        }
        _ => Error::Internal(format!("database: {e}")),
    }
}

fn is_busy(code: Option<&str>) -> bool {
    // SQLITE_BUSY (5) and SQLITE_LOCKED (6); PostgreSQL 57P01/57P03 (shutting down, cannot connect)
    // and 08xxx connection errors.
    matches!(code, Some("5" | "6" | "517" | "57P01" | "57P03"))
        || code.is_some_and(|c| c.starts_with("08"))
}

impl SqlStore {
    /// Connects (creating the SQLite file if needed) and runs the migrations.
    pub async fn connect(url: &str, max_connections: u32) -> Result<Self> {
        Self::connect_with(url, max_connections, false).await
    }

    /// `sqlite_full_sync`: SQLite in WAL mode syncs at every commit (`synchronous = FULL`)
    /// instead of at checkpoints (`NORMAL`). With `NORMAL` a killed process loses nothing
    /// committed; a power cut can lose the last commits. PostgreSQL is unaffected.
    pub async fn connect_with(
        url: &str,
        max_connections: u32,
        sqlite_full_sync: bool,
    ) -> Result<Self> {
        sqlx::any::install_default_drivers();
        let backend = if url.starts_with("sqlite:") {
            Backend::Sqlite
        } else if url.starts_with("postgres:") || url.starts_with("postgresql:") {
            Backend::Postgres
        } else {
            return Err(Error::invalid("database.url", "database-url"));
        };
        let url = match backend {
            Backend::Sqlite if !url.contains("mode=") => {
                format!("{url}{}mode=rwc", if url.contains('?') { "&" } else { "?" })
            }
            _ => url.to_owned(),
        };
        let opts = AnyConnectOptions::from_str(&url).map_err(db)?;
        let pool = AnyPoolOptions::new()
            .max_connections(max_connections.max(1))
            .acquire_timeout(Duration::from_secs(5))
            .after_connect(move |conn, _| {
                Box::pin(async move {
                    if backend == Backend::Sqlite {
                        let sync = if sqlite_full_sync {
                            "PRAGMA synchronous = FULL"
                        } else {
                            "PRAGMA synchronous = NORMAL"
                        };
                        for pragma in [
                            "PRAGMA journal_mode = WAL",
                            "PRAGMA busy_timeout = 10000",
                            "PRAGMA foreign_keys = ON",
                            // Read pages through a memory map: no read() per page after another
                            // connection's write invalidated this one's cache.
                            "PRAGMA mmap_size = 268435456",
                            "PRAGMA cache_size = -8192",
                            "PRAGMA temp_store = MEMORY",
                            sync,
                        ] {
                            sqlx::query(pragma).execute(&mut *conn).await?;
                        }
                    }
                    Ok(())
                })
            })
            .connect_with(opts)
            .await
            .map_err(db)?;
        let store = SqlStore { pool, backend };
        migrate::run(&store).await?;
        Ok(store)
    }

    pub fn backend(&self) -> Backend {
        self.backend
    }

    pub(crate) async fn begin(&self) -> Result<Tx> {
        self.pool.begin().await.map_err(db)
    }

    pub(crate) fn pool(&self) -> &AnyPool {
        &self.pool
    }

    pub async fn close(&self) {
        self.pool.close().await;
    }
}

/// Appends one audit row inside `tx`, chained to the previous one.
pub(crate) async fn append_audit(tx: &mut Tx, ev: &AuditEvent, now: i64) -> Result<()> {
    let row = sqlx::query("UPDATE audit_head SET seq = seq + 1 WHERE id = 1 RETURNING seq, hash")
        .fetch_one(&mut **tx)
        .await
        .map_err(db)?;
    let seq: i64 = row.try_get(0).map_err(db)?;
    let prev: String = row.try_get(1).map_err(db)?;
    let hash = npass_core::audit::chain_hash(&prev, seq, now, ev);
    sqlx::query("UPDATE audit_head SET hash = $1 WHERE id = 1")
        .bind(&hash)
        .execute(&mut **tx)
        .await
        .map_err(db)?;
    sqlx::query(
        "INSERT INTO audit (seq, at, kind, account_id, ip, detail, prev_hash, hash) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
    )
    .bind(seq)
    .bind(now)
    .bind(&ev.kind)
    .bind(ev.account_id.clone())
    .bind(ev.ip.clone())
    .bind(ev.detail.to_string())
    .bind(&prev)
    .bind(&hash)
    .execute(&mut **tx)
    .await
    .map_err(db)?;
    Ok(())
}

/// Puts one email in the outbox inside `tx`.
pub(crate) async fn enqueue_mail(tx: &mut Tx, mail: Option<&Mail>, now: i64) -> Result<()> {
    let Some(m) = mail else { return Ok(()) };
    let params = serde_json::to_string(&m.params).map_err(|e| Error::Internal(e.to_string()))?;
    sqlx::query(
        "INSERT INTO mail_outbox (id, created_at, to_addr, language, kind, params, attempts, \
         next_attempt_at, claimed_until) VALUES ($1, $2, $3, $4, $5, $6, 0, $2, 0)",
    )
    .bind(&m.id)
    .bind(now)
    .bind(&m.to)
    .bind(&m.language)
    .bind(&m.kind)
    .bind(params)
    .execute(&mut **tx)
    .await
    .map_err(db)?;
    Ok(())
}

/// Ends a business operation: its email (if any) and its audit row join the transaction, which
/// then commits.
pub(crate) async fn finish(
    mut tx: Tx,
    audit: &AuditEvent,
    mail: Option<&Mail>,
    now: i64,
) -> Result<()> {
    enqueue_mail(&mut tx, mail, now).await?;
    append_audit(&mut tx, audit, now).await?;
    commit(tx).await
}

pub(crate) async fn commit(tx: Tx) -> Result<()> {
    tx.commit().await.map_err(db)
}

#[async_trait]
impl npass_core::store::Store for SqlStore {
    async fn ping(&self) -> Result<()> {
        sqlx::query("SELECT 1")
            .execute(&self.pool)
            .await
            .map_err(db)
            .map(|_| ())
    }
}

/// Databases for tests: `NPASS_TEST_DATABASE_URL` names a PostgreSQL server (each call makes a
/// fresh database on it, so tests can run in parallel); unset, each call gets a new SQLite file
/// in `dir`.
pub mod testdb {
    use npass_core::error::Result;

    use crate::db;

    pub async fn fresh_url(dir: &std::path::Path) -> Result<String> {
        match std::env::var("NPASS_TEST_DATABASE_URL") {
            Ok(admin) if admin.starts_with("postgres") => {
                sqlx::any::install_default_drivers();
                let name = format!("npass_t_{}", npass_core::rng::id(&npass_core::rng::OsRng));
                let mut conn = <sqlx::AnyConnection as sqlx::Connection>::connect(&admin)
                    .await
                    .map_err(db)?;
                sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
                    .execute(&mut conn)
                    .await
                    .map_err(db)?;
                let base = admin.rsplit_once('/').map(|(b, _)| b).unwrap_or(&admin);
                Ok(format!("{base}/{name}"))
            }
            _ => Ok(format!("sqlite://{}", dir.join("npass.db").display())),
        }
    }
}
