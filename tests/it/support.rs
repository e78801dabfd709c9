//! Shared helpers of the integration tests: a fresh store per test on SQLite (a temp file)
//! and on PostgreSQL (a database of its own, dropped afterwards), a runner that gives one
//! async test body both, and builders of customers, agents and events.
//!
//! This is the only test file that talks to a database with `sqlx` directly, and only to
//! create, drop and audit test databases; tests use the crate's own API. It must not hide a
//! missing PostgreSQL under `CI=true`.

use std::collections::BTreeMap;
use std::future::Future;
use std::io::Write;
use std::path::PathBuf;
use std::time::Duration;

use sqlx::{Connection, Executor, Row};
use switchyard::domain::{
    AgentId, AgentLogin, CaseId, Channel, CustomerId, DialPlan, Direction, EventId,
    IdentificationLevel, InteractionId, PhoneNumber, Proficiency, QueueId, RiskProfile, Role,
    SegmentId, SkillName, TeamId, Tier, Timestamp,
};
use switchyard::interaction_log::{
    Actor, EventBody, InteractionLogHandle, NewEvent, SegmentKind, StoredEvent, Subject,
};
use switchyard::store::agents::{AgentRecord, Capacity};
use switchyard::store::customers::{CustomerQuery, CustomerRecord, TierOverride};
use switchyard::store::events::ItemOutcome;
use switchyard::store::{Db, Mutation, Page, StoreError, WriteItem};

/// The PostgreSQL server the tests use (trust authentication on this machine), without the
/// database name; `SWITCHYARD_TEST_PG` overrides it (e.g. `postgres://user@host:5433`).
const PG_SERVER: &str = "postgres://postgres@127.0.0.1:5432";

fn pg_url(database: &str) -> String {
    let server = std::env::var("SWITCHYARD_TEST_PG").unwrap_or_else(|_| PG_SERVER.to_owned());
    format!("{}/{database}", server.trim_end_matches('/'))
}

/// What to remove when the test database goes away.
#[derive(Debug)]
enum Cleanup {
    File(PathBuf),
    Database(String),
    Done,
}

/// A fresh, migrated store for one test, removed when dropped (or by `finish`).
#[derive(Debug)]
pub(crate) struct TestDb {
    pub(crate) db: Db,
    cleanup: Cleanup,
}

/// A unique name fragment for files and databases.
pub(crate) fn unique() -> String {
    EventId::generate().as_uuid().simple().to_string()
}

/// A temp SQLite file path (not created).
pub(crate) fn temp_sqlite_path(tag: &str) -> PathBuf {
    std::env::temp_dir().join(format!("sy_test_{tag}_{}.db", unique()))
}

/// A temp SQLite path whose files are removed when this goes away (also on a panic).
#[derive(Debug)]
pub(crate) struct TempSqlite(pub(crate) PathBuf);

impl Drop for TempSqlite {
    fn drop(&mut self) {
        remove_sqlite_files(&self.0);
    }
}

/// Removes a SQLite file with its WAL and shared-memory files.
pub(crate) fn remove_sqlite_files(path: &std::path::Path) {
    for suffix in ["", "-wal", "-shm"] {
        let mut p = path.as_os_str().to_owned();
        p.push(suffix);
        // Absent files are fine: the test may not have created them all.
        let _ = std::fs::remove_file(PathBuf::from(p));
    }
}

/// Why PostgreSQL cannot be used, or `None` when it answers.
async fn postgres_unavailable() -> Option<String> {
    let attempt = tokio::time::timeout(
        Duration::from_secs(5),
        sqlx::PgConnection::connect(&pg_url("postgres")),
    )
    .await;
    match attempt {
        Ok(Ok(conn)) => {
            // Closing is best effort; the connection is dropped either way.
            let _ = conn.close().await;
            None
        }
        Ok(Err(e)) => Some(format!("cannot connect to {}: {e}", pg_url("postgres"))),
        Err(_) => Some(format!("no answer from {} within 5 s", pg_url("postgres"))),
    }
}

/// Whether PostgreSQL cases run: `false` with a printed reason when it is unreachable,
/// a panic instead under `CI=true`.
pub(crate) async fn postgres_available(test: &str) -> bool {
    match postgres_unavailable().await {
        None => true,
        Some(why) if std::env::var("CI").is_ok_and(|v| v == "true") => {
            panic!("{test}: PostgreSQL is required under CI=true: {why}")
        }
        Some(why) => {
            // Straight to stderr: the harness would hide eprintln! output of a passing test.
            let line =
                format!("{test}: skipping the PostgreSQL case (CI=true makes this fail): {why}\n");
            let _ = std::io::stderr().write_all(line.as_bytes());
            false
        }
    }
}

