//! Provisioned phones. The MAC address is accepted with `:`/`-`/`.` separators or none, in
//! either case, and stored as 12 upper-case hex digits, unique across all tenants.

use super::Kind::*;
use super::{opt, req, Behavior, Object, WriteCx};
use crate::error::ApiResult;
use async_trait::async_trait;
use sea_orm::Value;

pub static PHONE: Object = Object {
    name: "phone",
    plural: "phones",
    table: "ph_phones",
    pk: "ph_id",
    tenant_col: Some("ph_te_id"),
    admin_only: false,
    crud: true,
    fields: &[
        req("ph_mac", Text(17)).checked(mac),
        opt("ph_name", Text(100)),
        opt("ph_pm_id", OptInt).refers("phonemodel"),
        opt("ph_ex_id", OptInt).refers("extension"),
        opt("ph_description", Text(255)),
        opt("ph_active", Flag),
    ],
    extras: &[],
    unique: &[&["ph_mac"]],
    limit: None,
    target_tag: None,
    source_types: &[],
    children: &[],
    actions: &[],
    behavior: &PhoneBehavior,
};

/// `00:1A:2b-3c.4D5e` → `001A2B3C4D5E`; `None` unless exactly 12 hex digits remain.
pub fn normalize_mac(v: &str) -> Option<String> {
    let hex: String = v
        .chars()
        .filter(|c| !matches!(c, ':' | '-' | '.'))
        .collect();
    (hex.len() == 12 && hex.chars().all(|c| c.is_ascii_hexdigit()))
        .then(|| hex.to_ascii_uppercase())
}

fn mac(v: &str) -> Result<(), String> {
    normalize_mac(v).map(|_| ()).ok_or_else(|| {
        "must be a MAC address (12 hex digits, ':' '-' '.' separators allowed)".into()
    })
}

struct PhoneBehavior;

#[async_trait]
impl Behavior for PhoneBehavior {
    async fn before_write(&self, cx: &mut WriteCx<'_>) -> ApiResult<()> {
        if let Some(mac) = cx.input.text("ph_mac").and_then(normalize_mac) {
            cx.input.set(cx.obj, "ph_mac", Value::String(Some(mac)));
        }
        Ok(())
    }
}
