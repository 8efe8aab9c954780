//! `reqtype=USERGROUP` (admin keys): the groups of web users (`up_userprofiles`) and who is in
//! which (`us_users.us_up_id`). Web users are managed by admins (MANAGEDB `user`), so their
//! groups are too: a tenant key could otherwise move a user into a more powerful group.
//!
//! `action=list` (default: every group with its user count) | `add` (`name`) | `delete`
//! (`group`; refused while users are in it) | `members` (`group`) | `get` (`user`: that user's
//! group) | `set` (`user`, `group`; an empty `group` takes the user out of any group).
//! A group is named by id or by name, a user by id or by username.

use crate::db::{CellType, Db};
use crate::error::{internal, ApiError, ApiResult};
use crate::output::{Output, Table};
use crate::proxyapi::params::Params;
use crate::proxyapi::AppState;
use sea_orm::sea_query::{Expr, ExprTrait, Func, JoinType, Order, Query, SimpleExpr};
use sea_orm::ConnectionTrait;

/// Admin only (the reqtype table refuses other keys).
pub async fn usergroup(state: &AppState, params: &Params) -> ApiResult<Output> {
    let db = &state.db;
    let action = params.word("action").unwrap_or_else(|| "list".into());
    match action.as_str() {
        "list" => {
            let mut q = Query::select();
            q.columns(["up_id", "up_name"])
                .expr(Func::count(Expr::col("us_id")))
                .from("up_userprofiles")
                .join(
                    JoinType::LeftJoin,
                    "us_users",
                    Expr::col("us_up_id").equals("up_id"),
                )
                .group_by_columns(["up_id", "up_name"])
                .order_by("up_name", Order::Asc);
            let mut table = Table::new(vec!["up_id".into(), "up_name".into(), "users".into()]);
            for row in db.conn.query_all(&q).await? {
                // COUNT is a 64-bit integer on PostgreSQL and MySQL.
                let users: i64 = row.try_get_by_index(2).map_err(internal)?;
                table.rows.push(vec![
                    crate::db::cell(&row, 0, CellType::Int)?,
                    crate::db::cell(&row, 1, CellType::Text)?,
                    Some(users.to_string()),
                ]);
            }
            Ok(Output::Table(table))
        }
        "add" => {
            let name = group_name(params.required("name")?)?;
            let txn = db.begin_write().await?;
            if find_group(&*txn, name).await?.is_some() {
                return Err(ApiError::Conflict(format!(
                    "parameter 'name': group '{name}' already exists"
                )));
            }
            let mut ins = Query::insert();
            ins.into_table("up_userprofiles")
                .columns(["up_name"])
                .values_panic([name.into()]);
            txn.execute(&ins).await?;
            txn.commit().await?;
            group_record(db, name).await
        }
        "delete" => {
            let txn = db.begin_write().await?;
            let (id, name) = required_group(&*txn, params).await?;
            let mut q = Query::select();
            q.expr(Expr::cust("COUNT(*)"))
                .from("us_users")
                .and_where(Expr::col("us_up_id").eq(id));
            let users = crate::db::count(&*txn, q).await?;
            if users > 0 {
                return Err(ApiError::Conflict(format!(
                    "group '{name}' still has {users} user(s); move them to another group first"
                )));
            }
            let mut del = Query::delete();
            del.from_table("up_userprofiles")
                .and_where(Expr::col("up_id").eq(id));
            txn.execute(&del).await?;
            txn.commit().await?;
            Ok(Output::Text("OK".into()))
        }
        "members" => {
            let (id, _) = required_group(&db.conn, params).await?;
            let mut q = Query::select();
            q.columns(["us_id", "us_username", "us_name"])
                .from("us_users")
                .and_where(Expr::col("us_up_id").eq(id))
                .order_by("us_username", Order::Asc);
            let mut table =
                Table::new(vec!["us_id".into(), "us_username".into(), "us_name".into()]);
            table.rows = db
                .read_cells(&q, &[CellType::Int, CellType::Text, CellType::Text])
                .await?;
            Ok(Output::Table(table))
        }
        "get" => {
            let user = find_user(&db.conn, params).await?;
            user_group(db, user).await
        }
        "set" => {
            let txn = db.begin_write().await?;
            let user = find_user(&*txn, params).await?;
            let group: Option<i32> = match params.get("group") {
                None => None,
                Some(_) => Some(required_group(&*txn, params).await?.0),
            };
            let mut up = Query::update();
            up.table("us_users")
                .value("us_up_id", group)
                .and_where(Expr::col("us_id").eq(user));
            txn.execute(&up).await?;
            txn.commit().await?;
            user_group(db, user).await
        }
        other => Err(ApiError::invalid(format!(
            "parameter 'action': '{other}' is not one of list, add, delete, members, get, set"
        ))),
    }
}

