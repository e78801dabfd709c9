//! Durability of the interaction log across a killed process: a child process (this test
//! binary re-executed, running only `child_appender`) appends events through the writer and
//! prints one line per acknowledged event; the parent kills it with SIGKILL mid-stream,
//! restarts it (retrying keys already stored), kills it again, then opens the store and
//! checks that every acknowledged event is there, none twice, with gapless sequence numbers.
//!
//! A property test checks the same promise without processes: whatever the mix of subjects,
//! repeated idempotency keys, batch sizes and writer restarts (a fresh sequence cache), each
//! subject's sequence stays gapless and a key is stored once.
//!
//! The child touches only the SQLite file it is given; the parent must not trust anything the
//! child did not acknowledge.

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Write};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc;
use std::time::Duration;

use proptest::collection::vec;
use proptest::option;
use proptest::prelude::{ProptestConfig, proptest};
use switchyard::domain::{AgentId, EventId, Timestamp};
use switchyard::interaction_log::{
    Actor, EventBody, InteractionLogHandle, NewEvent, StoredEvent, Subject,
};
use switchyard::store::events::{ItemOutcome, SeqCache};
use switchyard::store::{Db, WriteItem};
use tokio::task::JoinSet;
use uuid::Uuid;

use crate::support::{
    TempSqlite, TestDb, at, event, event_counts, note, ok, seqs, temp_sqlite_path,
};

/// Set in the child's environment: the SQLite file to append to.
const CHILD_DB: &str = "SWITCHYARD_DURABILITY_CHILD_DB";
/// Set in the child's environment: the first key number to append.
const CHILD_START: &str = "SWITCHYARD_DURABILITY_CHILD_START";
/// Concurrent appenders in the child (so that group commit batches several).
const APPENDERS: u64 = 16;
/// Subjects the events are spread over (each gets its own sequence).
const SUBJECTS: u64 = 8;
/// How long the parent waits for one line before declaring the child stuck.
const LINE_TIMEOUT: Duration = Duration::from_secs(60);

fn subject(n: u64) -> Subject {
    Subject::Agent(AgentId::from_uuid(Uuid::from_u128(
        u128::from(n % SUBJECTS) + 1,
    )))
}

fn key(n: u64) -> String {
    format!("durability-{n}")
}

/// Appends events `start..` until killed, printing `ACK <event id> <key>` per acknowledgement.
async fn append_until_killed(path: String, start: u64) {
    let db = Db::open(&format!("sqlite://{path}"))
        .await
        .expect("the child opens the store");
    let (log, _task) = InteractionLogHandle::spawn(db);
    let next = Arc::new(AtomicU64::new(start));
    let mut set = JoinSet::new();
    for _ in 0..APPENDERS {
        let (log, next) = (log.clone(), Arc::clone(&next));
        set.spawn(async move {
            loop {
                let n = next.fetch_add(1, Ordering::SeqCst);
                let at = Timestamp::from_millis(1_763_900_000_000 + i64::try_from(n).unwrap_or(0));
                let body = EventBody::NoteAdded {
                    text: format!("event {n}"),
                };
                let e =
                    NewEvent::new(subject(n), at, Actor::System, body).with_idempotency_key(key(n));
                let stored = log.append(e).await.expect("the append is acknowledged");
                let mut out = std::io::stdout().lock();
                writeln!(out, "ACK {} {}", stored.id, key(n)).expect("stdout is open");
                out.flush().expect("stdout is open");
            }
        });
    }
    set.join_all().await;
}

/// The child's body; a no-op unless the parent set `CHILD_DB`.
#[test]
fn child_appender() {
    let Ok(path) = std::env::var(CHILD_DB) else {
        return;
    };
    let start: u64 = std::env::var(CHILD_START)
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("the child's runtime");
    rt.block_on(append_until_killed(path, start));
}

/// Kills the child if the parent gives up early (a panic), so nothing is left running.
struct Killed(Child);

