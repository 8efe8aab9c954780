//! Web users (admin only): argon2 password, and the tenants each user may manage.

use super::engine::{count, fetch, Scope};
use super::Kind::*;
use super::{checks, opt, read_action, req, ro, write_action, ActionCx, Behavior, Object};
use crate::error::{internal, ApiError, ApiResult};
use crate::output::{Output, Table};
use async_trait::async_trait;
use sea_orm::sea_query::{Expr, ExprTrait, Order, Query};
use sea_orm::{ConnectionTrait, SqlErr};

pub static USER: Object = Object {
    name: "user",
    plural: "users",
    table: "us_users",
    pk: "us_id",
    tenant_col: None,
    admin_only: true,
    crud: true,
    fields: &[
        req("us_username", Text(80)).checked(checks::identifier),
        req("us_password", Secret),
        opt("us_name", Text(100)),
        opt("us_email", Text(255)).checked(checks::email_or_empty),
        opt("us_up_id", OptInt),
        ro("us_created", DateTime),
    ],
    extras: &[],
    unique: &[&["us_username"]],
    limit: None,
    target_tag: None,
    source_types: &[],
    children: &[("ut_usertenants", "ut_us_id")],
    actions: &[
        read_action("listtenants"),
        write_action("addtenant"),
        write_action("deltenant"),
    ],
    behavior: &UserBehavior,
};

struct UserBehavior;

#[async_trait]
impl Behavior for UserBehavior {
    async fn action(&self, cx: &ActionCx<'_>, name: &str) -> ApiResult<Output> {
        let user = cx.args.required_id("objectid")?;
        if fetch(&cx.db.conn, &USER, &Scope::All, user, false)
            .await?
            .is_none()
        {
            return Err(ApiError::NotFound(format!("no user with id {user}")));
        }
        match name {
            "listtenants" => {
                let mut q = Query::select();
                q.columns(["te_id", "te_code", "te_name"])
                    .from("ut_usertenants")
                    .inner_join(
                        "te_tenants",
                        Expr::col(("te_tenants", "te_id")).equals(("ut_usertenants", "ut_te_id")),
                    )
                    .and_where(Expr::col("ut_us_id").eq(user))
                    .order_by("te_id", Order::Asc);
                let mut table =
                    Table::new(vec!["te_id".into(), "te_code".into(), "te_name".into()]);
                for r in cx.db.conn.query_all(&q).await? {
                    let id: i32 = r.try_get_by_index(0).map_err(internal)?;
                    let code: String = r.try_get_by_index(1).map_err(internal)?;
                    let tname: String = r.try_get_by_index(2).map_err(internal)?;
                    table
                        .rows
                        .push(vec![Some(id.to_string()), Some(code), Some(tname)]);
                }
                Ok(Output::Table(table))
            }
            "addtenant" | "deltenant" => {
                let tenant = cx.args.required_id("tenantid")?;
                let mut q = Query::select();
                q.expr(Expr::cust("COUNT(*)"))
                    .from("te_tenants")
                    .and_where(Expr::col("te_id").eq(tenant));
                if count(&cx.db.conn, q).await? == 0 {
                    return Err(ApiError::NotFound(format!(
                        "parameter 'tenantid': no tenant with id {tenant}"
                    )));
                }
                let txn = cx.db.begin_write().await?;
                if name == "addtenant" {
                    let mut ins = Query::insert();
                    ins.into_table("ut_usertenants")
                        .columns(["ut_us_id", "ut_te_id"])
                        .values_panic([user.into(), tenant.into()]);
                    if let Err(e) = txn.execute(&ins).await {
                        return Err(match e.sql_err() {
                            Some(SqlErr::UniqueConstraintViolation(_)) => ApiError::Conflict(
                                format!("user {user} already has tenant {tenant}"),
                            ),
                            _ => e.into(),
                        });
                    }
                } else {
                    let mut del = Query::delete();
                    del.from_table("ut_usertenants")
                        .and_where(Expr::col("ut_us_id").eq(user))
                        .and_where(Expr::col("ut_te_id").eq(tenant));
                    txn.execute(&del).await?;
                }
                txn.commit().await?;
                Ok(Output::Text("OK".into()))
            }
            other => Err(ApiError::invalid(format!(
                "unknown action '{other}' for object user"
            ))),
        }
    }
}
