//! The HTTP API through the real router (`Router::oneshot`) over a real SQLite store: every
//! route's 401, 404 and 400 paths, roles and team scope, sessions, throttling, and the
//! customer, interaction and case flows.

use std::collections::{BTreeSet, HashMap};
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::body::Body;
use axum::http::{Method, Request, StatusCode};
use serde_json::{Value, json};
use tower::ServiceExt;

use switchyard::accounts::{self, NewAgent};
use switchyard::config::Config;
use switchyard::domain::role::parse_roles;
use switchyard::domain::skill::parse_skill_list;
use switchyard::domain::{AgentLogin, TeamName, Timestamp};
use switchyard::http::{self, Access, ApiState};
use switchyard::interaction_log::{Actor, InteractionLogHandle};
use switchyard::store::Db;
use switchyard::store::agents::Capacity;

const PASSWORD: &str = "correct-horse-battery";

struct Api {
    router: Router,
    db: Db,
    tokens: HashMap<&'static str, String>,
    _dir: tempfile::TempDir,
}

async fn api_with(configure: impl FnOnce(&mut Config)) -> Api {
    let dir = tempfile::tempdir().expect("temp dir");
    let mut config = Config::parse("", &HashMap::new()).expect("defaults parse");
    config.paths.data_dir = dir.path().to_path_buf();
    configure(&mut config);
    let db = Db::open(&config.store_url()).await.expect("store opens");
    let (log, _writer) = InteractionLogHandle::spawn(db.clone());
    let now = Timestamp::now();
    // (login, roles, team)
    let people = [
        ("root", "admin", None),
        ("sup.a", "agent,supervisor", Some("team-a")),
        ("agent.a", "agent", Some("team-a")),
        ("agent.b", "agent", Some("team-b")),
    ];
    for (login, roles, team) in people {
        let new = NewAgent {
            login: AgentLogin::parse(login).expect("login"),
            display_name: login.to_owned(),
            roles: parse_roles(roles).expect("roles"),
            team: team.map(|t| TeamName::parse(t).expect("team")),
            skills: parse_skill_list("equities:7,mandarin:9").expect("skills"),
            capacity: Capacity::default(),
            password: PASSWORD.to_owned(),
        };
        accounts::add_agent(&db, &log, new, Actor::Cli, now)
            .await
            .expect("agent added");
    }
    let router = http::router(ApiState::new(db.clone(), log, Arc::new(config), None));
    let mut api = Api {
        router,
        db,
        tokens: HashMap::new(),
        _dir: dir,
    };
    for (login, _, _) in people {
        let (status, body) = api
            .call(
                Method::POST,
                "/api/v1/login",
                None,
                Some(json!({"login": login, "password": PASSWORD})),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{login} signs in: {body}");
        api.tokens
            .insert(login, body["token"].as_str().expect("token").to_owned());
    }
    api
}

async fn api() -> Api {
    api_with(|_| {}).await
}

impl Api {
    async fn call(
        &self,
        method: Method,
        path: &str,
        token: Option<&str>,
        body: Option<Value>,
    ) -> (StatusCode, Value) {
        let mut req = Request::builder().method(method).uri(path);
        if let Some(t) = token {
            req = req.header("authorization", format!("Bearer {t}"));
        }
        let req = match body {
            Some(b) => req
                .header("content-type", "application/json")
                .body(Body::from(b.to_string())),
            None => req.body(Body::empty()),
        }
        .expect("request builds");
        let resp = self
            .router
            .clone()
            .oneshot(req)
            .await
            .expect("router answers");
        let status = resp.status();
        let bytes = axum::body::to_bytes(resp.into_body(), 1 << 24)
            .await
            .expect("body reads");
        let value = serde_json::from_slice(&bytes)
            .unwrap_or_else(|_| Value::String(String::from_utf8_lossy(&bytes).into_owned()));
        (status, value)
    }

    async fn as_(
        &self,
        who: &str,
        method: Method,
        path: &str,
        body: Option<Value>,
    ) -> (StatusCode, Value) {
        let token = self
            .tokens
            .get(who)
            .map(String::as_str)
            .expect("known caller");
        self.call(method, path, Some(token), body).await
    }
}

/// A body each route accepts, so that a 404 test reaches the lookup.
fn sample_body(method: &Method, path: &str) -> Option<Value> {
    let body = match (method.as_str(), path) {
        ("POST", "/api/v1/login") => json!({"login": "root", "password": PASSWORD}),
        ("POST", "/api/v1/customers") => json!({"name": "Test"}),
        ("PATCH", "/api/v1/customers/{id}") => json!({"name": "Test"}),
        ("PUT", "/api/v1/customers/{id}/tier") => json!({"tier": "gold", "reason": "test"}),
        ("POST", "/api/v1/customers/{id}/merge") => {
            json!({"into": "01a20906-d433-70c0-b194-f5360be68fae"})
        }
        ("POST", "/api/v1/agents") => {
            json!({"login": "new.one", "display_name": "New", "password": PASSWORD})
        }
        ("PATCH", "/api/v1/agents/{login}") => json!({"display_name": "X"}),
        ("PUT", "/api/v1/agents/{login}/password") => json!({"password": PASSWORD}),
        ("PUT", "/api/v1/agents/{login}/state") => json!({"state": "ready"}),
        ("PUT", "/api/v1/queues/{id}/acd") => json!({"offer_timeout_s": 20, "wrap_up_s": 30}),
        ("POST", "/api/v1/teams") => json!({"name": "team-z"}),
        ("POST", "/api/v1/queues") | ("PUT", "/api/v1/queues/{id}") => json!({"name": "q1"}),
        ("PUT", "/api/v1/tier-rules") => json!([]),
        ("POST", "/api/v1/interactions") => json!({"channel": "voice"}),
        ("POST", "/api/v1/interactions/{id}/notes") => json!({"text": "hello"}),
        ("POST", "/api/v1/interactions/{id}/wrap-up") => json!({"disposition": "resolved"}),
        ("PUT", "/api/v1/interactions/{id}/customer") => {
            json!({"customer": "01a20906-d433-70c0-b194-f5360be68fae"})
        }
        ("POST", "/api/v1/cases") => {
            json!({"customer": "01a20906-d433-70c0-b194-f5360be68fae", "title": "t"})
        }
        ("PATCH", "/api/v1/cases/{id}") => json!({"status": "closed"}),
        ("POST", "/api/v1/flows/{name}/simulate") => json!({"digits": "1"}),
        _ => return None,
    };
    Some(body)
}

fn concrete(path: &str, id: &str) -> String {
    path.replace("{id}", id)
        .replace("{login}", "nobody.here")
        .replace("{name}", id)
}

#[tokio::test]
async fn openapi_document_lists_exactly_the_routes_the_router_serves() {
    let api = api().await;
    let (status, doc) = api
        .call(Method::GET, "/api/v1/openapi.json", None, None)
        .await;
    assert_eq!(status, StatusCode::OK);
    let documented: BTreeSet<(String, String)> = doc["paths"]
        .as_object()
        .expect("paths")
        .iter()
        .flat_map(|(p, ops)| {
            ops.as_object()
                .expect("ops")
                .keys()
                .map(move |m| (m.to_uppercase(), p.clone()))
        })
        .collect();
    let served: BTreeSet<(String, String)> = http::routes()
        .iter()
        .map(|r| (r.method().to_string(), r.path().to_owned()))
        .collect();
    assert_eq!(documented, served, "document and router differ");
    // Each documented route is matched by the router (never the fallback).
    for (method, path) in &documented {
        let m: Method = method.parse().expect("method");
        let (_, body) = api
            .as_(
                "root",
                m.clone(),
                &concrete(path, "01a20906-d433-70c0-b194-f5360be68fae"),
                sample_body(&m, path),
            )
            .await;
        let message = body["error"]["message"].as_str().unwrap_or_default();
        assert!(
            !message.starts_with("route "),
            "{method} {path} fell through to the fallback: {body}"
        );
    }
    let (status, body) = api
        .as_("root", Method::GET, "/api/v1/no-such-thing", None)
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(body["error"]["code"], "not_found");
}

#[tokio::test]
async fn every_protected_route_answers_401_without_a_valid_session() {
    let api = api().await;
    for r in http::routes().iter().filter(|r| r.who() != Access::Public) {
        let path = concrete(r.path(), "01a20906-d433-70c0-b194-f5360be68fae");
        let (status, body) = api
            .call(
                r.method().clone(),
                &path,
                None,
                sample_body(r.method(), r.path()),
            )
            .await;
        assert_eq!(
            status,
            StatusCode::UNAUTHORIZED,
            "{r:?} without a token: {body}"
        );
        assert_eq!(body["error"]["code"], "unauthenticated");
        let (status, _) = api
            .call(
                r.method().clone(),
                &path,
                Some("not-a-token"),
                sample_body(r.method(), r.path()),
            )
            .await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "{r:?} with a wrong token");
    }
}

