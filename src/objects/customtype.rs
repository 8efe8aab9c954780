//! Custom destination types (admin, global): what a tenant's `custom` destinations are.

use super::Kind::*;
use super::{opt, req, Object, Plain};

pub static CUSTOMTYPE: Object = Object {
    name: "customtype",
    plural: "customtypes",
    table: "ct_customtypes",
    pk: "ct_id",
    tenant_col: None,
    admin_only: true,
    crud: true,
    fields: &[req("ct_name", Text(100)), opt("ct_description", Text(255))],
    extras: &[],
    unique: &[&["ct_name"]],
    limit: None,
    target_tag: None,
    source_types: &[],
    children: &[],
    actions: &[],
    behavior: &Plain,
};