fn group_name(v: &str) -> ApiResult<&str> {
    let v = v.trim();
    // All digits would read as an id.
    if v.is_empty()
        || crate::text::check_line(v, 80).is_err()
        || v.bytes().all(|b| b.is_ascii_digit())
    {
        return Err(ApiError::invalid(
            "parameter 'name' must be 1 to 80 characters without control characters, not only digits",
        ));
    }
    Ok(v)
}

/// `given` as an id if it is all digits, else as a name (compared case-insensitively).
fn by_id_or_name(id_col: &'static str, name_col: &'static str, given: &str) -> SimpleExpr {
    match given.parse::<i32>() {
        Ok(id) => Expr::col(id_col).eq(id),
        Err(_) => Func::lower(Expr::col(name_col)).eq(given.to_lowercase()),
    }
}

async fn find_group(conn: &impl ConnectionTrait, given: &str) -> ApiResult<Option<(i32, String)>> {
    let mut q = Query::select();
    q.columns(["up_id", "up_name"])
        .from("up_userprofiles")
        .and_where(by_id_or_name("up_id", "up_name", given.trim()));
    match conn.query_one(&q).await? {
        None => Ok(None),
        Some(row) => Ok(Some((
            row.try_get_by_index(0).map_err(internal)?,
            row.try_get_by_index(1).map_err(internal)?,
        ))),
    }
}

async fn required_group(conn: &impl ConnectionTrait, params: &Params) -> ApiResult<(i32, String)> {
    let given = params.required("group")?;
    find_group(conn, given).await?.ok_or_else(|| {
        ApiError::NotFound(format!(
            "parameter 'group': no group '{}'",
            given.trim().escape_debug()
        ))
    })
}

async fn find_user(conn: &impl ConnectionTrait, params: &Params) -> ApiResult<i32> {
    let given = params.required("user")?.trim();
    let mut q = Query::select();
    q.column("us_id")
        .from("us_users")
        .and_where(by_id_or_name("us_id", "us_username", given));
    let row = conn.query_one(&q).await?.ok_or_else(|| {
        ApiError::NotFound(format!(
            "parameter 'user': no user '{}'",
            given.escape_debug()
        ))
    })?;
    row.try_get_by_index(0).map_err(internal)
}

async fn group_record(db: &Db, name: &str) -> ApiResult<Output> {
    let mut q = Query::select();
    q.columns(["up_id", "up_name"])
        .from("up_userprofiles")
        .and_where(Expr::col("up_name").eq(name));
    Ok(Output::Record {
        columns: vec!["up_id".into(), "up_name".into()],
        row: db
            .read_cells(&q, &[CellType::Int, CellType::Text])
            .await?
            .into_iter()
            .next(),
    })
}

/// The user with its group (`up_id`, `up_name` NULL when in none).
async fn user_group(db: &Db, user: i32) -> ApiResult<Output> {
    let mut q = Query::select();
    q.columns(["us_id", "us_username", "up_id", "up_name"])
        .from("us_users")
        .join(
            JoinType::LeftJoin,
            "up_userprofiles",
            Expr::col("up_id").equals("us_up_id"),
        )
        .and_where(Expr::col("us_id").eq(user));
    Ok(Output::Record {
        columns: ["us_id", "us_username", "up_id", "up_name"]
            .map(String::from)
            .to_vec(),
        row: db
            .read_cells(
                &q,
                &[CellType::Int, CellType::Text, CellType::Int, CellType::Text],
            )
            .await?
            .into_iter()
            .next(),
    })
}
