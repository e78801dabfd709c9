//! Benchmark of the interaction log writer (group commit) against a raw batched-insert
//! baseline measured in the same run, on SQLite (a temp file, `synchronous=FULL` as the store
//! sets it) and on PostgreSQL when `127.0.0.1:5432` answers.
//!
//! Run: `cargo bench --bench log_writer` (env: `LOG_WRITER_EVENTS`, default 100000;
//! `LOG_WRITER_APPENDERS`, a list of concurrent appender counts, default `64,1024`). Numbers and how to read them: `docs/benchmarks.md`.
//! This is a measurement, not a test: it asserts nothing and must not be run as one.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use sqlx::{Connection, Executor};
use switchyard::domain::{InteractionId, Timestamp};
use switchyard::interaction_log::event::SCHEMA_VERSION;
use switchyard::interaction_log::{Actor, EventBody, InteractionLogHandle, NewEvent, Subject};
use switchyard::store::Db;
use tokio::task::JoinSet;

/// Rows per transaction in the baseline (the writer's batch limit).
const BASELINE_TX_ROWS: usize = 1_000;
/// Rows per INSERT statement in the baseline (the same as the store's writer).
const BASELINE_STMT_ROWS: usize = 400;
const PG_SERVER: &str = "postgres://postgres@127.0.0.1:5432";

fn env_number(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn body(n: u64) -> EventBody {
    EventBody::NoteAdded {
        text: format!("customer asked about order {n}"),
    }
}

/// One interaction per appender: each appender's events form one subject.
fn subjects(appenders: u64) -> Vec<Subject> {
    (0..appenders)
        .map(|_| Subject::Interaction(InteractionId::generate()))
        .collect()
}

/// What one run measured.
struct Measured {
    events: u64,
    elapsed: Duration,
    latencies: Vec<Duration>,
}

impl Measured {
    fn per_second(&self) -> f64 {
        self.events as f64 / self.elapsed.as_secs_f64()
    }

    fn percentile(&mut self, p: f64) -> Option<Duration> {
        if self.latencies.is_empty() {
            return None;
        }
        self.latencies.sort_unstable();
        let i = ((self.latencies.len() - 1) as f64 * p).round() as usize;
        Some(self.latencies[i])
    }
}

/// `appenders` tasks append `total` events durably (each awaits its acknowledgement).
async fn writer_durable(db: Db, total: u64, appenders: u64) -> Measured {
    let (log, task) = InteractionLogHandle::spawn(db);
    let next = Arc::new(AtomicU64::new(0));
    let started = Instant::now();
    let mut set = JoinSet::new();
    for subject in subjects(appenders) {
        let (log, next) = (log.clone(), Arc::clone(&next));
        set.spawn(async move {
            let mut latencies = Vec::new();
            while next.fetch_add(1, Ordering::Relaxed) < total {
                let e = NewEvent::new(subject, Timestamp::now(), Actor::System, body(0));
                let t = Instant::now();
                log.append(e).await.expect("append is acknowledged");
                latencies.push(t.elapsed());
            }
            latencies
        });
    }
    let latencies: Vec<Duration> = set.join_all().await.into_iter().flatten().collect();
    let elapsed = started.elapsed();
    drop(log);
    task.await.expect("the writer stops");
    Measured {
        events: latencies.len() as u64,
        elapsed,
        latencies,
    }
}

/// `appenders` tasks queue `total` events without waiting; one final durable append marks
/// the moment everything before it is committed (the channel is FIFO).
async fn writer_send(db: Db, total: u64, appenders: u64) -> Measured {
    let (log, task) = InteractionLogHandle::spawn(db);
    let next = Arc::new(AtomicU64::new(0));
    let started = Instant::now();
    let mut set = JoinSet::new();
    for subject in subjects(appenders) {
        let (log, next) = (log.clone(), Arc::clone(&next));
        set.spawn(async move {
            while next.fetch_add(1, Ordering::Relaxed) < total {
                let e = NewEvent::new(subject, Timestamp::now(), Actor::System, body(0));
                log.send(e).await.expect("the writer runs");
            }
        });
    }
    set.join_all().await;
    let last = NewEvent::new(Subject::Audit, Timestamp::now(), Actor::System, body(1));
    log.append(last)
        .await
        .expect("the final append is acknowledged");
    let elapsed = started.elapsed();
    drop(log);
    task.await.expect("the writer stops");
    Measured {
        events: total + 1,
        elapsed,
        latencies: Vec::new(),
    }
}

/// How the baseline writes its parameters.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Params {
    /// `$1, $2, ...` as the store writes them (portable; PostgreSQL needs them).
    Numbered,
    /// `?, ?, ...` (SQLite only): sqlx-sqlite then skips its per-parameter name lookup,
    /// which is linear in the statement's parameter count.
    Anonymous,
}

