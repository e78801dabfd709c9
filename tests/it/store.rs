//! Store tests, each run on SQLite and on PostgreSQL: events through the log writer
//! (order, per-subject sequence numbers, idempotency), the interaction / segment / case
//! projections, customers and their search, merges, agents and teams, conflicts through the
//! writer, and sessions. They use only the crate's API and must not reach into SQL.

use switchyard::domain::{
    AgentId, AgentLogin, CaseId, Channel, InteractionId, QueueId, QueueName, Role, SegmentId,
    SessionId, TeamId, TeamName, Tier, TierRule,
};
use switchyard::interaction_log::{
    EventBody, InteractionLogHandle, LogError, StoredEvent, Subject,
};
use switchyard::store::agents::{AgentRecord, Capacity, TeamRecord};
use switchyard::store::customers::CustomerQuery;
use switchyard::store::events::{ItemOutcome, SeqCache};
use switchyard::store::interactions::InteractionFilter;
use switchyard::store::queues::QueueRecord;
use switchyard::store::sessions::SessionRecord;
use switchyard::store::{Db, Mutation, Page, StoreError, WriteItem};
use tokio::task::JoinSet;

use crate::support::{
    agent, answered_call, at, change, check_search, commit, created, customer, diamond_customer,
    event, event_counts, events, ids, names, note, ok, on_both, phone, put_agent, put_customer,
    query, seqs, skill_names, skills,
};

/// A `#[tokio::test]` that runs an async body on SQLite and then on PostgreSQL.
macro_rules! on_both_test {
    ($name:ident, $body:ident) => {
        #[tokio::test]
        async fn $name() {
            on_both(stringify!($name), $body).await;
        }
    };
}

async fn events_in_order_with_sequences(db: Db) {
    let (log, task) = InteractionLogHandle::spawn(db.clone());
    let call = Subject::Interaction(InteractionId::generate());
    let agent = Subject::Agent(AgentId::generate());
    let mut appended = Vec::new();
    for i in 0..6 {
        let subject = if i % 2 == 0 { call } else { agent };
        let stored = log
            .append(event(subject, i, note(&format!("note {i}"))))
            .await
            .expect("append is acknowledged");
        assert!(stored.recorded_at >= stored.occurred_at, "{stored:?}");
        appended.push(stored);
    }
    assert_eq!(seqs(&appended), [1, 1, 2, 2, 3, 3]);
    // Fire-and-forget sends are committed in order before a later acknowledged append.
    log.send(event(call, 10, note("sent")))
        .await
        .expect("the writer runs");
    let last = log
        .append(event(call, 11, note("after")))
        .await
        .expect("append");
    assert_eq!(last.seq, 5);

    let read = ok(db.events_of(call).await);
    assert_eq!(seqs(&read), [1, 2, 3, 4, 5]);
    let texts: Vec<EventBody> = read.iter().map(|e| e.body.clone()).collect();
    assert_eq!(
        texts,
        [
            note("note 0"),
            note("note 2"),
            note("note 4"),
            note("sent"),
            note("after")
        ]
    );
    assert_eq!(
        read[0], appended[0],
        "an event reads back exactly as acknowledged"
    );
    assert_eq!(ok(db.events_of(agent).await).len(), 3);

    // A new writer (after a restart) continues each subject's numbering from the store.
    drop(log);
    task.await
        .expect("the writer stops once its handles are gone");
    let (log, _task) = InteractionLogHandle::spawn(db.clone());
    let next = log.append(event(agent, 20, note("restarted"))).await;
    assert_eq!(next.expect("append").seq, 4);

    // Many concurrent appenders on one subject get exactly 1..=n, each once.
    let busy = Subject::Interaction(InteractionId::generate());
    let mut set = JoinSet::new();
    for i in 0..64 {
        let log = log.clone();
        set.spawn(async move { log.append(event(busy, i, note("busy"))).await });
    }
    let mut got: Vec<i64> = set
        .join_all()
        .await
        .into_iter()
        .map(|r| r.expect("append").seq)
        .collect();
    got.sort_unstable();
    assert_eq!(got, (1..=64).collect::<Vec<_>>());
    assert_eq!(seqs(&ok(db.events_of(busy).await)), got);

    assert_eq!(db.count_events().await.expect("count"), 6 + 2 + 1 + 64);
    let agents = ok(db.events_between(at(0), at(100), Some("agent"), 100).await);
    assert_eq!(agents.len(), 4, "the agent subject's events in the window");
    assert!(agents.iter().all(|e| e.subject == agent));
}

