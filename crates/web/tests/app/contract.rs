//! The OpenAPI document held to what the API does: every JSON call a test
//! makes through `TestApp::api` is checked against the document. A
//! success's body must match the operation's response schema (and the
//! request that succeeded its request schema); an error's body the error
//! schema, with a code the operation lists. So the whole suite is the
//! document's test, and a schema that drifts from its handler fails it.

use serde_json::Value;
use tongyu_web::openapi::{Operation, Payload};

const REF_PREFIX: &str = "#/components/schemas/";

struct Contract {
    doc: &'static Value,
    ops: Vec<Operation>,
}

fn contract() -> &'static Contract {
    static C: std::sync::OnceLock<Contract> = std::sync::OnceLock::new();
    C.get_or_init(|| Contract {
        doc: tongyu_web::openapi::build(),
        ops: tongyu_web::api_operations(),
    })
}

/// The operation a concrete call reaches: the template whose segments
/// match, literal segments preferred over parameters (`/appeals/notices`
/// before `/appeals/{id}`).
fn operation<'a>(ops: &'a [Operation], method: &str, path: &str) -> Option<&'a Operation> {
    let path = path.split('?').next().unwrap_or(path);
    let rest = path.strip_prefix("/api/v1")?;
    let segs: Vec<&str> = rest.split('/').collect();
    ops.iter()
        .filter(|op| op.method.eq_ignore_ascii_case(method))
        .filter_map(|op| {
            let tpl: Vec<&str> = op.path.split('/').collect();
            if tpl.len() != segs.len() {
                return None;
            }
            let mut literal = 0;
            for (t, s) in tpl.iter().zip(&segs) {
                if t.starts_with('{') {
                    continue;
                }
                if t != s {
                    return None;
                }
                literal += 1;
            }
            Some((literal, op))
        })
        .max_by_key(|(literal, _)| *literal)
        .map(|(_, op)| op)
}

/// Checks one call; panics with what does not match.
pub fn check(method: &str, path: &str, request: Option<&Value>, status: u16, body: &Value) {
    let c = contract();
    let Some(op) = operation(&c.ops, method, path) else {
        return;
    };
    let place = format!("{method} {path} ({status})");
    let doc_op = &c.doc["paths"][format!("/api/v1{}", op.path)][op.method];
    if status >= 400 {
        let schema =
            &doc_op["responses"][status.to_string()]["content"]["application/json"]["schema"];
        assert!(
            !schema.is_null(),
            "{place}: status {status} is not among the documented answers: {body}"
        );
        if let Err(e) = validate(c.doc, schema, body, "$") {
            panic!("{place}: the error does not match the document: {e}\n{body}");
        }
        let code = body["code"].as_str().unwrap_or("");
        let listed = doc_op["responses"][status.to_string()]["description"]
            .as_str()
            .unwrap_or("");
        assert!(
            listed.split(", ").any(|c| c == code),
            "{place}: error code {code} is not documented for this operation (listed: {listed})"
        );
        return;
    }
    if status == op.status
        && let Payload::Json(_) = op.response
    {
        let schema =
            &doc_op["responses"][status.to_string()]["content"]["application/json"]["schema"];
        if let Err(e) = validate(c.doc, schema, body, "$") {
            panic!("{place}: the response does not match the document: {e}\n{body}");
        }
    }
    if let (Some(request), Payload::Json(_)) = (request, op.request) {
        let schema = &doc_op["requestBody"]["content"]["application/json"]["schema"];
        if let Err(e) = validate(c.doc, schema, request, "$") {
            panic!("{place}: a request that succeeded does not match the document: {e}\n{request}");
        }
    }
}

fn resolve<'a>(doc: &'a Value, schema: &'a Value) -> &'a Value {
    match schema["$ref"].as_str() {
        Some(r) => {
            let name = r
                .strip_prefix(REF_PREFIX)
                .expect("refs point at components");
            let target = &doc["components"]["schemas"][name];
            assert!(!target.is_null(), "dangling $ref {r}");
            resolve(doc, target)
        }
        None => schema,
    }
}

