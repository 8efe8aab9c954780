//! The one engine behind list/get/add/update/delete for every object in the registry.
//! Every query on a tenant-owned table is built by [`select`] (or carries the same tenant
//! condition), so a handler cannot forget the tenant: it never builds an unscoped query.

use super::input::{value_text, Input};
use super::{filter, realtime, Kind, Object, Op, WriteCx};
use crate::auth::{hash_secret, Caller, TenantRef};
use crate::db::{CellType, Db};
use crate::error::{internal, ApiError, ApiResult};
use crate::output::{Cell, Output, Table};
use sea_orm::sea_query::{Expr, ExprTrait, LockType, Order, Query, SelectStatement};
use sea_orm::{ConnectionTrait, DbBackend, QueryResult, SqlErr, Value};

/// Which rows a caller may touch.
#[derive(Debug, Clone)]
pub enum Scope {
    /// An admin without `tenant=`: every tenant.
    All,
    Tenant(TenantRef),
}

impl Scope {
    pub fn tenant(&self) -> Option<&TenantRef> {
        match self {
            Scope::All => None,
            Scope::Tenant(t) => Some(t),
        }
    }
}

pub fn scope(obj: &Object, caller: &Caller) -> ApiResult<Scope> {
    if obj.admin_only {
        caller.require_admin()?;
    }
    Ok(match (&caller.tenant, obj.tenant_col) {
        (Some(t), Some(_)) => Scope::Tenant(t.clone()),
        _ => Scope::All,
    })
}

/// A row read through the registry: column names and text cells.
#[derive(Debug, Clone)]
pub struct Row {
    pub names: Vec<&'static str>,
    pub cells: Vec<Cell>,
}

impl Row {
    pub fn get(&self, name: &str) -> Option<&str> {
        self.names
            .iter()
            .position(|n| *n == name)
            .and_then(|i| self.cells[i].as_deref())
    }
    pub fn id(&self, name: &str) -> Option<i32> {
        self.get(name).and_then(|v| v.parse().ok())
    }
}

/// The columns a read returns: primary key, tenant column, then every non-secret field.
pub fn readable(obj: &Object) -> Vec<(&'static str, Kind)> {
    let mut cols = vec![(obj.pk, Kind::Int)];
    if let Some(te) = obj.tenant_col {
        cols.push((te, Kind::Int));
    }
    cols.extend(
        obj.fields
            .iter()
            .filter(|f| f.kind != Kind::Secret)
            .map(|f| (f.name, f.kind)),
    );
    cols.extend(realtime::settable(obj).map(|o| (o.field.name, o.field.kind)));
    cols
}

/// Whether a readable column is a realtime setting (read by a sub-select, so not filterable).
fn is_setting(obj: &Object, name: &str) -> bool {
    realtime::settable(obj).any(|o| o.field.name == name)
}

/// How a column of this kind is read as text.
pub fn cell_type(kind: Kind) -> CellType {
    match kind {
        Kind::Int | Kind::OptInt => CellType::Int,
        Kind::Double => CellType::Double,
        Kind::DateTime => CellType::DateTime,
        _ => CellType::Text,
    }
}

/// Read one cell of a generic query result as text, by the column's kind.
pub fn cell(row: &QueryResult, idx: usize, kind: Kind) -> ApiResult<Cell> {
    crate::db::cell(row, idx, cell_type(kind))
}

/// The scoped base query of an object.
pub fn select(obj: &Object, scope: &Scope) -> SelectStatement {
    let mut q = Query::select();
    q.from(obj.table);
    for (name, _) in readable(obj) {
        match realtime::settable(obj).find(|o| o.field.name == name) {
            None => {
                q.column(name);
            }
            // The value of the object's realtime row, if it has one.
            Some(o) => {
                let key = obj.behavior.options().map_or(obj.pk, |r| r.key);
                let mut sub = Query::select();
                sub.column((o.table, name))
                    .from(o.table)
                    .and_where(Expr::col((o.table, "id")).equals((obj.table, key)));
                q.expr_as(Expr::SubQuery(None, Box::new(sub.into())), name);
            }
        }
    }
    if let (Some(col), Scope::Tenant(t)) = (obj.tenant_col, scope) {
        q.and_where(Expr::col(col).eq(t.id));
    }
    q
}

