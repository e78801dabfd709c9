//! The ACD survives a SIGKILL: a child process (this test binary re-executed, running only
//! `child_acd`) starts the ACD from the store, signs an agent in, enqueues chats and a call
//! through the ACD's handle (some offered, one answered and completed, one abandoned), waits
//! until the interaction log has committed every event it saw, prints today's statistics and
//! the queue order, and is killed with SIGKILL. The parent restarts the ACD from the same
//! store and checks: today's statistics equal those before the kill, no agent is reserved
//! (all logged out, holding nothing), the chats wait in their original order, and the call
//! (gone with the process) is closed with a reason.

use std::collections::HashMap;
use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use switchyard::accounts::{self, NewAgent};
use switchyard::acd::{AcdHandle, NewContact, Presence, WorkState};
use switchyard::acd_bridge;
use switchyard::domain::role::parse_roles;
use switchyard::domain::skill::parse_skill_list;
use switchyard::domain::{
    AgentLogin, Channel, InteractionId, QueueId, QueueName, TeamName, Tier, Timestamp,
};
use switchyard::interaction_log::{Actor, EventBody, InteractionLogHandle, Subject};
use switchyard::store::Db;
use switchyard::store::agents::Capacity;

use crate::support::{TempSqlite, temp_sqlite_path};

/// Set in the child's environment: the SQLite file of the ACD's store.
const CHILD_DB: &str = "SWITCHYARD_ACD_CRASH_CHILD_DB";
/// How long the parent waits for the child's report.
const LINE_TIMEOUT: Duration = Duration::from_secs(120);

async fn seed(db: &Db) {
    let (log, writer) = InteractionLogHandle::spawn(db.clone());
    let now = Timestamp::now();
    let new = NewAgent {
        login: AgentLogin::parse("agent.a").expect("login"),
        display_name: "A".into(),
        roles: parse_roles("agent").expect("roles"),
        team: Some(TeamName::parse("team-a").expect("team")),
        skills: parse_skill_list("equities:7").expect("skills"),
        capacity: Capacity::default(),
        password: "correct-horse-battery".into(),
    };
    accounts::add_agent(db, &log, new, Actor::Cli, now)
        .await
        .expect("agent added");
    for (name, channel) in [("chat", Channel::Chat), ("phone", Channel::Voice)] {
        switchyard::demo::put_queue(
            &log,
            QueueName::parse(name).expect("name"),
            name,
            channel,
            None,
            parse_skill_list("equities:5").expect("skills"),
            now,
        )
        .await
        .expect("queue stored");
    }
    drop(log);
    writer.await.expect("the writer drains");
}

async fn queue_ids(db: &Db) -> (QueueId, QueueId) {
    let qs = db.queues().await.expect("queues");
    let id = |n: &str| qs.iter().find(|q| q.name.as_str() == n).expect("queue").id;
    (id("chat"), id("phone"))
}

/// Today's counters per queue and the order of the chat queue's unanswered contacts.
async fn report(acd: &AcdHandle, chat: QueueId, phone: QueueId) -> (String, Vec<InteractionId>) {
    let mut stats = String::new();
    for q in [chat, phone] {
        let r = acd.queue(q).await.expect("query").expect("queue known");
        stats.push_str(&format!("{:?};", r.today));
    }
    let order = acd
        .queue(chat)
        .await
        .expect("query")
        .expect("queue known")
        .live
        .waiting
        .iter()
        .map(|w| w.interaction)
        .collect();
    (stats, order)
}

async fn enqueue(acd: &AcdHandle, queue: QueueId) -> InteractionId {
    let id = InteractionId::generate();
    let contact = NewContact {
        interaction: id,
        queue,
        tier: Tier::Standard,
        account_manager: None,
    };
    acd.enqueue(contact).await.expect("enqueued");
    id
}