/// The same event rows inserted directly: multi-row INSERTs in transactions of 1,000, through
/// the same pool, with no writer, no idempotency lookup and no projection.
async fn baseline(db: Db, total: u64, appenders: u64, params: Params) -> Measured {
    let subjects = subjects(appenders);
    let now = Timestamp::now();
    let rows: Vec<(String, Subject, i64, String)> = (0..total)
        .map(|n| {
            let subject = subjects[(n % appenders) as usize];
            let seq = (n / appenders) as i64 + 1;
            let id = NewEvent::new(subject, now, Actor::System, body(0)).id;
            (id.to_string(), subject, seq, body(0).to_json())
        })
        .collect();
    let started = Instant::now();
    for tx_rows in rows.chunks(BASELINE_TX_ROWS) {
        let mut tx = db.pool().begin().await.expect("begin");
        for chunk in tx_rows.chunks(BASELINE_STMT_ROWS) {
            let mut sql = String::from(
                "INSERT INTO events (id, subject_kind, subject_id, seq, kind, occurred_at, recorded_at, \
                 actor, schema_version, idempotency_key, payload) VALUES ",
            );
            for i in 0..chunk.len() {
                let b = i * 11;
                if i > 0 {
                    sql.push(',');
                }
                let marks: Vec<String> = (1..=11)
                    .map(|k| match params {
                        Params::Numbered => format!("${}", b + k),
                        Params::Anonymous => "?".to_owned(),
                    })
                    .collect();
                sql.push_str(&format!("({})", marks.join(", ")));
            }
            let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
            for (id, subject, seq, payload) in chunk {
                q = q
                    .bind(id.clone())
                    .bind(subject.kind())
                    .bind(subject.id_text())
                    .bind(*seq)
                    .bind("note_added")
                    .bind(now.as_millis())
                    .bind(now.as_millis())
                    .bind("system")
                    .bind(SCHEMA_VERSION)
                    .bind(None::<String>)
                    .bind(payload.clone());
            }
            q.execute(&mut *tx).await.expect("insert");
        }
        tx.commit().await.expect("commit");
    }
    Measured {
        events: total,
        elapsed: started.elapsed(),
        latencies: Vec::new(),
    }
}

/// A fresh store for one measurement, and how to remove it.
enum Fresh {
    Sqlite(std::path::PathBuf),
    Postgres(String),
}

