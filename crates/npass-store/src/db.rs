//! The two back ends behind one small interface, so the store's SQL is written once.
//!
//! - PostgreSQL goes through sqlx's typed driver and its connection pool.
//! - SQLite goes through rusqlite, run inline on the calling task: one writer connection behind
//!   an async lock (every transaction takes it, so SQLite never sees two writers from this
//!   process) and a few reader connections. A statement takes microseconds; handing each one to
//!   a worker thread and back cost more than running it (docs/performance.md, "Figures behind
//!   choices in the code"). Prepared statements are cached per connection.
//!
//! SQL uses `$n` placeholders on both; SQLite binds them by name, so `$2` may come before `$1`.

use npass_core::ids::{AccountId, ClientId, Kid};
use std::borrow::Cow;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

use npass_core::error::{Error, Result};
use rusqlite::types::{ToSqlOutput, Value, ValueRef};
use sqlx::Row as _;
use sqlx::postgres::{PgArguments, PgPool, PgRow, Postgres};
use tokio::sync::{Mutex, OwnedMutexGuard};

/// One bound value. Nulls carry their type, because PostgreSQL wants one.
pub(crate) enum Arg<'a> {
    Int(Option<i64>),
    Text(Option<Cow<'a, str>>),
    Blob(Option<Cow<'a, [u8]>>),
}

impl From<i64> for Arg<'_> {
    fn from(v: i64) -> Self {
        Arg::Int(Some(v))
    }
}
impl From<Option<i64>> for Arg<'_> {
    fn from(v: Option<i64>) -> Self {
        Arg::Int(v)
    }
}
impl From<&Option<i64>> for Arg<'_> {
    fn from(v: &Option<i64>) -> Self {
        Arg::Int(*v)
    }
}
impl<'a> From<&'a str> for Arg<'a> {
    fn from(v: &'a str) -> Self {
        Arg::Text(Some(Cow::Borrowed(v)))
    }
}
impl<'a> From<&'a String> for Arg<'a> {
    fn from(v: &'a String) -> Self {
        Arg::Text(Some(Cow::Borrowed(v)))
    }
}
impl<'a> From<&'a &'a str> for Arg<'a> {
    fn from(v: &'a &'a str) -> Self {
        Arg::Text(Some(Cow::Borrowed(v)))
    }
}
impl From<String> for Arg<'_> {
    fn from(v: String) -> Self {
        Arg::Text(Some(Cow::Owned(v)))
    }
}
impl<'a> From<Option<&'a str>> for Arg<'a> {
    fn from(v: Option<&'a str>) -> Self {
        Arg::Text(v.map(Cow::Borrowed))
    }
}
impl From<Option<String>> for Arg<'_> {
    fn from(v: Option<String>) -> Self {
        Arg::Text(v.map(Cow::Owned))
    }
}
impl<'a> From<&'a Option<String>> for Arg<'a> {
    fn from(v: &'a Option<String>) -> Self {
        Arg::Text(v.as_deref().map(Cow::Borrowed))
    }
}
impl<'a> From<&'a [u8]> for Arg<'a> {
    fn from(v: &'a [u8]) -> Self {
        Arg::Blob(Some(Cow::Borrowed(v)))
    }
}
impl<'a> From<&'a Vec<u8>> for Arg<'a> {
    fn from(v: &'a Vec<u8>) -> Self {
        Arg::Blob(Some(Cow::Borrowed(v)))
    }
}
impl<'a> From<Option<&'a [u8]>> for Arg<'a> {
    fn from(v: Option<&'a [u8]>) -> Self {
        Arg::Blob(v.map(Cow::Borrowed))
    }
}

impl From<Vec<u8>> for Arg<'_> {
    fn from(v: Vec<u8>) -> Self {
        Arg::Blob(Some(Cow::Owned(v)))
    }
}

