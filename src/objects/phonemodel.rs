//! Phone models (admin, global): what a provisioned phone is.

use super::Kind::*;
use super::{req, Object, Plain};

pub static PHONEMODEL: Object = Object {
    name: "phonemodel",
    plural: "phonemodels",
    table: "pm_phonemodels",
    pk: "pm_id",
    tenant_col: None,
    admin_only: true,
    crud: true,
    fields: &[req("pm_vendor", Text(100)), req("pm_name", Text(100))],
    extras: &[],
    unique: &[&["pm_vendor", "pm_name"]],
    limit: None,
    target_tag: None,
    source_types: &[],
    children: &[],
    actions: &[],
    behavior: &Plain,
};
