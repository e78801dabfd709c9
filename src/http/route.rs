//! A route declared once: method, path, who may call it, its body and answer schemas, and its
//! handler. The router and the OpenAPI document are both built from these.

use axum::http::Method;
use axum::routing::MethodRouter;
use schemars::{JsonSchema, Schema, SchemaGenerator};

use super::state::ApiState;

/// Who may call a route.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// Anyone, without a session.
    Public,
    /// Any signed-in account (handlers narrow further by role and scope).
    SignedIn,
    /// Supervisors and admins.
    Supervisor,
    /// Admins only.
    Admin,
}

type SchemaFn = fn(&mut SchemaGenerator) -> Schema;

fn schema_of<T: JsonSchema>(g: &mut SchemaGenerator) -> Schema {
    g.subschema_for::<T>()
}

/// One route of the API.
pub struct Route {
    pub(super) method: Method,
    pub(super) path: &'static str,
    pub(super) summary: &'static str,
    pub(super) access: Access,
    pub(super) request: Option<SchemaFn>,
    pub(super) response: Option<SchemaFn>,
    pub(super) success: u16,
    handler: MethodRouter<ApiState>,
}

impl std::fmt::Debug for Route {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} {}", self.method, self.path)
    }
}

impl Route {
    /// A route; `handler` must be a method router for `method` only.
    pub(super) fn new(method: Method, path: &'static str, handler: MethodRouter<ApiState>) -> Self {
        Self {
            method,
            path,
            summary: "",
            access: Access::SignedIn,
            request: None,
            response: None,
            success: 200,
            handler,
        }
    }

    /// `GET path`.
    pub(super) fn get<H, T>(path: &'static str, h: H) -> Self
    where
        H: axum::handler::Handler<T, ApiState>,
        T: 'static,
    {
        Self::new(Method::GET, path, axum::routing::get(h))
    }

    /// `POST path`.
    pub(super) fn post<H, T>(path: &'static str, h: H) -> Self
    where
        H: axum::handler::Handler<T, ApiState>,
        T: 'static,
    {
        Self::new(Method::POST, path, axum::routing::post(h))
    }

    /// `PUT path`.
    pub(super) fn put<H, T>(path: &'static str, h: H) -> Self
    where
        H: axum::handler::Handler<T, ApiState>,
        T: 'static,
    {
        Self::new(Method::PUT, path, axum::routing::put(h))
    }

    /// `PATCH path`.
    pub(super) fn patch<H, T>(path: &'static str, h: H) -> Self
    where
        H: axum::handler::Handler<T, ApiState>,
        T: 'static,
    {
        Self::new(Method::PATCH, path, axum::routing::patch(h))
    }

    /// The one-line summary shown in the document.
    pub(super) fn summary(mut self, s: &'static str) -> Self {
        self.summary = s;
        self
    }

    /// Who may call it.
    pub(super) fn access(mut self, a: Access) -> Self {
        self.access = a;
        self
    }

    /// The JSON body it takes.
    pub(super) fn body<T: JsonSchema>(mut self) -> Self {
        self.request = Some(schema_of::<T>);
        self
    }

    /// The JSON it answers with on success.
    pub(super) fn answers<T: JsonSchema>(mut self) -> Self {
        self.response = Some(schema_of::<T>);
        self
    }

    /// The success status when not 200.
    pub(super) fn status(mut self, code: u16) -> Self {
        self.success = code;
        self
    }

    /// The method.
    #[must_use]
    pub fn method(&self) -> &Method {
        &self.method
    }

    /// The path, in axum syntax (`/api/v1/customers/{id}`).
    #[must_use]
    pub fn path(&self) -> &'static str {
        self.path
    }

    /// Who may call it.
    #[must_use]
    pub fn who(&self) -> Access {
        self.access
    }

    pub(super) fn into_parts(self) -> (&'static str, MethodRouter<ApiState>) {
        (self.path, self.handler)
    }
}
