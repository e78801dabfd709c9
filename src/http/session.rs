//! Sign-in, sign-out and the `Caller` extractor that every protected handler takes.
//!
//! A session token is a random bearer token; the store keeps its SHA-256. A session ends by
//! logout (revocation), after `auth.session_idle` without use, or `auth.session_absolute`
//! after sign-in. Sign-in failures are throttled per account and per source address, and
//! every attempt is an audit event.

use std::net::IpAddr;
use std::time::{Duration, Instant};

use axum::Json;
use axum::extract::{ConnectInfo, FromRequestParts, State};
use axum::http::request::Parts;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::auth::{self, Throttled};
use crate::domain::{AgentLogin, Role, SessionId, TeamId, Timestamp};
use crate::interaction_log::{Actor, EventBody, NewEvent, Subject};
use crate::store::agents::AgentRecord;
use crate::store::sessions::SessionRecord;
use crate::store::{Mutation, WriteItem};

use super::body::ApiJson;
use super::error::ApiError;
use super::route::{Access, Route};
use super::state::ApiState;
use super::view::{AgentView, agent_view};

/// Session activity is written at most this often per session.
const TOUCH_EVERY: Duration = Duration::from_secs(60);

pub(super) fn routes() -> Vec<Route> {
    vec![
        Route::post("/api/v1/login", login)
            .summary("Sign in with login and password; answers a bearer token")
            .access(Access::Public)
            .body::<LoginBody>()
            .answers::<LoginAnswer>(),
        Route::post("/api/v1/logout", logout)
            .summary("End this session (revokes its token)")
            .status(204),
        Route::get("/api/v1/me", me)
            .summary("The signed-in account")
            .answers::<AgentView>(),
    ]
}

/// The signed-in account making a request.
#[derive(Debug, Clone)]
pub(super) struct Caller {
    pub(super) agent: AgentRecord,
    pub(super) session: SessionId,
    /// The teams this account supervises.
    pub(super) teams: Vec<TeamId>,
}

impl Caller {
    pub(super) fn actor(&self) -> Actor {
        Actor::Agent(self.agent.id)
    }

    pub(super) fn is(&self, role: Role) -> bool {
        self.agent.has_role(role)
    }

    /// Admins pass; others get 403.
    pub(super) fn require_admin(&self) -> Result<(), ApiError> {
        if self.is(Role::Admin) {
            Ok(())
        } else {
            Err(ApiError::Forbidden("this needs the admin role".into()))
        }
    }

    /// Supervisors and admins pass; others get 403.
    pub(super) fn require_supervisor(&self) -> Result<(), ApiError> {
        if self.is(Role::Admin) || self.is(Role::Supervisor) {
            Ok(())
        } else {
            Err(ApiError::Forbidden(
                "this needs the supervisor or admin role".into(),
            ))
        }
    }

    /// Whether this account may act on things of `team` (admins: all; supervisors: theirs).
    pub(super) fn oversees(&self, team: Option<TeamId>) -> bool {
        self.is(Role::Admin)
            || (self.is(Role::Supervisor) && team.is_some_and(|t| self.teams.contains(&t)))
    }
}

impl FromRequestParts<ApiState> for Caller {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &ApiState,
    ) -> Result<Self, Self::Rejection> {
        let header = parts
            .headers
            .get(axum::http::header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok());
        let token = header
            .and_then(|h| h.strip_prefix("Bearer "))
            .ok_or(ApiError::Unauthenticated)?;
        let session = state
            .db
            .session_by_token_hash(&auth::token_hash(token.trim()))
            .await?
            .ok_or(ApiError::Unauthenticated)?;
        let now = Timestamp::now();
        let idle = session.last_seen_at.plus(state.config.auth.session_idle);
        if session.revoked_at.is_some() || now >= session.expires_at || now >= idle {
            return Err(ApiError::Unauthenticated);
        }
        let agent = state
            .db
            .agent(session.agent)
            .await?
            .ok_or(ApiError::Unauthenticated)?;
        if now.since(session.last_seen_at) >= TOUCH_EVERY {
            let item = WriteItem {
                events: Vec::new(),
                mutations: vec![Mutation::TouchSession {
                    id: session.id,
                    at: now,
                }],
            };
            state.log.commit(item).await?;
        }
        let teams = state.db.supervised_teams(agent.id).await?;
        Ok(Caller {
            agent,
            session: session.id,
            teams,
        })
    }
}