/// `args![a, b]`: the values for `$1`, `$2`.
macro_rules! args {
    ($($a:expr),* $(,)?) => {
        &[$($crate::db::Arg::from($a)),*] as &[$crate::db::Arg<'_>]
    };
}
pub(crate) use args;

impl rusqlite::ToSql for Arg<'_> {
    fn to_sql(&self) -> rusqlite::Result<ToSqlOutput<'_>> {
        Ok(match self {
            Arg::Int(Some(i)) => ToSqlOutput::Borrowed(ValueRef::Integer(*i)),
            Arg::Text(Some(s)) => ToSqlOutput::Borrowed(ValueRef::Text(s.as_bytes())),
            Arg::Blob(Some(b)) => ToSqlOutput::Borrowed(ValueRef::Blob(b)),
            Arg::Int(None) | Arg::Text(None) | Arg::Blob(None) => {
                ToSqlOutput::Borrowed(ValueRef::Null)
            }
        })
    }
}

fn pg_query(
    sql: &'static str,
    args: &[Arg<'_>],
) -> sqlx::query::Query<'static, Postgres, PgArguments> {
    let mut q = sqlx::query(sql);
    for a in args {
        q = match a {
            Arg::Int(v) => q.bind(*v),
            Arg::Text(v) => q.bind(v.as_deref()),
            Arg::Blob(v) => q.bind(v.as_deref()),
        };
    }
    q
}

/// One result row, read by column name (`col`) or, for a query of one column, position
/// (`get`). A SQLite row carries its query's column names, shared by all its rows.
pub(crate) enum Row {
    Pg(PgRow),
    Lite(Vec<Value>, Arc<[String]>),
}

/// The column types the store reads.
pub(crate) trait Col: Sized {
    fn pg<I: sqlx::ColumnIndex<PgRow>>(row: &PgRow, i: I) -> Result<Self>;
    fn lite(v: Value) -> Option<Self>;
}

macro_rules! col {
    ($t:ty, $pat:pat => $e:expr) => {
        impl Col for $t {
            fn pg<I: sqlx::ColumnIndex<PgRow>>(row: &PgRow, i: I) -> Result<Self> {
                row.try_get::<$t, _>(i).map_err(pg)
            }
            fn lite(v: Value) -> Option<Self> {
                match v {
                    $pat => $e,
                    #[allow(unreachable_patterns)]
                    _ => None,
                }
            }
        }
    };
}
col!(i64, Value::Integer(i) => Some(i));
col!(String, Value::Text(s) => Some(s));
col!(Vec<u8>, Value::Blob(b) => Some(b));
col!(Option<i64>, v => match v { Value::Integer(i) => Some(Some(i)), Value::Null => Some(None), _ => None });
col!(Option<Vec<u8>>, v => match v { Value::Blob(b) => Some(Some(b)), Value::Null => Some(None), _ => None });
col!(Option<String>, v => match v { Value::Text(s) => Some(Some(s)), Value::Null => Some(None), _ => None });

/// The core's identifier types are text columns and text arguments.
macro_rules! text_id {
    ($($t:ty),*) => {$(
        impl Col for $t {
            fn pg<I: sqlx::ColumnIndex<PgRow>>(row: &PgRow, i: I) -> Result<Self> {
                String::pg(row, i).map(<$t>::from)
            }
            fn lite(v: Value) -> Option<Self> {
                String::lite(v).map(<$t>::from)
            }
        }
        impl Col for Option<$t> {
            fn pg<I: sqlx::ColumnIndex<PgRow>>(row: &PgRow, i: I) -> Result<Self> {
                Option::<String>::pg(row, i).map(|o| o.map(<$t>::from))
            }
            fn lite(v: Value) -> Option<Self> {
                Option::<String>::lite(v).map(|o| o.map(<$t>::from))
            }
        }
        impl<'a> From<&'a $t> for Arg<'a> {
            fn from(v: &'a $t) -> Self {
                Arg::Text(Some(Cow::Borrowed(v.as_str())))
            }
        }
        impl<'a> From<&'a Option<$t>> for Arg<'a> {
            fn from(v: &'a Option<$t>) -> Self {
                Arg::Text(v.as_deref().map(Cow::Borrowed))
            }
        }
    )*};
}
text_id!(AccountId, ClientId, Kid);

