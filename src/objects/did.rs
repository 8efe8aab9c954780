//! DIDs: one number, one owner across all tenants, capped by `te_maxdids`. The digits of
//! country, area and number joined (`di_fullnumber`, unique index) name the number, so
//! `39`/`06`/`12345` and `390612345` cannot belong to two tenants.

use super::Kind::*;
use super::{checks, opt, req, Behavior, Object, WriteCx};
use crate::error::{ApiError, ApiResult};
use async_trait::async_trait;
use sea_orm::sea_query::{Expr, ExprTrait, Query};
use sea_orm::{ConnectionTrait, SqlErr};

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
    behavior: &DidBehavior,
};

struct DidBehavior;

/// The refusal when the joined number is taken (by any tenant: which one is not said).
fn taken(full: &str) -> ApiError {
    ApiError::Conflict(format!(
        "did number '{full}' (di_country, di_area and di_number joined) already exists"
    ))
}

#[async_trait]
impl Behavior for DidBehavior {
    /// Store the joined number of the written row; another row holding it is refused (checked
    /// first for the message, and by the unique index against a concurrent write).
    async fn after_write(&self, cx: &mut WriteCx<'_>) -> ApiResult<()> {
        let Some(after) = &cx.after else {
            return Ok(());
        };
        let Some(id) = after.id("di_id") else {
            return Ok(());
        };
        let full: String = ["di_country", "di_area", "di_number"]
            .iter()
            .map(|c| after.get(c).unwrap_or_default())
            .collect();
        let mut q = Query::select();
        q.expr(Expr::cust("COUNT(*)"))
            .from("di_dids")
            .and_where(Expr::col("di_fullnumber").eq(full.as_str()))
            .and_where(Expr::col("di_id").ne(id));
        if super::engine::count(cx.txn, q).await? > 0 {
            return Err(taken(&full));
        }
        let mut upd = Query::update();
        upd.table("di_dids")
            .value("di_fullnumber", full.as_str())
            .and_where(Expr::col("di_id").eq(id));
        match cx.txn.execute(&upd).await {
            Ok(_) => Ok(()),
            Err(e) if matches!(e.sql_err(), Some(SqlErr::UniqueConstraintViolation(_))) => {
                Err(taken(&full))
            }
            Err(e) => Err(e.into()),
        }
    }
}
