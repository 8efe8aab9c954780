//! Tenants (admin only). Add may create the tenant's parking lot (`pk_start`/`pk_end`); delete
//! refuses while the tenant owns anything, unless `cascade=yes` removes it all in one transaction.

use super::engine::count;
use super::Kind::*;
use super::{
    checks, once, opt, req, ro, Behavior, Object, Op, WriteCx, TENANT_HOUSEKEEPING, TENANT_OWNED,
};
use crate::error::{internal, ApiError, ApiResult};
use async_trait::async_trait;
use sea_orm::sea_query::{Expr, ExprTrait, Query};
use sea_orm::ConnectionTrait;

pub static TENANT: Object = Object {
    name: "tenant",
    plural: "tenants",
    table: "te_tenants",
    pk: "te_id",
    tenant_col: None,
    admin_only: true,
    crud: true,
    fields: &[
        once("te_code", Text(20)).checked(tenant_code),
        req("te_name", Text(100)),
        opt("te_disabled", Flag),
        opt("te_maxchannels", Int),
        opt("te_maxextensions", Int),
        opt("te_maxdids", Int),
        ro("te_balance", Double),
        opt("te_cdr_csv_layout", OptText(4000)).checked(crate::cdr::layout::check),
        opt("te_context", OptText(80)).checked(checks::identifier),
        ro("te_created", DateTime),
    ],
    extras: &[
        opt("pk_start", Text(10)).checked(checks::digits),
        opt("pk_end", Text(10)).checked(checks::digits),
    ],
    unique: &[&["te_code"]],
    limit: None,
    target_tag: None,
    source_types: &[],
    children: &[],
    actions: &[],
    behavior: &TenantBehavior,
};

/// `[A-Z0-9_]{1,20}`: tenant codes end up in SIP user names and dialplan contexts.
pub fn tenant_code(v: &str) -> Result<(), String> {
    if !v.is_empty()
        && v.len() <= 20
        && v.chars()
            .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_')
    {
        Ok(())
    } else {
        Err("must match [A-Z0-9_]{1,20}".into())
    }
}

struct TenantBehavior;

#[async_trait]
impl Behavior for TenantBehavior {
    async fn before_write(&self, cx: &mut WriteCx<'_>) -> ApiResult<()> {
        // An update may move one end of the parking lot (the manual sends only `pk_end`): the
        // other is the stored one.
        if cx.op == Op::Update {
            let given = (cx.input.extra("pk_start"), cx.input.extra("pk_end"));
            let missing = match given {
                (Some(_), None) => Some("pk_end"),
                (None, Some(_)) => Some("pk_start"),
                _ => None,
            };
            if let Some(missing) = missing {
                let te_id = cx
                    .before
                    .as_ref()
                    .and_then(|r| r.id("te_id"))
                    .unwrap_or_default();
                let mut q = Query::select();
                q.column(missing)
                    .from("pk_parkinglots")
                    .and_where(Expr::col("pk_te_id").eq(te_id))
                    .order_by("pk_id", sea_orm::sea_query::Order::Asc)
                    .limit(1);
                let stored = match cx.txn.query_one(&q).await? {
                    Some(row) => Some(row.try_get_by_index::<String>(0).map_err(internal)?),
                    None => None,
                };
                let stored = stored.ok_or_else(|| {
                    ApiError::invalid(format!(
                        "field '{missing}' is required: tenant {te_id} has no parking lot yet \
                         ('pk_start' and 'pk_end' make one)"
                    ))
                })?;
                let field = cx
                    .obj
                    .extra(missing)
                    .ok_or_else(|| internal(format!("tenant extra {missing}")))?;
                cx.input.extras.push((field, Some(stored)));
            }
        }
        match (cx.input.extra("pk_start"), cx.input.extra("pk_end")) {
            (Some(a), Some(b)) if a.parse::<u64>().unwrap_or(0) > b.parse::<u64>().unwrap_or(0) => {
                return Err(ApiError::invalid(
                    "field 'pk_start' must not be greater than 'pk_end'",
                ))
            }
            (Some(_), None) | (None, Some(_)) => {
                return Err(ApiError::invalid(
                    "fields 'pk_start' and 'pk_end' go together",
                ))
            }
            _ => {}
        }
        if cx.op == Op::Delete {
            let id = cx
                .before
                .as_ref()
                .and_then(|r| r.id("te_id"))
                .unwrap_or_default();
            let cascade = cx.cascade;
            let mut owned = Vec::new();
            for (table, col, label) in TENANT_OWNED {
                let mut q = Query::select();
                q.expr(Expr::cust("COUNT(*)"))
                    .from(*table)
                    .and_where(Expr::col(*col).eq(id));
                let n = count(cx.txn, q).await?;
                if n > 0 {
                    owned.push(format!("{n} {label}"));
                }
            }
            if !owned.is_empty() && !cascade {
                return Err(ApiError::Conflict(format!(
                    "tenant {id} still owns {}; delete those first or pass cascade=yes",
                    owned.join(", ")
                )));
            }
            // While the rows (and the tenant's node pins) are still there.
            super::on_write::record_tenant_delete(cx.txn, id).await?;
            crate::objects::extension::drop_tenant_realtime(cx.txn, id).await?;
            // Stored files (media, voicemail, faxes) go after the commit.
            crate::files::release_tenant(cx.txn, id).await?;
            for obj in super::REGISTRY {
                obj.behavior.on_tenant_delete(cx.txn, id).await?;
            }
            for (table, col) in TENANT_OWNED
                .iter()
                .map(|(t, c, _)| (t, c))
                .chain(TENANT_HOUSEKEEPING.iter().map(|(t, c)| (t, c)))
            {
                let mut del = Query::delete();
                del.from_table(*table).and_where(Expr::col(*col).eq(id));
                cx.txn.execute(&del).await?;
            }
        }
        Ok(())
    }

    async fn after_write(&self, cx: &mut WriteCx<'_>) -> ApiResult<()> {
        let (Some(start), Some(end)) = (cx.input.extra("pk_start"), cx.input.extra("pk_end"))
        else {
            return Ok(());
        };
        let Some(te_id) = cx.after.as_ref().and_then(|r| r.id("te_id")) else {
            return Ok(());
        };
        let mut del = Query::delete();
        del.from_table("pk_parkinglots")
            .and_where(Expr::col("pk_te_id").eq(te_id));
        cx.txn.execute(&del).await?;
        let mut ins = Query::insert();
        ins.into_table("pk_parkinglots")
            .columns(["pk_te_id", "pk_name", "pk_start", "pk_end"])
            .values_panic([te_id.into(), "default".into(), start.into(), end.into()]);
        cx.txn.execute(&ins).await?;
        Ok(())
    }
}