impl Row {
    pub(crate) fn get<T: Col>(&self, i: usize) -> Result<T> {
        match self {
            Row::Pg(r) => T::pg(r, i),
            Row::Lite(vals, _) => {
                vals.get(i).cloned().and_then(T::lite).ok_or_else(|| {
                    Error::Internal(format!("database: column {i} has another type"))
                })
            }
        }
    }

    /// The column `name` of the query's result.
    pub(crate) fn col<T: Col>(&self, name: &str) -> Result<T> {
        match self {
            Row::Pg(r) => T::pg(r, name),
            Row::Lite(vals, names) => names
                .iter()
                .position(|n| n == name)
                .and_then(|i| vals.get(i).cloned())
                .and_then(T::lite)
                .ok_or_else(|| Error::Internal(format!("database: no column {name} of that type"))),
        }
    }
}

/// Maps a PostgreSQL error into the core's vocabulary: unreachable → `Unavailable` (fail
/// closed, "try again"), duplicate key → `Conflict`, everything else → `Internal`.
pub(crate) fn pg(e: sqlx::Error) -> Error {
    match &e {
        sqlx::Error::Database(d) if d.is_unique_violation() => Error::Conflict("duplicate"),
        sqlx::Error::PoolTimedOut
        | sqlx::Error::PoolClosed
        | sqlx::Error::Io(_)
        | sqlx::Error::Tls(_) => Error::Unavailable(e.to_string()),
        // 57P01/57P03: shutting down, cannot connect; 08xxx: connection errors.
        sqlx::Error::Database(d)
            if d.code()
                .is_some_and(|c| c == "57P01" || c == "57P03" || c.starts_with("08")) =>
        {
            Error::Unavailable(e.to_string())
        }
        _ => Error::Internal(format!("database: {e}")),
    }
}

/// The same for SQLite: a busy or locked database is `Unavailable`.
pub(crate) fn lite(e: rusqlite::Error) -> Error {
    use rusqlite::ErrorCode;
    match &e {
        rusqlite::Error::SqliteFailure(f, _)
            if f.code == ErrorCode::ConstraintViolation
                && matches!(
                    f.extended_code,
                    rusqlite::ffi::SQLITE_CONSTRAINT_UNIQUE
                        | rusqlite::ffi::SQLITE_CONSTRAINT_PRIMARYKEY
                ) =>
        {
            Error::Conflict("duplicate")
        }
        rusqlite::Error::SqliteFailure(f, _)
            if matches!(
                f.code,
                ErrorCode::DatabaseBusy | ErrorCode::DatabaseLocked | ErrorCode::CannotOpen
            ) =>
        {
            Error::Unavailable(e.to_string())
        }
        _ => Error::Internal(format!("database: {e}")),
    }
}