/// Validates `v` against an OpenAPI 3.0 schema (the subset the document
/// uses: `$ref`, `type`, `nullable`, `properties`, `required`,
/// `additionalProperties`, `items`, `enum`, `allOf`, `anyOf`, `oneOf`,
/// `minimum`, `maximum`).
pub fn validate(doc: &Value, schema: &Value, v: &Value, at: &str) -> Result<(), String> {
    let schema = resolve(doc, schema);
    if schema == &Value::Bool(true) {
        return Ok(());
    }
    if v.is_null() && schema["nullable"] == Value::Bool(true) {
        return Ok(());
    }
    if let Some(all) = schema["allOf"].as_array() {
        for s in all {
            validate(doc, s, v, at)?;
        }
    }
    for key in ["anyOf", "oneOf"] {
        if let Some(any) = schema[key].as_array() {
            let errors: Vec<String> = any
                .iter()
                .filter_map(|s| validate(doc, s, v, at).err())
                .collect();
            if errors.len() == any.len() {
                return Err(format!(
                    "{at}: matches none of {key}: {}",
                    errors.join(" | ")
                ));
            }
        }
    }
    if let Some(values) = schema["enum"].as_array()
        && !values.contains(v)
    {
        return Err(format!("{at}: {v} is not one of {values:?}"));
    }
    match schema["type"].as_str() {
        None => {}
        Some("null") if v.is_null() => {}
        Some("object") => {
            let o = v
                .as_object()
                .ok_or_else(|| format!("{at}: expected an object, got {v}"))?;
            let props = schema["properties"].as_object();
            for name in schema["required"].as_array().into_iter().flatten() {
                let name = name.as_str().unwrap_or("");
                if !o.contains_key(name) {
                    return Err(format!("{at}: required {name} is missing"));
                }
            }
            for (k, val) in o {
                match props.and_then(|p| p.get(k)) {
                    Some(s) => validate(doc, s, val, &format!("{at}.{k}"))?,
                    None => match &schema["additionalProperties"] {
                        Value::Bool(false) => return Err(format!("{at}: {k} is not allowed")),
                        s if s.is_object() => validate(doc, s, val, &format!("{at}.{k}"))?,
                        // Undeclared fields: the schema must declare every
                        // field a response carries.
                        _ if props.is_some() => {
                            return Err(format!("{at}: {k} is not in the schema"));
                        }
                        _ => {}
                    },
                }
            }
        }
        Some("array") => {
            let a = v
                .as_array()
                .ok_or_else(|| format!("{at}: expected an array, got {v}"))?;
            for (i, item) in a.iter().enumerate() {
                validate(doc, &schema["items"], item, &format!("{at}[{i}]"))?;
            }
        }
        Some("string") if v.is_string() => {}
        Some("boolean") if v.is_boolean() => {}
        Some("integer") if v.is_i64() || v.is_u64() => {}
        Some("number") if v.is_number() => {}
        Some(t) => return Err(format!("{at}: expected {t}, got {v}")),
    }
    if let (Some(min), Some(n)) = (schema["minimum"].as_f64(), v.as_f64())
        && n < min
    {
        return Err(format!("{at}: {n} is below the minimum {min}"));
    }
    if let (Some(max), Some(n)) = (schema["maximum"].as_f64(), v.as_f64())
        && n > max
    {
        return Err(format!("{at}: {n} is above the maximum {max}"));
    }
    Ok(())
}

#[test]
fn the_validator_refuses_what_does_not_match() {
    let doc = serde_json::json!({ "components": { "schemas": {
        "Item": { "type": "object", "required": ["id"],
                  "properties": { "id": { "type": "integer", "minimum": 0 },
                                  "name": { "type": "string", "nullable": true } } } } } });
    let item = serde_json::json!({ "$ref": "#/components/schemas/Item" });
    let list = serde_json::json!({ "type": "array", "items": item });
    assert!(
        validate(
            &doc,
            &list,
            &serde_json::json!([{"id": 1, "name": null}]),
            "$"
        )
        .is_ok()
    );
    for bad in [
        serde_json::json!([{"name": "a"}]),
        serde_json::json!([{"id": "1"}]),
        serde_json::json!([{"id": -1}]),
        serde_json::json!([{"id": 1, "extra": true}]),
        serde_json::json!({"id": 1}),
    ] {
        assert!(validate(&doc, &list, &bad, "$").is_err(), "{bad} passed");
    }
}

