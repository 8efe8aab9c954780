//! Music-on-hold classes of a tenant. The directory is chosen by the server
//! (`moh/<TENANT>/<name>`), never by the client: it becomes a path on the PBX nodes.

use super::support::default_on_add;
use super::Kind::*;
use super::{opt, req, ro, Behavior, Object, Op, WriteCx};
use crate::error::ApiResult;
use async_trait::async_trait;
use sea_orm::Value;

/// Asterisk's file-based MOH modes (`custom` runs a program and is not offered).
const MODES: &[&str] = &["files", "mp3", "quietmp3", "mp3nb", "quietmp3nb"];

pub static MUSICONHOLD: Object = Object {
    name: "musiconhold",
    plural: "musiconholds",
    table: "mu_musiconhold",
    pk: "mu_id",
    tenant_col: Some("mu_te_id"),
    admin_only: false,
    crud: true,
    fields: &[
        req("mu_name", Text(80)).checked(class_name),
        opt("mu_mode", Choice(MODES)),
        ro("mu_directory", Text(255)),
        opt("mu_random", Flag),
        opt("mu_description", Text(255)),
    ],
    extras: &[],
    unique: &[&["mu_te_id", "mu_name"]],
    limit: None,
    target_tag: None,
    source_types: &[],
    children: &[],
    actions: &[],
    behavior: &MohBehavior,
};

/// A class name becomes a directory name on the nodes: letters, digits, `_` and `-` only.
fn class_name(v: &str) -> Result<(), String> {
    if !v.is_empty()
        && v.chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-'))
    {
        Ok(())
    } else {
        Err("may contain only letters, digits, '_' and '-'".into())
    }
}

struct MohBehavior;

#[async_trait]
impl Behavior for MohBehavior {
    async fn before_write(&self, cx: &mut WriteCx<'_>) -> ApiResult<()> {
        if cx.op == Op::Delete {
            return Ok(());
        }
        default_on_add(cx, "mu_mode", Value::String(Some("files".into())));
        if let (Some(name), Some(t)) = (cx.input.text("mu_name"), &cx.tenant) {
            let dir = format!("moh/{}/{name}", t.code);
            cx.input
                .set(cx.obj, "mu_directory", Value::String(Some(dir)));
        }
        Ok(())
    }
}