/// Binds `args` to `$1`… by name and runs `f` on the ready statement.
fn with_stmt<T>(
    conn: &rusqlite::Connection,
    sql: &str,
    args: &[Arg<'_>],
    f: impl FnOnce(&mut rusqlite::CachedStatement<'_>) -> rusqlite::Result<T>,
) -> rusqlite::Result<T> {
    let mut stmt = conn.prepare_cached(sql)?;
    for i in 1..=stmt.parameter_count() {
        let n: usize = stmt
            .parameter_name(i)
            .and_then(|name| name.strip_prefix('$'))
            .and_then(|n| n.parse().ok())
            .unwrap_or(i);
        let arg = args
            .get(n.wrapping_sub(1))
            .ok_or(rusqlite::Error::InvalidParameterCount(n, args.len()))?;
        stmt.raw_bind_parameter(i, arg)?;
    }
    let out = f(&mut stmt);
    stmt.clear_bindings();
    out
}

/// Runs one transaction-control statement (`BEGIN IMMEDIATE`, `SAVEPOINT op`, `RELEASE op`,
/// `COMMIT`) from the statement cache: every operation runs several, and compiling them each
/// time was a measurable share of a refresh.
fn control(conn: &rusqlite::Connection, sql: &'static str) -> rusqlite::Result<()> {
    conn.prepare_cached(sql)?.raw_execute().map(|_| ())
}

/// The column names of each query, by its text's address (every query is a `&'static str`):
/// read once per query, so a row read by name costs no allocation per column.
fn column_names(sql: &'static str, stmt: &rusqlite::Statement<'_>) -> Arc<[String]> {
    type Names = std::collections::HashMap<(usize, usize), Arc<[String]>>;
    static NAMES: std::sync::OnceLock<std::sync::RwLock<Names>> = std::sync::OnceLock::new();
    let names = NAMES.get_or_init(Default::default);
    let key = (sql.as_ptr() as usize, sql.len());
    if let Some(n) = names.read().ok().and_then(|m| m.get(&key).cloned()) {
        return n;
    }
    let n: Arc<[String]> = stmt.column_names().map(String::from).collect();
    if let Ok(mut m) = names.write() {
        m.insert(key, n.clone());
    }
    n
}

fn lite_rows(
    conn: &rusqlite::Connection,
    sql: &'static str,
    args: &[Arg<'_>],
    limit: usize,
) -> Result<Vec<Row>> {
    with_stmt(conn, sql, args, |stmt| {
        let width = stmt.column_count();
        let names = column_names(sql, stmt);
        let mut rows = stmt.raw_query();
        let mut out = Vec::new();
        while out.len() < limit
            && let Some(r) = rows.next()?
        {
            let mut vals = Vec::with_capacity(width);
            for i in 0..width {
                vals.push(r.get::<_, Value>(i)?);
            }
            out.push(Row::Lite(vals, names.clone()));
        }
        // A statement with RETURNING must run to its end to have done its work.
        while rows.next()?.is_some() {}
        Ok(out)
    })
    .map_err(lite)
}

fn lite_exec(conn: &rusqlite::Connection, sql: &str, args: &[Arg<'_>]) -> Result<u64> {
    with_stmt(conn, sql, args, |stmt| {
        if stmt.column_count() == 0 {
            return stmt.raw_execute().map(|n| n as u64);
        }
        // A statement that returns rows (RETURNING, a function called for its effect).
        let mut rows = stmt.raw_query();
        while rows.next()?.is_some() {}
        Ok(conn.changes())
    })
    .map_err(lite)
}

/// The SQLite side of a store: one connection, and the write batch open on it.
///
/// Group commit: a transaction (`Pool::begin`) opens the connection's write batch, or joins the
/// open one as a savepoint (the opener is alone in the batch until it is released, so it needs
/// none: on failure it rolls the batch back). Its `commit` releases it, lets the other ready
/// tasks run (they add their operations to the same batch), then commits the batch unless
/// another operation already did, and returns only once the batch is committed, so nothing is
/// reported done before it is.
/// One COMMIT (file locks, WAL header, the shared tail pages of the tables) then serves many
/// operations. A failed batch COMMIT fails every operation in it. Reads outside a transaction
/// see the open batch's writes; everything they could reveal is committed before any
/// response that depends on it leaves, or the whole batch fails.
pub(crate) struct Lite {
    conn: Arc<Mutex<Writer>>,
    closed: AtomicBool,
    /// Stops the checkpointer when dropped (or taken at close).
    checkpointer: std::sync::Mutex<Option<std::sync::mpsc::Sender<()>>>,
}

struct Writer {
    conn: rusqlite::Connection,
    /// The batch open on the connection (a `BEGIN IMMEDIATE` not yet committed).
    batch: Option<Arc<Batch>>,
    /// The audit chain's head (sequence, hash) as this connection last wrote it; a hint only,
    /// checked by the write that uses it (`append_audit`).
    audit_head: Option<(i64, String)>,
}

/// One write batch; its outcome, once committed or failed.
#[derive(Default)]
struct Batch {
    done: std::sync::OnceLock<std::result::Result<(), String>>,
    /// Operations released into it and waiting for its commit.
    members: AtomicUsize,
}

/// A batch commits at once when this many operations wait for it.
const BATCH_MAX: usize = 64;

impl Writer {
    /// Commits the open batch (if it is still `batch`) and records the outcome for its members.
    fn commit_batch(&mut self, batch: &Arc<Batch>) {
        if batch.done.get().is_some() {
            return;
        }
        let outcome = control(&self.conn, "COMMIT").map_err(|e| e.to_string());
        if outcome.is_err() {
            let _ = self.conn.execute_batch("ROLLBACK");
        }
        let _ = batch.done.set(outcome);
        if self.batch.as_ref().is_some_and(|b| Arc::ptr_eq(b, batch)) {
            self.batch = None;
        }
    }

    /// Rolls back the open batch (if it is still `batch`), which holds one failed operation.
    fn roll_back(&mut self, batch: &Arc<Batch>) {
        if !self.batch.as_ref().is_some_and(|b| Arc::ptr_eq(b, batch)) {
            return;
        }
        let _ = self.conn.execute_batch("ROLLBACK");
        let _ = batch.done.set(Err("rolled back".into()));
        self.batch = None;
    }

    fn commit_open(&mut self) {
        if let Some(b) = self.batch.clone() {
            self.commit_batch(&b);
        }
    }
}

impl Lite {
    /// `checkpoints`: a second connection to the same file, on which a thread of its own copies
    /// the WAL back into the database (see `checkpointer`).
    pub(crate) fn new(
        conn: rusqlite::Connection,
        checkpoints: rusqlite::Connection,
    ) -> Result<Self> {
        Ok(Lite {
            conn: Arc::new(Mutex::new(Writer {
                conn,
                batch: None,
                audit_head: None,
            })),
            closed: AtomicBool::new(false),
            checkpointer: std::sync::Mutex::new(Some(checkpointer(checkpoints)?)),
        })
    }

    async fn lock(&self) -> Result<OwnedMutexGuard<Writer>> {
        if self.closed.load(Ordering::Relaxed) {
            return Err(Error::Unavailable("the database is closed".into()));
        }
        Ok(Arc::clone(&self.conn).lock_owned().await)
    }
}

/// Where a statement outside a transaction runs.
#[derive(Clone)]
pub(crate) enum Pool {
    Pg(PgPool),
    Lite(Arc<Lite>),
}

impl Pool {
    /// Runs a statement on its own (committed when this returns); returns the rows it changed.
    pub(crate) async fn exec(&self, sql: &'static str, args: &[Arg<'_>]) -> Result<u64> {
        match self {
            Pool::Pg(p) => pg_query(sql, args)
                .execute(p)
                .await
                .map(|r| r.rows_affected())
                .map_err(pg),
            Pool::Lite(_) => {
                let mut tx = self.begin().await?;
                let n = tx.exec(sql, args).await?;
                tx.commit().await?;
                Ok(n)
            }
        }
    }

    /// The rows of a query; a statement other than `SELECT` commits before this returns.
    pub(crate) async fn all(&self, sql: &'static str, args: &[Arg<'_>]) -> Result<Vec<Row>> {
        self.rows(sql, args, usize::MAX).await
    }

    pub(crate) async fn opt(&self, sql: &'static str, args: &[Arg<'_>]) -> Result<Option<Row>> {
        Ok(self.rows(sql, args, 1).await?.pop())
    }

    pub(crate) async fn one(&self, sql: &'static str, args: &[Arg<'_>]) -> Result<Row> {
        self.opt(sql, args).await?.ok_or_else(no_row)
    }

    async fn rows(&self, sql: &'static str, args: &[Arg<'_>], limit: usize) -> Result<Vec<Row>> {
        match self {
            Pool::Pg(p) => {
                let rows = pg_query(sql, args).fetch_all(p).await.map_err(pg)?;
                Ok(rows.into_iter().take(limit).map(Row::Pg).collect())
            }
            Pool::Lite(l) if is_read(sql) => lite_rows(&l.lock().await?.conn, sql, args, limit),
            Pool::Lite(_) => {
                let mut tx = self.begin().await?;
                let rows = tx.rows(sql, args, limit).await?;
                tx.commit().await?;
                Ok(rows)
            }
        }
    }

    /// Starts a transaction. On SQLite it joins (or opens, with `BEGIN IMMEDIATE`, which takes
    /// the write lock at once) the connection's write batch.
    pub(crate) async fn begin(&self) -> Result<Tx> {
        match self {
            Pool::Pg(p) => Ok(Tx::Pg(p.begin().await.map_err(pg)?)),
            Pool::Lite(l) => {
                let mut w = l.lock().await?;
                // The operation that opens a batch has it to itself until it is released, so
                // on failure it rolls the whole batch back; only later ones need a savepoint
                // (each costs a copy of every page it changes).
                let (batch, savepoint) = match &w.batch {
                    Some(b) => (Arc::clone(b), true),
                    None => {
                        begin_immediate(&mut w).await?;
                        let b = Arc::new(Batch::default());
                        w.batch = Some(Arc::clone(&b));
                        (b, false)
                    }
                };
                if savepoint && let Err(e) = control(&w.conn, "SAVEPOINT op") {
                    if batch.members.load(Ordering::Relaxed) == 0 {
                        w.commit_open();
                    }
                    return Err(lite(e));
                }
                Ok(Tx::Lite(LiteTx {
                    w: Some(w),
                    batch,
                    lite: Arc::clone(l),
                    savepoint,
                }))
            }
        }
    }

    /// Closes the pool: every later call is `Unavailable`.
    pub(crate) async fn close(&self) {
        match self {
            Pool::Pg(p) => p.close().await,
            Pool::Lite(l) => {
                l.conn.lock().await.commit_open();
                l.closed.store(true, Ordering::Relaxed);
                if let Ok(mut c) = l.checkpointer.lock() {
                    c.take();
                }
            }
        }
    }
}