impl Drop for Killed {
    fn drop(&mut self) {
        // Already dead is fine.
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Runs the child from key `start`, reads `want` acknowledgements, SIGKILLs it mid-stream and
/// returns every acknowledgement it printed (including lines still in the pipe).
fn run_child_and_kill(path: &str, start: u64, want: usize) -> Vec<(EventId, String)> {
    // /proc/self/exe is this very binary even if a rebuild replaced the file meanwhile.
    let proc_exe = std::path::PathBuf::from("/proc/self/exe");
    let exe = if proc_exe.exists() {
        proc_exe
    } else {
        std::env::current_exe().expect("the test binary knows its path")
    };
    let mut child = Killed(
        Command::new(exe)
            .args([
                "--exact",
                "durability::child_appender",
                "--nocapture",
                "--test-threads=1",
            ])
            .env(CHILD_DB, path)
            .env(CHILD_START, start.to_string())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("the child starts"),
    );
    let stdout = child.0.stdout.take().expect("stdout is piped");
    let (tx, rx) = mpsc::channel::<String>();
    let reader = std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines() {
            let Ok(line) = line else { break };
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    let mut acks = Vec::new();
    while acks.len() < want {
        let line = rx
            .recv_timeout(LINE_TIMEOUT)
            .expect("the child keeps acknowledging (it ended or got stuck)");
        acks.extend(parse_ack(&line));
    }
    let status = child.0.try_wait().expect("child status");
    assert_eq!(
        status, None,
        "the child is still appending when it is killed"
    );
    child.0.kill().expect("SIGKILL the child");
    child.0.wait().expect("reap the child");
    reader.join().expect("the reader thread ends at EOF");
    acks.extend(rx.try_iter().filter_map(|l| parse_ack(&l)));
    acks
}

/// Reads `ACK <id> <key>`; the first one shares its line with the harness's `test ... `.
fn parse_ack(line: &str) -> Option<(EventId, String)> {
    let mut words = line.split_once("ACK ")?.1.split(' ');
    let id = words.next()?.parse().ok()?;
    Some((id, words.next()?.to_owned()))
}

#[test]
fn acknowledged_events_survive_sigkill_and_are_stored_once() {
    if std::env::var(CHILD_DB).is_ok() {
        return; // This process is a child; only `child_appender` runs here.
    }
    let path = TempSqlite(temp_sqlite_path("durability"));
    let path_text = path.0.display().to_string();
    let first = run_child_and_kill(&path_text, 0, 2_000);
    // The restart retries every key from 0: those already stored come back as the first id.
    let second = run_child_and_kill(&path_text, 0, 4_000);

    let rt = tokio::runtime::Runtime::new().expect("runtime");
    rt.block_on(async {
        let db = Db::open(&format!("sqlite://{path_text}"))
            .await
            .expect("reopen");
        let mut stored: HashMap<EventId, String> = HashMap::new();
        for s in 0..SUBJECTS {
            let events = ok(db.events_of(subject(s)).await);
            let n = i64::try_from(events.len()).expect("fits");
            assert_eq!(
                seqs(&events),
                (1..=n).collect::<Vec<_>>(),
                "gapless per subject"
            );
            for e in events {
                stored.insert(e.id, e.idempotency_key.expect("every event has a key"));
            }
        }
        let mut first_ids: HashMap<&str, EventId> = HashMap::new();
        for (id, key) in &first {
            assert_eq!(
                stored.get(id),
                Some(key),
                "acknowledged event {id} ({key}) is stored"
            );
            first_ids.insert(key, *id);
        }
        let mut retried = 0;
        for (id, key) in &second {
            assert_eq!(
                stored.get(id),
                Some(key),
                "acknowledged event {id} ({key}) is stored"
            );
            if let Some(before) = first_ids.get(key.as_str()) {
                assert_eq!(before, id, "a retried key answers with the first event");
                retried += 1;
            }
        }
        assert_eq!(
            retried,
            first.len(),
            "the restart retried every key acked before"
        );
        let counts = event_counts(&db).await;
        assert_eq!(counts.rows, counts.distinct_ids, "no event id twice");
        assert_eq!(
            counts.rows, counts.distinct_keys,
            "no idempotency key twice"
        );
        assert_eq!(counts.rows, counts.keyed_rows);
        let acked_keys: std::collections::HashSet<&String> =
            first.iter().chain(&second).map(|(_, k)| k).collect();
        assert!(counts.rows >= i64::try_from(acked_keys.len()).expect("fits"));
        eprintln!(
            "durability: {} + {} acks across two SIGKILLs, {} rows stored",
            first.len(),
            second.len(),
            counts.rows
        );
        db.close().await;
    });
    drop(path);
}

/// What the model expects of one append: stored as `seq` of its subject, or a duplicate of
/// the first event stored under its key.
async fn sequences_and_keys(ops: Vec<(u8, Option<u8>)>, batch: usize, restart_at: usize) {
    let t = TestDb::sqlite().await;
    let subjects: Vec<Subject> = (0..4)
        .map(|_| Subject::Agent(AgentId::generate()))
        .collect();
    let mut cache = SeqCache::default();
    let (mut last, mut first_under_key) = (HashMap::new(), HashMap::<String, StoredEvent>::new());
    for (n, chunk) in ops.chunks(batch).enumerate() {
        if n == restart_at {
            cache = SeqCache::default(); // a restarted writer knows nothing
        }
        let items: Vec<WriteItem> = chunk
            .iter()
            .map(|(s, k)| {
                let e = event(subjects[usize::from(*s)], 0, note("p"));
                WriteItem::event(match k {
                    Some(k) => e.with_idempotency_key(format!("k{k}")),
                    None => e,
                })
            })
            .collect();
        let outcomes = ok(t.db.commit_items(&items, &mut cache, at(1)).await);
        for (item, outcome) in items.iter().zip(outcomes) {
            let e = &item.events[0];
            match (
                e.idempotency_key
                    .as_ref()
                    .and_then(|k| first_under_key.get(k)),
                outcome,
            ) {
                (Some(first), ItemOutcome::Duplicate(v)) => {
                    assert_eq!(v, std::slice::from_ref(first))
                }
                (None, ItemOutcome::Stored(v)) => {
                    let seq = last.entry(e.subject).and_modify(|s| *s += 1).or_insert(1);
                    assert_eq!((v[0].id, v[0].seq), (e.id, *seq));
                    if let Some(k) = &e.idempotency_key {
                        first_under_key.insert(k.clone(), v[0].clone());
                    }
                }
                (expected, got) => panic!("expected first {expected:?}, got {got:?}"),
            }
        }
    }
    for s in subjects {
        let n = last.get(&s).copied().unwrap_or(0);
        assert_eq!(
            seqs(&ok(t.db.events_of(s).await)),
            (1..=n).collect::<Vec<i64>>()
        );
    }
    t.finish().await;
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, ..ProptestConfig::default() })]
    /// Whatever the mix of subjects, repeated keys, batch sizes and restarts, each subject's
    /// sequence is gapless in append order and a repeated key returns the first event
    /// (SQLite only: one fresh store per case).
    #[test]
    fn sequences_are_gapless_and_keys_stored_once(
        ops in vec((0u8..4, option::of(0u8..6)), 1..40),
        batch in 1usize..8,
        restart_at in 0usize..6,
    ) {
        let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime");
        rt.block_on(sequences_and_keys(ops, batch, restart_at));
    }
}