on_both_test!(
    events_come_back_in_order_with_per_subject_sequences,
    events_in_order_with_sequences
);

async fn idempotency(db: Db) {
    let (log, task) = InteractionLogHandle::spawn(db.clone());
    let subject = Subject::Interaction(InteractionId::generate());
    let first = event(subject, 1, note("first")).with_idempotency_key("cmd-1");
    let stored = log.append(first.clone()).await.expect("append");
    let retry = event(subject, 2, note("retry")).with_idempotency_key("cmd-1");
    let again = log.append(retry).await.expect("a retry is acknowledged");
    assert_eq!(again, stored, "the retry returns the first event");
    assert_eq!(again.id, first.id);

    // The same key twice in one burst (likely one batch): one is stored, one is a duplicate.
    let mut set = JoinSet::new();
    for text in ["a", "b"] {
        let log = log.clone();
        let e = event(subject, 3, note(text)).with_idempotency_key("mail-uid-42");
        set.spawn(async move { log.commit(WriteItem::event(e)).await });
    }
    let outcomes: Vec<ItemOutcome> = set
        .join_all()
        .await
        .into_iter()
        .map(|r| r.expect("both are acknowledged"))
        .collect();
    let stored: Vec<&StoredEvent> = outcomes
        .iter()
        .filter_map(|o| match o {
            ItemOutcome::Stored(v) => v.first(),
            ItemOutcome::Duplicate(_) => None,
        })
        .collect();
    let dups: Vec<&StoredEvent> = outcomes
        .iter()
        .filter_map(|o| match o {
            ItemOutcome::Duplicate(v) => v.first(),
            ItemOutcome::Stored(_) => None,
        })
        .collect();
    assert_eq!((stored.len(), dups.len()), (1, 1), "{outcomes:?}");
    assert_eq!(stored[0], dups[0]);

    // After a restart the key is still known.
    drop(log);
    task.await.expect("writer stops");
    let (log, _task) = InteractionLogHandle::spawn(db.clone());
    let late = event(subject, 4, note("late")).with_idempotency_key("cmd-1");
    assert_eq!(log.append(late).await.expect("append").id, first.id);

    assert_eq!(seqs(&ok(db.events_of(subject).await)), [1, 2]);
    let counts = event_counts(&db).await;
    assert_eq!(
        (counts.rows, counts.keyed_rows, counts.distinct_keys),
        (2, 2, 2)
    );
}

on_both_test!(
    an_idempotency_key_is_stored_once_and_a_retry_returns_the_first,
    idempotency
);