/// Rows outside any transaction (list, get): the fast read path of [`Db::read_cells`].
pub async fn read_rows(db: &Db, obj: &Object, q: &SelectStatement) -> ApiResult<Vec<Row>> {
    let cols = readable(obj);
    let names: Vec<&'static str> = cols.iter().map(|(n, _)| *n).collect();
    let types: Vec<CellType> = cols.iter().map(|(_, k)| cell_type(*k)).collect();
    Ok(db
        .read_cells(q, &types)
        .await?
        .into_iter()
        .map(|cells| Row {
            names: names.clone(),
            cells,
        })
        .collect())
}

pub async fn fetch_rows(
    conn: &impl ConnectionTrait,
    obj: &Object,
    q: &SelectStatement,
) -> ApiResult<Vec<Row>> {
    let cols = readable(obj);
    let names: Vec<&'static str> = cols.iter().map(|(n, _)| *n).collect();
    let mut out = Vec::new();
    for r in conn.query_all(q).await? {
        let cells = cols
            .iter()
            .enumerate()
            .map(|(i, (_, k))| cell(&r, i, *k))
            .collect::<ApiResult<_>>()?;
        out.push(Row {
            names: names.clone(),
            cells,
        });
    }
    Ok(out)
}

/// One row by primary key within the scope, optionally locked for update.
pub async fn fetch(
    conn: &impl ConnectionTrait,
    obj: &Object,
    scope: &Scope,
    id: i32,
    lock: bool,
) -> ApiResult<Option<Row>> {
    let mut q = select(obj, scope);
    q.and_where(Expr::col(obj.pk).eq(id));
    if lock {
        q.lock(LockType::Update);
    }
    Ok(fetch_rows(conn, obj, &q).await?.into_iter().next())
}

fn not_found(obj: &Object, id: i32) -> ApiError {
    ApiError::NotFound(format!("no {} with id {id}", obj.name))
}

/// The column names of the rows a read answers.
pub fn columns(obj: &Object) -> Vec<String> {
    readable(obj)
        .into_iter()
        .map(|(n, _)| n.to_string())
        .collect()
}

/// Rows as MANAGEDB list answers them: keyed by the primary key.
pub fn keyed(obj: &Object, rows: Vec<Row>) -> Output {
    let mut table = Table::new(columns(obj));
    table.rows = rows.into_iter().map(|r| r.cells).collect();
    Output::Keyed { key: 0, table }
}

/// One row (or a miss) as MANAGEDB get and add answer it.
pub fn record(obj: &Object, row: Option<Row>) -> Output {
    Output::Record {
        columns: columns(obj),
        row: row.map(|r| r.cells),
    }
}

/// The rows of `obj` in the caller's scope (masked for a read-only key), narrowed by a filter expression ([`filter`]), by key.
pub async fn list(
    db: &Db,
    caller: &Caller,
    obj: &'static Object,
    filter: Option<&str>,
) -> ApiResult<Vec<Row>> {
    let scope = scope(obj, caller)?;
    let mut q = select(obj, &scope);
    if let Some(text) = filter {
        let mut cols = readable(obj);
        cols.retain(|(name, _)| !hidden_from(caller, obj, name) && !is_setting(obj, name));
        q.cond_where(filter::parse(text, &cols)?);
    }
    q.order_by(obj.pk, Order::Asc);
    let rows = read_rows(db, obj, &q).await?;
    Ok(rows
        .into_iter()
        .map(|r| masked_row(caller, obj, r))
        .collect())
}

/// One row by primary key in the scope, or a miss.
pub async fn get(
    db: &Db,
    caller: &Caller,
    obj: &'static Object,
    id: i32,
) -> ApiResult<Option<Row>> {
    let scope = scope(obj, caller)?;
    let mut q = select(obj, &scope);
    q.and_where(Expr::col(obj.pk).eq(id));
    let row = read_rows(db, obj, &q).await?.into_iter().next();
    Ok(row.map(|r| masked_row(caller, obj, r)))
}

/// A caller allowed to write an object, checked before any input is read: the scope, a
/// read/write key, and for an add of a tenant-owned object the tenant it goes to. Only
/// [`writer`] makes one.
pub struct Writer {
    scope: Scope,
    /// An admin key: may set the hosting provider's realtime settings.
    admin: bool,
    /// Add: the tenant of the new row (tenant-owned objects).
    tenant: Option<TenantRef>,
}

