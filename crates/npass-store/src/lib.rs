//! npass storage: the only crate with SQL. One implementation of the core's store ports serves
//! SQLite (embedded default, through rusqlite) and PostgreSQL (scale, through sqlx), with portable
//! SQL behind one small interface (`db`): `$n` placeholders, `RETURNING`, `ON CONFLICT`, ids as text, instants as integer
//! milliseconds from the core's Clock (never `now()` in SQL).
//!
//! SQLite allows one writer: every transaction here starts with a write, so it takes the write
//! lock at once (waiting for another connection without blocking the thread) instead of failing
//! on a lock upgrade. On PostgreSQL the audit chain's head row serialises appenders across nodes.
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
mod challenges;
mod credentials;
mod db;
mod mandates;
mod migrate;
mod oidc;
mod orgs;
mod passkeys;
mod relying;
mod roles;
mod saml;
mod sessions;

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use npass_core::error::{Error, Result};
use npass_core::model::{AuditEvent, Mail};

pub(crate) use db::{Tx, args};
pub use migrate::MIGRATIONS;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// The SQL store. Cheap to clone.
#[derive(Clone)]
pub struct SqlStore {
    pool: db::Pool,
    backend: Backend,
}

/// The file a `sqlite:` URL names: `sqlite://path`, `sqlite:path`, with or without `?options`.
fn sqlite_path(url: &str) -> Result<PathBuf> {
    let rest = url.trim_start_matches("sqlite:");
    let rest = rest.strip_prefix("//").unwrap_or(rest);
    let path = rest.split('?').next().unwrap_or("");
    if path.is_empty() || path.starts_with(':') {
        return Err(Error::invalid("database.url", "database-url"));
    }
    Ok(PathBuf::from(path))
}

fn sqlite_open(path: &std::path::Path, full_sync: bool) -> Result<rusqlite::Connection> {
    let conn = rusqlite::Connection::open(path).map_err(db::lite)?;
    conn.busy_timeout(db::BUSY_WAIT).map_err(db::lite)?;
    conn.set_prepared_statement_cache_capacity(128);
    // Plans never depend on bound values: without this SQLite's STAT4 build recompiles some
    // cached statements (the refresh-token lookup among them) at every new binding.
    conn.set_db_config(
        rusqlite::config::DbConfig::SQLITE_DBCONFIG_ENABLE_QPSG,
        true,
    )
    .map_err(db::lite)?;
    let sync = if full_sync { "FULL" } else { "NORMAL" };
    // Checkpoints are the checkpointer's (`db::checkpointer`); 40 MiB of WAL is the safety net.
    conn.execute_batch(&format!(
        "PRAGMA journal_mode = WAL; PRAGMA foreign_keys = ON; \
         PRAGMA mmap_size = 268435456; PRAGMA cache_size = -8192; PRAGMA temp_store = MEMORY; \
         PRAGMA synchronous = {sync}; PRAGMA wal_autocheckpoint = 10000;"
    ))
    .map_err(db::lite)?;
    Ok(conn)
}

/// The checkpointer's connection: it waits for nothing (a busy database defers the checkpoint
/// to the next round).
fn sqlite_checkpoints(path: &std::path::Path, full_sync: bool) -> Result<rusqlite::Connection> {
    let conn = rusqlite::Connection::open(path).map_err(db::lite)?;
    let sync = if full_sync { "FULL" } else { "NORMAL" };
    conn.execute_batch(&format!("PRAGMA synchronous = {sync};"))
        .map_err(db::lite)?;
    Ok(conn)
}

impl SqlStore {
    /// Connects (creating the SQLite file if needed) and runs the migrations.
    pub async fn connect(url: &str, max_connections: u32) -> Result<Self> {
        Self::connect_with(url, max_connections, false).await
    }

    /// `max_connections`: PostgreSQL's pool size (SQLite uses one connection, see `db`).
    /// `sqlite_full_sync`: SQLite in WAL mode syncs at every commit (`synchronous = FULL`)
    /// instead of at checkpoints (`NORMAL`). With `NORMAL` a killed process loses nothing
    /// committed; a power cut can lose the last commits. PostgreSQL is unaffected.
    pub async fn connect_with(
        url: &str,
        max_connections: u32,
        sqlite_full_sync: bool,
    ) -> Result<Self> {
        let store = Self::open(url, max_connections, sqlite_full_sync).await?;
        migrate::run(&store, i64::MAX).await?;
        Ok(store)
    }