async fn projections(db: Db) {
    let (log, _task) = InteractionLogHandle::spawn(db.clone());
    let c = customer("Wang Fang", &["+86 138-0013-8000"], &[], &[]);
    commit(&log, put_customer(&c)).await;
    let (queue, agent) = (QueueId::generate(), AgentId::generate());
    let segs = [SegmentId::generate(), SegmentId::generate()];
    let (call, case, stored) = answered_call(&log, c.id, queue, agent, segs).await;
    assert_eq!(
        seqs(&stored),
        [1, 2, 3, 4, 5, 6, 7, 8, 2, 9],
        "per subject, in order"
    );

    let rec = ok(db.interaction(call).await).expect("exists");
    let words = (
        rec.channel.as_str(),
        rec.direction.as_str(),
        rec.state.as_str(),
        rec.identification.as_str(),
    );
    assert_eq!(words, ("voice", "inbound", "wrapped_up", "matched"));
    assert_eq!(rec.customer, Some(c.id));
    assert_eq!(
        (rec.started_at, rec.answered_at, rec.ended_at),
        (at(100), Some(at(151)), Some(at(400)))
    );
    assert_eq!(rec.outcome.as_deref(), Some("completed"));
    assert_eq!(rec.disposition.as_deref(), Some("inquiry.margin"));
    assert_eq!(rec.notes.as_deref(), Some("asked about margin"));
    assert_eq!(rec.remote_address.as_deref(), Some("+8613800138000"));

    let shape: Vec<_> = ok(db.segments(call).await)
        .into_iter()
        .map(|s| {
            (
                s.id,
                s.kind,
                s.queue,
                s.agent,
                s.started_at,
                s.ended_at,
                s.outcome,
            )
        })
        .collect();
    let row = |id, kind: &str, agent, from, to, outcome: &str| {
        (
            id,
            kind.to_owned(),
            Some(queue),
            agent,
            at(from),
            Some(at(to)),
            Some(outcome.to_owned()),
        )
    };
    assert_eq!(
        shape,
        [
            row(segs[0], "queue", None, 110, 150, "answered"),
            row(segs[1], "agent", Some(agent), 150, 400, "completed")
        ]
    );

    let kase = ok(db.case(case).await).expect("exists");
    assert_eq!(
        (kase.customer, kase.title.as_str(), kase.status.as_str()),
        (c.id, "Margin limit review", "open")
    );
    assert_eq!(
        (kase.opened_at, kase.follow_up_at, kase.closed_at),
        (at(460), Some(at(86_400_000)), None)
    );
    assert_eq!(kase.interactions, [call]);
    assert_eq!(ok(db.interaction(InteractionId::generate()).await), None);
    assert_eq!(ok(db.case(CaseId::generate()).await), None);
}

on_both_test!(
    an_interaction_projects_onto_interaction_segment_and_case_rows,
    projections
);

async fn case_across_channels(db: Db) {
    let (log, _task) = InteractionLogHandle::spawn(db.clone());
    let c = customer("Wang Fang", &["+86 138-0013-8000"], &[], &[]);
    commit(&log, put_customer(&c)).await;
    let segs = [SegmentId::generate(), SegmentId::generate()];
    let (call, case, _) =
        answered_call(&log, c.id, QueueId::generate(), AgentId::generate(), segs).await;
    // The same request continues by email: one case, two interactions, two channels.
    let mail = InteractionId::generate();
    let m = Subject::Interaction(mail);
    let events = vec![
        event(
            m,
            500,
            created(Channel::Email, c.id, "wang.fang@example.com"),
        ),
        event(m, 501, EventBody::CaseLinked { case }),
    ];
    commit(&log, self::events(events)).await;
    let closed = EventBody::CaseUpdated {
        case,
        status: "closed".into(),
        follow_up_at: None,
    };
    commit(
        &log,
        WriteItem::event(event(Subject::Customer(c.id), 600, closed)),
    )
    .await;

    let kase = ok(db.case(case).await).expect("exists");
    assert_eq!(
        (kase.status.as_str(), kase.closed_at, kase.follow_up_at),
        ("closed", Some(at(600)), None)
    );
    assert_eq!(
        kase.interactions,
        [call, mail],
        "linked interactions, oldest id first"
    );
    assert_eq!(ok(db.cases_of(c.id, Page::default()).await), [kase]);

    let filter = InteractionFilter {
        customer: Some(c.id),
        ..InteractionFilter::default()
    };
    let mine = ok(db.interactions(&filter, Page::default()).await);
    assert_eq!(
        mine.iter().map(|r| r.id).collect::<Vec<_>>(),
        [mail, call],
        "newest first"
    );
    let voice = InteractionFilter {
        channel: Some("voice".into()),
        ..filter
    };
    let calls = ok(db.interactions(&voice, Page::default()).await);
    assert_eq!(calls.iter().map(|r| r.id).collect::<Vec<_>>(), [call]);
    let timeline = ok(db.events_between(at(0), at(1_000), None, 100).await);
    assert_eq!(
        timeline.len(),
        1 + 10 + 3,
        "every event of the window, oldest first"
    );
    assert!(
        timeline
            .windows(2)
            .all(|w| w[0].occurred_at <= w[1].occurred_at)
    );
}

