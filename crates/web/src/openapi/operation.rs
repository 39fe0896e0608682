//! One operation of the API as the document states it: written beside its
//! handler in each module's `api.rs`, with its request and response types,
//! so the document is derived from the same types the handler reads and
//! writes.

use schemars::{JsonSchema, Schema, SchemaGenerator};
use tongyu_domain::ErrorCode;

/// How a type's schema is made: a `$ref` into the document's components
/// (or the schema itself, for the types schemars writes inline).
pub type SchemaFn = fn(&mut SchemaGenerator) -> Schema;

fn schema_of<T: JsonSchema>(g: &mut SchemaGenerator) -> Schema {
    g.subschema_for::<T>()
}

/// What an operation takes or gives.
#[derive(Clone, Copy)]
pub enum Payload {
    Nothing,
    /// JSON of this type.
    Json(SchemaFn),
    /// A file, of these media types.
    File(&'static [&'static str]),
}

/// One operation: `GET /api/v1/units/{id}` and what it takes and gives.
pub struct Operation {
    pub method: &'static str,
    /// Below `/api/v1`, with `{name}` for each path parameter.
    pub path: &'static str,
    pub summary: &'static str,
    pub tag: &'static str,
    /// The status of success.
    pub status: u16,
    pub request: Payload,
    pub response: Payload,
    /// The query string's parameters, from the type the handler reads.
    pub query: Option<SchemaFn>,
    /// Reached without a token (a parent's public form, login).
    pub public: bool,
    /// The error codes this operation answers beyond those every operation
    /// of its kind may (see [`Operation::errors`]).
    pub extra_errors: &'static [ErrorCode],
}

impl Operation {
    fn new(method: &'static str, path: &'static str, summary: &'static str) -> Self {
        Self {
            method,
            path,
            summary,
            tag: "",
            status: 200,
            request: Payload::Nothing,
            response: Payload::Nothing,
            query: None,
            public: false,
            extra_errors: &[],
        }
    }
    pub fn get(path: &'static str, summary: &'static str) -> Self {
        Self::new("get", path, summary)
    }
    pub fn post(path: &'static str, summary: &'static str) -> Self {
        Self::new("post", path, summary)
    }
    pub fn put(path: &'static str, summary: &'static str) -> Self {
        Self::new("put", path, summary)
    }
    pub fn patch(path: &'static str, summary: &'static str) -> Self {
        Self::new("patch", path, summary)
    }
    pub fn delete(path: &'static str, summary: &'static str) -> Self {
        Self::new("delete", path, summary)
    }

    /// A JSON request body of type `T`.
    #[must_use]
    pub fn body<T: JsonSchema>(mut self) -> Self {
        self.request = Payload::Json(schema_of::<T>);
        self
    }
    /// A file as the request body.
    #[must_use]
    pub fn upload(mut self, media_types: &'static [&'static str]) -> Self {
        self.request = Payload::File(media_types);
        self
    }
    /// Query parameters: the fields of `T`.
    #[must_use]
    pub fn query<T: JsonSchema>(mut self) -> Self {
        self.query = Some(schema_of::<T>);
        self
    }
    /// Answers `status` with a JSON body of type `T`.
    #[must_use]
    pub fn returns<T: JsonSchema>(mut self, status: u16) -> Self {
        self.status = status;
        self.response = Payload::Json(schema_of::<T>);
        self
    }
    /// Answers 204 with no body.
    #[must_use]
    pub fn no_content(self) -> Self {
        self.empty(204)
    }
    /// Answers `status` with no body.
    #[must_use]
    pub fn empty(mut self, status: u16) -> Self {
        self.status = status;
        self.response = Payload::Nothing;
        self
    }
    /// Answers with a file.
    #[must_use]
    pub fn file(mut self, media_types: &'static [&'static str]) -> Self {
        self.response = Payload::File(media_types);
        self
    }
    /// Reached without a token.
    #[must_use]
    pub fn public(mut self) -> Self {
        self.public = true;
        self
    }
    /// Error codes beyond those of its kind.
    #[must_use]
    pub fn errors(mut self, codes: &'static [ErrorCode]) -> Self {
        self.extra_errors = codes;
        self
    }

    /// The path parameters' names, in order.
    pub fn path_params(&self) -> impl Iterator<Item = &'static str> {
        self.path
            .split('/')
            .filter_map(|seg| seg.strip_prefix('{').and_then(|s| s.strip_suffix('}')))
    }

    /// Every error code this operation may answer: those of its kind (a
    /// token, a path, a body, a change) and its own, by status.
    pub fn error_codes(&self) -> Vec<ErrorCode> {
        use ErrorCode as E;
        let mut out = vec![E::Internal, E::Unavailable];
        if !self.public {
            out.extend([
                E::Unauthenticated,
                E::SessionExpired,
                E::SecondFactorRequired,
                E::Forbidden,
                E::PasswordChangeRequired,
            ]);
        }
        let takes_input = !matches!(self.request, Payload::Nothing) || self.query.is_some();
        // Anything named (in the path, the query or the body) may not exist
        // or lie outside the caller's scope.
        if self.path_params().next().is_some() || takes_input {
            out.push(E::NotFound);
        }
        if takes_input {
            out.push(E::BadRequest);
        }
        // A change may be refused for what it says or for the state of
        // what it changes.
        if takes_input || self.method != "get" {
            out.push(E::ValidationFailed);
        }
        if !matches!(self.request, Payload::Nothing) {
            out.push(E::PayloadTooLarge);
        }
        if self.method != "get" {
            out.push(E::Conflict);
        }
        out.extend_from_slice(self.extra_errors);
        out.sort_by_key(|c| (c.http_status(), c.as_str()));
        out.dedup();
        out
    }
}

/// The operations of one module, under its tag.
pub fn tagged(tag: &'static str, ops: Vec<Operation>) -> impl Iterator<Item = Operation> {
    ops.into_iter().map(move |mut op| {
        op.tag = tag;
        op
    })
}
