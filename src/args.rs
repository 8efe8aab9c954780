//! Named text arguments as a front door received them (the legacy endpoint's parameters), for
//! the few domain operations that read their own options (MANAGEDB special actions). Every
//! reader's error names the argument.

use crate::error::{internal, ApiError, ApiResult};
use std::path::PathBuf;
use std::sync::Arc;

/// An uploaded file (multipart part with a file name), kept in a temporary file under the data
/// directory until the request ends.
#[derive(Debug, Clone)]
pub struct Upload {
    pub filename: String,
    pub(crate) file: Arc<TempFile>,
    pub(crate) len: u64,
}

impl Upload {
    pub fn len(&self) -> u64 {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The file's content (read when the handler needs it, within the upload budget the
    /// request holds).
    pub async fn bytes(&self) -> ApiResult<Vec<u8>> {
        tokio::fs::read(&self.file.0).await.map_err(internal)
    }
}

/// A file removed when the last handle to it goes.
#[derive(Debug)]
pub(crate) struct TempFile(pub(crate) PathBuf);

impl Drop for TempFile {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

pub trait Args: Sync {
    /// The raw value; an empty value counts as absent.
    fn get(&self, name: &str) -> Option<&str>;

    /// An uploaded file.
    fn upload(&self, name: &str) -> Option<&Upload>;

    /// A discriminator (`reqtype`, `action`, `object`, …): compared case-insensitively.
    fn word(&self, name: &str) -> Option<String> {
        self.get(name).map(|v| v.trim().to_ascii_lowercase())
    }

    fn required(&self, name: &str) -> ApiResult<&str> {
        self.get(name)
            .ok_or_else(|| ApiError::invalid(format!("parameter '{name}' is required")))
    }

    fn required_word(&self, name: &str) -> ApiResult<String> {
        self.required(name).map(|v| v.trim().to_ascii_lowercase())
    }

    /// An integer id argument.
    fn id(&self, name: &str) -> ApiResult<Option<i32>> {
        match self.get(name) {
            None => Ok(None),
            Some(v) => v.trim().parse::<i32>().map(Some).map_err(|_| {
                ApiError::invalid(format!("parameter '{name}' must be an integer id"))
            }),
        }
    }

    fn required_id(&self, name: &str) -> ApiResult<i32> {
        self.id(name)?
            .ok_or_else(|| ApiError::invalid(format!("parameter '{name}' is required")))
    }

    /// `yes`/`on`/`1`/`true` → true.
    fn flag(&self, name: &str) -> bool {
        matches!(
            self.word(name).as_deref(),
            Some("yes" | "on" | "1" | "true")
        )
    }
}