on_both_test!(
    a_case_spans_interactions_on_several_channels,
    case_across_channels
);

async fn customer_search(db: Db) {
    let (log, _task) = InteractionLogHandle::spawn(db.clone());
    let li = diamond_customer();
    let chen = customer(
        "Chen Jing",
        &["0086 13800138000", "021/6888 8888"],
        &["chen@example.com"],
        &["B-2002"],
    );
    let zhao = customer("Zhao Lei", &["138 0013 9999"], &[], &["A-1002"]);
    for c in [&li, &chen, &zhao] {
        commit(&log, put_customer(c)).await;
    }
    assert_eq!(
        ok(db.customer(li.id).await).as_ref(),
        Some(&li),
        "a customer round-trips"
    );
    assert_eq!(
        ok(db.customer_by_external_id("C-0001").await).map(|c| c.id),
        Some(li.id)
    );

    let table: [(&str, &str, &[&str]); 13] = [
        ("phone", "138 0013 8000", &["Chen Jing", "Li Wei"]),
        ("phone", "+86 138-0013-8000", &["Chen Jing", "Li Wei"]),
        ("phone", "(021) 6888-8888", &["Chen Jing"]),
        ("phone", "13800139999", &["Zhao Lei"]),
        ("phone", "13900000000", &[]),
        ("email", "LI.WEI@Example.com", &["Li Wei"]),
        ("email", "nobody@example.com", &[]),
        ("name", "wei", &["Li Wei"]),
        ("name", "E", &["Chen Jing", "Li Wei", "Zhao Lei"]),
        ("account", "A-1002", &["Zhao Lei"]),
        ("account", "A-100", &[]),
        ("tier", "diamond", &["Li Wei"]),
        ("tier", "gold", &[]),
    ];
    for (field, value, expected) in table {
        check_search(&db, query(field, value), expected).await;
    }
    let mut both = query("phone", "13800138000");
    both.name = Some("chen".into());
    check_search(&db, both, &["Chen Jing"]).await;
    let page = ok(db
        .customers(&CustomerQuery::default(), Page::new(1, 1))
        .await);
    assert_eq!(names(&page), ["Li Wei"], "second page of one, by name");

    // Updating replaces the phone list; the old number no longer finds the customer.
    let mut moved = chen.clone();
    moved.phones = vec![phone("021 5555 0000")];
    moved.updated_at = at(5);
    let update = WriteItem {
        events: vec![event(
            Subject::Customer(chen.id),
            5,
            EventBody::CustomerUpdated {
                fields: vec!["phones".into()],
            },
        )],
        mutations: vec![Mutation::PutCustomer(Box::new(moved))],
    };
    commit(&log, update).await;
    check_search(&db, query("phone", "021/6888 8888"), &[]).await;
    check_search(&db, query("phone", "+86 21 5555 0000"), &["Chen Jing"]).await;

    // A second customer with the same external id is a conflict, and stores nothing.
    let mut twin = customer("Li Wei (duplicate)", &[], &[], &[]);
    twin.external_id = Some("C-0001".into());
    let err = log.commit(put_customer(&twin)).await.err();
    assert!(
        matches!(err, Some(LogError::Store(StoreError::Conflict { .. }))),
        "{err:?}"
    );
    assert_eq!(ok(db.customer(twin.id).await), None);
    assert!(ok(db.events_of(Subject::Customer(twin.id)).await).is_empty());
}

on_both_test!(
    customers_are_found_by_phone_email_name_and_account,
    customer_search
);