/// `BEGIN IMMEDIATE`, waiting for another connection's write (another process, such as the
/// CLI, or another store in this one) without blocking the thread: while SQLite's busy handler
/// sleeps, the tasks that would end that write could not run.
async fn begin_immediate(w: &mut Writer) -> Result<()> {
    let conn = &mut w.conn;
    let deadline = std::time::Instant::now() + BUSY_WAIT;
    conn.busy_timeout(std::time::Duration::ZERO).map_err(lite)?;
    let outcome = loop {
        match control(conn, "BEGIN IMMEDIATE") {
            Err(rusqlite::Error::SqliteFailure(f, _))
                if f.code == rusqlite::ErrorCode::DatabaseBusy
                    && std::time::Instant::now() < deadline =>
            {
                tokio::time::sleep(std::time::Duration::from_millis(2)).await;
            }
            other => break other.map_err(lite),
        }
    };
    conn.busy_timeout(BUSY_WAIT).map_err(lite)?;
    outcome
}

/// How often the checkpointer copies the WAL back: about `CHECKPOINT_FRAMES` frames a round,
/// but at least every `CHECKPOINT_IDLE` while anything is written (that bounds what a power cut
/// can lose with `synchronous = NORMAL`) and at most every `CHECKPOINT_BUSY`. A checkpoint's
/// copy and fsync share the core with the requests, so under heavy writes many small rounds
/// stall them less than a few big ones (the paced p99 by round interval is in
/// docs/performance.md), while under light writes each round's two fsyncs are the cost, and
/// fewer rounds cost less.
const CHECKPOINT_BUSY: std::time::Duration = std::time::Duration::from_millis(20);
const CHECKPOINT_IDLE: std::time::Duration = std::time::Duration::from_millis(100);
const CHECKPOINT_FRAMES: i64 = 256;

