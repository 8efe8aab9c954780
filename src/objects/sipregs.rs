//! SIP registrations (read only): what the chan_sip realtime rows of a tenant's extensions
//! say about where each device registered from.

use super::{read_action, ActionCx, Behavior, Object};
use crate::error::{internal, ApiResult};
use crate::output::{Output, Table};
use async_trait::async_trait;
use sea_orm::sea_query::{Expr, ExprTrait, Order, Query};
use sea_orm::ConnectionTrait;

pub static SIPREGS: Object = Object {
    name: "sipregs",
    plural: "sipreg",
    table: "sippeers",
    pk: "id",
    tenant_col: None,
    admin_only: false,
    crud: false,
    fields: &[],
    extras: &[],
    unique: &[],
    limit: None,
    target_tag: None,
    source_types: &[],
    children: &[],
    actions: &[read_action("list")],
    behavior: &SipregsBehavior,
};

const TEXT: [&str; 5] = ["name", "ipaddr", "fullcontact", "useragent", "regserver"];
const INTS: [&str; 3] = ["port", "regseconds", "lastms"];

struct SipregsBehavior;

#[async_trait]
impl Behavior for SipregsBehavior {
    async fn action(&self, cx: &ActionCx<'_>, _name: &str) -> ApiResult<Output> {
        let mut q = Query::select();
        q.column(("ex_extensions", "ex_te_id"))
            .columns(TEXT.map(|c| ("sippeers", c)))
            .columns(INTS.map(|c| ("sippeers", c)))
            .from("sippeers")
            .inner_join(
                "ex_extensions",
                Expr::col(("ex_extensions", "ex_username")).equals(("sippeers", "name")),
            )
            .order_by(("sippeers", "name"), Order::Asc);
        if let Some(t) = &cx.caller.tenant {
            q.and_where(Expr::col(("ex_extensions", "ex_te_id")).eq(t.id));
        }
        let mut columns = vec!["te_id".to_string()];
        columns.extend(TEXT.iter().chain(INTS.iter()).map(|c| c.to_string()));
        let mut table = Table::new(columns);
        for r in cx.db.conn.query_all(&q).await? {
            let mut cells = vec![Some(
                r.try_get_by_index::<i32>(0).map_err(internal)?.to_string(),
            )];
            for i in 1..=TEXT.len() {
                cells.push(r.try_get_by_index::<Option<String>>(i).map_err(internal)?);
            }
            for i in TEXT.len() + 1..=TEXT.len() + INTS.len() {
                cells.push(
                    r.try_get_by_index::<Option<i32>>(i)
                        .map_err(internal)?
                        .map(|v| v.to_string()),
                );
            }
            table.rows.push(cells);
        }
        Ok(Output::Table(table))
    }
}
