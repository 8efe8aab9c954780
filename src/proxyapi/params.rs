//! Request parameters merged from the query string and the body, like PHP's `$_REQUEST`
//! (body wins). Values are decoded strictly: a parameter that is not valid UTF-8 is an error
//! naming it, never a silently mangled value.

use crate::args::TempFile;
pub use crate::args::{Args, Upload};
pub use crate::config::BodyLimits;
use crate::error::{internal, ApiError, ApiResult};
use actix_web::{web, HttpRequest};
use bytes::Bytes;
use futures_util::{Stream, StreamExt};
use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;
use tokio::io::AsyncWriteExt;
use tokio::time::Instant;

#[derive(Debug, Default, Clone)]
pub struct Params {
    values: HashMap<String, String>,
    pub files: HashMap<String, Upload>,
    /// The share of the upload budget this request holds while its files are in use.
    _budget: Option<Arc<tokio::sync::OwnedSemaphorePermit>>,
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
            ..Default::default()
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

    /// The time range (in `zone`) and filters of a report, from `start`, `end` and its filter
    /// parameters.
    pub fn report(
        &self,
        report: &'static crate::cdr::report::Report,
        zone: chrono_tz::Tz,
    ) -> ApiResult<crate::cdr::report::ReportQuery> {
        crate::cdr::report::ReportQuery::parse(report, zone, |name| self.get(name))
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
    from_query(req.query_string().as_bytes())
}

/// A raw query string's pairs, skipping those that do not decode.
pub fn from_query(query: &[u8]) -> Params {
    let mut params = Params::default();
    for pair in query.split(|b| *b == b'&') {
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

/// Where a request that may upload files puts them: temporary files in `dir`, and a share of
/// `budget` (permits of 1 KiB, shared by all requests) for as long as the request runs.
pub struct FileSink {
    pub dir: PathBuf,
    pub budget: Arc<tokio::sync::Semaphore>,
}

/// The minimum-rate deadline of one body.
struct Deadline {
    start: Instant,
    received: u64,
    limits: BodyLimits,
    /// Reading paused (for authentication) since.
    paused: Option<Instant>,
}

impl Deadline {
    fn new(limits: BodyLimits) -> Deadline {
        Deadline {
            start: Instant::now(),
            received: 0,
            limits,
            paused: None,
        }
    }

    /// When the next chunk must have arrived: the grace, plus the time the bytes so far buy at
    /// the minimum rate.
    fn at(&self) -> Instant {
        let earned =
            Duration::from_secs_f64(self.received as f64 / self.limits.min_body_rate.max(1) as f64);
        self.start + self.limits.body_grace + earned
    }

    /// The next item of a body stream, or an error once the body is too slow.
    async fn next<S, T, E>(&mut self, stream: &mut S, read_error: &str) -> ApiResult<Option<T>>
    where
        S: Stream<Item = Result<T, E>> + Unpin,
        T: ChunkLen,
        E: std::fmt::Display,
    {
        match tokio::time::timeout_at(self.at(), stream.next()).await {
            Err(_) => Err(ApiError::invalid(format!(
                "the request body came too slowly (at least {} bytes per second after the first {} s)",
                self.limits.min_body_rate,
                self.limits.body_grace.as_secs()
            ))),
            Ok(None) => Ok(None),
            Ok(Some(Err(e))) => Err(ApiError::invalid(format!("{read_error}: {e}"))),
            Ok(Some(Ok(item))) => {
                self.received += item.chunk_len() as u64;
                Ok(Some(item))
            }
        }
    }
}

trait ChunkLen {
    fn chunk_len(&self) -> usize;
}

impl ChunkLen for Bytes {
    fn chunk_len(&self) -> usize {
        self.len()
    }
}

impl ChunkLen for actix_multipart::Field {
    fn chunk_len(&self) -> usize {
        0
    }
}

/// A request's parameters, read in two steps so that nothing large is read before the key is
/// checked: [`Reader::read_head`] (the query string and at most `head_bytes` of the body, and
/// nothing of a file), then, once the caller is known, [`Reader::read_rest`].
pub struct Reader {
    params: Params,
    body: Body,
    deadline: Deadline,
    limits: BodyLimits,
    /// Content-Length, if declared.
    declared: Option<u64>,
}

enum Body {
    Form {
        payload: web::Payload,
        buf: Vec<u8>,
        done: bool,
    },
    Multipart {
        multipart: actix_multipart::Multipart,
        /// A part started but not finished (paused at the head's limit or at a file).
        pending: Option<Part>,
        form_total: usize,
        upload_total: usize,
    },
}

struct Part {
    field: actix_multipart::Field,
    name: String,
    filename: Option<String>,
    bytes: Vec<u8>,
}

#[derive(Clone, Copy, PartialEq)]
enum Step {
    Head,
    Rest,
}

impl Reader {
    pub fn new(req: &HttpRequest, payload: web::Payload, limits: BodyLimits) -> ApiResult<Reader> {
        let mut params = Params::default();
        params.merge_form(req.query_string().as_bytes())?;
        let content_type = req
            .headers()
            .get(actix_web::http::header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_ascii_lowercase();
        let body = if content_type.starts_with("multipart/form-data") {
            Body::Multipart {
                multipart: actix_multipart::Multipart::new(req.headers(), payload),
                pending: None,
                form_total: 0,
                upload_total: 0,
            }
        } else {
            Body::Form {
                payload,
                buf: Vec::new(),
                done: false,
            }
        };
        let headers = req.headers();
        let declared = match headers.get(actix_web::http::header::CONTENT_LENGTH) {
            Some(v) => v.to_str().ok().and_then(|v| v.trim().parse().ok()),
            None if headers.contains_key(actix_web::http::header::TRANSFER_ENCODING) => None,
            None => Some(0),
        };
        Ok(Reader {
            params,
            body,
            deadline: Deadline::new(limits),
            limits,
            declared,
        })
    }

    /// Read what may be read before authentication; `true` if that was the whole request.
    pub async fn read_head(&mut self) -> ApiResult<bool> {
        let complete = self.read(Step::Head, None).await?;
        self.deadline.paused = Some(Instant::now());
        Ok(complete)
    }

    /// What is known so far: the query string, text fields of the head, and the complete
    /// url-encoded pairs of the head.
    pub fn head(&self) -> Params {
        let mut head = self.params.clone();
        if let Body::Form { buf, .. } = &self.body {
            let complete = buf
                .iter()
                .rposition(|b| *b == b'&')
                .map_or(&buf[..0], |i| &buf[..i]);
            // A pair that does not decode is reported when the whole body is read.
            for pair in complete.split(|b| *b == b'&') {
                let _ = head.merge_form(pair);
            }
        }
        head
    }

    /// The parameters of a request whose body ended within its head.
    pub fn into_params(self) -> Params {
        self.params
    }

    /// The rest of the body, for a caller already authenticated; file parts only with a `sink`.
    pub async fn read_rest(mut self, sink: Option<&FileSink>) -> ApiResult<Params> {
        // The time the server spent authenticating is not the client's.
        if let Some(paused) = self.deadline.paused.take() {
            self.deadline.start += paused.elapsed();
        }
        self.read(Step::Rest, sink).await?;
        Ok(self.params)
    }

    async fn read(&mut self, step: Step, sink: Option<&FileSink>) -> ApiResult<bool> {
        match &mut self.body {
            Body::Form { payload, buf, done } => {
                // A key in the query string is checked before a body larger than the head.
                let large = self
                    .declared
                    .is_none_or(|n| n > self.limits.head_bytes as u64);
                if step == Step::Head && large && self.params.get("key").is_some() {
                    return Ok(false);
                }
                if !*done {
                    let limit = match step {
                        Step::Head => self.limits.head_bytes,
                        Step::Rest => self.limits.form_bytes,
                    };
                    while buf.len() <= limit {
                        let Some(chunk) = self.deadline.next(payload, FORM_ERROR).await? else {
                            *done = true;
                            break;
                        };
                        if buf.len() + chunk.len() > self.limits.form_bytes {
                            return Err(ApiError::invalid(format!(
                                "request body is larger than {} bytes",
                                self.limits.form_bytes
                            )));
                        }
                        buf.extend_from_slice(&chunk);
                    }
                }
                if *done && !buf.is_empty() {
                    let body = std::mem::take(buf);
                    self.params.merge_form(&body)?;
                }
                Ok(*done)
            }
            Body::Multipart { .. } => self.read_multipart(step, sink).await,
        }
    }

    async fn read_multipart(&mut self, step: Step, sink: Option<&FileSink>) -> ApiResult<bool> {
        let Body::Multipart {
            multipart,
            pending,
            form_total,
            upload_total,
        } = &mut self.body
        else {
            return Ok(true);
        };
        loop {
            let mut part = match pending.take() {
                Some(part) => part,
                None => match self.deadline.next(multipart, MULTIPART_ERROR).await? {
                    None => return Ok(true),
                    Some(field) => Part::new(field),
                },
            };
            match (&part.filename, step) {
                // Files wait for the caller to be known.
                (Some(_), Step::Head) => {
                    *pending = Some(part);
                    return Ok(false);
                }
                (Some(filename), Step::Rest) => {
                    let Some(sink) = sink else {
                        return Err(ApiError::invalid(format!(
                            "parameter '{}': this request takes no file (files go to MANAGEDB updatebinary and putmessagerecording and to FAX send, after the reqtype and action fields)",
                            part.name
                        )));
                    };
                    if self.params._budget.is_none() {
                        let want = self.declared.unwrap_or(self.limits.upload_bytes as u64);
                        self.params._budget =
                            Some(Arc::new(reserve(sink, want, self.limits).await?));
                    }
                    let upload = save_part(
                        sink,
                        &mut self.deadline,
                        &mut part.field,
                        filename,
                        &part.name,
                        upload_total,
                        self.limits.upload_bytes,
                    )
                    .await?;
                    self.params.files.insert(part.name, upload);
                }
                (None, _) => {
                    while let Some(chunk) =
                        self.deadline.next(&mut part.field, MULTIPART_ERROR).await?
                    {
                        *form_total += chunk.len();
                        if *form_total > self.limits.form_bytes {
                            return Err(ApiError::invalid(format!(
                                "multipart field '{}' makes the request larger than {} bytes",
                                part.name, self.limits.form_bytes
                            )));
                        }
                        part.bytes.extend_from_slice(&chunk);
                        if step == Step::Head && *form_total > self.limits.head_bytes {
                            *pending = Some(part);
                            return Ok(false);
                        }
                    }
                    let value = String::from_utf8(part.bytes).map_err(|_| {
                        ApiError::invalid(format!("parameter '{}' is not valid UTF-8", part.name))
                    })?;
                    self.params.values.insert(part.name, value);
                }
            }
        }
    }
}

impl Part {
    fn new(field: actix_multipart::Field) -> Part {
        let disposition = field.content_disposition();
        Part {
            name: disposition
                .and_then(|d| d.get_name())
                .unwrap_or_default()
                .to_string(),
            filename: disposition
                .and_then(|d| d.get_filename())
                .map(str::to_string),
            field,
            bytes: Vec::new(),
        }
    }
}

const FORM_ERROR: &str = "could not read the request body";
const MULTIPART_ERROR: &str = "malformed multipart body";

/// This request's share of the upload budget: what it declared (at most the upload limit),
/// waited for within the body deadline.
async fn reserve(
    sink: &FileSink,
    declared: u64,
    limits: BodyLimits,
) -> ApiResult<tokio::sync::OwnedSemaphorePermit> {
    let most = limits.upload_bytes.min(limits.upload_budget_bytes) as u64;
    let kib = declared.min(most).div_ceil(1024).max(1) as u32;
    let wait = limits.body_grace;
    match tokio::time::timeout(wait, sink.budget.clone().acquire_many_owned(kib)).await {
        Ok(Ok(permit)) => Ok(permit),
        Ok(Err(e)) => Err(internal(e)),
        Err(_) => Err(ApiError::invalid(
            "the server is busy receiving other uploads; try again shortly",
        )),
    }
}

/// Stream one file part into a temporary file of `sink`.
async fn save_part(
    sink: &FileSink,
    deadline: &mut Deadline,
    field: &mut actix_multipart::Field,
    filename: &str,
    name: &str,
    total: &mut usize,
    limit: usize,
) -> ApiResult<Upload> {
    tokio::fs::create_dir_all(&sink.dir)
        .await
        .map_err(internal)?;
    let path = sink
        .dir
        .join(format!("upload-{}", uuid::Uuid::new_v4().simple()));
    let mut out = tokio::fs::File::create(&path).await.map_err(internal)?;
    // From here on the file goes when the upload does (or on any error below).
    let file = Arc::new(TempFile(path));
    let mut len = 0u64;
    while let Some(chunk) = deadline.next(field, MULTIPART_ERROR).await? {
        *total += chunk.len();
        if *total > limit {
            return Err(ApiError::invalid(format!(
                "multipart field '{name}' makes the request larger than {limit} bytes"
            )));
        }
        out.write_all(&chunk).await.map_err(internal)?;
        len += chunk.len() as u64;
    }
    out.flush().await.map_err(internal)?;
    Ok(Upload {
        filename: filename.to_string(),
        file,
        len,
    })
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
