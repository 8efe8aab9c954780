//! Destination classes (admin, global): a canonical number prefix (country code first, no `+`)
//! and its class, which the toll-fraud guard of outbound calls applies (`routing::guard`):
//! `PREMIUM`, `INTERNATIONAL`, `SATELLITE` are blocked until a tenant or extension is allowed
//! them; `EMERGENCY` names a plan's emergency number (the whole number as dialled), never
//! blocked. Seeded by the migration for the plans the README documents.

use super::Kind::*;
use super::{opt, req, Object, Plain};

pub static DESTCLASS: Object = Object {
    name: "destclass",
    plural: "destclasses",
    table: "dk_destclasses",
    pk: "dk_id",
    tenant_col: None,
    admin_only: true,
    crud: true,
    fields: &[
        req("dk_prefix", Text(32)).checked(digits),
        req("dk_class", Choice(crate::routing::guard::CLASSES)),
        opt(
            "dk_plan",
            Choice(&["INTL", "NONE", "NANP", "UK", "IT", "DE"]),
        ),
        opt("dk_name", Text(100)),
    ],
    extras: &[],
    unique: &[&["dk_prefix"]],
    limit: None,
    target_tag: None,
    source_types: &[],
    children: &[],
    actions: &[],
    behavior: &Plain,
};

fn digits(v: &str) -> Result<(), String> {
    if !v.is_empty() && v.len() <= 32 && v.bytes().all(|b| b.is_ascii_digit()) {
        Ok(())
    } else {
        Err("must be 1 to 32 digits (country code first, no +)".into())
    }
}
