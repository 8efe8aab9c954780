//! Request parameters merged from the query string and the body, like PHP's `$_REQUEST`
//! (body wins). Values are decoded strictly: a parameter that is not valid UTF-8 is an error
//! naming it, never a silently mangled value.

pub use crate::args::{Args, Upload};
pub use crate::config::BodyLimits;
use crate::error::{ApiError, ApiResult};
use actix_web::{web, HttpRequest};
use futures_util::StreamExt;
use std::collections::HashMap;

#[derive(Debug, Default, Clone)]
pub struct Params {
    values: HashMap<String, String>,
    pub files: HashMap<String, Upload>,
}

impl Args for Params {
    fn get(&self, name: &str) -> Option<&str> {
        Params::get(self, name)
    }
    fn upload(&self, name: &str) -> Option<&Upload> {
        self.files.get(name)
    }
}

impl Params {
    pub fn from_pairs<'a>(pairs: impl IntoIterator<Item = (&'a str, &'a str)>) -> Params {
        let values = pairs
            .into_iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        Params {
            values,
            files: HashMap::new(),
        }
    }

    /// The raw value; an empty value counts as absent.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.values
            .get(name)
            .map(String::as_str)
            .filter(|v| !v.is_empty())
    }

    // The checked readers are the ones of [`Args`] (shared with the domain's special actions).
    pub fn word(&self, name: &str) -> Option<String> {
        Args::word(self, name)
    }
    pub fn required(&self, name: &str) -> ApiResult<&str> {
        Args::required(self, name)
    }
    pub fn required_word(&self, name: &str) -> ApiResult<String> {
        Args::required_word(self, name)
    }
    pub fn id(&self, name: &str) -> ApiResult<Option<i32>> {
        Args::id(self, name)
    }
    pub fn required_id(&self, name: &str) -> ApiResult<i32> {
        Args::required_id(self, name)
    }
    pub fn flag(&self, name: &str) -> bool {
        Args::flag(self, name)
    }

    /// The time range and filters of a report, from `start`, `end` and its filter parameters.
    pub fn report(
        &self,
        report: &'static crate::cdr::report::Report,
    ) -> ApiResult<crate::cdr::report::ReportQuery> {
        crate::cdr::report::ReportQuery::parse(report, |name| self.get(name))
    }

    fn merge_form(&mut self, raw: &[u8]) -> ApiResult<()> {
        for pair in raw.split(|b| *b == b'&').filter(|p| !p.is_empty()) {
            let (name, value) = match pair.iter().position(|b| *b == b'=') {
                Some(i) => (&pair[..i], &pair[i + 1..]),
                None => (pair, &[][..]),
            };
            let name = decode(name, None)?;
            let value = decode(value, Some(&name))?;
            self.values.insert(name, value);
        }
        Ok(())
    }
}

/// The query string alone, skipping pairs that do not decode: enough to answer a request whose
/// body could not be read in the format it asked for.
pub fn query_only(req: &HttpRequest) -> Params {
    let mut params = Params::default();
    for pair in req.query_string().as_bytes().split(|b| *b == b'&') {
        let _ = params.merge_form(pair);
    }
    params
}

/// Percent-decode one form component (`+` is a space) and insist on UTF-8.
fn decode(raw: &[u8], param: Option<&str>) -> ApiResult<String> {
    let spaced: Vec<u8> = raw
        .iter()
        .map(|b| if *b == b'+' { b' ' } else { *b })
        .collect();
    let bytes: Vec<u8> = percent_encoding::percent_decode(&spaced).collect();
    String::from_utf8(bytes).map_err(|_| match param {
        Some(name) => ApiError::invalid(format!("parameter '{name}' is not valid UTF-8")),
        None => ApiError::invalid("a parameter name is not valid UTF-8"),
    })
}

pub async fn extract(
    req: &HttpRequest,
    mut payload: web::Payload,
    limits: BodyLimits,
) -> ApiResult<Params> {
    let mut params = Params::default();
    params.merge_form(req.query_string().as_bytes())?;

    let content_type = req
        .headers()
        .get(actix_web::http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_ascii_lowercase();

    if content_type.starts_with("multipart/form-data") {
        read_multipart(req, payload, limits, &mut params).await?;
        return Ok(params);
    }

    let mut body = Vec::new();
    while let Some(chunk) = payload.next().await {
        let chunk = chunk
            .map_err(|e| ApiError::invalid(format!("could not read the request body: {e}")))?;
        if body.len() + chunk.len() > limits.form_bytes {
            return Err(ApiError::invalid(format!(
                "request body is larger than {} bytes",
                limits.form_bytes
            )));
        }
        body.extend_from_slice(&chunk);
    }
    if !body.is_empty() {
        params.merge_form(&body)?;
    }
    Ok(params)
}

async fn read_multipart(
    req: &HttpRequest,
    payload: web::Payload,
    limits: BodyLimits,
    params: &mut Params,
) -> ApiResult<()> {
    let bad = |e: actix_multipart::MultipartError| {
        ApiError::invalid(format!("malformed multipart body: {e}"))
    };
    let mut multipart = actix_multipart::Multipart::new(req.headers(), payload);
    let (mut form_total, mut upload_total) = (0usize, 0usize);
    while let Some(field) = multipart.next().await {
        let mut field = field.map_err(bad)?;
        let disposition = field.content_disposition().cloned();
        let name = disposition
            .as_ref()
            .and_then(|d| d.get_name())
            .unwrap_or_default()
            .to_string();
        let filename = disposition
            .as_ref()
            .and_then(|d| d.get_filename())
            .map(str::to_string);
        let (total, limit) = if filename.is_some() {
            (&mut upload_total, limits.upload_bytes)
        } else {
            (&mut form_total, limits.form_bytes)
        };
        let mut bytes = Vec::new();
        while let Some(chunk) = field.next().await {
            let chunk = chunk.map_err(bad)?;
            *total += chunk.len();
            if *total > limit {
                return Err(ApiError::invalid(format!(
                    "multipart field '{name}' makes the request larger than {limit} bytes"
                )));
            }
            bytes.extend_from_slice(&chunk);
        }
        match filename {
            Some(filename) => {
                params.files.insert(name, Upload { filename, bytes });
            }
            None => {
                let value = String::from_utf8(bytes).map_err(|_| {
                    ApiError::invalid(format!("parameter '{name}' is not valid UTF-8"))
                })?;
                params.values.insert(name, value);
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn form_decoding_is_strict() {
        let mut p = Params::default();
        p.merge_form(b"reqtype=INFO&name=a+b%21&empty=&flag")
            .unwrap();
        assert_eq!(p.word("reqtype").as_deref(), Some("info"));
        assert_eq!(p.get("name"), Some("a b!"));
        assert_eq!(p.get("empty"), None);
        let err = p.merge_form(b"jsondata=%ff%fe").unwrap_err();
        assert_eq!(err.line(), "Error: parameter 'jsondata' is not valid UTF-8");
    }
}