/// The address of the client: the peer, or the `X-Forwarded-For` client when the peer is a
/// trusted proxy.
pub(super) fn client_address(parts: &Parts, trusted: &[IpAddr]) -> String {
    let peer = parts
        .extensions
        .get::<ConnectInfo<super::PeerAddr>>()
        .map(|c| c.0.0.ip());
    let Some(peer) = peer else {
        return "local".to_owned();
    };
    if trusted.contains(&peer) {
        let forwarded = parts
            .headers
            .get("x-forwarded-for")
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default();
        let client = forwarded
            .split(',')
            .rev()
            .filter_map(|s| s.trim().parse::<IpAddr>().ok())
            .find(|ip| !trusted.contains(ip));
        if let Some(ip) = client {
            return ip.to_string();
        }
    }
    peer.to_string()
}

/// The source address, as an extractor.
pub(super) struct Source(pub(super) String);

impl FromRequestParts<ApiState> for Source {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &ApiState,
    ) -> Result<Self, Self::Rejection> {
        Ok(Source(client_address(
            parts,
            &state.config.http.trusted_proxies,
        )))
    }
}

/// Credentials.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub(super) struct LoginBody {
    /// The login name.
    login: String,
    /// The password.
    password: String,
}

/// A new session.
#[derive(Debug, Serialize, JsonSchema)]
pub(super) struct LoginAnswer {
    /// The bearer token for `Authorization: Bearer ...`.
    token: String,
    /// When the session ends at the latest (RFC 3339).
    expires_at: String,
    /// The signed-in account.
    agent: AgentView,
}

async fn login(
    State(state): State<ApiState>,
    Source(source): Source,
    ApiJson(body): ApiJson<LoginBody>,
) -> Result<Json<LoginAnswer>, ApiError> {
    let now = Timestamp::now();
    let login_text = body.login.trim().to_owned();
    let audit = |body: EventBody| {
        NewEvent::new(Subject::Audit, now, Actor::Anonymous(source.clone()), body)
    };
    let throttled = {
        let mut t = state
            .throttle
            .lock()
            .map_err(|_| ApiError::Internal("throttle lock poisoned".into()))?;
        t.check(&login_text, &source, Instant::now())
    };
    if let Err(which) = throttled {
        tracing::warn!(login = %login_text, source = %source, by = ?which, "sign-in throttled");
        state
            .log
            .append(audit(EventBody::LoginThrottled {
                login: login_text,
                source: source.clone(),
            }))
            .await?;
        return Err(match which {
            Throttled::Account | Throttled::Source => ApiError::Throttled,
        });
    }
    let agent = match AgentLogin::parse(&login_text) {
        Ok(l) => state.db.agent_by_login(&l).await?,
        Err(_) => None,
    };
    let hash = agent
        .as_ref()
        .map_or(auth::decoy_hash(), |a| a.password_hash.as_str())
        .to_owned();
    let password = body.password;
    let ok = tokio::task::spawn_blocking(move || auth::verify_password(&password, &hash))
        .await
        .map_err(|e| ApiError::Internal(e.to_string()))?;
    let Some(agent) = agent.filter(|_| ok) else {
        if let Ok(mut t) = state.throttle.lock() {
            t.record_failure(&login_text, &source, Instant::now());
        }
        state
            .log
            .append(audit(EventBody::LoginFailed {
                login: login_text,
                source: source.clone(),
            }))
            .await?;
        return Err(ApiError::BadCredentials);
    };
    if let Ok(mut t) = state.throttle.lock() {
        t.record_success(&login_text);
    }
    let token = auth::new_token().map_err(|e| ApiError::Internal(e.to_string()))?;
    let session = SessionRecord {
        id: SessionId::generate(),
        token_hash: auth::token_hash(&token),
        agent: agent.id,
        source: source.clone(),
        created_at: now,
        last_seen_at: now,
        expires_at: now.plus(state.config.auth.session_absolute),
        revoked_at: None,
    };
    let expires_at = super::view::time(session.expires_at);
    let event = NewEvent::new(
        Subject::Audit,
        now,
        Actor::Agent(agent.id),
        EventBody::LoginSucceeded {
            login: agent.login.to_string(),
            source,
        },
    );
    state
        .log
        .commit(WriteItem {
            events: vec![event],
            mutations: vec![Mutation::PutSession(session)],
        })
        .await?;
    Ok(Json(LoginAnswer {
        token,
        expires_at,
        agent: agent_view(&agent),
    }))
}

async fn logout(
    State(state): State<ApiState>,
    caller: Caller,
) -> Result<axum::http::StatusCode, ApiError> {
    let now = Timestamp::now();
    let event = NewEvent::new(
        Subject::Audit,
        now,
        caller.actor(),
        EventBody::LoggedOut {
            login: caller.agent.login.to_string(),
        },
    );
    let item = WriteItem {
        events: vec![event],
        mutations: vec![Mutation::RevokeSession {
            id: caller.session,
            at: now,
        }],
    };
    state.log.commit(item).await?;
    Ok(axum::http::StatusCode::NO_CONTENT)
}

async fn me(caller: Caller) -> Json<AgentView> {
    Json(agent_view(&caller.agent))
}