pub fn writer(caller: &Caller, obj: &'static Object, op: Op) -> ApiResult<Writer> {
    let scope = scope(obj, caller)?;
    let verb = match op {
        Op::Add => "add",
        Op::Update => "update",
        Op::Delete => "delete",
    };
    caller.require_write(&format!("{verb} on {}", obj.name))?;
    let tenant = match (op, obj.tenant_col, &scope) {
        (Op::Add, Some(_), Scope::Tenant(t)) => Some(t.clone()),
        (Op::Add, Some(_), Scope::All) => {
            return Err(ApiError::invalid(format!(
                "parameter 'tenant' is required to add {} with an admin key",
                obj.a()
            )))
        }
        _ => None,
    };
    Ok(Writer {
        scope,
        tenant,
        admin: caller.is_admin(),
    })
}

/// The one way a write context is made.
fn write_cx<'a>(
    txn: &'a sea_orm::DatabaseTransaction,
    obj: &'static Object,
    op: Op,
    tenant: Option<TenantRef>,
    input: Input,
    before: Option<Row>,
) -> WriteCx<'a> {
    WriteCx {
        txn,
        obj,
        op,
        cascade: false,
        tenant,
        input,
        before,
        after: None,
    }
}

/// Whether `column` of `obj` is a secret held in clear that `caller` (a read-only key) may
/// not see.
fn hidden_from(caller: &Caller, obj: &Object, column: &str) -> bool {
    caller.principal.read_only && obj.field(column).is_some_and(|f| f.masked)
}

/// A row of `obj` (in [`readable`] order) as `caller` may see it.
fn masked_row(caller: &Caller, obj: &Object, mut row: Row) -> Row {
    if !caller.principal.read_only {
        return row;
    }
    for ((name, _), cell) in readable(obj).iter().zip(row.cells.iter_mut()) {
        if hidden_from(caller, obj, name) {
            crate::output::mask(cell);
        }
    }
    row
}

/// Hash secret columns before any transaction starts (argon2 is slow; the SQLite writer slot
/// should not wait for it).
async fn hash_secrets(input: &mut Input) -> ApiResult<()> {
    for (field, value) in input.columns.iter_mut() {
        if field.kind == Kind::Secret {
            if let Value::String(Some(plain)) = value {
                let plain = std::mem::take(plain);
                let hashed = tokio::task::spawn_blocking(move || hash_secret(&plain))
                    .await
                    .map_err(internal)??;
                *value = Value::String(Some(hashed));
            }
        }
    }
    Ok(())
}

/// Add a row ([`Input`] parsed for [`Op::Add`]); answers the stored row.
pub async fn add(db: &Db, w: &Writer, obj: &'static Object, mut input: Input) -> ApiResult<Row> {
    let tenant = w.tenant.clone();
    realtime::check_access(obj, &input, w.admin)?;
    hash_secrets(&mut input).await?;
    for field in obj.fields.iter().filter(|f| f.kind == Kind::DateTime) {
        input.set(
            obj,
            field.name,
            Value::ChronoDateTime(Some(chrono::Utc::now().naive_utc())),
        );
    }

    let txn = db.begin_write().await?;
    if let (Some(limit), Some(t)) = (obj.limit, &tenant) {
        check_limit(&*txn, obj, limit, t).await?;
    }
    let mut cx = write_cx(&txn, obj, Op::Add, tenant, input, None);
    obj.behavior.before_write(&mut cx).await?;
    check_unique(&*txn, &cx, None).await?;
    check_references(&*txn, &cx).await?;

    let mut names: Vec<&'static str> = cx.input.columns.iter().map(|(f, _)| f.name).collect();
    let mut values: Vec<Value> = cx.input.columns.iter().map(|(_, v)| v.clone()).collect();
    if let (Some(col), Some(t)) = (obj.tenant_col, &cx.tenant) {
        names.push(col);
        values.push(Value::Int(Some(t.id)));
    }
    let mut ins = Query::insert();
    ins.into_table(obj.table)
        .columns(names)
        .values(values.into_iter().map(Expr::val))
        .map_err(internal)?;
    let inserted = match db.backend() {
        DbBackend::Postgres => {
            ins.returning_col(obj.pk);
            match txn.query_one(&ins).await {
                Ok(Some(row)) => row.try_get_by_index::<i32>(0),
                Ok(None) => Err(sea_orm::DbErr::RecordNotInserted),
                Err(e) => Err(e),
            }
        }
        _ => txn.execute(&ins).await.map(|r| r.last_insert_id() as i32),
    };
    let id = match inserted {
        Ok(id) => id,
        Err(e) => {
            let conflict = matches!(e.sql_err(), Some(SqlErr::UniqueConstraintViolation(_)));
            let input = cx.input.clone();
            let tenant = cx.tenant.clone();
            drop(cx);
            drop(txn);
            return Err(if conflict {
                unique_conflict(db, obj, tenant, input).await
            } else {
                e.into()
            });
        }
    };
    cx.after = fetch(&*txn, obj, &Scope::All, id, false).await?;
    obj.behavior.after_write(&mut cx).await?;
    refetch_settings(&mut cx, id).await?;
    super::on_write::record(&cx).await?;
    let row = cx.after.take();
    drop(cx);
    txn.commit().await?;
    row.ok_or_else(|| internal(format!("{} {id} not found after its insert", obj.name)))
}

