//! The ACD inside the platform, through the real router over a real SQLite store: the bridge
//! starts the ACD from the store; contacts are enqueued through the ACD's handle; the API
//! shows live queue statistics with positions, an agent's contacts, presence changes with
//! authorization before the body and an audit event for supervisors, and the SSE stream; the
//! interaction log receives every decision with its explanation.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::body::Body;
use axum::http::{Method, Request, StatusCode};
use futures_util::StreamExt;
use serde_json::{Value, json};
use tower::ServiceExt;

use switchyard::accounts::{self, NewAgent};
use switchyard::acd::NewContact;
use switchyard::acd_bridge;
use switchyard::config::Config;
use switchyard::domain::role::parse_roles;
use switchyard::domain::skill::parse_skill_list;
use switchyard::domain::{
    AgentLogin, Channel, InteractionId, QueueName, TeamName, Tier, Timestamp,
};
use switchyard::http::{self, ApiState};
use switchyard::interaction_log::{Actor, EventBody, InteractionLogHandle, Subject};
use switchyard::store::Db;
use switchyard::store::agents::Capacity;

const PASSWORD: &str = "correct-horse-battery";

struct Site {
    router: Router,
    db: Db,
    acd: switchyard::acd::AcdHandle,
    logger: tokio::task::JoinHandle<()>,
    queue: String,
    tokens: HashMap<&'static str, String>,
    _dir: tempfile::TempDir,
}

