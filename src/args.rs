//! Named text arguments as a front door received them (the legacy endpoint's parameters), for
//! the few domain operations that read their own options (MANAGEDB special actions). Every
//! reader's error names the argument.

use crate::error::{ApiError, ApiResult};

/// An uploaded file (multipart part with a file name).
#[derive(Debug, Clone)]
pub struct Upload {
    pub filename: String,
    pub bytes: Vec<u8>,
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
