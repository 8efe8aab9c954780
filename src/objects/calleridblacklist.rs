//! Caller ids a tenant refuses: one number (or `+`-prefixed number) per row, unique per tenant.

use super::support::dialable_or_empty;
use super::Kind::*;
use super::{opt, req, Object, Plain};

pub static CALLERIDBLACKLIST: Object = Object {
    name: "calleridblacklist",
    plural: "calleridblacklists",
    table: "bl_calleridblacklist",
    pk: "bl_id",
    tenant_col: Some("bl_te_id"),
    admin_only: false,
    crud: true,
    fields: &[
        req("bl_number", Text(40)).checked(blocked_number),
        opt("bl_description", Text(255)),
    ],
    extras: &[],
    unique: &[&["bl_te_id", "bl_number"]],
    limit: None,
    target_tag: None,
    source_types: &[],
    children: &[],
    actions: &[],
    behavior: &Plain,
};

fn blocked_number(v: &str) -> Result<(), String> {
    if v.is_empty() {
        return Err("must not be empty".into());
    }
    dialable_or_empty(v)
}
