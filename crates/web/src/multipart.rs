//! Reading multipart forms with a limit on every part and on the number of
//! parts, checked as the bytes arrive: a part is never buffered whole before
//! its size is known to be acceptable. The whole body's limit (a layer on
//! the route) still applies on top.

use axum::extract::multipart::{Field, Multipart};

/// A plain form field (a CSRF token, a choice, a title, an appeal's text).
pub const TEXT_LIMIT: usize = 64 * 1024;

/// Why a form could not be read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PartError {
    /// The body was cut off or is not multipart.
    Malformed,
    /// This part (by its field name) is over its limit.
    TooLarge(String),
    /// More parts than the form has fields.
    TooMany,
}

/// A form read part by part: at most `max_parts` parts.
pub struct Form {
    inner: Multipart,
    seen: usize,
    max_parts: usize,
}

impl Form {
    pub fn new(inner: Multipart, max_parts: usize) -> Form {
        Form {
            inner,
            seen: 0,
            max_parts,
        }
    }

    /// The next part, or None at the end.
    pub async fn next(&mut self) -> Result<Option<Field<'_>>, PartError> {
        let field = match self.inner.next_field().await {
            Ok(f) => f,
            Err(e) if e.status() == axum::http::StatusCode::PAYLOAD_TOO_LARGE => {
                return Err(PartError::TooLarge(String::new()));
            }
            Err(_) => return Err(PartError::Malformed),
        };
        if field.is_some() {
            self.seen += 1;
            if self.seen > self.max_parts {
                return Err(PartError::TooMany);
            }
        }
        Ok(field)
    }
}

/// One part read whole: its field name, its file name (empty for a plain
/// field) and its bytes, the part named `file_field` up to `file_limit`,
/// every other one up to [`TEXT_LIMIT`].
pub struct Part {
    pub name: String,
    pub file_name: String,
    pub bytes: Vec<u8>,
}

impl Part {
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.bytes).into_owned()
    }
}

impl Form {
    /// The next part read whole within its limit, or None at the end.
    pub async fn next_part(
        &mut self,
        file_field: &str,
        file_limit: usize,
    ) -> Result<Option<Part>, PartError> {
        let Some(mut field) = self.next().await? else {
            return Ok(None);
        };
        let name = field.name().unwrap_or("").to_owned();
        let file_name = field.file_name().unwrap_or("").to_owned();
        let limit = if name == file_field {
            file_limit
        } else {
            TEXT_LIMIT
        };
        let bytes = bytes(&mut field, limit).await?;
        Ok(Some(Part {
            name,
            file_name,
            bytes,
        }))
    }
}

/// A part's bytes, at most `limit` of them: reading stops at the first chunk
/// that goes past it.
pub async fn bytes(field: &mut Field<'_>, limit: usize) -> Result<Vec<u8>, PartError> {
    let name = field.name().unwrap_or("").to_owned();
    let mut out = Vec::new();
    loop {
        match field.chunk().await {
            Ok(Some(chunk)) => {
                if out.len() + chunk.len() > limit {
                    return Err(PartError::TooLarge(name));
                }
                out.extend_from_slice(&chunk);
            }
            Ok(None) => return Ok(out),
            Err(e) if e.status() == axum::http::StatusCode::PAYLOAD_TOO_LARGE => {
                return Err(PartError::TooLarge(name));
            }
            Err(_) => return Err(PartError::Malformed),
        }
    }
}

/// A text part of at most `limit` bytes (invalid UTF-8 is replaced).
pub async fn text(field: &mut Field<'_>, limit: usize) -> Result<String, PartError> {
    let raw = bytes(field, limit).await?;
    Ok(String::from_utf8(raw)
        .unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned()))
}
