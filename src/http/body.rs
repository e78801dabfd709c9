//! Request extractors that answer bad input with a 400 naming the field: JSON bodies, query
//! strings and path ids.

use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use schemars::JsonSchema;
use serde::Deserialize;
use serde::de::DeserializeOwned;

use super::error::ApiError;

/// Largest JSON body accepted.
const MAX_BODY: usize = 1024 * 1024;

/// A JSON body; a malformed one is a 400 naming the field at fault.
#[derive(Debug)]
pub(super) struct ApiJson<T>(pub(super) T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for ApiJson<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let is_json = req
            .headers()
            .get(axum::http::header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.starts_with("application/json"));
        if !is_json {
            return Err(ApiError::invalid(
                "body",
                "send a JSON body with Content-Type: application/json",
            ));
        }
        let bytes = axum::body::Bytes::from_request(req, state)
            .await
            .map_err(|e| ApiError::invalid("body", format!("cannot read the body: {e}")))?;
        if bytes.len() > MAX_BODY {
            return Err(ApiError::invalid("body", "the body is larger than 1 MiB"));
        }
        parse_json(&bytes).map(ApiJson)
    }
}

/// Deserialises JSON, naming the field at fault on error.
pub(super) fn parse_json<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, ApiError> {
    let mut de = serde_json::Deserializer::from_slice(bytes);
    serde_path_to_error::deserialize(&mut de).map_err(|e| {
        let path = e.path().to_string();
        let inner = e.into_inner();
        let message = inner.to_string();
        let field = match field_from_message(&message) {
            Some(f) if path == "." || path.is_empty() => f.to_owned(),
            Some(f) if path == f || path.ends_with(&format!(".{f}")) => path.clone(),
            Some(f) => format!("{path}.{f}"),
            None => path.clone(),
        };
        let field = if field == "." || field.is_empty() {
            "body".to_owned()
        } else {
            field
        };
        ApiError::Invalid {
            field,
            message: strip_position(&message),
        }
    })
}

/// serde names missing and unknown fields in backticks: "missing field `name`".
fn field_from_message(message: &str) -> Option<&str> {
    if !(message.starts_with("missing field") || message.starts_with("unknown field")) {
        return None;
    }
    let start = message.find('`')? + 1;
    let end = start + message[start..].find('`')?;
    Some(&message[start..end])
}

fn strip_position(message: &str) -> String {
    match message.find(" at line ") {
        Some(i) => message[..i].to_owned(),
        None => message.to_owned(),
    }
}

/// `?offset=&limit=` on listings.
#[derive(Debug, Clone, Copy, Deserialize, JsonSchema)]
pub(super) struct PageQuery {
    /// Rows to skip (default 0).
    pub(super) offset: Option<i64>,
    /// Rows to return, 1-500 (default 50).
    pub(super) limit: Option<i64>,
}

impl PageQuery {
    pub(super) fn page(self) -> Result<crate::store::Page, ApiError> {
        let offset = self.offset.unwrap_or(0);
        let limit = self.limit.unwrap_or(50);
        if offset < 0 {
            return Err(ApiError::invalid("offset", "offset must be 0 or more"));
        }
        if !(1..=500).contains(&limit) {
            return Err(ApiError::invalid("limit", "limit must be from 1 to 500"));
        }
        Ok(crate::store::Page::new(offset, limit))
    }
}

/// A query string; a malformed one is a 400 naming the parameter.
#[derive(Debug)]
pub(super) struct ApiQuery<T>(pub(super) T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequestParts<S> for ApiQuery<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        let query = parts.uri.query().unwrap_or_default();
        let de = serde_urlencoded::Deserializer::new(form_urlencoded::parse(query.as_bytes()));
        serde_path_to_error::deserialize(de)
            .map(ApiQuery)
            .map_err(|e| {
                let path = e.path().to_string();
                let message = e.into_inner().to_string();
                let field = field_from_message(&message)
                    .map(str::to_owned)
                    .unwrap_or(path);
                ApiError::Invalid {
                    field: if field == "." { "query".into() } else { field },
                    message,
                }
            })
    }
}

/// Parses a path segment as an id, or answers 404 (a malformed id names nothing).
pub(super) fn path_id<T: std::str::FromStr>(text: &str, what: &str) -> Result<T, ApiError> {
    text.parse()
        .map_err(|_| ApiError::NotFound(format!("{what} {text}")))
}

/// For PATCH bodies: an absent field is `None`, `null` is `Some(None)`.
pub(super) fn double_option<'de, T, D>(d: D) -> Result<Option<Option<T>>, D::Error>
where
    T: Deserialize<'de>,
    D: serde::Deserializer<'de>,
{
    Option::<T>::deserialize(d).map(Some)
}