async fn act_until_killed(path: String) {
    let db = Db::open(&format!("sqlite://{path}"))
        .await
        .expect("store opens");
    let (log, _writer) = InteractionLogHandle::spawn(db.clone());
    let bridge = acd_bridge::start(&db, log, Timestamp::now())
        .await
        .expect("the ACD starts");
    let acd = bridge.handle.clone();
    let mut seen = acd.subscribe();
    let base = *bridge.committed.borrow();
    let (chat, phone) = queue_ids(&db).await;
    let agent = db
        .agent_by_login(&AgentLogin::parse("agent.a").expect("login"))
        .await
        .expect("read")
        .expect("agent");
    acd.set_presence(
        agent.id,
        Presence::Ready,
        switchyard::acd::Actor::Agent(agent.id),
    )
    .await
    .expect("ready");
    let mut chats = Vec::new();
    for _ in 0..6 {
        chats.push(enqueue(&acd, chat).await);
    }
    enqueue(&acd, phone).await;
    // Three chats are offered; answer the first, finish it; abandon the last one waiting.
    let view = acd
        .agent(agent.login.clone())
        .await
        .expect("query")
        .expect("agent");
    let (first, offer) = view
        .slots
        .iter()
        .find_map(|s| match s.state {
            WorkState::Offered { offer, .. } if s.interaction == chats[0] => {
                Some((s.interaction, offer))
            }
            _ => None,
        })
        .expect("the first chat is offered");
    acd.answer(agent.id, offer).await.expect("answered");
    acd.contact_ended(agent.id, first).await.expect("ended");
    acd.wrap_up_done(agent.id, first).await.expect("wrapped up");
    acd.hangup(chats[5]).await.expect("abandoned");
    let (stats, order) = report(&acd, chat, phone).await;
    let mut count = 0u64;
    while seen.try_recv().is_ok() {
        count += 1;
    }
    let mut committed = bridge.committed.clone();
    committed
        .wait_for(|n| *n >= base + count)
        .await
        .expect("the logger runs");
    let order: Vec<String> = order.iter().map(ToString::to_string).collect();
    println!("STATS {stats}");
    println!("ORDER {}", order.join(","));
    println!("READY");
    std::future::pending::<()>().await;
}

/// The child's body; a no-op unless the parent set `CHILD_DB`.
#[test]
fn child_acd() {
    let Ok(path) = std::env::var(CHILD_DB) else {
        return;
    };
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("the child's runtime");
    rt.block_on(act_until_killed(path));
}

/// Kills the child if the parent gives up early, so nothing is left running.
struct Killed(Child);

impl Drop for Killed {
    fn drop(&mut self) {
        // Already dead is fine.
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn run_child_and_kill(path: &str) -> HashMap<String, String> {
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
                "acd_crash::child_acd",
                "--nocapture",
                "--test-threads=1",
            ])
            .env(CHILD_DB, path)
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
    let mut lines = HashMap::new();
    loop {
        let line = rx.recv_timeout(LINE_TIMEOUT).expect("the child reports");
        for word in ["STATS", "ORDER"] {
            if let Some((_, rest)) = line.split_once(&format!("{word} ")) {
                lines.insert(word.to_owned(), rest.to_owned());
            }
        }
        if line.contains("READY") {
            break;
        }
    }
    assert_eq!(
        child.0.try_wait().expect("status"),
        None,
        "the child is alive"
    );
    child.0.kill().expect("SIGKILL the child");
    child.0.wait().expect("reap the child");
    reader.join().expect("the reader ends at EOF");
    lines
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn after_sigkill_statistics_places_and_agents_are_recovered() {
    let path = temp_sqlite_path("acd-crash");
    let _cleanup = TempSqlite(path.clone());
    let url = format!("sqlite://{}", path.display());
    {
        let db = Db::open(&url).await.expect("store opens");
        seed(&db).await;
        db.close().await;
    }
    let path_text = path.to_str().expect("utf-8 path").to_owned();
    let before = tokio::task::spawn_blocking(move || run_child_and_kill(&path_text))
        .await
        .expect("the child runner");
    let db = Db::open(&url).await.expect("store reopens");
    let (log, _writer) = InteractionLogHandle::spawn(db.clone());
    let bridge = acd_bridge::start(&db, log, Timestamp::now())
        .await
        .expect("the ACD restarts");
    let (chat, phone) = queue_ids(&db).await;
    let (stats, order) = report(&bridge.handle, chat, phone).await;
    assert_eq!(
        Some(&stats),
        before.get("STATS"),
        "today's statistics survive"
    );
    let order: Vec<String> = order.iter().map(ToString::to_string).collect();
    assert_eq!(
        Some(&order.join(",")),
        before.get("ORDER"),
        "chats keep their place"
    );
    assert_eq!(bridge.recovery.restored.len(), 4, "{:?}", bridge.recovery);
    let agent = bridge
        .handle
        .agent(AgentLogin::parse("agent.a").expect("login"))
        .await
        .expect("query")
        .expect("agent");
    assert_eq!(agent.presence, Presence::LoggedOut);
    assert!(agent.slots.is_empty(), "no agent comes back reserved");
    let [call] = bridge.recovery.closed.as_slice() else {
        panic!("exactly the call is closed: {:?}", bridge.recovery);
    };
    let events = db
        .events_of(Subject::Interaction(*call))
        .await
        .expect("events");
    assert!(
        matches!(&events.last().expect("events").body,
            EventBody::AcdClosedAtRecovery { reason, .. } if reason == "call_lost_at_restart"),
        "{events:?}"
    );
}