#[tokio::test]
async fn every_route_with_an_id_answers_404_for_an_unknown_one() {
    let api = api().await;
    for r in http::routes().iter().filter(|r| r.path().contains('{')) {
        for id in ["01a20906-d433-70c0-b194-f5360be68fae", "not-an-id"] {
            let path = concrete(r.path(), id);
            let (status, body) = api
                .as_(
                    "root",
                    r.method().clone(),
                    &path,
                    sample_body(r.method(), r.path()),
                )
                .await;
            assert_eq!(status, StatusCode::NOT_FOUND, "{r:?} with id {id}: {body}");
            assert_eq!(body["error"]["code"], "not_found");
        }
    }
}

#[tokio::test]
async fn every_route_with_a_body_answers_400_naming_the_field() {
    let api = api().await;
    let customer = api
        .as_(
            "root",
            Method::POST,
            "/api/v1/customers",
            Some(json!({"name": "Body Test"})),
        )
        .await
        .1;
    let cid = customer["id"].as_str().expect("id").to_owned();
    for r in http::routes()
        .iter()
        .filter(|r| sample_body(r.method(), r.path()).is_some())
    {
        let path = r
            .path()
            .replace("{id}", &cid)
            .replace("{login}", "agent.a")
            .replace("{name}", "brokerage");
        let (status, body) = api
            .as_(
                "root",
                r.method().clone(),
                &path,
                Some(json!({"no_such_field": 1})),
            )
            .await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{r:?}: {body}");
        assert_eq!(body["error"]["code"], "invalid");
        let field = body["error"]["field"].as_str().unwrap_or_default();
        assert!(!field.is_empty(), "{r:?} names a field: {body}");
    }
    let (status, body) = api
        .as_(
            "root",
            Method::POST,
            "/api/v1/customers",
            Some(json!({"phones": ["138 0013 8000"]})),
        )
        .await;
    assert_eq!(
        (status, body["error"]["field"].as_str()),
        (StatusCode::BAD_REQUEST, Some("name")),
        "{body}"
    );
    let (status, body) = api
        .as_(
            "root",
            Method::POST,
            "/api/v1/customers",
            Some(json!({"name": "X", "phones": "138"})),
        )
        .await;
    assert_eq!(
        (status, body["error"]["field"].as_str()),
        (StatusCode::BAD_REQUEST, Some("phones")),
        "{body}"
    );
    let (status, body) = api
        .as_(
            "root",
            Method::POST,
            "/api/v1/customers",
            Some(json!({"name": "X", "phones": ["13x"]})),
        )
        .await;
    assert_eq!(
        (status, body["error"]["field"].as_str()),
        (StatusCode::BAD_REQUEST, Some("phones")),
        "{body}"
    );
    let (status, body) = api
        .as_("root", Method::GET, "/api/v1/customers?limit=0", None)
        .await;
    assert_eq!(
        (status, body["error"]["field"].as_str()),
        (StatusCode::BAD_REQUEST, Some("limit")),
        "{body}"
    );
    let (status, body) = api
        .as_("root", Method::GET, "/api/v1/customers?limit=ten", None)
        .await;
    assert_eq!(
        (status, body["error"]["field"].as_str()),
        (StatusCode::BAD_REQUEST, Some("limit")),
        "{body}"
    );
    let req = Request::builder()
        .method(Method::POST)
        .uri("/api/v1/customers")
        .header("authorization", format!("Bearer {}", api.tokens["root"]))
        .header("content-type", "application/json")
        .body(Body::from("{not json"))
        .expect("request");
    let resp = api.router.clone().oneshot(req).await.expect("answer");
    assert_eq!(resp.status(), StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn roles_and_team_scope_are_enforced() {
    let api = api().await;
    let new_agent = json!({"login": "x.y", "display_name": "X", "password": PASSWORD});
    assert_eq!(
        api.as_(
            "agent.a",
            Method::POST,
            "/api/v1/agents",
            Some(new_agent.clone())
        )
        .await
        .0,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        api.as_(
            "sup.a",
            Method::POST,
            "/api/v1/agents",
            Some(new_agent.clone())
        )
        .await
        .0,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        api.as_("root", Method::POST, "/api/v1/agents", Some(new_agent))
            .await
            .0,
        StatusCode::CREATED
    );
    // A supervisor acts on their own team only.
    let rename = json!({"display_name": "Renamed"});
    let (status, body) = api
        .as_(
            "sup.a",
            Method::PATCH,
            "/api/v1/agents/agent.a",
            Some(rename.clone()),
        )
        .await;
    assert_eq!(
        (status, body["display_name"].as_str()),
        (StatusCode::OK, Some("Renamed"))
    );
    let (status, body) = api
        .as_(
            "sup.a",
            Method::PATCH,
            "/api/v1/agents/agent.b",
            Some(rename.clone()),
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    assert_eq!(body["error"]["code"], "forbidden");
    assert_eq!(
        api.as_("sup.a", Method::GET, "/api/v1/agents/agent.b", None)
            .await
            .0,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        api.as_(
            "sup.a",
            Method::PATCH,
            "/api/v1/agents/agent.a",
            Some(json!({"roles": "admin"}))
        )
        .await
        .0,
        StatusCode::FORBIDDEN,
        "roles are for admins"
    );
    assert_eq!(
        api.as_(
            "agent.a",
            Method::PATCH,
            "/api/v1/agents/agent.a",
            Some(rename)
        )
        .await
        .0,
        StatusCode::FORBIDDEN
    );
    // Agents see themselves; supervisors their team; admins everyone.
    let count = |v: &Value| v.as_array().map_or(0, Vec::len);
    assert_eq!(
        count(
            &api.as_("agent.a", Method::GET, "/api/v1/agents", None)
                .await
                .1
        ),
        1
    );
    assert_eq!(
        count(
            &api.as_("sup.a", Method::GET, "/api/v1/agents", None)
                .await
                .1
        ),
        2
    );
    assert_eq!(
        count(&api.as_("root", Method::GET, "/api/v1/agents", None).await.1),
        5
    );
    // Passwords: one's own, or anyone's as admin.
    let pw = json!({"password": "another-good-one"});
    assert_eq!(
        api.as_(
            "agent.a",
            Method::PUT,
            "/api/v1/agents/agent.b/password",
            Some(pw.clone())
        )
        .await
        .0,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        api.as_(
            "agent.a",
            Method::PUT,
            "/api/v1/agents/agent.a/password",
            Some(pw.clone())
        )
        .await
        .0,
        StatusCode::NO_CONTENT
    );
    assert_eq!(
        api.as_(
            "root",
            Method::PUT,
            "/api/v1/agents/agent.b/password",
            Some(json!({"password": "short"}))
        )
        .await
        .1["error"]["field"],
        "password"
    );
    // Tier overrides need a supervisor.
    let c = api
        .as_(
            "agent.a",
            Method::POST,
            "/api/v1/customers",
            Some(json!({"name": "Scope Test"})),
        )
        .await
        .1;
    let path = format!(
        "/api/v1/customers/{}/tier",
        c["id"].as_str().unwrap_or_default()
    );
    assert_eq!(
        api.as_(
            "agent.a",
            Method::PUT,
            &path,
            Some(json!({"tier": "gold", "reason": "x"}))
        )
        .await
        .0,
        StatusCode::FORBIDDEN
    );
    // Queues: supervisors change their teams' queues only.
    let q = api
        .as_(
            "root",
            Method::POST,
            "/api/v1/queues",
            Some(json!({"name": "qa", "team": "team-a", "required_skills": "equities:5"})),
        )
        .await;
    assert_eq!(q.0, StatusCode::CREATED, "{}", q.1);
    let qb = api
        .as_(
            "root",
            Method::POST,
            "/api/v1/queues",
            Some(json!({"name": "qb", "team": "team-b"})),
        )
        .await
        .1;
    let qa_path = format!("/api/v1/queues/{}", q.1["id"].as_str().unwrap_or_default());
    let qb_path = format!("/api/v1/queues/{}", qb["id"].as_str().unwrap_or_default());
    assert_eq!(
        api.as_(
            "sup.a",
            Method::PUT,
            &qa_path,
            Some(json!({"name": "qa", "team": "team-a", "strategy": "most_skilled"}))
        )
        .await
        .0,
        StatusCode::OK
    );
    assert_eq!(
        api.as_(
            "sup.a",
            Method::PUT,
            &qb_path,
            Some(json!({"name": "qb", "team": "team-b"}))
        )
        .await
        .0,
        StatusCode::FORBIDDEN
    );
    let bad = api
        .as_(
            "root",
            Method::POST,
            "/api/v1/queues",
            Some(json!({"name": "qc", "required_skills": "astrology:5"})),
        )
        .await;
    assert_eq!(
        (bad.0, bad.1["error"]["field"].as_str()),
        (StatusCode::BAD_REQUEST, Some("required_skills"))
    );
}

#[tokio::test]
async fn sessions_end_by_logout_and_by_expiry() {
    let api = api().await;
    assert_eq!(
        api.as_("agent.a", Method::GET, "/api/v1/me", None).await.0,
        StatusCode::OK
    );
    assert_eq!(
        api.as_("agent.a", Method::POST, "/api/v1/logout", None)
            .await
            .0,
        StatusCode::NO_CONTENT
    );
    assert_eq!(
        api.as_("agent.a", Method::GET, "/api/v1/me", None).await.0,
        StatusCode::UNAUTHORIZED
    );

    let expiring = api_with(|c| c.auth.session_absolute = Duration::from_millis(1)).await;
    tokio::time::sleep(Duration::from_millis(5)).await;
    let (status, body) = expiring
        .as_("agent.a", Method::GET, "/api/v1/me", None)
        .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "absolute expiry: {body}");
    let idle = api_with(|c| c.auth.session_idle = Duration::from_millis(1)).await;
    tokio::time::sleep(Duration::from_millis(5)).await;
    assert_eq!(
        idle.as_("agent.a", Method::GET, "/api/v1/me", None).await.0,
        StatusCode::UNAUTHORIZED,
        "idle expiry"
    );
}

#[tokio::test]
async fn failed_sign_ins_are_throttled_and_audited() {
    let api = api().await;
    for _ in 0..5 {
        let (status, body) = api
            .call(
                Method::POST,
                "/api/v1/login",
                None,
                Some(json!({"login": "agent.b", "password": "wrong-password"})),
            )
            .await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
        assert_eq!(body["error"]["code"], "bad_credentials");
    }
    let (status, _) = api
        .call(
            Method::POST,
            "/api/v1/login",
            None,
            Some(json!({"login": "agent.b", "password": PASSWORD})),
        )
        .await;
    assert_eq!(
        status,
        StatusCode::TOO_MANY_REQUESTS,
        "even the right password waits"
    );
    let (status, body) = api
        .call(
            Method::POST,
            "/api/v1/login",
            None,
            Some(json!({"login": "no.such.user", "password": "x"})),
        )
        .await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (StatusCode::UNAUTHORIZED, Some("bad_credentials")),
        "unknown users look the same"
    );
    let audit = api
        .db
        .events_between(
            Timestamp::from_millis(0),
            Timestamp::from_millis(i64::MAX),
            Some("audit"),
            1000,
        )
        .await
        .expect("events");
    let kinds: Vec<&str> = audit.iter().map(|e| e.body.kind()).collect();
    assert_eq!(
        kinds.iter().filter(|k| **k == "login_failed").count(),
        6,
        "{kinds:?}"
    );
    assert_eq!(
        kinds.iter().filter(|k| **k == "login_throttled").count(),
        1,
        "{kinds:?}"
    );
    assert!(kinds.contains(&"login_succeeded"));
}

#[tokio::test]
async fn customers_are_found_by_phone_however_written_and_their_timeline_spans_channels() {
    let api = api().await;
    let body = json!({
        "name": "黄志强", "external_id": "C9001", "phones": ["+86 138-0013-8000"], "emails": ["Huang@Example.cn"],
        "accounts": ["A9001"], "account_manager": "agent.a", "risk_profile": "aggressive", "assets": "6,000,000"
    });
    let (status, c) = api
        .as_("agent.a", Method::POST, "/api/v1/customers", Some(body))
        .await;
    assert_eq!(status, StatusCode::CREATED, "{c}");
    assert_eq!(
        (c["tier"].as_str(), c["account_manager"].as_str()),
        (Some("diamond"), Some("agent.a"))
    );
    let id = c["id"].as_str().expect("id").to_owned();
    // A second customer shares the number (a family phone).
    let (_, c2) = api
        .as_(
            "agent.a",
            Method::POST,
            "/api/v1/customers",
            Some(json!({"name": "黄小明", "phones": ["13800138000"]})),
        )
        .await;
    for written in [
        "138 0013 8000",
        "0086 13800138000",
        "%2B86%20138-0013-8000",
        "13800138000",
    ] {
        let (status, found) = api
            .as_(
                "agent.b",
                Method::GET,
                &format!("/api/v1/customers?phone={}", written.replace(' ', "%20")),
                None,
            )
            .await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(
            found["items"].as_array().map(Vec::len),
            Some(2),
            "{written}: {found}"
        );
    }
    for q in [
        "email=huang@example.CN",
        "account=A9001",
        "name=%E5%BF%97%E5%BC%BA",
        "account_manager=agent.a",
        "tier=diamond",
    ] {
        let (_, found) = api
            .as_(
                "agent.b",
                Method::GET,
                &format!("/api/v1/customers?{q}"),
                None,
            )
            .await;
        assert_eq!(
            found["items"].as_array().map(Vec::len),
            Some(1),
            "{q}: {found}"
        );
    }
    assert_eq!(
        api.as_(
            "agent.a",
            Method::POST,
            "/api/v1/customers",
            Some(json!({"name": "Dup", "external_id": "C9001"}))
        )
        .await
        .0,
        StatusCode::CONFLICT
    );
    // Update recomputes the tier; an override sticks with who and why.
    let path = format!("/api/v1/customers/{id}");
    let (_, c) = api
        .as_(
            "agent.a",
            Method::PATCH,
            &path,
            Some(json!({"assets": "600000"})),
        )
        .await;
    assert_eq!(c["tier"], "gold");
    let (_, c) = api
        .as_(
            "sup.a",
            Method::PUT,
            &format!("{path}/tier"),
            Some(json!({"tier": "diamond", "reason": "family office"})),
        )
        .await;
    assert_eq!(
        (c["tier"].as_str(), c["tier_override"]["reason"].as_str()),
        (Some("diamond"), Some("family office"))
    );
    let (_, c) = api
        .as_(
            "agent.a",
            Method::PATCH,
            &path,
            Some(json!({"assets": "100"})),
        )
        .await;
    assert_eq!(c["tier"], "diamond", "the override holds");
    // A call and an email of this customer, a note, a wrap-up and a case.
    let (_, call) = api
        .as_(
            "agent.a",
            Method::POST,
            "/api/v1/interactions",
            Some(json!({"channel": "voice", "customer": id, "remote_address": "+8613800138000"})),
        )
        .await;
    let (_, mail) = api
        .as_(
            "agent.a",
            Method::POST,
            "/api/v1/interactions",
            Some(json!({"channel": "email", "customer": id, "subject": "Dividend"})),
        )
        .await;
    let call_id = call["id"].as_str().expect("id").to_owned();
    assert_eq!(
        api.as_(
            "agent.a",
            Method::POST,
            &format!("/api/v1/interactions/{call_id}/notes"),
            Some(json!({"text": "asked about margin"}))
        )
        .await
        .0,
        StatusCode::CREATED
    );
    let (_, wrapped) = api
        .as_(
            "agent.a",
            Method::POST,
            &format!("/api/v1/interactions/{call_id}/wrap-up"),
            Some(json!({"disposition": "resolved", "notes": "explained"})),
        )
        .await;
    assert_eq!(wrapped["disposition"], "resolved");
    let (status, case) = api.as_("agent.a", Method::POST, "/api/v1/cases", Some(json!({"customer": id, "title": "Margin limit", "interaction": call_id, "follow_up_at": "2026-12-01T09:00:00+08:00"}))).await;
    assert_eq!(status, StatusCode::CREATED, "{case}");
    assert_eq!(case["interactions"][0].as_str(), Some(call_id.as_str()));
    let (_, case) = api
        .as_(
            "agent.a",
            Method::PATCH,
            &format!("/api/v1/cases/{}", case["id"].as_str().unwrap_or_default()),
            Some(json!({"status": "closed"})),
        )
        .await;
    assert_eq!(case["status"], "closed");
    assert!(case["closed_at"].is_string());
    let (_, detail) = api
        .as_(
            "agent.a",
            Method::GET,
            &format!("/api/v1/interactions/{call_id}"),
            None,
        )
        .await;
    let kinds: Vec<&str> = detail["events"]
        .as_array()
        .expect("events")
        .iter()
        .filter_map(|e| e["kind"].as_str())
        .collect();
    assert_eq!(
        kinds,
        [
            "interaction_created",
            "note_added",
            "wrap_up_recorded",
            "case_linked"
        ]
    );
    let seqs: Vec<i64> = detail["events"]
        .as_array()
        .expect("events")
        .iter()
        .filter_map(|e| e["seq"].as_i64())
        .collect();
    assert_eq!(seqs, [1, 2, 3, 4]);
    let (_, tl) = api
        .as_("agent.b", Method::GET, &format!("{path}/timeline"), None)
        .await;
    let channels: Vec<&str> = tl["interactions"]
        .as_array()
        .expect("interactions")
        .iter()
        .filter_map(|i| i["channel"].as_str())
        .collect();
    assert_eq!(channels, ["email", "voice"], "newest first: {tl}");
    assert_eq!(tl["cases"].as_array().map(Vec::len), Some(1));
    let ev: Vec<&str> = tl["events"]
        .as_array()
        .expect("events")
        .iter()
        .filter_map(|e| e["kind"].as_str())
        .collect();
    assert!(
        ev.contains(&"tier_changed")
            && ev.contains(&"customer_created")
            && ev.contains(&"case_opened"),
        "{ev:?}"
    );
    // Merge the second record in: its contacts follow.
    let c2id = c2["id"].as_str().expect("id").to_owned();
    api.as_(
        "agent.a",
        Method::POST,
        "/api/v1/interactions",
        Some(json!({"channel": "chat", "customer": c2id})),
    )
    .await;
    let (status, merged) = api
        .as_(
            "sup.a",
            Method::POST,
            &format!("/api/v1/customers/{c2id}/merge"),
            Some(json!({"into": id})),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{merged}");
    let (_, tl) = api
        .as_("agent.b", Method::GET, &format!("{path}/timeline"), None)
        .await;
    assert_eq!(tl["interactions"].as_array().map(Vec::len), Some(3));
    let (_, found) = api
        .as_(
            "agent.b",
            Method::GET,
            "/api/v1/customers?phone=13800138000",
            None,
        )
        .await;
    assert_eq!(
        found["items"].as_array().map(Vec::len),
        Some(1),
        "the merged record is gone from search"
    );
    let _ = mail;
}

#[tokio::test]
async fn throttling_counts_the_client_behind_a_trusted_proxy() {
    use axum::extract::ConnectInfo;
    use switchyard::http::PeerAddr;
    let api = api_with(|c| {
        c.http.trusted_proxies = vec!["10.0.0.1".parse().expect("ip")];
        c.auth.max_failures_per_source = 3;
        c.auth.max_failures_per_account = 100;
    })
    .await;
    let attempt = |peer: &str, forwarded: Option<&str>, login: &str| {
        let mut req = Request::builder()
            .method(Method::POST)
            .uri("/api/v1/login")
            .header("content-type", "application/json");
        if let Some(f) = forwarded {
            req = req.header("x-forwarded-for", f);
        }
        let mut req = req
            .body(Body::from(
                json!({"login": login, "password": "wrong-password"}).to_string(),
            ))
            .expect("request");
        req.extensions_mut().insert(ConnectInfo(PeerAddr(
            format!("{peer}:40000").parse().expect("addr"),
        )));
        api.router.clone().oneshot(req)
    };
    for i in 0..3 {
        let resp = attempt("10.0.0.1", Some("203.0.113.7"), &format!("user{i}"))
            .await
            .expect("answer");
        assert_eq!(resp.status(), StatusCode::UNAUTHORIZED);
    }
    let resp = attempt("10.0.0.1", Some("203.0.113.7"), "someone.else")
        .await
        .expect("answer");
    assert_eq!(
        resp.status(),
        StatusCode::TOO_MANY_REQUESTS,
        "the client behind the proxy is throttled"
    );
    let resp = attempt("10.0.0.1", Some("203.0.113.8"), "someone.else")
        .await
        .expect("answer");
    assert_eq!(
        resp.status(),
        StatusCode::UNAUTHORIZED,
        "another client behind the same proxy is not"
    );
    // An untrusted peer cannot choose its address with the header.
    for _ in 0..3 {
        attempt("192.0.2.5", Some("198.51.100.1"), "x")
            .await
            .expect("answer");
    }
    let resp = attempt("192.0.2.5", Some("198.51.100.2"), "x")
        .await
        .expect("answer");
    assert_eq!(resp.status(), StatusCode::TOO_MANY_REQUESTS);
}

#[tokio::test]
async fn new_tier_rules_recompute_tiers_but_keep_manual_ones() {
    let api = api().await;
    let (_, a) = api
        .as_(
            "root",
            Method::POST,
            "/api/v1/customers",
            Some(json!({"name": "A", "assets": "300000"})),
        )
        .await;
    let (_, b) = api
        .as_(
            "root",
            Method::POST,
            "/api/v1/customers",
            Some(json!({"name": "B", "assets": "300000"})),
        )
        .await;
    assert_eq!(a["tier"], "wealth_card");
    let b_id = b["id"].as_str().expect("id");
    api.as_(
        "root",
        Method::PUT,
        &format!("/api/v1/customers/{b_id}/tier"),
        Some(json!({"tier": "standard", "reason": "dormant"})),
    )
    .await;
    let rules = json!([{"tier": "diamond", "min_assets": "1000000"}, {"tier": "gold", "min_assets": "250000"}]);
    let (status, body) = api
        .as_("root", Method::PUT, "/api/v1/tier-rules", Some(rules))
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let a_now = api
        .as_(
            "root",
            Method::GET,
            &format!("/api/v1/customers/{}", a["id"].as_str().expect("id")),
            None,
        )
        .await
        .1;
    let b_now = api
        .as_(
            "root",
            Method::GET,
            &format!("/api/v1/customers/{b_id}"),
            None,
        )
        .await
        .1;
    assert_eq!(
        (a_now["tier"].as_str(), b_now["tier"].as_str()),
        (Some("gold"), Some("standard"))
    );
    let bad = api
        .as_(
            "root",
            Method::PUT,
            "/api/v1/tier-rules",
            Some(json!([{"tier": "gold", "min_assets": "lots"}])),
        )
        .await;
    assert_eq!(
        (bad.0, bad.1["error"]["field"].as_str()),
        (StatusCode::BAD_REQUEST, Some("[0].min_assets"))
    );
    assert_eq!(
        api.as_("sup.a", Method::PUT, "/api/v1/tier-rules", Some(json!([])))
            .await
            .0,
        StatusCode::FORBIDDEN
    );
}