async fn site() -> Site {
    let dir = tempfile::tempdir().expect("temp dir");
    let mut config = Config::parse("", &HashMap::new()).expect("defaults parse");
    config.paths.data_dir = dir.path().to_path_buf();
    let db = Db::open(&config.store_url()).await.expect("store opens");
    let (log, _writer) = InteractionLogHandle::spawn(db.clone());
    let now = Timestamp::now();
    let people = [
        ("root", "admin", "team-a", "equities:1"),
        ("sup.a", "agent,supervisor", "team-a", "equities:5"),
        ("agent.a", "agent", "team-a", "equities:7"),
        ("agent.b", "agent", "team-b", "equities:2"),
    ];
    for (login, roles, team, skills) in people {
        let new = NewAgent {
            login: AgentLogin::parse(login).expect("login"),
            display_name: login.to_owned(),
            roles: parse_roles(roles).expect("roles"),
            team: Some(TeamName::parse(team).expect("team")),
            skills: parse_skill_list(skills).expect("skills"),
            capacity: Capacity::default(),
            password: PASSWORD.to_owned(),
        };
        accounts::add_agent(&db, &log, new, Actor::Cli, now)
            .await
            .expect("agent added");
    }
    switchyard::demo::put_queue(
        &log,
        QueueName::parse("trading").expect("name"),
        "Trading",
        Channel::Chat,
        None,
        parse_skill_list("equities:5").expect("skills"),
        now,
    )
    .await
    .expect("queue stored");
    let queue = db.queues().await.expect("queues")[0].id.to_string();
    let bridge = acd_bridge::start(&db, log.clone(), now)
        .await
        .expect("the ACD starts");
    let acd = bridge.handle.clone();
    let state =
        ApiState::new(db.clone(), log, Arc::new(config), None).with_acd(bridge.handle.clone());
    let mut site = Site {
        router: http::router(state),
        db,
        acd,
        logger: bridge.logger,
        queue,
        tokens: HashMap::new(),
        _dir: dir,
    };
    for (login, _, _, _) in people {
        let (status, body) = site
            .call(
                "",
                Method::POST,
                "/api/v1/login",
                Some(json!({"login": login, "password": PASSWORD})),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{body}");
        site.tokens
            .insert(login, body["token"].as_str().expect("token").to_owned());
    }
    site
}

impl Site {
    fn request(
        &self,
        who: &str,
        method: Method,
        path: &str,
        body: Option<String>,
    ) -> Request<Body> {
        let mut req = Request::builder().method(method).uri(path);
        if let Some(t) = self.tokens.get(who) {
            req = req.header("authorization", format!("Bearer {t}"));
        }
        match body {
            Some(b) => req
                .header("content-type", "application/json")
                .body(Body::from(b)),
            None => req.body(Body::empty()),
        }
        .expect("request builds")
    }

    async fn raw(
        &self,
        who: &str,
        method: Method,
        path: &str,
        body: Option<String>,
    ) -> (StatusCode, Value) {
        let resp = self
            .router
            .clone()
            .oneshot(self.request(who, method, path, body))
            .await
            .expect("router answers");
        let status = resp.status();
        let bytes = axum::body::to_bytes(resp.into_body(), 1 << 24)
            .await
            .expect("body reads");
        (
            status,
            serde_json::from_slice(&bytes).unwrap_or(Value::Null),
        )
    }

    async fn call(
        &self,
        who: &str,
        method: Method,
        path: &str,
        body: Option<Value>,
    ) -> (StatusCode, Value) {
        self.raw(who, method, path, body.map(|b| b.to_string()))
            .await
    }

    async fn enqueue(&self, tier: Tier) -> InteractionId {
        let id = InteractionId::generate();
        let queue = self.queue.parse().expect("queue id");
        self.acd
            .enqueue(NewContact {
                interaction: id,
                queue,
                tier,
                account_manager: None,
            })
            .await
            .expect("enqueued");
        id
    }
}

#[tokio::test]
async fn queues_show_live_positions_and_agents_their_contacts() {
    let s = site().await;
    let (status, body) = s
        .call(
            "agent.a",
            Method::PUT,
            "/api/v1/agents/agent.a/state",
            Some(json!({"state": "ready"})),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["state"], "ready");
    let first = s.enqueue(Tier::Standard).await;
    for _ in 0..2 {
        s.enqueue(Tier::Standard).await;
    }
    let gold = s.enqueue(Tier::Gold).await;
    let standard = s.enqueue(Tier::Standard).await;
    // Capacity 3 chats: three are offered to agent.a; gold jumps ahead of the last standard.
    let (status, q) = s
        .call(
            "agent.b",
            Method::GET,
            &format!("/api/v1/queues/{}", s.queue),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{q}");
    let live = &q["live"];
    assert_eq!(live["waiting_now"], 5, "{q}");
    assert_eq!(live["today"]["offered"], 5);
    let waiting = live["waiting"].as_array().expect("waiting list");
    let states: Vec<&str> = waiting
        .iter()
        .map(|w| w["state"].as_str().expect("state"))
        .collect();
    // Queue order is priority, then arrival: gold (not yet offered) ranks first.
    assert_eq!(
        states,
        ["waiting", "offered", "offered", "offered", "waiting"]
    );
    let positions: Vec<u64> = waiting
        .iter()
        .map(|w| w["position"].as_u64().expect("position"))
        .collect();
    assert_eq!(positions, [1, 2, 3, 4, 5]);
    assert_eq!(waiting[0]["interaction"], gold.to_string());
    assert_eq!(waiting[4]["interaction"], standard.to_string());
    assert!(waiting[4]["estimated_wait_ms"].as_u64().expect("estimate") > 0);
    assert_eq!(live["agents"]["busy"], 1);
    let (status, a) = s
        .call("agent.a", Method::GET, "/api/v1/agents/agent.a", None)
        .await;
    assert_eq!(status, StatusCode::OK, "{a}");
    let contacts = a["live"]["contacts"].as_array().expect("contacts");
    assert_eq!(contacts.len(), 3);
    assert!(contacts.iter().all(|c| c["state"] == "offered"));
    assert!(
        contacts
            .iter()
            .any(|c| c["interaction"] == first.to_string())
    );
    let (_, list) = s.call("agent.a", Method::GET, "/api/v1/queues", None).await;
    assert_eq!(list[0]["live"]["waiting_now"], 5, "{list}");
}

#[tokio::test]
async fn presence_changes_are_authorized_before_the_body_and_audited() {
    let s = site().await;
    // agent.b may not act on agent.a: 403 even with a broken body.
    let (status, _) = s
        .raw(
            "agent.b",
            Method::PUT,
            "/api/v1/agents/agent.a/state",
            Some("{".into()),
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let cases = [
        (
            json!({"state": "not_ready"}),
            StatusCode::BAD_REQUEST,
            "reason",
        ),
        (
            json!({"state": "not_ready", "reason": "nap"}),
            StatusCode::BAD_REQUEST,
            "reason",
        ),
        (json!({"state": "asleep"}), StatusCode::BAD_REQUEST, "state"),
    ];
    for (body, expected, field) in cases {
        let (status, answer) = s
            .call(
                "sup.a",
                Method::PUT,
                "/api/v1/agents/agent.a/state",
                Some(body.clone()),
            )
            .await;
        assert_eq!(status, expected, "{body}: {answer}");
        assert_eq!(answer["error"]["field"], field, "{body}: {answer}");
    }
    let (status, answer) = s
        .call(
            "sup.a",
            Method::PUT,
            "/api/v1/agents/agent.a/state",
            Some(json!({"state": "not_ready", "reason": "break"})),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{answer}");
    assert_eq!(answer["state"], "not_ready");
    assert_eq!(answer["reason"], "break");
    let audit = s.db.events_of(Subject::Audit).await.expect("audit");
    assert!(audit.iter().any(|e| matches!(&e.body,
        EventBody::ConfigurationChanged { what, detail } if what == "agent agent.a presence" && detail.contains("break"))));
}

#[tokio::test]
async fn every_decision_reaches_the_interaction_log_with_its_explanation() {
    let s = site().await;
    let (status, _) = s
        .call(
            "agent.a",
            Method::PUT,
            "/api/v1/agents/agent.a/state",
            Some(json!({"state": "ready"})),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let id = s.enqueue(Tier::Diamond).await;
    let Site {
        router,
        acd,
        logger,
        db,
        ..
    } = s;
    drop((router, acd));
    // Every handle is gone: the service stops and the logger commits what is left.
    logger.await.expect("the logger finishes");
    let kinds: Vec<&'static str> = db
        .events_of(Subject::Interaction(id))
        .await
        .expect("events")
        .iter()
        .map(|e| e.body.kind())
        .collect();
    assert_eq!(kinds, ["acd_queued", "acd_offered"]);
    let offered = db
        .events_of(Subject::Interaction(id))
        .await
        .expect("events");
    let EventBody::AcdOffered { explanation, .. } = &offered[1].body else {
        panic!("second event is the offer");
    };
    assert!(explanation.contains("1 eligible agents"), "{explanation}");
}

#[tokio::test]
async fn supervisors_get_a_live_stream_and_agents_do_not() {
    let s = site().await;
    let (status, _) = s
        .call("agent.a", Method::GET, "/api/v1/acd/events", None)
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let resp = s
        .router
        .clone()
        .oneshot(s.request("sup.a", Method::GET, "/api/v1/acd/events", None))
        .await
        .expect("router answers");
    assert_eq!(resp.status(), StatusCode::OK);
    assert_eq!(resp.headers()["content-type"], "text/event-stream");
    let mut frames = resp.into_body().into_data_stream();
    let (status, _) = s
        .call(
            "agent.b",
            Method::PUT,
            "/api/v1/agents/agent.b/state",
            Some(json!({"state": "ready"})),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let frame = tokio::time::timeout(Duration::from_secs(30), frames.next())
        .await
        .expect("a frame arrives")
        .expect("the stream is open")
        .expect("the frame reads");
    let text = String::from_utf8_lossy(&frame);
    assert!(text.contains("event: acd"), "{text}");
    assert!(text.contains("acd_presence_changed"), "{text}");
}

#[tokio::test]
async fn queue_acd_settings_are_validated_stored_and_audited() {
    let s = site().await;
    let (status, q2) = s
        .call(
            "root",
            Method::POST,
            "/api/v1/queues",
            Some(json!({"name": "trading2", "channel": "chat"})),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{q2}");
    let q1 = s.queue.clone();
    let q2 = q2["id"].as_str().expect("id").to_owned();
    let path = |q: &str| format!("/api/v1/queues/{q}/acd");
    let overflow = |target: &str| {
        json!({"offer_timeout_s": 15, "wrap_up_s": 30, "steps": [
            {"after_s": 30, "action": "relax_proficiency", "by": 2},
            {"after_s": 90, "action": "overflow", "target": target}]})
    };
    let (status, _) = s
        .raw("agent.a", Method::PUT, &path(&q1), Some("{".into()))
        .await;
    assert_eq!(
        status,
        StatusCode::FORBIDDEN,
        "authorization before the body"
    );
    let (status, body) = s
        .call("root", Method::PUT, &path(&q1), Some(overflow("trading2")))
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (status, body) = s
        .call("root", Method::PUT, &path(&q2), Some(overflow("trading")))
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert_eq!(body["error"]["field"], "steps");
    let message = body["error"]["message"].as_str().expect("message");
    assert!(message.contains("overflow loop"), "{message}");
    let (status, body) = s
        .call("root", Method::PUT, &path(&q2), Some(overflow("nowhere")))
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert_eq!(body["error"]["field"], "steps[1].target");
    let (status, body) = s
        .call(
            "root",
            Method::PUT,
            &path(&q2),
            Some(json!({"offer_timeout_s": 0, "wrap_up_s": 30})),
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert_eq!(body["error"]["field"], "offer_timeout_s");
    let stored = s.db.queue_acd_settings().await.expect("settings");
    assert_eq!(stored.len(), 1);
    assert_eq!(stored[0].offer_timeout_ms, 15_000);
    assert_eq!(
        stored[0].steps,
        format!("30000 relax_proficiency:2;90000 overflow:queue:{q2}")
    );
    let audit = s.db.events_of(Subject::Audit).await.expect("audit");
    assert!(audit.iter().any(|e| matches!(&e.body,
        EventBody::ConfigurationChanged { what, .. } if what == "queue trading acd settings")));
}