/// A unique index refused a write that raced past the pre-check: explain it the same way.
async fn unique_conflict(
    db: &Db,
    obj: &'static Object,
    tenant: Option<TenantRef>,
    input: Input,
) -> ApiError {
    let Ok(txn) = db.begin_write().await else {
        return ApiError::Conflict(format!(
            "{} with the same unique values already exists",
            obj.a()
        ));
    };
    let cx = write_cx(&txn, obj, Op::Add, tenant, input, None);
    match check_unique(&*txn, &cx, None).await {
        Err(e) => e,
        Ok(()) => ApiError::Conflict(format!(
            "{} with the same unique values already exists",
            obj.a()
        )),
    }
}

/// Update row `id` ([`Input`] parsed for [`Op::Update`]); answers the statement echo clients
/// read the id from.
pub async fn update(
    db: &Db,
    w: &Writer,
    obj: &'static Object,
    id: i32,
    mut input: Input,
) -> ApiResult<String> {
    if input.columns.is_empty() && input.extras.is_empty() {
        return Err(ApiError::invalid(
            "jsondata must name at least one field to update",
        ));
    }
    realtime::check_access(obj, &input, w.admin)?;
    hash_secrets(&mut input).await?;

    let txn = db.begin_write().await?;
    let before = fetch(&*txn, obj, &w.scope, id, true)
        .await?
        .ok_or_else(|| not_found(obj, id))?;
    let tenant = owner(&*txn, obj, &before).await?;
    let mut cx = write_cx(&txn, obj, Op::Update, tenant, input, Some(before));
    obj.behavior.before_write(&mut cx).await?;
    check_unique(&*txn, &cx, Some(id)).await?;
    check_references(&*txn, &cx).await?;
    if !cx.input.columns.is_empty() {
        let mut upd = Query::update();
        upd.table(obj.table)
            .values(
                cx.input
                    .columns
                    .iter()
                    .map(|(f, v)| (f.name, Expr::val(v.clone()))),
            )
            .and_where(Expr::col(obj.pk).eq(id));
        if let Err(e) = txn.execute(&upd).await {
            if matches!(e.sql_err(), Some(SqlErr::UniqueConstraintViolation(_))) {
                return Err(ApiError::Conflict(format!(
                    "another {} already has these unique values",
                    obj.name
                )));
            }
            return Err(e.into());
        }
    }
    cx.after = fetch(&*txn, obj, &Scope::All, id, false).await?;
    obj.behavior.after_write(&mut cx).await?;
    refetch_settings(&mut cx, id).await?;
    super::on_write::record(&cx).await?;
    let echo = echo_update(obj, &cx.input, cx.tenant.as_ref(), id);
    drop(cx);
    txn.commit().await?;
    Ok(echo)
}

/// The row after the write hook wrote its realtime rows, so that it shows their settings.
async fn refetch_settings(cx: &mut WriteCx<'_>, id: i32) -> ApiResult<()> {
    if cx.obj.behavior.options().is_some() {
        cx.after = fetch(cx.txn, cx.obj, &Scope::All, id, false).await?;
    }
    Ok(())
}