/// The wait before the next round, after one that found `new` frames `wait` after the last.
pub(crate) fn next_wait(wait: std::time::Duration, new: i64) -> std::time::Duration {
    if new <= 0 {
        return CHECKPOINT_IDLE;
    }
    wait.mul_f64(CHECKPOINT_FRAMES as f64 / new as f64)
        .clamp(CHECKPOINT_BUSY, CHECKPOINT_IDLE)
}

/// Copies committed WAL frames into the database file off the request path. SQLite would
/// otherwise checkpoint inside whichever commit crossed the threshold, on the one connection
/// every request uses, stalling all of them for the copy and its fsync. A passive checkpoint
/// never waits for readers or the writer; the main connection keeps a high automatic threshold
/// only as a safety net. The thread (`npass-checkpoint`) ends when the sender is dropped.
fn checkpointer(conn: rusqlite::Connection) -> Result<std::sync::mpsc::Sender<()>> {
    let (stop, rx) = std::sync::mpsc::channel::<()>();
    std::thread::Builder::new()
        .name("npass-checkpoint".into())
        .spawn(move || {
            lower_priority();
            let mut wait = CHECKPOINT_IDLE;
            // Frames in the WAL after the last round (the log restarts from 0 once copied back).
            let mut last = 0i64;
            while let Err(std::sync::mpsc::RecvTimeoutError::Timeout) = rx.recv_timeout(wait) {
                match conn.query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |r| r.get::<_, i64>(1)) {
                    Ok(log) => {
                        let new = if log >= last { log - last } else { log };
                        last = log;
                        wait = next_wait(wait, new);
                    }
                    Err(e) => tracing::debug!(error = %e, "checkpoint deferred"),
                }
            }
        })
        .map_err(|e| Error::Internal(format!("checkpointer: {e}")))?;
    Ok(stop)
}

