//! `ApiError`: the one place that maps failures to HTTP statuses and the JSON error body
//! `{"error": {"code", "message", "field"}}`.

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use schemars::JsonSchema;
use serde::Serialize;

use crate::accounts::AccountError;
use crate::crm::CrmError;
use crate::interaction_log::LogError;
use crate::store::StoreError;

/// An API failure.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// No valid session (401).
    #[error("sign in first: the bearer token is missing, wrong, revoked or expired")]
    Unauthenticated,
    /// Wrong login or password (401).
    #[error("wrong login or password")]
    BadCredentials,
    /// The account's role or scope does not allow this (403).
    #[error("{0}")]
    Forbidden(String),
    /// No such thing (404).
    #[error("{0} not found")]
    NotFound(String),
    /// A body, query or path value is invalid (400).
    #[error("{message}")]
    Invalid {
        /// The field at fault.
        field: String,
        /// What is wrong.
        message: String,
    },
    /// The change conflicts with existing data (409).
    #[error("{0}")]
    Conflict(String),
    /// Too many failed sign-ins (429).
    #[error("too many failed sign-ins; try again later")]
    Throttled,
    /// Something failed on our side (500); details are logged, not returned.
    #[error("internal error")]
    Internal(String),
}

impl ApiError {
    /// A 400 naming the field.
    pub(crate) fn invalid(field: impl Into<String>, message: impl Into<String>) -> Self {
        ApiError::Invalid {
            field: field.into(),
            message: message.into(),
        }
    }

    fn parts(&self) -> (StatusCode, &'static str, Option<&str>) {
        match self {
            ApiError::Unauthenticated => (StatusCode::UNAUTHORIZED, "unauthenticated", None),
            ApiError::BadCredentials => (StatusCode::UNAUTHORIZED, "bad_credentials", None),
            ApiError::Forbidden(_) => (StatusCode::FORBIDDEN, "forbidden", None),
            ApiError::NotFound(_) => (StatusCode::NOT_FOUND, "not_found", None),
            ApiError::Invalid { field, .. } => {
                (StatusCode::BAD_REQUEST, "invalid", Some(field.as_str()))
            }
            ApiError::Conflict(_) => (StatusCode::CONFLICT, "conflict", None),
            ApiError::Throttled => (StatusCode::TOO_MANY_REQUESTS, "throttled", None),
            ApiError::Internal(_) => (StatusCode::INTERNAL_SERVER_ERROR, "internal", None),
        }
    }
}

/// The JSON error body.
#[derive(Debug, Serialize, JsonSchema)]
pub(super) struct ErrorBody {
    error: ErrorDetail,
}

/// What went wrong.
#[derive(Debug, Serialize, JsonSchema)]
struct ErrorDetail {
    /// A stable machine-readable code (`invalid`, `not_found`, `forbidden`, ...).
    code: &'static str,
    /// A sentence for people.
    message: String,
    /// The request field at fault, for `invalid`.
    field: Option<String>,
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        if let ApiError::Internal(detail) = &self {
            tracing::error!(error = %detail, "request failed");
        }
        let (status, code, field) = self.parts();
        let body = ErrorBody {
            error: ErrorDetail {
                code,
                message: self.to_string(),
                field: field.map(str::to_owned),
            },
        };
        (status, Json(body)).into_response()
    }
}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::Conflict { what } => ApiError::Conflict(format!("{what} already exists")),
            StoreError::Missing { what } => ApiError::NotFound(what),
            other => ApiError::Internal(other.to_string()),
        }
    }
}

impl From<LogError> for ApiError {
    fn from(e: LogError) -> Self {
        match e {
            LogError::Store(s) => s.into(),
            LogError::Closed => ApiError::Internal("the interaction log writer has stopped".into()),
        }
    }
}

impl From<CrmError> for ApiError {
    fn from(e: CrmError) -> Self {
        match e {
            CrmError::Invalid(errors) => {
                let field = errors.first().map(|f| f.field.clone()).unwrap_or_default();
                let message = errors
                    .iter()
                    .map(|f| format!("{}: {}", f.field, f.message))
                    .collect::<Vec<_>>()
                    .join("; ");
                ApiError::Invalid { field, message }
            }
            CrmError::NotFound(id) => ApiError::NotFound(format!("customer {id}")),
            CrmError::DuplicateExternalId(_) => {
                ApiError::Conflict("another customer already has this external_id".into())
            }
            CrmError::Store(s) => s.into(),
            CrmError::Log(l) => l.into(),
        }
    }
}

impl From<AccountError> for ApiError {
    fn from(e: AccountError) -> Self {
        match e {
            AccountError::LoginTaken(l) => {
                ApiError::Conflict(format!("an agent with login {l} already exists"))
            }
            AccountError::UnknownAgent(l) => ApiError::NotFound(format!("agent {l}")),
            AccountError::Password(p) => ApiError::invalid("password", p.to_string()),
            AccountError::Store(s) => s.into(),
            AccountError::Log(l) => l.into(),
        }
    }
}

/// The answer to a path no route matches.
pub(super) async fn not_found_fallback(uri: axum::http::Uri) -> ApiError {
    ApiError::NotFound(format!("route {}", uri.path()))
}