impl TestDb {
    /// A fresh SQLite store in a temp file.
    pub(crate) async fn sqlite() -> Self {
        let path = temp_sqlite_path("store");
        let db = Db::open(&format!("sqlite://{}", path.display()))
            .await
            .expect("a temp SQLite store opens");
        Self {
            db,
            cleanup: Cleanup::File(path),
        }
    }

    /// A fresh PostgreSQL database (`sy_test_<uuid>`) with the store migrated into it.
    pub(crate) async fn postgres() -> Self {
        let name = format!("sy_test_{}", unique());
        let mut admin = sqlx::PgConnection::connect(&pg_url("postgres"))
            .await
            .expect("PostgreSQL answered a moment ago");
        admin
            .execute(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
            .await
            .expect("the test database can be created");
        // Closing is best effort.
        let _ = admin.close().await;
        let cleanup = Cleanup::Database(name.clone());
        let db = Db::open(&pg_url(&name))
            .await
            .expect("the new PostgreSQL database opens and migrates");
        Self { db, cleanup }
    }

    /// Closes the pool and removes the database now.
    pub(crate) async fn finish(mut self) {
        self.db.close().await;
        match std::mem::replace(&mut self.cleanup, Cleanup::Done) {
            Cleanup::File(path) => remove_sqlite_files(&path),
            Cleanup::Database(name) => drop_database(&name).await,
            Cleanup::Done => {}
        }
    }
}

async fn drop_database(name: &str) {
    match sqlx::PgConnection::connect(&pg_url("postgres")).await {
        Ok(mut admin) => {
            let sql = format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)");
            if let Err(e) = admin.execute(sqlx::AssertSqlSafe(sql)).await {
                eprintln!("could not drop test database {name}: {e}");
            }
            let _ = admin.close().await;
        }
        Err(e) => eprintln!("could not drop test database {name}: {e}"),
    }
}

impl Drop for TestDb {
    /// Cleans up after a test that panicked before `finish` (on a thread of its own, since
    /// dropping a database is async and this may run inside a runtime).
    fn drop(&mut self) {
        match std::mem::replace(&mut self.cleanup, Cleanup::Done) {
            Cleanup::File(path) => remove_sqlite_files(&path),
            Cleanup::Database(name) => {
                let dropper = std::thread::spawn(move || {
                    let rt = tokio::runtime::Builder::new_current_thread()
                        .enable_all()
                        .build()
                        .expect("a runtime for the cleanup");
                    rt.block_on(drop_database(&name));
                });
                // A failed cleanup was already reported by drop_database.
                let _ = dropper.join();
            }
            Cleanup::Done => {}
        }
    }
}

/// Runs `body` on a fresh SQLite store, then on a fresh PostgreSQL store (or prints why the
/// PostgreSQL case is skipped; panics instead under `CI=true`).
pub(crate) async fn on_both<F, Fut>(test: &str, body: F)
where
    F: Fn(Db) -> Fut,
    Fut: Future<Output = ()>,
{
    let t = TestDb::sqlite().await;
    body(t.db.clone()).await;
    t.finish().await;
    if postgres_available(test).await {
        let t = TestDb::postgres().await;
        body(t.db.clone()).await;
        t.finish().await;
    }
}

/// What the events table holds, counted directly: rows, distinct ids, distinct idempotency
/// keys and rows with a key (to prove nothing was stored twice).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct EventCounts {
    pub(crate) rows: i64,
    pub(crate) distinct_ids: i64,
    pub(crate) keyed_rows: i64,
    pub(crate) distinct_keys: i64,
}

/// Counts the events table of `db`.
pub(crate) async fn event_counts(db: &Db) -> EventCounts {
    let row = sqlx::query(
        "SELECT COUNT(*) AS n, COUNT(DISTINCT id) AS ids, COUNT(idempotency_key) AS keyed, \
         COUNT(DISTINCT idempotency_key) AS keys FROM events",
    )
    .fetch_one(db.pool())
    .await
    .expect("the events table can be counted");
    let get = |c: &str| row.try_get::<i64, _>(c).expect("counts are integers");
    EventCounts {
        rows: get("n"),
        distinct_ids: get("ids"),
        keyed_rows: get("keyed"),
        distinct_keys: get("keys"),
    }
}

/// A fixed instant plus `ms` milliseconds (tests never read the clock for data).
pub(crate) fn at(ms: i64) -> Timestamp {
    Timestamp::from_millis(1_763_900_000_000 + ms)
}

/// A phone number parsed under the default (mainland China) dial plan.
pub(crate) fn phone(text: &str) -> PhoneNumber {
    PhoneNumber::parse(text, &DialPlan::default()).expect("test numbers are valid")
}