async fn merge(db: Db) {
    let (log, _task) = InteractionLogHandle::spawn(db.clone());
    let old = customer(
        "Liu Yang",
        &["138 0013 8000"],
        &["liu@old.example"],
        &["A-1"],
    );
    let keep = customer(
        "Liu Yang",
        &["021 6888 8888"],
        &["liu@example.com"],
        &["A-2"],
    );
    commit(&log, put_customer(&old)).await;
    commit(&log, put_customer(&keep)).await;
    let (call, case) = (InteractionId::generate(), CaseId::generate());
    let title = "Address change".to_owned();
    let opened = EventBody::CaseOpened {
        case,
        title,
        follow_up_at: None,
    };
    let history = vec![
        event(
            Subject::Interaction(call),
            10,
            created(Channel::Voice, old.id, "+8613800138000"),
        ),
        event(Subject::Customer(old.id), 11, opened),
        event(
            Subject::Interaction(call),
            12,
            EventBody::CaseLinked { case },
        ),
    ];
    commit(&log, events(history)).await;

    let into = keep.id;
    let merged = WriteItem {
        events: vec![event(
            Subject::Customer(old.id),
            20,
            EventBody::CustomerMerged { into },
        )],
        mutations: vec![Mutation::MergeCustomer {
            from: old.id,
            into,
            at: at(20),
        }],
    };
    commit(&log, merged).await;

    let call_rec = ok(db.interaction(call).await).expect("exists");
    assert_eq!(
        call_rec.customer,
        Some(into),
        "the interaction follows the merge"
    );
    assert_eq!(ok(db.case(case).await).map(|c| c.customer), Some(into));
    let kept = ok(db.customer(into).await).expect("exists");
    assert_eq!(
        kept.phones,
        [phone("+8613800138000"), phone("+862168888888")]
    );
    assert_eq!(kept.emails, ["liu@example.com", "liu@old.example"]);
    assert_eq!(kept.accounts, ["A-1", "A-2"]);
    let gone = ok(db.customer(old.id).await).expect("still readable");
    assert_eq!(gone.merged_into, Some(into));
    assert!(gone.phones.is_empty() && gone.emails.is_empty() && gone.accounts.is_empty());
    let found = ok(db
        .customers(&query("phone", "13800138000"), Page::default())
        .await);
    assert_eq!(ids(&found, |c| c.id), [into]);
    let all = ok(db
        .customers(&CustomerQuery::default(), Page::default())
        .await);
    assert_eq!(
        ids(&all, |c| c.id),
        [into],
        "a merged record is left out of listings"
    );
    let kinds = ids(&ok(db.events_of(Subject::Customer(old.id)).await), |e| {
        e.body.kind()
    });
    assert_eq!(
        kinds,
        ["customer_created", "case_opened", "customer_merged"]
    );
}

on_both_test!(a_merge_moves_interactions_cases_and_phones, merge);

async fn agents_and_teams(db: Db) {
    let (log, _task) = InteractionLogHandle::spawn(db.clone());
    let name = TeamName::parse("equities-desk").expect("valid");
    let team = TeamRecord {
        id: TeamId::generate(),
        name,
        created_at: at(0),
    };
    let mut lead = agent(
        "zhang.min",
        Some(team.id),
        &[("equities", 8), ("mandarin", 9)],
    );
    lead.roles = vec![Role::Agent, Role::Supervisor];
    lead.capacity = Capacity {
        voice: 1,
        chat: 4,
        email: 8,
    };
    let mut item = put_agent(&lead);
    item.mutations.insert(0, Mutation::PutTeam(team.clone()));
    item.mutations.push(Mutation::AddSupervisor {
        team: team.id,
        agent: lead.id,
    });
    commit(&log, item).await;
    let login = AgentLogin::parse("zhang.min").expect("valid");
    assert_eq!(ok(db.agent_by_login(&login).await).as_ref(), Some(&lead));
    assert_eq!(ok(db.agent(lead.id).await).as_ref(), Some(&lead));
    assert_eq!(ok(db.teams().await), std::slice::from_ref(&team));
    assert_eq!(ok(db.team_by_name(&team.name).await), Some(team.clone()));
    assert_eq!(ok(db.supervised_teams(lead.id).await), [team.id]);
    assert_eq!(ok(db.team_supervisors(team.id).await), [lead.id]);
    assert_eq!(skill_names(ok(db.skills().await)), ["equities", "mandarin"]);

    // Replacing the agent replaces the skills; new skills are created.
    let mut changed = lead.clone();
    changed.skills = skills(&[("cantonese", 6), ("funds", 5)]);
    changed.updated_at = at(10);
    let fields = vec!["skills".into()];
    let mut update = put_agent(&changed);
    update.events = vec![event(
        Subject::Agent(lead.id),
        10,
        EventBody::AgentUpdated { fields },
    )];
    commit(&log, update).await;
    assert_eq!(ok(db.agent(lead.id).await), Some(changed));
    let all = skill_names(ok(db.skills().await));
    assert_eq!(all, ["cantonese", "equities", "funds", "mandarin"]);

    let set = |agent: AgentId| WriteItem {
        events: vec![event(
            Subject::Agent(agent),
            11,
            EventBody::AgentPasswordChanged,
        )],
        mutations: vec![Mutation::SetPassword {
            agent,
            hash: "$argon2id$new".into(),
            at: at(11),
        }],
    };
    commit(&log, set(lead.id)).await;
    let read = ok(db.agent(lead.id).await).expect("exists");
    assert_eq!(
        (read.password_hash.as_str(), read.updated_at),
        ("$argon2id$new", at(11))
    );
    let missing = log.commit(set(AgentId::generate())).await.err();
    assert!(
        matches!(missing, Some(LogError::Store(StoreError::Missing { .. }))),
        "{missing:?}"
    );
    let nobody = AgentLogin::parse("nobody").expect("valid");
    assert_eq!(ok(db.agent_by_login(&nobody).await), None);
}

