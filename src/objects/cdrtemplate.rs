//! The MANAGEDB objects `cdrtemplate` (a tenant's own, `tp_cdrtemplates`) and
//! `globalcdrtemplate` (admin, for every tenant, `gt_cdrtemplates`): the template text is
//! checked and translated when stored ([`crate::cdr::template`]).

use super::Kind::*;
use super::{req, ro, Behavior, Field, Object, WriteCx};
use crate::cdr::template::translate;
use crate::error::{internal, ApiError, ApiResult};
use async_trait::async_trait;
use sea_orm::Value;

/// Template name: letters, digits, `_ . -`.
fn template_name(v: &str) -> Result<(), String> {
    super::checks::identifier(v)
}

/// Checks and translates the template text of a write.
pub struct TemplateBehavior {
    source: &'static str,
    compiled: &'static str,
}

#[async_trait]
impl Behavior for TemplateBehavior {
    async fn before_write(&self, cx: &mut WriteCx<'_>) -> ApiResult<()> {
        let Some(source) = cx.input.text(self.source).map(str::to_string) else {
            return Ok(());
        };
        let translated = translate(&source)
            .map_err(|e| ApiError::invalid(format!("field '{}': {e}", self.source)))?;
        let json = serde_json::to_string(&translated).map_err(internal)?;
        cx.input
            .set(cx.obj, self.compiled, Value::String(Some(json)));
        Ok(())
    }
}

pub static CDR_TEMPLATE: Object = Object {
    name: "cdrtemplate",
    plural: "cdrtemplates",
    table: "tp_cdrtemplates",
    pk: "tp_id",
    tenant_col: Some("tp_te_id"),
    fields: &fields("tp_name", "tp_template", "tp_compiled"),
    unique: &[&["tp_te_id", "tp_name"]],
    behavior: &TemplateBehavior {
        source: "tp_template",
        compiled: "tp_compiled",
    },
    ..Object::BASE
};

pub static GLOBAL_CDR_TEMPLATE: Object = Object {
    name: "globalcdrtemplate",
    plural: "globalcdrtemplates",
    table: "gt_cdrtemplates",
    pk: "gt_id",
    admin_only: true,
    fields: &fields("gt_name", "gt_template", "gt_compiled"),
    unique: &[&["gt_name"]],
    behavior: &TemplateBehavior {
        source: "gt_template",
        compiled: "gt_compiled",
    },
    ..Object::BASE
};

/// The columns of both tables: a name, the template text, and its translation.
const fn fields(name: &'static str, source: &'static str, compiled: &'static str) -> [Field; 3] {
    [
        req(name, Text(80)).checked(template_name),
        req(source, Text(20000)).multiline(),
        ro(compiled, OptText(100000)),
    ]
}