/// An event at `at(ms)` by the system.
pub(crate) fn event(subject: Subject, ms: i64, body: EventBody) -> NewEvent {
    NewEvent::new(subject, at(ms), Actor::System, body)
}

/// A note body (the simplest event).
pub(crate) fn note(text: &str) -> EventBody {
    EventBody::NoteAdded {
        text: text.to_owned(),
    }
}

/// A standard-tier customer with these phones, emails and accounts.
pub(crate) fn customer(
    name: &str,
    phones: &[&str],
    emails: &[&str],
    accounts: &[&str],
) -> CustomerRecord {
    CustomerRecord {
        id: CustomerId::generate(),
        external_id: None,
        name: name.to_owned(),
        tier: Tier::Standard,
        tier_override: None,
        account_manager: None,
        risk_profile: None,
        preferred_channel: None,
        assets: None,
        turnover: None,
        commission: None,
        attributes: BTreeMap::new(),
        phones: phones.iter().map(|p| phone(p)).collect(),
        emails: emails.iter().map(|e| (*e).to_owned()).collect(),
        accounts: accounts.iter().map(|a| (*a).to_owned()).collect(),
        merged_into: None,
        created_at: at(0),
        updated_at: at(0),
    }
}

/// The write item that creates a customer: the row and its `CustomerCreated` event.
pub(crate) fn put_customer(c: &CustomerRecord) -> WriteItem {
    WriteItem {
        events: vec![event(
            Subject::Customer(c.id),
            0,
            EventBody::CustomerCreated {
                name: c.name.clone(),
                external_id: c.external_id.clone(),
                tier: c.tier,
            },
        )],
        mutations: vec![Mutation::PutCustomer(Box::new(c.clone()))],
    }
}

/// An agent with the `agent` role and these skills.
pub(crate) fn agent(login: &str, team: Option<TeamId>, skills: &[(&str, u8)]) -> AgentRecord {
    AgentRecord {
        id: AgentId::generate(),
        login: AgentLogin::parse(login).expect("test logins are valid"),
        display_name: format!("Agent {login}"),
        password_hash: "$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$aGFzaA".to_owned(),
        roles: vec![Role::Agent],
        team,
        skills: skills
            .iter()
            .map(|(s, p)| {
                (
                    SkillName::parse(s).expect("valid skill"),
                    Proficiency::new(*p).expect("valid level"),
                )
            })
            .collect(),
        capacity: Capacity::default(),
        created_at: at(0),
        updated_at: at(0),
    }
}

/// The write item that creates an agent: the row and its `AgentCreated` event.
pub(crate) fn put_agent(a: &AgentRecord) -> WriteItem {
    WriteItem {
        events: vec![event(
            Subject::Agent(a.id),
            0,
            EventBody::AgentCreated {
                login: a.login.as_str().to_owned(),
                roles: a.roles.iter().map(|r| r.as_str().to_owned()).collect(),
            },
        )],
        mutations: vec![Mutation::PutAgent(Box::new(a.clone()))],
    }
}

/// Commits through the writer and expects the events stored (not a duplicate).
pub(crate) async fn commit(log: &InteractionLogHandle, item: WriteItem) -> Vec<StoredEvent> {
    match log.commit(item).await.expect("the item commits") {
        ItemOutcome::Stored(v) => v,
        ItemOutcome::Duplicate(v) => panic!("unexpected duplicate: {v:?}"),
    }
}

/// The sequence numbers of stored events.
pub(crate) fn seqs(events: &[StoredEvent]) -> Vec<i64> {
    events.iter().map(|e| e.seq).collect()
}

/// The store's answer, or a panic naming the failed read.
pub(crate) fn ok<T>(r: Result<T, StoreError>) -> T {
    r.expect("the store answers")
}

/// A write item of events only.
pub(crate) fn events(events: Vec<NewEvent>) -> WriteItem {
    WriteItem {
        events,
        mutations: Vec::new(),
    }
}

/// A write item of one row change and no event.
pub(crate) fn change(m: Mutation) -> WriteItem {
    WriteItem {
        events: Vec::new(),
        mutations: vec![m],
    }
}

/// One field of every element.
pub(crate) fn ids<T, I>(v: &[T], f: impl Fn(&T) -> I) -> Vec<I> {
    v.iter().map(f).collect()
}

/// An inbound contact of a matched customer.
pub(crate) fn created(channel: Channel, customer: CustomerId, remote: &str) -> EventBody {
    EventBody::InteractionCreated {
        channel,
        direction: Direction::Inbound,
        customer: Some(customer),
        identification: IdentificationLevel::Matched,
        remote_address: Some(remote.into()),
        local_address: Some("95500".into()),
        subject: None,
    }
}