on_both_test!(agents_teams_and_skills_round_trip, agents_and_teams);

async fn conflicts(db: Db) {
    let (log, _task) = InteractionLogHandle::spawn(db.clone());
    commit(&log, put_agent(&agent("li.wei", None, &[]))).await;

    // The database rejects a whole batch holding a taken login: nothing of it is written.
    let fresh = agent("fresh.one", None, &[]);
    let taken = agent("li.wei", None, &[]);
    let batch = [put_agent(&fresh), put_agent(&taken)];
    let direct = db
        .commit_items(&batch, &mut SeqCache::default(), at(1))
        .await;
    assert!(
        matches!(direct, Err(StoreError::Conflict { .. })),
        "{direct:?}"
    );
    assert_eq!(ok(db.agent(fresh.id).await), None, "all or nothing");

    // Through the writer, concurrent items: only the bad one fails.
    let good: Vec<AgentRecord> = (0..6)
        .map(|i| agent(&format!("new.{i}"), None, &[]))
        .collect();
    let bad = agent("li.wei", None, &[]);
    let mut set = JoinSet::new();
    for (i, a) in good.iter().enumerate() {
        let (writer, item) = (log.clone(), put_agent(a));
        set.spawn(async move { (i, writer.commit(item).await) });
        if i == 2 {
            let (writer, item) = (log.clone(), put_agent(&bad));
            set.spawn(async move { (99, writer.commit(item).await) });
        }
    }
    for (i, outcome) in set.join_all().await {
        match (i, outcome) {
            (99, Err(LogError::Store(StoreError::Conflict { what }))) => {
                assert!(
                    what.contains("li.wei"),
                    "the conflict names the login: {what}"
                );
            }
            (99, other) => panic!("the taken login must conflict: {other:?}"),
            (_, Ok(ItemOutcome::Stored(v))) => assert_eq!(v.len(), 1),
            (i, other) => panic!("good item {i} must be stored: {other:?}"),
        }
    }
    for a in &good {
        assert_eq!(ok(db.agent(a.id).await).as_ref(), Some(a));
    }
    assert_eq!(ok(db.agent(bad.id).await), None);
    assert!(ok(db.events_of(Subject::Agent(bad.id)).await).is_empty());
    assert_eq!(ok(db.agents().await).len(), 1 + good.len());
}

on_both_test!(a_conflict_fails_only_its_own_item, conflicts);