    /// Connects without migrating.
    async fn open(url: &str, max_connections: u32, sqlite_full_sync: bool) -> Result<Self> {
        let (pool, backend) = if url.starts_with("sqlite:") {
            let path = sqlite_path(url)?;
            let conn = sqlite_open(&path, sqlite_full_sync)?;
            let checkpoints = sqlite_checkpoints(&path, sqlite_full_sync)?;
            (
                db::Pool::Lite(Arc::new(db::Lite::new(conn, checkpoints)?)),
                Backend::Sqlite,
            )
        } else if url.starts_with("postgres:") || url.starts_with("postgresql:") {
            let pool = sqlx::postgres::PgPoolOptions::new()
                .max_connections(max_connections.max(1))
                .acquire_timeout(Duration::from_secs(5))
                .connect(url)
                .await
                .map_err(db::pg)?;
            (db::Pool::Pg(pool), Backend::Postgres)
        } else {
            return Err(Error::invalid("database.url", "database-url"));
        };
        Ok(SqlStore { pool, backend })
    }

    pub fn backend(&self) -> Backend {
        self.backend
    }

    pub(crate) async fn begin(&self) -> Result<Tx> {
        self.pool.begin().await
    }

    pub(crate) fn pool(&self) -> &db::Pool {
        &self.pool
    }

    pub async fn close(&self) {
        self.pool.close().await;
    }
}

/// Appends one audit row inside `tx`, chained to the previous one.
///
/// On SQLite the writer remembers the head it last wrote, so an append is one conditional
/// `UPDATE` (it matches only if the head is still exactly that: nothing rolled back and no
/// other process appended since) and the `INSERT`; otherwise the head is read first, as on
/// PostgreSQL, where reading it locks the row and so serialises appenders.
pub(crate) async fn append_audit(tx: &mut Tx, ev: &AuditEvent, now: i64) -> Result<()> {
    if let Some((seq, prev)) = tx.audit_head() {
        let next = seq + 1;
        let hash = npass_core::audit::chain_hash(&prev, next, now, ev);
        let moved = tx
            .exec(
                "UPDATE audit_head SET seq = $1, hash = $2 WHERE id = 1 AND seq = $3 AND hash = $4",
                args![next, &hash, seq, &prev],
            )
            .await?;
        if moved == 1 {
            return insert_audit(tx, next, &prev, hash, ev, now).await;
        }
    }
    let row = tx
        .one(
            "UPDATE audit_head SET seq = seq + 1 WHERE id = 1 RETURNING seq, hash",
            args![],
        )
        .await?;
    let seq: i64 = row.col("seq")?;
    let prev: String = row.col("hash")?;
    let hash = npass_core::audit::chain_hash(&prev, seq, now, ev);
    tx.exec("UPDATE audit_head SET hash = $1 WHERE id = 1", args![&hash])
        .await?;
    insert_audit(tx, seq, &prev, hash, ev, now).await
}

/// The audit row itself; the head now names it (`seq`, `hash`).
async fn insert_audit(
    tx: &mut Tx,
    seq: i64,
    prev: &str,
    hash: String,
    ev: &AuditEvent,
    now: i64,
) -> Result<()> {
    tx.exec(
        "INSERT INTO audit (seq, at, kind, account_id, ip, detail, prev_hash, hash) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        args![
            seq,
            now,
            &ev.kind,
            ev.account_id.clone(),
            ev.ip.clone(),
            ev.detail.to_string(),
            prev,
            &hash
        ],
    )
    .await?;
    tx.set_audit_head(seq, hash);
    Ok(())
}