/// A segment started in a queue (with an agent for offers and legs).
pub(crate) fn segment(
    segment: SegmentId,
    kind: SegmentKind,
    queue: QueueId,
    agent: Option<AgentId>,
) -> EventBody {
    EventBody::SegmentStarted {
        segment,
        segment_kind: kind,
        queue: Some(queue),
        agent,
    }
}

/// A segment ended.
pub(crate) fn ended(segment: SegmentId, outcome: &str) -> EventBody {
    EventBody::SegmentEnded {
        segment,
        outcome: outcome.into(),
    }
}

/// The names of found customers.
pub(crate) fn names(found: &[CustomerRecord]) -> Vec<&str> {
    found.iter().map(|c| c.name.as_str()).collect()
}

/// A search on one field: `phone`, `email`, `name`, `account` or `tier`.
pub(crate) fn query(field: &str, value: &str) -> CustomerQuery {
    let mut q = CustomerQuery::default();
    match field {
        "phone" => q.phone = Some(phone(value)),
        "email" => q.email = Some(value.into()),
        "name" => q.name = Some(value.into()),
        "account" => q.account = Some(value.into()),
        "tier" => q.tier = Some(value.parse().expect("a tier word")),
        _ => panic!("no search field {field}"),
    }
    q
}

/// Searches and compares the names found.
pub(crate) async fn check_search(db: &Db, q: CustomerQuery, expected: &[&str]) {
    let found = db.customers(&q, Page::default()).await.expect("search");
    assert_eq!(names(&found), expected, "query {q:?}");
}

/// Skills from `(name, level)` pairs.
pub(crate) fn skills(list: &[(&str, u8)]) -> Vec<(SkillName, Proficiency)> {
    agent("x", None, list).skills
}

/// Skill names as text.
pub(crate) fn skill_names(v: Vec<SkillName>) -> Vec<String> {
    v.into_iter().map(|s| s.as_str().to_owned()).collect()
}

/// A voice call: queued, answered, ended, wrapped up, and a case opened and linked to it.
/// Returns the call, the case and the stored events.
pub(crate) async fn answered_call(
    log: &InteractionLogHandle,
    c: CustomerId,
    queue: QueueId,
    agent: AgentId,
    segs: [SegmentId; 2],
) -> (InteractionId, CaseId, Vec<StoredEvent>) {
    let (call, case) = (InteractionId::generate(), CaseId::generate());
    let i = Subject::Interaction(call);
    let bodies = [
        (100, created(Channel::Voice, c, "+8613800138000")),
        (110, segment(segs[0], SegmentKind::Queue, queue, None)),
        (150, ended(segs[0], "answered")),
        (
            150,
            segment(segs[1], SegmentKind::Agent, queue, Some(agent)),
        ),
        (151, EventBody::InteractionAnswered { agent: Some(agent) }),
        (400, ended(segs[1], "completed")),
        (
            400,
            EventBody::InteractionEnded {
                outcome: "completed".into(),
                ended_by: "customer".into(),
            },
        ),
        (
            450,
            EventBody::WrapUpRecorded {
                disposition: "inquiry.margin".into(),
                notes: "asked about margin".into(),
            },
        ),
    ];
    let mut events: Vec<NewEvent> = bodies.into_iter().map(|(ms, b)| event(i, ms, b)).collect();
    let follow_up = Some(at(86_400_000).as_millis());
    let opened = EventBody::CaseOpened {
        case,
        title: "Margin limit review".into(),
        follow_up_at: follow_up,
    };
    events.push(event(Subject::Customer(c), 460, opened));
    events.push(event(i, 461, EventBody::CaseLinked { case }));
    (call, case, commit(log, self::events(events)).await)
}

/// A diamond-tier customer with every optional field set (override, risk, channel, assets,
/// attributes, external id `C-0001`), to prove a full record round-trips.
pub(crate) fn diamond_customer() -> CustomerRecord {
    let mut li = customer(
        "Li Wei",
        &["+86 138-0013-8000"],
        &["li.wei@example.com"],
        &["A-1001"],
    );
    li.external_id = Some("C-0001".into());
    li.tier = Tier::Diamond;
    li.tier_override = Some(TierOverride {
        tier: Tier::Diamond,
        by: "cli".into(),
        reason: "board decision".into(),
    });
    li.risk_profile = Some(RiskProfile::Aggressive);
    li.preferred_channel = Some(Channel::Email);
    li.assets = Some(60_000_000);
    li.attributes
        .insert("branch".into(), "Shanghai Pudong".into());
    li
}
