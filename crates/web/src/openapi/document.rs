//! The OpenAPI 3.0 document, derived from the operations each module
//! states and the Rust types they read and write.
//!
//! Request bodies are described as the handlers deserialize them (a field
//! with a default may be left out); responses as they are serialized. A
//! type whose two descriptions differ is written twice, the response's
//! under `<Name>View`.

use std::collections::BTreeMap;

use schemars::generate::SchemaSettings;
use schemars::{Schema, SchemaGenerator};
use serde_json::{Map, Value, json};

use super::operation::{Operation, Payload};
use crate::error::ApiErrorBody;

const REF_PREFIX: &str = "#/components/schemas/";

/// The path parameters that are text; every other one is an integer id.
const TEXT_PARAMS: &[&str] = &["role", "tracking_code", "kind"];

fn generator(serialize: bool) -> SchemaGenerator {
    let settings = SchemaSettings::openapi3();
    let settings = if serialize {
        settings.for_serialize()
    } else {
        settings.for_deserialize()
    };
    settings.into_generator()
}

/// A schema with the generator's transforms applied (the definitions get
/// theirs when taken).
fn finished(g: &mut SchemaGenerator, mut schema: Schema) -> Value {
    for t in g.transforms_mut() {
        t.transform(&mut schema);
    }
    schema.to_value()
}

/// The query string's parameters: each property of the type's schema.
fn query_params(op: &Operation) -> Vec<Value> {
    let Some(f) = op.query else {
        return Vec::new();
    };
    let mut g = SchemaSettings::openapi3()
        .with(|s| s.inline_subschemas = true)
        .into_generator();
    let schema = f(&mut g);
    let schema = finished(&mut g, schema);
    let required: Vec<&str> = schema["required"]
        .as_array()
        .map(|r| r.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    schema["properties"]
        .as_object()
        .map(|props| {
            props
                .iter()
                .map(|(name, s)| {
                    let mut s = s.clone();
                    if let Some(o) = s.as_object_mut() {
                        o.remove("default");
                    }
                    json!({ "name": name, "in": "query",
                            "required": required.contains(&name.as_str()), "schema": s })
                })
                .collect()
        })
        .unwrap_or_default()
}

fn content(payload: Payload, g: &mut SchemaGenerator) -> Option<Value> {
    match payload {
        Payload::Nothing => None,
        Payload::Json(f) => {
            let s = f(g);
            Some(json!({ "application/json": { "schema": finished(g, s) } }))
        }
        Payload::File(types) => Some(Value::Object(
            types
                .iter()
                .map(|t| {
                    (
                        (*t).to_owned(),
                        json!({ "schema": { "type": "string", "format": "binary" } }),
                    )
                })
                .collect(),
        )),
    }
}

/// Replaces `$ref`s to renamed components.
fn rename_refs(v: &mut Value, renamed: &BTreeMap<String, String>) {
    match v {
        Value::Object(o) => {
            if let Some(Value::String(r)) = o.get_mut("$ref")
                && let Some(new) = r
                    .strip_prefix(REF_PREFIX)
                    .and_then(|name| renamed.get(name))
            {
                *r = format!("{REF_PREFIX}{new}");
            }
            o.values_mut().for_each(|v| rename_refs(v, renamed));
        }
        Value::Array(a) => a.iter_mut().for_each(|v| rename_refs(v, renamed)),
        _ => {}
    }
}

/// An operation as written, but for its success: that is added once the
/// response side's components have their final names.
struct Built {
    path: String,
    method: &'static str,
    operation: Map<String, Value>,
    status: String,
    success: Value,
}

/// The document for these operations.
pub fn build(operations: &[Operation]) -> Value {
    let mut requests = generator(false);
    let mut responses = generator(true);
    let error = responses.subschema_for::<ApiErrorBody>();
    let error = finished(&mut responses, error);

    let mut built: Vec<Built> = Vec::new();
    for op in operations {
        let mut params: Vec<Value> = op
            .path_params()
            .map(|name| {
                let ty = if TEXT_PARAMS.contains(&name) {
                    "string"
                } else {
                    "integer"
                };
                json!({ "name": name, "in": "path", "required": true, "schema": { "type": ty } })
            })
            .collect();
        params.extend(query_params(op));
        let mut o = Map::new();
        o.insert("summary".into(), op.summary.into());
        o.insert("tags".into(), json!([op.tag]));
        o.insert("operationId".into(), operation_id(op).into());
        if !params.is_empty() {
            o.insert("parameters".into(), params.into());
        }
        if !op.public {
            o.insert("security".into(), json!([{ "bearer": [] }]));
        }
        if let Some(c) = content(op.request, &mut requests) {
            o.insert(
                "requestBody".into(),
                json!({ "required": true, "content": c }),
            );
        }
        let mut success = json!({ "description": "成功" });
        if let Some(c) = content(op.response, &mut responses) {
            success["content"] = c;
        }
        let mut errors: BTreeMap<u16, Vec<&str>> = BTreeMap::new();
        for code in op.error_codes() {
            errors
                .entry(code.http_status())
                .or_default()
                .push(code.as_str());
        }
        let mut rs = Map::new();
        for (status, codes) in errors {
            rs.insert(
                status.to_string(),
                json!({ "description": codes.join(", "),
                        "content": { "application/json": { "schema": error.clone() } } }),
            );
        }
        o.insert("responses".into(), rs.into());
        built.push(Built {
            path: format!("/api/v1{}", op.path),
            method: op.method,
            operation: o,
            status: op.status.to_string(),
            success,
        });
    }

    let mut schemas = requests.take_definitions(true);
    let mut renamed = BTreeMap::new();
    let mut response_defs = responses.take_definitions(true);
    for (name, schema) in &response_defs {
        if schemas.get(name).is_some_and(|s| s != schema) {
            let mut new = format!("{name}View");
            while schemas.contains_key(&new) || response_defs.contains_key(&new) {
                new.push('_');
            }
            renamed.insert(name.clone(), new);
        }
    }
    for (name, mut schema) in std::mem::take(&mut response_defs) {
        rename_refs(&mut schema, &renamed);
        let name = renamed.get(&name).cloned().unwrap_or(name);
        schemas.insert(name, schema);
    }

    let mut paths = Map::new();
    for mut b in built {
        rename_refs(&mut b.success, &renamed);
        if let Some(Value::Object(rs)) = b.operation.get_mut("responses") {
            rs.insert(b.status, b.success);
        }
        let entry = paths.entry(b.path).or_insert_with(|| json!({}));
        entry[b.method] = Value::Object(b.operation);
    }

    json!({
        "openapi": "3.0.3",
        "info": { "title": "同育 tongyu API", "version": env!("CARGO_PKG_VERSION"),
                  "description": "家校社协同育人平台接口。错误均为 {\"code\", \"message\", \"field\"}，code 稳定不变；\
                                  每个操作列出它可能答复的错误码。" },
        "paths": paths,
        "components": {
            "securitySchemes": { "bearer": { "type": "http", "scheme": "bearer" } },
            "schemas": schemas,
        },
    })
}

/// `get /units/{id}/children` → `get_units_id_children`: unique, stable.
fn operation_id(op: &Operation) -> String {
    let mut id = op.method.to_owned();
    for seg in op.path.split('/').filter(|s| !s.is_empty()) {
        id.push('_');
        id.extend(
            seg.chars()
                .filter(|c| *c != '{' && *c != '}')
                .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' }),
        );
    }
    id
}
