//! Routing profiles (admin, global): ordered sets of routes.

use super::support::default_on_add;
use super::support::{rows_where, target_row};
use super::Kind::*;
use super::{opt, read_action, req, ActionCx, Behavior, Object, WriteCx};
use crate::error::ApiResult;
use crate::output::Output;
use async_trait::async_trait;

pub static ROUTINGPROFILE: Object = Object {
    name: "routingprofile",
    plural: "routingprofiles",
    table: "rp_routingprofiles",
    pk: "rp_id",
    tenant_col: None,
    admin_only: true,
    crud: true,
    fields: &[
        req("rp_name", Text(100)),
        opt("rp_type", Choice(&["VOICE", "FAX", "SMS"])),
        opt("rp_description", Text(255)),
    ],
    extras: &[],
    unique: &[&["rp_name"]],
    limit: None,
    target_tag: None,
    source_types: &[],
    children: &[],
    actions: &[read_action("listroutes")],
    behavior: &RoutingProfileBehavior,
};

struct RoutingProfileBehavior;

#[async_trait]
impl Behavior for RoutingProfileBehavior {
    async fn before_write(&self, cx: &mut WriteCx<'_>) -> ApiResult<()> {
        default_on_add(cx, "rp_type", sea_orm::Value::String(Some("VOICE".into())));
        Ok(())
    }
    async fn action(&self, cx: &ActionCx<'_>, _name: &str) -> ApiResult<Output> {
        let row = target_row(&cx.db.conn, cx.caller, cx.obj, cx.args).await?;
        let id = row.id(cx.obj.pk).unwrap_or_default();
        rows_where(&cx.db.conn, &super::route::ROUTE, "dl_rp_id", id, "dl_ord").await
    }
}
