//! Requests: parameters in order, sent as a query string, a url-encoded or a multipart body.

use percent_encoding::{utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};
use serde_json::Value;

use super::ctx::Ctx;
use super::render;
use super::resp::Resp;

/// A request being built: parameters in order; sent as a query string, a url-encoded body or a
/// multipart body.
#[derive(Clone)]
pub struct Req<'c> {
    pub(super) ctx: &'c Ctx,
    pub(super) base: Option<String>,
    pub(super) path: &'static str,
    pub(super) params: Vec<(String, String)>,
    pub(super) headers: Vec<(String, String)>,
    /// File parts `(field, file name, bytes)`: `post` and `multipart` send them.
    pub(super) files: Vec<(String, String, Vec<u8>)>,
}

/// What `application/x-www-form-urlencoded` leaves alone.
const FORM: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'_')
    .remove(b'.')
    .remove(b'*');

pub fn urlencode(pairs: &[(String, String)]) -> String {
    pairs
        .iter()
        .map(|(k, v)| {
            format!(
                "{}={}",
                utf8_percent_encode(k, FORM),
                utf8_percent_encode(v, FORM)
            )
        })
        .collect::<Vec<_>>()
        .join("&")
}

pub fn multipart(pairs: &[(String, String)], boundary: &str) -> Vec<u8> {
    multipart_with_files(pairs, &[], boundary)
}

pub fn multipart_with_files(
    pairs: &[(String, String)],
    files: &[(String, String, Vec<u8>)],
    boundary: &str,
) -> Vec<u8> {
    let mut body = Vec::new();
    for (k, v) in pairs {
        body.extend_from_slice(
            format!("--{boundary}\r\nContent-Disposition: form-data; name=\"{k}\"\r\n\r\n{v}\r\n")
                .as_bytes(),
        );
    }
    for (field, name, bytes) in files {
        body.extend_from_slice(
            format!("--{boundary}\r\nContent-Disposition: form-data; name=\"{field}\"; filename=\"{name}\"\r\nContent-Type: application/octet-stream\r\n\r\n")
                .as_bytes(),
        );
        body.extend_from_slice(bytes);
        body.extend_from_slice(b"\r\n");
    }
    body.extend_from_slice(format!("--{boundary}--\r\n").as_bytes());
    body
}

impl<'c> Req<'c> {
    /// Add (or replace) a parameter.
    pub fn p(mut self, name: &str, value: impl AsRef<str>) -> Self {
        self.params.retain(|(k, _)| k != name);
        self.params
            .push((name.to_string(), value.as_ref().to_string()));
        self
    }
    /// Remove a parameter.
    pub fn without(mut self, name: &str) -> Self {
        self.params.retain(|(k, _)| k != name);
        self
    }
    pub fn fmt(self, format: &str) -> Self {
        self.p("format", format)
    }
    /// One of [`render::FORMATS`]: `jsonp` is json with a callback.
    pub fn in_format(self, format: &str) -> Self {
        match format {
            "jsonp" => self.p("format", "json").p("callback", render::CALLBACK),
            other => self.p("format", other),
        }
    }
    pub fn id(self, id: impl std::fmt::Display) -> Self {
        self.p("objectid", id.to_string())
    }
    pub fn json(self, data: &Value) -> Self {
        self.p("jsondata", data.to_string())
    }
    pub fn path(mut self, path: &'static str) -> Self {
        self.path = path;
        self
    }
    pub fn params(&self) -> &[(String, String)] {
        &self.params
    }
    /// Send to another server than the context's own (`http://host:port`).
    pub fn on(mut self, base: &str) -> Self {
        self.base = Some(base.to_string());
        self
    }
    /// Attach a file part (sent by `post` and `multipart`).
    pub fn file(mut self, field: &str, filename: &str, bytes: Vec<u8>) -> Self {
        self.files
            .push((field.to_string(), filename.to_string(), bytes));
        self
    }
    pub fn header(mut self, name: &str, value: &str) -> Self {
        self.headers.push((name.to_string(), value.to_string()));
        self
    }
    async fn send(
        self,
        method: &str,
        query: String,
        content_type: Option<&str>,
        body: Vec<u8>,
    ) -> Resp {
        let base = self.base.clone().unwrap_or_else(|| self.ctx.base.clone());
        self.ctx
            .send_to(
                &base,
                method,
                self.path,
                &query,
                content_type,
                &self.headers,
                body,
            )
            .await
    }
    /// Everything in the query string.
    pub async fn get(self) -> Resp {
        let query = urlencode(&self.params);
        self.send("GET", query, None, Vec::new()).await
    }
    /// Everything in a url-encoded POST body, no query string.
    pub async fn post(self) -> Resp {
        if !self.files.is_empty() {
            return self.multipart().await;
        }
        let body = urlencode(&self.params).into_bytes();
        self.send(
            "POST",
            String::new(),
            Some("application/x-www-form-urlencoded"),
            body,
        )
        .await
    }
    /// Everything in a multipart/form-data POST body, no query string.
    pub async fn multipart(self) -> Resp {
        let boundary = "----switchboard-test-boundary-7MA4YWxkTrZu0gW";
        let body = multipart_with_files(&self.params, &self.files, boundary);
        let ct = format!("multipart/form-data; boundary={boundary}");
        self.send("POST", String::new(), Some(&ct), body).await
    }
    /// `names` in the query string, the rest in a url-encoded body.
    pub async fn split_post(self, names: &[&str]) -> Resp {
        let (query, body): (Vec<_>, Vec<_>) = self
            .params
            .iter()
            .cloned()
            .partition(|(k, _)| names.contains(&k.as_str()));
        let (query, body) = (urlencode(&query), urlencode(&body).into_bytes());
        self.send(
            "POST",
            query,
            Some("application/x-www-form-urlencoded"),
            body,
        )
        .await
    }
    /// `names` in the query string, the rest in a multipart body (with the file parts).
    pub async fn split_multipart(self, names: &[&str]) -> Resp {
        let (query, body): (Vec<_>, Vec<_>) = self
            .params
            .iter()
            .cloned()
            .partition(|(k, _)| names.contains(&k.as_str()));
        let boundary = "----switchboard-test-boundary-7MA4YWxkTrZu0gW";
        let ct = format!("multipart/form-data; boundary={boundary}");
        let (query, body) = (
            urlencode(&query),
            multipart_with_files(&body, &self.files, boundary),
        );
        self.send("POST", query, Some(&ct), body).await
    }
}
