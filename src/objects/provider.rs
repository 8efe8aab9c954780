//! Providers (admin, global): the trunks routes send calls to. `host` and `allow` are accepted
//! as unprefixed aliases of `pr_host` and `pr_allow`.

use super::support::{alias, codecs, host_or_empty, port, rows_where, small_count, target_row};
use super::Kind::*;
use super::{checks, opt, read_action, req, ActionCx, Behavior, Object, WriteCx};
use crate::error::ApiResult;
use crate::output::Output;
use async_trait::async_trait;

pub static PROVIDER: Object = Object {
    name: "provider",
    plural: "providers",
    table: "pr_providers",
    pk: "pr_id",
    tenant_col: None,
    admin_only: true,
    crud: true,
    fields: &[
        req("pr_peername", Text(40)).checked(checks::identifier),
        opt("pr_name", Text(100)),
        opt("pr_tech", Choice(&["PJSIP", "SIP", "IAX2"])),
        opt("pr_userealtime", Flag),
        opt("pr_host", Text(255)).checked(host_or_empty),
        opt("pr_port", Int).checked(port),
        opt("pr_allow", Text(200)).checked(codecs),
        opt("pr_username", Text(80)),
        opt("pr_fromdomain", Text(255)).checked(host_or_empty),
        opt("pr_maxchannels", Int).checked(small_count),
    ],
    extras: &[
        opt("host", Text(255)).checked(host_or_empty),
        opt("allow", Text(200)).checked(codecs),
    ],
    unique: &[&["pr_peername"]],
    limit: None,
    target_tag: None,
    source_types: &[],
    children: &[],
    actions: &[read_action("listroutes")],
    behavior: &ProviderBehavior,
};

struct ProviderBehavior;

#[async_trait]
impl Behavior for ProviderBehavior {
    async fn before_write(&self, cx: &mut WriteCx<'_>) -> ApiResult<()> {
        alias(cx, "host", "pr_host")?;
        alias(cx, "allow", "pr_allow")
    }
    async fn action(&self, cx: &ActionCx<'_>, _name: &str) -> ApiResult<Output> {
        let row = target_row(&cx.db.conn, cx.caller, cx.obj, cx.args).await?;
        let id = row.id(cx.obj.pk).unwrap_or_default();
        rows_where(&cx.db.conn, &super::route::ROUTE, "dl_pr_id", id, "dl_ord").await
    }
}
