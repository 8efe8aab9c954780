//! Outbound routes (admin, global): a dialled number matching `dl_regex` goes to provider
//! `dl_pr_id`, in `dl_ord` order within routing profile `dl_rp_id`. The pattern must compile;
//! both references must exist. `list` takes `routingprofileid` to list one profile's routes.

use super::support::{dialable_or_empty, int_in, rows_where};
use super::Kind::*;
use super::{engine, opt, read_action, req, ActionCx, Behavior, Object};
use crate::error::ApiResult;
use crate::output::Output;
use async_trait::async_trait;

pub static ROUTE: Object = Object {
    name: "route",
    plural: "routes",
    table: "dl_routes",
    pk: "dl_id",
    tenant_col: None,
    admin_only: true,
    crud: true,
    fields: &[
        req("dl_rp_id", Int).refers("routingprofile"),
        opt("dl_name", Text(100)),
        req("dl_regex", Text(255)).checked(pattern),
        req("dl_pr_id", Int).refers("provider"),
        opt("dl_ord", Int).checked(order),
        opt("dl_emergencyroute", Flag),
        opt("dl_usepin", Flag),
        opt("dl_strip", Int).checked(strip),
        opt("dl_prepend", Text(20)).checked(dialable_or_empty),
    ],
    extras: &[],
    unique: &[],
    limit: None,
    target_tag: None,
    source_types: &[],
    children: &[],
    actions: &[read_action("list")],
    behavior: &RouteBehavior,
};

/// Bounded like the PBX's own matcher: a pattern that does not compile (or would compile to
/// something huge) is refused when stored, not when a call needs it.
fn pattern(v: &str) -> Result<(), String> {
    if v.is_empty() {
        return Err("must not be empty".into());
    }
    regex::RegexBuilder::new(v)
        .size_limit(1 << 20)
        .build()
        .map(|_| ())
        .map_err(|e| {
            format!(
                "is not a valid regular expression: {}",
                last_line(&e.to_string())
            )
        })
}

/// The last line of the regex crate's multi-line report ("error: unclosed group").
fn last_line(s: &str) -> String {
    let last = s.lines().last().unwrap_or(s).trim();
    last.strip_prefix("error: ").unwrap_or(last).to_string()
}

fn order(v: &str) -> Result<(), String> {
    int_in(v, 0, 100_000)
}
fn strip(v: &str) -> Result<(), String> {
    int_in(v, 0, 32)
}

struct RouteBehavior;

#[async_trait]
impl Behavior for RouteBehavior {
    async fn action(&self, cx: &ActionCx<'_>, _name: &str) -> ApiResult<Output> {
        match cx.args.id("routingprofileid")? {
            Some(rp) => rows_where(&cx.db.conn, &ROUTE, "dl_rp_id", rp, "dl_ord").await,
            None => {
                let rows = engine::list(cx.db, cx.caller, &ROUTE, cx.args.get("filter")).await?;
                Ok(engine::keyed(&ROUTE, rows))
            }
        }
    }
}