/// Runs the calling thread at `nice` 10: when it wakes it no longer preempts the request
/// threads for a whole scheduler slice, yet its share of a busy core is still more than
/// checkpointing a saturated server needs (both in docs/performance.md).
fn lower_priority() {
    #[cfg(target_os = "linux")]
    if let Err(e) = rustix::process::setpriority_process(Some(rustix::thread::gettid()), 10) {
        tracing::debug!(error = %e, "checkpointer priority unchanged");
    }
}

/// How long SQLite waits for another connection's lock before answering "unavailable".
pub(crate) const BUSY_WAIT: std::time::Duration = std::time::Duration::from_secs(10);

fn is_read(sql: &str) -> bool {
    sql.trim_start()
        .get(..6)
        .is_some_and(|w| w.eq_ignore_ascii_case("select"))
}

fn no_row() -> Error {
    Error::Internal("database: a row was expected".into())
}

/// An open transaction; dropped without `commit`, it rolls back.
pub(crate) enum Tx {
    Pg(sqlx::Transaction<'static, Postgres>),
    Lite(LiteTx),
}

pub(crate) struct LiteTx {
    /// The connection, held from `begin` to `commit` (`None` once released).
    w: Option<OwnedMutexGuard<Writer>>,
    batch: Arc<Batch>,
    lite: Arc<Lite>,
    /// Inside `SAVEPOINT op` (it joined a batch); otherwise it opened the batch, alone in it.
    savepoint: bool,
}

impl LiteTx {
    fn conn(&self) -> Result<&rusqlite::Connection> {
        self.w
            .as_ref()
            .map(|w| &w.conn)
            .ok_or_else(|| Error::Internal("database: transaction already ended".into()))
    }

    /// Undoes this operation only; ends the batch if nobody else is in it.
    fn undo(&self, w: &mut Writer) {
        if !self.savepoint {
            w.roll_back(&self.batch);
            return;
        }
        let _ = w.conn.execute_batch("ROLLBACK TO op; RELEASE op");
        if self.batch.members.load(Ordering::Relaxed) == 0 {
            w.commit_open();
        }
    }
}

impl Drop for LiteTx {
    fn drop(&mut self) {
        // Not committed.
        if let Some(mut w) = self.w.take() {
            self.undo(&mut w);
        }
    }
}

/// Waits for a batch to be committed; if dropped first (the request was cancelled), a task
/// commits the batch, so it never holds SQLite's write lock with nobody left to end it.
struct BatchWait {
    batch: Arc<Batch>,
    lite: Arc<Lite>,
}

impl Drop for BatchWait {
    fn drop(&mut self) {
        if self.batch.done.get().is_none()
            && let Ok(rt) = tokio::runtime::Handle::try_current()
        {
            let (batch, lite) = (Arc::clone(&self.batch), Arc::clone(&self.lite));
            rt.spawn(async move { lite.conn.lock().await.commit_batch(&batch) });
        }
    }
}

impl Tx {
    pub(crate) async fn exec(&mut self, sql: &'static str, args: &[Arg<'_>]) -> Result<u64> {
        match self {
            Tx::Pg(t) => pg_query(sql, args)
                .execute(&mut **t)
                .await
                .map(|r| r.rows_affected())
                .map_err(pg),
            Tx::Lite(t) => lite_exec(t.conn()?, sql, args),
        }
    }