/// Delete row `id` (with `cascade`, what belongs to it too where the object allows it);
/// answers the statement echo.
pub async fn delete(
    db: &Db,
    w: &Writer,
    obj: &'static Object,
    id: i32,
    cascade: bool,
) -> ApiResult<String> {
    let txn = db.begin_write().await?;
    let before = fetch(&*txn, obj, &w.scope, id, true)
        .await?
        .ok_or_else(|| not_found(obj, id))?;
    refuse_if_referenced(&*txn, obj, id).await?;
    let tenant = owner(&*txn, obj, &before).await?;
    let mut cx = write_cx(
        &txn,
        obj,
        Op::Delete,
        tenant,
        Input::default(),
        Some(before),
    );
    cx.cascade = cascade;
    obj.behavior.before_write(&mut cx).await?;
    if !obj.source_types.is_empty() {
        let mut del = Query::delete();
        del.from_table("de_destinations")
            .and_where(Expr::col("de_type_src").is_in(obj.source_types.iter().copied()))
            .and_where(Expr::col("de_type_id_src").eq(id));
        txn.execute(&del).await?;
    }
    for (table, col) in obj.children {
        let mut del = Query::delete();
        del.from_table(*table).and_where(Expr::col(*col).eq(id));
        txn.execute(&del).await?;
    }
    let mut del = Query::delete();
    del.from_table(obj.table)
        .and_where(Expr::col(obj.pk).eq(id));
    txn.execute(&del).await?;
    obj.behavior.after_write(&mut cx).await?;
    super::on_write::record(&cx).await?;
    drop(cx);
    txn.commit().await?;
    Ok(format!("delete from {} where {}='{id}'", obj.table, obj.pk))
}

/// The tenant owning a row (for hooks of admin writes made without `tenant=`).
async fn owner(
    conn: &impl ConnectionTrait,
    obj: &Object,
    row: &Row,
) -> ApiResult<Option<TenantRef>> {
    let Some(te_id) = obj.tenant_col.and_then(|c| row.id(c)) else {
        return Ok(None);
    };
    tenant_by_id(conn, te_id).await
}

pub async fn tenant_by_id(conn: &impl ConnectionTrait, te_id: i32) -> ApiResult<Option<TenantRef>> {
    let mut q = Query::select();
    q.column("te_code")
        .from("te_tenants")
        .and_where(Expr::col("te_id").eq(te_id));
    Ok(match conn.query_one(&q).await? {
        Some(r) => Some(TenantRef {
            id: te_id,
            code: r.try_get_by_index::<String>(0).map_err(internal)?,
        }),
        None => None,
    })
}

use super::integrity::{check_limit, check_references, check_unique, refuse_if_referenced};
pub use crate::db::count;

/// `update <table> set a='x', b='y' where [<tenant col>='T' and ]<pk>='N'`, secrets masked,
/// real columns only.
/// A client extracts the id with `update di_dids set .+ where .+di_id='(\d+)'`, which needs
/// something between `where ` and the key: the tenant condition of a tenant-owned row.
fn echo_update(obj: &Object, input: &Input, tenant: Option<&TenantRef>, id: i32) -> String {
    let quote = |s: &str| s.replace('\'', "''");
    let mut sets: Vec<String> = input
        .columns
        .iter()
        .map(|(f, v)| match f.kind {
            Kind::Secret => format!("{}='********'", f.name),
            _ => format!("{}='{}'", f.name, quote(&value_text(v))),
        })
        .collect();
    // Only the table's own columns: extras are aliases (already among the columns) or go to
    // other tables (device secrets, parking lots). When only those changed, the echo sets the
    // key to itself, which keeps the statement shape clients parse (`set .+ where`).
    if sets.is_empty() {
        sets.push(format!("{}='{id}'", obj.pk));
    }
    let owner = match (obj.tenant_col, tenant) {
        (Some(col), Some(t)) => format!("{col}='{}' and ", t.id),
        _ => String::new(),
    };
    format!(
        "update {} set {} where {owner}{}='{id}'",
        obj.table,
        sets.join(", "),
        obj.pk
    )
}