async fn fresh(pg: bool) -> (Db, Fresh) {
    let tag = InteractionId::generate().as_uuid().simple().to_string();
    if pg {
        let name = format!("sy_bench_{tag}");
        let mut admin = sqlx::PgConnection::connect(&format!("{PG_SERVER}/postgres"))
            .await
            .expect("PostgreSQL answers");
        admin
            .execute(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
            .await
            .expect("create the bench database");
        let db = Db::open(&format!("{PG_SERVER}/{name}"))
            .await
            .expect("open");
        (db, Fresh::Postgres(name))
    } else {
        let path = std::env::temp_dir().join(format!("sy_bench_{tag}.db"));
        let db = Db::open(&format!("sqlite://{}", path.display()))
            .await
            .expect("open");
        (db, Fresh::Sqlite(path))
    }
}

async fn remove(db: Db, what: Fresh) {
    db.close().await;
    match what {
        Fresh::Sqlite(path) => {
            for suffix in ["", "-wal", "-shm"] {
                let mut p = path.as_os_str().to_owned();
                p.push(suffix);
                // Absent files are fine.
                let _ = std::fs::remove_file(std::path::PathBuf::from(p));
            }
        }
        Fresh::Postgres(name) => {
            if let Ok(mut admin) =
                sqlx::PgConnection::connect(&format!("{PG_SERVER}/postgres")).await
            {
                let sql = format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)");
                // A leftover bench database is only disk space; report and go on.
                if let Err(e) = admin.execute(sqlx::AssertSqlSafe(sql)).await {
                    eprintln!("could not drop {name}: {e}");
                }
            }
        }
    }
}

fn ms(d: Option<Duration>) -> String {
    d.map_or_else(
        || "-".to_owned(),
        |d| format!("{:.1} ms", d.as_secs_f64() * 1e3),
    )
}

async fn bench_backend(label: &str, pg: bool, total: u64, appenders: &[u64]) {
    let most = appenders.iter().copied().max().unwrap_or(64);
    let (db, f) = fresh(pg).await;
    let base = baseline(db.clone(), total, most, Params::Numbered).await;
    remove(db, f).await;
    println!("{label}: {total} events per run");
    println!(
        "  baseline, $N params (raw INSERT, tx of {BASELINE_TX_ROWS}): {:>9.0} events/s",
        base.per_second()
    );
    // The ratio is taken against the fastest raw insert this backend allows.
    let mut best = base.per_second();
    if !pg {
        let (db, f) = fresh(pg).await;
        let anon = baseline(db.clone(), total, most, Params::Anonymous).await;
        remove(db, f).await;
        best = best.max(anon.per_second());
        println!(
            "  baseline, ? params  (raw INSERT, tx of {BASELINE_TX_ROWS}): {:>9.0} events/s",
            anon.per_second()
        );
    }
    for &n in appenders {
        let (db, f) = fresh(pg).await;
        let mut durable = writer_durable(db.clone(), total, n).await;
        remove(db, f).await;
        println!(
            "  writer, append (durable ack), {n:>4} tasks: {:>9.0} events/s  p50 {}  p99 {}  ratio {:.2}",
            durable.per_second(),
            ms(durable.percentile(0.50)),
            ms(durable.percentile(0.99)),
            durable.per_second() / best
        );
    }
    let (db, f) = fresh(pg).await;
    let sent = writer_send(db.clone(), total, most).await;
    remove(db, f).await;
    println!(
        "  writer, send (fire and forget), {most:>4} tasks: {:>9.0} events/s  ratio {:.2}",
        sent.per_second(),
        sent.per_second() / best
    );
}

async fn postgres_reachable() -> bool {
    let connect = sqlx::PgConnection::connect(&format!("{PG_SERVER}/postgres"));
    matches!(
        tokio::time::timeout(Duration::from_secs(5), connect).await,
        Ok(Ok(_))
    )
}

fn main() {
    let total = env_number("LOG_WRITER_EVENTS", 100_000);
    let appenders: Vec<u64> = std::env::var("LOG_WRITER_APPENDERS")
        .unwrap_or_else(|_| "64,1024".to_owned())
        .split(',')
        .filter_map(|n| n.trim().parse().ok())
        .filter(|n| *n > 0)
        .collect();
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("runtime");
    rt.block_on(async {
        bench_backend("SQLite (WAL, synchronous=FULL)", false, total, &appenders).await;
        if postgres_reachable().await {
            bench_backend("PostgreSQL (127.0.0.1:5432)", true, total, &appenders).await;
        } else {
            println!("PostgreSQL: not reachable at {PG_SERVER}, skipped");
        }
    });
}
