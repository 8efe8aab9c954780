//! DIDs: unique (country, area, number) across all tenants, capped by `te_maxdids`.

use super::Kind::*;
use super::{checks, opt, req, Object, Plain};

pub static DID: Object = Object {
    name: "did",
    plural: "dids",
    table: "di_dids",
    pk: "di_id",
    tenant_col: Some("di_te_id"),
    admin_only: false,
    crud: true,
    fields: &[
        opt("di_country", Text(8)).checked(checks::digits_or_empty),
        opt("di_area", Text(16)).checked(checks::digits_or_empty),
        req("di_number", Text(32)).checked(checks::digits),
        opt("di_comment", Text(255)),
        opt("di_recording", Flag),
        opt("di_fax", Flag),
        opt("di_faxstationid", Text(40)),
        opt("di_fax_email", Text(255)).checked(checks::email_or_empty),
        opt("di_maxchannels", Int),
        opt("di_unconditionalstatus", Text(20)),
        opt("di_recording_email", Text(255)).checked(checks::email_or_empty),
        opt("di_sms_email", Text(255)).checked(checks::email_or_empty),
    ],
    extras: &[],
    unique: &[&["di_country", "di_area", "di_number"]],
    limit: Some("te_maxdids"),
    target_tag: None,
    source_types: &["DID"],
    children: &[],
    actions: &[],
    behavior: &Plain,
};
