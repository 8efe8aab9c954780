//! `reqtype=HELP`: the parameter reference, written from what this server implements.

use crate::objects::REGISTRY;
use handlebars::Handlebars;
use serde_json::json;

const TEMPLATE: &str = include_str!("../../templates/help.txt.hbs");

/// `access`: a line per reqtype, who may call it and what writes (`proxyapi::access_help`).
pub fn text(access: &[String]) -> String {
    let objects: Vec<_> = REGISTRY
        .iter()
        .map(|o| {
            let mut actions: Vec<&str> = if o.crud { vec!["list", "get", "add", "update", "delete"] } else { vec![] };
            for a in o.actions.iter().filter(|a| !["list", "get", "add", "update", "delete"].contains(&a.name)) {
                actions.push(a.name);
            }
            json!({ "name": o.name, "table": o.table, "admin": o.admin_only, "actions": actions.join(", ") })
        })
        .collect();
    let mut hb = Handlebars::new();
    hb.register_escape_fn(handlebars::no_escape);
    hb.render_template(
        TEMPLATE,
        &json!({ "version": env!("CARGO_PKG_VERSION"), "objects": objects, "settings": crate::settings::help_rows(), "access": access }),
    )
    .unwrap_or_else(|e| format!("reqtype - Request type\n(help template error: {e})\n"))
}