    pub(crate) async fn all(&mut self, sql: &'static str, args: &[Arg<'_>]) -> Result<Vec<Row>> {
        self.rows(sql, args, usize::MAX).await
    }

    pub(crate) async fn opt(&mut self, sql: &'static str, args: &[Arg<'_>]) -> Result<Option<Row>> {
        Ok(self.rows(sql, args, 1).await?.pop())
    }

    pub(crate) async fn one(&mut self, sql: &'static str, args: &[Arg<'_>]) -> Result<Row> {
        self.opt(sql, args).await?.ok_or_else(no_row)
    }

    async fn rows(
        &mut self,
        sql: &'static str,
        args: &[Arg<'_>],
        limit: usize,
    ) -> Result<Vec<Row>> {
        match self {
            Tx::Pg(t) => {
                let rows = pg_query(sql, args).fetch_all(&mut **t).await.map_err(pg)?;
                Ok(rows.into_iter().take(limit).map(Row::Pg).collect())
            }
            Tx::Lite(t) => lite_rows(t.conn()?, sql, args, limit),
        }
    }

    /// The audit head this connection last wrote, if it keeps one (SQLite's writer does).
    pub(crate) fn audit_head(&self) -> Option<(i64, String)> {
        match self {
            Tx::Pg(_) => None,
            Tx::Lite(t) => t.w.as_ref().and_then(|w| w.audit_head.clone()),
        }
    }

    /// Remembers the audit head this transaction wrote.
    pub(crate) fn set_audit_head(&mut self, seq: i64, hash: String) {
        if let Tx::Lite(t) = self
            && let Some(w) = t.w.as_mut()
        {
            w.audit_head = Some((seq, hash));
        }
    }

    /// Runs a script of statements (a migration); nothing is bound.
    pub(crate) async fn script(&mut self, sql: &str) -> Result<()> {
        match self {
            Tx::Pg(t) => sqlx::raw_sql(sqlx::AssertSqlSafe(sql.to_owned()))
                .execute(&mut **t)
                .await
                .map(|_| ())
                .map_err(pg),
            Tx::Lite(t) => t.conn()?.execute_batch(sql).map_err(lite),
        }
    }

    /// Commits. On SQLite: returns once the batch holding this operation is committed.
    pub(crate) async fn commit(self) -> Result<()> {
        match self {
            Tx::Pg(t) => t.commit().await.map_err(pg),
            Tx::Lite(mut t) => {
                let batch = Arc::clone(&t.batch);
                let store = Arc::clone(&t.lite);
                let Some(mut w) = t.w.take() else {
                    return Err(Error::Internal(
                        "database: transaction already ended".into(),
                    ));
                };
                if t.savepoint
                    && let Err(e) = control(&w.conn, "RELEASE op")
                {
                    t.undo(&mut w);
                    return Err(lite(e));
                }
                let members = batch.members.fetch_add(1, Ordering::Relaxed) + 1;
                let wait = BatchWait { batch, lite: store };
                if members >= BATCH_MAX {
                    w.commit_batch(&wait.batch);
                } else {
                    // Let the other ready tasks add their operations, then commit what is there.
                    drop(w);
                    tokio::task::yield_now().await;
                    if wait.batch.done.get().is_none() {
                        wait.lite.conn.lock().await.commit_batch(&wait.batch);
                    }
                }
                match wait.batch.done.get() {
                    Some(Ok(())) => Ok(()),
                    Some(Err(e)) => Err(Error::Unavailable(format!("database commit: {e}"))),
                    None => Err(Error::Internal("database: batch not committed".into())),
                }
            }
        }
    }
}
