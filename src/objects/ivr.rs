//! IVR menus. A key's destinations are ordinary destinations with source type `IVR_<key>`
//! (`IVR_0`…`IVR_9`, `IVR_*`, `IVR_#`, `IVR_TIMEOUT`, `IVR_INVALID`): deleted with the menu,
//! listed by `getdestinations`. `iv_me_id` names the greeting, a media file of the same tenant.

use super::support::{seconds, small_count, target_row};
use super::Kind::*;
use super::{opt, read_action, req, ActionCx, Behavior, Object};
use crate::error::ApiResult;
use crate::output::Output;
use async_trait::async_trait;

pub const IVR_SOURCES: &[&str] = &[
    "IVR_0",
    "IVR_1",
    "IVR_2",
    "IVR_3",
    "IVR_4",
    "IVR_5",
    "IVR_6",
    "IVR_7",
    "IVR_8",
    "IVR_9",
    "IVR_*",
    "IVR_#",
    "IVR_TIMEOUT",
    "IVR_INVALID",
];

pub static IVR: Object = Object {
    name: "ivr",
    plural: "ivrs",
    table: "iv_ivrs",
    pk: "iv_id",
    tenant_col: Some("iv_te_id"),
    admin_only: false,
    crud: true,
    fields: &[
        req("iv_name", Text(100)),
        opt("iv_timeout", Int).checked(seconds),
        opt("iv_me_id", OptInt).refers("mediafile"),
        opt("iv_maxretries", Int).checked(small_count),
        opt("iv_directdial", Flag),
    ],
    extras: &[],
    unique: &[],
    limit: None,
    target_tag: Some("IVR"),
    source_types: IVR_SOURCES,
    children: &[],
    actions: &[read_action("getdestinations")],
    behavior: &IvrBehavior,
};

struct IvrBehavior;

#[async_trait]
impl Behavior for IvrBehavior {
    async fn action(&self, cx: &ActionCx<'_>, _name: &str) -> ApiResult<Output> {
        destinations_of(cx, IVR_SOURCES).await
    }
}

/// `getdestinations` of an IVR or a condition: its destinations under every source type it owns.
pub async fn destinations_of(cx: &ActionCx<'_>, types: &[&str]) -> ApiResult<Output> {
    let row = target_row(&cx.db.conn, cx.caller, cx.obj, cx.args).await?;
    let (id, te) = (
        row.id(cx.obj.pk).unwrap_or_default(),
        cx.obj
            .tenant_col
            .and_then(|c| row.id(c))
            .unwrap_or_default(),
    );
    super::destination::source_rows(&cx.db.conn, te, types, id).await
}
