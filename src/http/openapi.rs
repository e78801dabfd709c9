//! The OpenAPI 3.0 document, generated from the route table and the body types' schemas.

use schemars::generate::SchemaSettings;
use serde_json::{Map, Value, json};

use super::error::ErrorBody;
use super::route::{Access, Route};

pub(super) fn document(routes: &[Route]) -> Value {
    let mut generator = SchemaSettings::openapi3().into_generator();
    let error_schema = generator.subschema_for::<ErrorBody>();
    let mut paths: Map<String, Value> = Map::new();
    for r in routes {
        let mut op = Map::new();
        op.insert("summary".into(), json!(r.summary));
        op.insert(
            "operationId".into(),
            json!(format!("{} {}", r.method, r.path)),
        );
        let params: Vec<Value> = path_params(r.path)
            .into_iter()
            .map(|p| json!({"name": p, "in": "path", "required": true, "schema": {"type": "string"}}))
            .collect();
        if !params.is_empty() {
            op.insert("parameters".into(), Value::Array(params));
        }
        if let Some(body) = r.request {
            let schema = body(&mut generator);
            op.insert(
                "requestBody".into(),
                json!({"required": true, "content": {"application/json": {"schema": schema}}}),
            );
        }
        let mut responses = Map::new();
        let ok = match r.response {
            Some(f) => {
                json!({"description": "success", "content": {"application/json": {"schema": f(&mut generator)}}})
            }
            None => json!({"description": "success"}),
        };
        responses.insert(r.success.to_string(), ok);
        let err = json!({"description": "error", "content": {"application/json": {"schema": error_schema.clone()}}});
        responses.insert("4XX".into(), err);
        op.insert("responses".into(), Value::Object(responses));
        if r.access != Access::Public {
            op.insert("security".into(), json!([{"bearer": []}]));
        }
        let roles = match r.access {
            Access::Public => "anyone",
            Access::SignedIn => "any signed-in account",
            Access::Supervisor => "supervisor or admin",
            Access::Admin => "admin",
        };
        op.insert("x-access".into(), json!(roles));
        let entry = paths
            .entry(r.path.to_owned())
            .or_insert_with(|| Value::Object(Map::new()));
        if let Value::Object(m) = entry {
            m.insert(r.method.as_str().to_lowercase(), Value::Object(op));
        }
    }
    json!({
        "openapi": "3.0.3",
        "info": {
            "title": "Switchyard API",
            "version": env!("CARGO_PKG_VERSION"),
            "description": "Contact-center API: customers, agents, teams, queues, interactions, cases and the unified interaction log."
        },
        "paths": paths,
        "components": {
            "schemas": generator.take_definitions(true),
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}}
        }
    })
}

/// The `{name}` segments of a path.
pub(super) fn path_params(path: &str) -> Vec<&str> {
    path.split('/')
        .filter_map(|s| s.strip_prefix('{').and_then(|s| s.strip_suffix('}')))
        .collect()
}