/// Puts one email in the outbox inside `tx`.
pub(crate) async fn enqueue_mail(tx: &mut Tx, mail: Option<&Mail>, now: i64) -> Result<()> {
    let Some(m) = mail else { return Ok(()) };
    let params = serde_json::to_string(&m.params).map_err(|e| Error::Internal(e.to_string()))?;
    tx.exec(
        "INSERT INTO mail_outbox (id, created_at, to_addr, language, kind, params, attempts, \
         next_attempt_at, claimed_until) VALUES ($1, $2, $3, $4, $5, $6, 0, $2, 0)",
        args![&m.id, now, &m.to, &m.language, &m.kind, params],
    )
    .await?;
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

impl SqlStore {
    /// Runs one conditional statement (a change only the right actor may make, decided in
    /// its `WHERE`) and, when it changed exactly one row, records `audit` in the same
    /// transaction: `false`, writing nothing, otherwise.
    pub(crate) async fn exec_one(
        &self,
        sql: &'static str,
        params: &[db::Arg<'_>],
        audit: &[AuditEvent],
        now: i64,
    ) -> Result<bool> {
        let mut tx = self.begin().await?;
        if tx.exec(sql, params).await? != 1 {
            return Ok(false);
        }
        finish_all(tx, audit, now).await?;
        Ok(true)
    }
}

/// Records every event of `audit`, in order, and commits.
pub(crate) async fn finish_all(mut tx: Tx, audit: &[AuditEvent], now: i64) -> Result<()> {
    for ev in audit {
        append_audit(&mut tx, ev, now).await?;
    }
    commit(tx).await
}

pub(crate) async fn commit(tx: Tx) -> Result<()> {
    tx.commit().await
}

#[async_trait]
impl npass_core::store::Store for SqlStore {
    async fn ping(&self, now: i64) -> Result<()> {
        // A write that must commit: reading alone still works on a full disk or a locked file.
        let mut tx = self.begin().await?;
        tx.exec(
            "INSERT INTO npass_health (id, at) VALUES (1, $1) ON CONFLICT (id) DO UPDATE SET at = $1",
            args![now],
        )
        .await?;
        commit(tx).await
    }
}

/// Databases for tests: `NPASS_TEST_DATABASE_URL` names a PostgreSQL server (each call makes a
/// fresh database on it, so tests can run in parallel); unset, each call gets a new SQLite file
/// in `dir`.
pub mod testdb {
    use npass_core::error::Result;

    use sqlx::Connection;

    use crate::{SqlStore, db, migrate};

    /// Leaves the database at `url` as an older npass would: migrated up to `version`, with
    /// `setup` (SQL) run on it. The next `SqlStore::connect` migrates it the rest of the way.
    pub async fn at_version(url: &str, version: i64, setup: &str) -> Result<()> {
        let store = SqlStore::open(url, 1, false).await?;
        migrate::run(&store, version).await?;
        let mut tx = store.begin().await?;
        tx.script(setup).await?;
        tx.commit().await?;
        store.close().await;
        Ok(())
    }

    /// Holds the database's write lock, as another process (a stuck backup, an operator's
    /// session) would, until the guard is dropped: SQLite's `BEGIN IMMEDIATE` on a connection
    /// of its own, PostgreSQL's exclusive lock on the readiness probe's table.
    pub async fn hold_write_lock(url: &str) -> Result<WriteLock> {
        if url.starts_with("postgres") {
            let mut conn = sqlx::PgConnection::connect(url).await.map_err(db::pg)?;
            sqlx::raw_sql("BEGIN; LOCK TABLE npass_health IN EXCLUSIVE MODE")
                .execute(&mut conn)
                .await
                .map_err(db::pg)?;
            return Ok(WriteLock::Postgres(conn));
        }
        let path = crate::sqlite_path(url)?;
        // The app's own writes (its start-up sweep) may hold the lock for a moment: the wait
        // runs off the runtime's thread, so an app on the same runtime (a test's) can finish
        // them meanwhile instead of waiting for this wait to give up.
        let conn = tokio::task::spawn_blocking(move || {
            let conn = rusqlite::Connection::open(path).map_err(db::lite)?;
            conn.busy_timeout(std::time::Duration::from_secs(5))
                .map_err(db::lite)?;
            conn.execute_batch("BEGIN IMMEDIATE").map_err(db::lite)?;
            Ok::<_, npass_core::Error>(conn)
        })
        .await
        .map_err(|e| npass_core::Error::Internal(e.to_string()))??;
        Ok(WriteLock::Sqlite(conn))
    }

    /// See `hold_write_lock`; dropping it ends the other connection and its lock.
    pub enum WriteLock {
        Sqlite(rusqlite::Connection),
        Postgres(sqlx::PgConnection),
    }

    pub async fn fresh_url(dir: &std::path::Path) -> Result<String> {
        match std::env::var("NPASS_TEST_DATABASE_URL") {
            Ok(admin) if admin.starts_with("postgres") => {
                // `NPASS_TEST_DB_PREFIX` (test.sh sets one per run, so it drops its own
                // databases and nobody else's) must stay within `npass_t_`.
                let prefix = std::env::var("NPASS_TEST_DB_PREFIX")
                    .ok()
                    .filter(|p| {
                        p.starts_with("npass_t_")
                            && p.bytes()
                                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
                    })
                    .unwrap_or_else(|| "npass_t_".into());
                let name = format!("{prefix}{}", npass_core::rng::id(&npass_core::rng::OsRng));
                let mut conn = sqlx::PgConnection::connect(&admin).await.map_err(db::pg)?;
                sqlx::raw_sql(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
                    .execute(&mut conn)
                    .await
                    .map_err(db::pg)?;
                let base = admin.rsplit_once('/').map(|(b, _)| b).unwrap_or(&admin);
                Ok(format!("{base}/{name}"))
            }
            _ => Ok(format!("sqlite://{}", dir.join("npass.db").display())),
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use npass_core::store::ConsentStore;

    use super::SqlStore;

    /// Rounds come about every 256 frames, between 20 and 100 ms apart.
    #[test]
    fn checkpoint_rounds_follow_the_write_rate() {
        use crate::db::next_wait;
        use std::time::Duration;
        let ms = Duration::from_millis;
        for (after, frames, next, why) in [
            (20, 0, 100, "nothing written: the longest wait"),
            (100, 3_000, 20, "heavy writes: the shortest"),
            (100, 512, 50, "512 frames in 100 ms: 256 in 50"),
            (50, 100, 100, "light writes: never longer than 100 ms"),
        ] {
            assert_eq!(next_wait(ms(after), frames), ms(next), "{why}");
        }
    }

    /// Claiming from an outbox reads its due-time index in order and stops at the first free
    /// entry: no sort of every due row (which made draining a backlog quadratic). Forgetting
    /// expired client assertions, done at every private_key_jwt request, reads its index too,
    /// and a refresh finds its token and the token's grant by their keys (spending one used to
    /// list every unrevoked grant). The citizen's history reads its account's index newest
    /// first, with no sort.
    #[tokio::test]
    async fn hot_statements_follow_their_indexes() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("npass.db");
        let _s = SqlStore::connect(&format!("sqlite://{}", path.display()), 1)
            .await
            .unwrap();
        let conn = rusqlite::Connection::open(&path).unwrap();
        for (sql, index) in [
            (crate::audit::MAIL_CLAIM, "mail_outbox_due"),
            (crate::oidc::BACKCHANNEL_CLAIM, "backchannel_outbox_due"),
            (crate::oidc::ASSERTIONS_EXPIRED, "client_assertions_expiry"),
            // Every refresh: by the token's key, then its grant's (never a scan of grants).
            (crate::oidc::SPEND_REFRESH, "sqlite_autoindex_grants_1"),
            (crate::oidc::LIVE_TOKEN, "sqlite_autoindex_grants_1"),
            // The history, through the partial index that leaves refreshes out.
            (crate::audit::HISTORY, "audit_account"),
        ] {
            let mut st = conn.prepare(&format!("EXPLAIN QUERY PLAN {sql}")).unwrap();
            let args = vec![0i64; st.parameter_count()];
            let plan: Vec<String> = st
                .query_map(rusqlite::params_from_iter(args), |r| r.get::<_, String>(3))
                .unwrap()
                .collect::<rusqlite::Result<_>>()
                .unwrap();
            let plan = plan.join("\n");
            assert!(plan.contains(&format!("USING INDEX {index}")), "{plan}");
            assert!(!plan.contains("TEMP B-TREE"), "{plan}");
            assert!(
                !plan.contains("SCAN") && !plan.contains("LIST SUBQUERY"),
                "{plan}"
            );
        }
    }

    /// The checkpointer copies the WAL back while the server runs, so the log is reused from
    /// its start instead of growing until SQLite's own threshold checkpoints inside a commit.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn the_wal_is_checkpointed_off_the_request_path() {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}", dir.path().join("npass.db").display());
        let s = SqlStore::connect(&url, 1).await.unwrap();
        let wal = dir.path().join("npass.db-wal");
        let ev = npass_core::audit::event("oidc.consent", None, None, serde_json::json!({}));
        let round = |from: usize| {
            let s = &s;
            let ev = &ev;
            async move {
                for i in from..from + 400 {
                    let scope = vec![format!("scope-{i}-{}", "x".repeat(200))];
                    s.consent_put(&format!("a{i}"), "c1", &scope, ev, 1)
                        .await
                        .unwrap();
                }
            }
        };
        round(0).await;
        let first = std::fs::metadata(&wal).unwrap().len();
        assert!(first > 1_000_000, "the round wrote {first} bytes of WAL");
        tokio::time::sleep(std::time::Duration::from_millis(500)).await;
        round(400).await;
        let second = std::fs::metadata(&wal).unwrap().len();
        assert!(
            second < first * 3 / 2,
            "the WAL grew from {first} to {second} bytes: nothing was checkpointed"
        );
        // It yields to the request threads (nice 10).
        #[cfg(target_os = "linux")]
        {
            let nice: Vec<i64> = std::fs::read_dir("/proc/self/task")
                .unwrap()
                .filter_map(|t| {
                    let t = t.ok()?.path();
                    let comm = std::fs::read_to_string(t.join("comm")).ok()?;
                    // The kernel keeps 15 bytes of a thread name.
                    (comm.trim() == "npass-checkpoin").then_some(())?;
                    let stat = std::fs::read_to_string(t.join("stat")).ok()?;
                    // Fields after the command's closing parenthesis start at field 3; nice is 19.
                    stat.rsplit_once(") ")?.1.split(' ').nth(16)?.parse().ok()
                })
                .collect();
            assert_eq!(nice, vec![10], "one checkpointer, at nice 10");
        }
    }
}