/// A body a schema-based client would form: every required field, with
/// the first value of an enumeration, `"示例"` for text, 1 for numbers and
/// an empty list for lists.
pub fn sample(doc: &Value, schema: &Value) -> Value {
    let schema = resolve(doc, schema);
    if let Some(first) = schema["enum"].as_array().and_then(|e| e.first()) {
        return first.clone();
    }
    for key in ["oneOf", "anyOf"] {
        if let Some(first) = schema[key].as_array().and_then(|a| a.first()) {
            return sample(doc, first);
        }
    }
    if let Some(all) = schema["allOf"].as_array() {
        let mut out = serde_json::Map::new();
        for s in all {
            if let Value::Object(o) = sample(doc, s) {
                out.extend(o);
            }
        }
        return Value::Object(out);
    }
    match schema["type"].as_str() {
        Some("object") => {
            let mut out = serde_json::Map::new();
            for name in schema["required"].as_array().into_iter().flatten() {
                let name = name.as_str().unwrap_or("");
                out.insert(name.into(), sample(doc, &schema["properties"][name]));
            }
            Value::Object(out)
        }
        Some("array") => Value::Array(Vec::new()),
        Some("string") => "示例".into(),
        Some("integer") => 1.into(),
        Some("number") => serde_json::json!(1.0),
        Some("boolean") => false.into(),
        _ => Value::Null,
    }
}

/// What a document must be to be of use: every reference resolves, every
/// path parameter is declared, operation ids are unique, component names
/// say what they are, and every operation says what it answers.
#[test]
fn the_document_is_whole() {
    fn refs<'a>(v: &'a Value, out: &mut Vec<&'a str>) {
        match v {
            Value::Object(o) => {
                if let Some(Value::String(r)) = o.get("$ref") {
                    out.push(r);
                }
                o.values().for_each(|v| refs(v, out));
            }
            Value::Array(a) => a.iter().for_each(|v| refs(v, out)),
            _ => {}
        }
    }
    let doc = tongyu_web::openapi::build();
    let schemas = doc["components"]["schemas"]
        .as_object()
        .expect("components");
    let mut all = Vec::new();
    refs(doc, &mut all);
    assert!(all.len() > 300, "the document refers to its components");
    for r in all {
        let name = r.strip_prefix(REF_PREFIX).expect("a component");
        assert!(schemas.contains_key(name), "dangling {r}");
    }
    for name in schemas.keys() {
        assert!(
            !name.ends_with(|c: char| c.is_ascii_digit() || c == '_'),
            "{name}: two types share a name; give one a name of its own"
        );
    }
    let mut ids = std::collections::HashSet::new();
    let mut count = 0;
    for (path, item) in doc["paths"].as_object().expect("paths") {
        for (method, op) in item.as_object().expect("methods") {
            count += 1;
            let id = op["operationId"].as_str().expect("operationId");
            assert!(ids.insert(id.to_owned()), "{id} twice");
            let declared: Vec<&str> = op["parameters"]
                .as_array()
                .into_iter()
                .flatten()
                .filter(|p| p["in"] == "path")
                .filter_map(|p| p["name"].as_str())
                .collect();
            let in_path: Vec<&str> = path
                .split('/')
                .filter_map(|s| s.strip_prefix('{').and_then(|s| s.strip_suffix('}')))
                .collect();
            assert_eq!(declared, in_path, "{method} {path}: path parameters");
            let responses = op["responses"].as_object().expect("responses");
            let success: Vec<&String> = responses.keys().filter(|k| k.starts_with('2')).collect();
            assert_eq!(success.len(), 1, "{method} {path}: one success");
            if success[0] != "204" && !matches!(success[0].as_str(), "201" | "202") {
                assert!(
                    responses[success[0]]["content"].is_object(),
                    "{method} {path}: the success has no body described"
                );
            }
            assert!(
                responses.contains_key("500"),
                "{method} {path}: errors described"
            );
            if let Some(body) =
                op["requestBody"]["content"]["application/json"]["schema"].as_object()
            {
                let body = resolve(doc, &Value::Object(body.clone())).clone();
                assert_eq!(
                    body["type"], "object",
                    "{method} {path}: a body is an object"
                );
                assert!(
                    body["properties"].is_object(),
                    "{method} {path}: the body's fields are described"
                );
            }
        }
    }
    assert_eq!(count, tongyu_web::api_operations().len());
}