async fn sessions(db: Db) {
    let (log, _task) = InteractionLogHandle::spawn(db.clone());
    let a = agent("wu.hao", None, &[]);
    commit(&log, put_agent(&a)).await;
    let s = SessionRecord {
        id: SessionId::generate(),
        token_hash: "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08".into(),
        agent: a.id,
        source: "10.1.2.3".into(),
        created_at: at(0),
        last_seen_at: at(0),
        expires_at: at(8 * 3_600_000),
        revoked_at: None,
    };
    commit(&log, change(Mutation::PutSession(s.clone()))).await;
    let read = || async { ok(db.session_by_token_hash(&s.token_hash).await).expect("exists") };
    assert_eq!(read().await, s);

    // A late touch never moves last use back; the first revocation stands.
    let id = s.id;
    let steps = [
        (
            Mutation::TouchSession { id, at: at(60_000) },
            at(60_000),
            None,
        ),
        (
            Mutation::TouchSession { id, at: at(30_000) },
            at(60_000),
            None,
        ),
        (
            Mutation::RevokeSession { id, at: at(90_000) },
            at(60_000),
            Some(at(90_000)),
        ),
        (
            Mutation::RevokeSession { id, at: at(99_000) },
            at(60_000),
            Some(at(90_000)),
        ),
    ];
    for (m, last_seen, revoked) in steps {
        commit(&log, change(m.clone())).await;
        let now = read().await;
        assert_eq!(
            (now.last_seen_at, now.revoked_at),
            (last_seen, revoked),
            "after {m:?}"
        );
    }
    assert_eq!(ok(db.session_by_token_hash("0000").await), None);
}

on_both_test!(sessions_are_put_touched_and_revoked, sessions);

async fn queues_and_tier_rules(db: Db) {
    let (log, _task) = InteractionLogHandle::spawn(db.clone());
    assert_eq!(ok(db.count_queues().await), 0);
    assert_eq!(
        ok(db.tier_rules().await),
        TierRule::defaults(),
        "defaults until stored"
    );
    let name = TeamName::parse("fund-desk").expect("valid");
    let team = TeamRecord {
        id: TeamId::generate(),
        name,
        created_at: at(0),
    };
    let queue = QueueRecord {
        id: QueueId::generate(),
        name: QueueName::parse("trading").expect("valid"),
        display_name: "Trading desk".into(),
        channel: Channel::Voice,
        team: Some(team.id),
        required_skills: skills(&[("equities", 5), ("mandarin", 3)]),
        strategy: "most_skilled".into(),
        created_at: at(0),
        updated_at: at(0),
    };
    let what = "queue trading".to_owned();
    let changed = EventBody::ConfigurationChanged {
        what,
        detail: "created".into(),
    };
    let item = WriteItem {
        events: vec![event(Subject::Audit, 0, changed)],
        mutations: vec![
            Mutation::PutTeam(team),
            Mutation::PutQueue(Box::new(queue.clone())),
        ],
    };
    commit(&log, item).await;
    assert_eq!(ok(db.queues().await), std::slice::from_ref(&queue));
    assert_eq!(ok(db.queue(queue.id).await).as_ref(), Some(&queue));
    assert_eq!(ok(db.count_queues().await), 1);
    let twin = QueueRecord {
        id: QueueId::generate(),
        ..queue.clone()
    };
    let err = log
        .commit(change(Mutation::PutQueue(Box::new(twin))))
        .await
        .err();
    assert!(
        matches!(err, Some(LogError::Store(StoreError::Conflict { .. }))),
        "{err:?}"
    );

    let rule = |tier, min_assets| TierRule {
        tier,
        min_assets,
        min_turnover: None,
        min_commission: None,
    };
    let rules = vec![
        rule(Tier::Diamond, Some(100_000_000)),
        rule(Tier::Gold, Some(10_000_000)),
    ];
    commit(&log, change(Mutation::PutTierRules(rules.clone()))).await;
    assert_eq!(ok(db.tier_rules().await), rules);
    let audit = ok(db.events_of(Subject::Audit).await);
    assert_eq!(ids(&audit, |e| e.body.kind()), ["configuration_changed"]);
}

on_both_test!(queues_and_tier_rules_round_trip, queues_and_tier_rules);
