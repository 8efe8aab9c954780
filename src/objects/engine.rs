//! The one engine behind list/get/add/update/delete for every object in the registry.
//! Every query on a tenant-owned table is built by [`select`] (or carries the same tenant
//! condition), so a handler cannot forget the tenant: it never builds an unscoped query.

use super::input::{self, value_text, Input};
use super::{filter, Kind, Object, Op, WriteCx};
use crate::auth::{hash_secret, Caller, TenantRef};
use crate::db::{CellType, Db};
use crate::error::{internal, ApiError, ApiResult};
use crate::proxyapi::params::Params;
use crate::render::{Cell, Output};
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
    cols
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
        q.column(name);
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

fn columns(obj: &Object) -> Vec<String> {
    readable(obj)
        .into_iter()
        .map(|(n, _)| n.to_string())
        .collect()
}

pub async fn list(
    db: &Db,
    caller: &Caller,
    obj: &'static Object,
    params: &Params,
) -> ApiResult<Output> {
    let scope = scope(obj, caller)?;
    let mut q = select(obj, &scope);
    if let Some(text) = params.get("filter") {
        let mut cols = readable(obj);
        cols.retain(|(name, _)| !hidden_from(caller, obj, name));
        q.cond_where(filter::parse(text, &cols)?);
    }
    q.order_by(obj.pk, Order::Asc);
    let rows = read_rows(db, obj, &q).await?;
    let mut table = crate::render::Table::new(columns(obj));
    table.rows = rows
        .into_iter()
        .map(|r| masked_for(caller, obj, r.cells))
        .collect();
    Ok(Output::Keyed { key: 0, table })
}

pub async fn get(
    db: &Db,
    caller: &Caller,
    obj: &'static Object,
    params: &Params,
) -> ApiResult<Output> {
    let scope = scope(obj, caller)?;
    let id = params.required_id("objectid")?;
    let mut q = select(obj, &scope);
    q.and_where(Expr::col(obj.pk).eq(id));
    let row = read_rows(db, obj, &q).await?.into_iter().next();
    Ok(Output::Record {
        columns: columns(obj),
        row: row.map(|r| masked_for(caller, obj, r.cells)),
    })
}

/// Whether `column` of `obj` is a secret held in clear that `caller` (a read-only key) may
/// not see.
fn hidden_from(caller: &Caller, obj: &Object, column: &str) -> bool {
    caller.principal.read_only && obj.field(column).is_some_and(|f| f.masked)
}

/// The cells of a row of `obj` (in [`readable`] order) as `caller` may see them.
fn masked_for(caller: &Caller, obj: &Object, mut cells: Vec<Cell>) -> Vec<Cell> {
    if !caller.principal.read_only {
        return cells;
    }
    for ((name, _), cell) in readable(obj).iter().zip(cells.iter_mut()) {
        if hidden_from(caller, obj, name) {
            crate::render::mask(cell);
        }
    }
    cells
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

pub async fn add(
    db: &Db,
    caller: &Caller,
    obj: &'static Object,
    params: &Params,
) -> ApiResult<Output> {
    let scope = scope(obj, caller)?;
    caller.require_write(&format!("add on {}", obj.name))?;
    let tenant = match (obj.tenant_col, &scope) {
        (Some(_), Scope::Tenant(t)) => Some(t.clone()),
        (Some(_), Scope::All) => {
            return Err(ApiError::invalid(format!(
                "parameter 'tenant' is required to add {} with an admin key",
                obj.a()
            )))
        }
        (None, _) => None,
    };
    let mut input = input::parse(obj, Op::Add, params.get("jsondata"))?;
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
    let mut cx = WriteCx {
        txn: &txn,
        obj,
        op: Op::Add,
        params,
        tenant,
        input,
        before: None,
        after: None,
    };
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
                unique_conflict(db, obj, params, tenant, input).await
            } else {
                e.into()
            });
        }
    };
    cx.after = fetch(&*txn, obj, &Scope::All, id, false).await?;
    obj.behavior.after_write(&mut cx).await?;
    crate::cluster::outbox::on_write(&cx).await?;
    let row = cx.after.take();
    drop(cx);
    txn.commit().await?;
    Ok(Output::Record {
        columns: columns(obj),
        row: row.map(|r| r.cells),
    })
}

/// A unique index refused a write that raced past the pre-check: explain it the same way.
async fn unique_conflict(
    db: &Db,
    obj: &'static Object,
    params: &Params,
    tenant: Option<TenantRef>,
    input: Input,
) -> ApiError {
    let Ok(txn) = db.begin_write().await else {
        return ApiError::Conflict(format!(
            "{} with the same unique values already exists",
            obj.a()
        ));
    };
    let cx = WriteCx {
        txn: &txn,
        obj,
        op: Op::Add,
        params,
        tenant,
        input,
        before: None,
        after: None,
    };
    match check_unique(&*txn, &cx, None).await {
        Err(e) => e,
        Ok(()) => ApiError::Conflict(format!(
            "{} with the same unique values already exists",
            obj.a()
        )),
    }
}

pub async fn update(
    db: &Db,
    caller: &Caller,
    obj: &'static Object,
    params: &Params,
) -> ApiResult<Output> {
    let scope = scope(obj, caller)?;
    caller.require_write(&format!("update on {}", obj.name))?;
    let id = params.required_id("objectid")?;
    let mut input = input::parse(obj, Op::Update, params.get("jsondata"))?;
    if input.columns.is_empty() && input.extras.is_empty() {
        return Err(ApiError::invalid(
            "jsondata must name at least one field to update",
        ));
    }
    hash_secrets(&mut input).await?;

    let txn = db.begin_write().await?;
    let before = fetch(&*txn, obj, &scope, id, true)
        .await?
        .ok_or_else(|| not_found(obj, id))?;
    let tenant = owner(&*txn, obj, &before).await?;
    let mut cx = WriteCx {
        txn: &txn,
        obj,
        op: Op::Update,
        params,
        tenant,
        input,
        before: Some(before),
        after: None,
    };
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
    crate::cluster::outbox::on_write(&cx).await?;
    let echo = echo_update(obj, &cx.input, cx.tenant.as_ref(), id);
    drop(cx);
    txn.commit().await?;
    Ok(Output::Text(echo))
}

pub async fn delete(
    db: &Db,
    caller: &Caller,
    obj: &'static Object,
    params: &Params,
) -> ApiResult<Output> {
    let scope = scope(obj, caller)?;
    caller.require_write(&format!("delete on {}", obj.name))?;
    let id = params.required_id("objectid")?;
    let txn = db.begin_write().await?;
    let before = fetch(&*txn, obj, &scope, id, true)
        .await?
        .ok_or_else(|| not_found(obj, id))?;
    refuse_if_referenced(&*txn, obj, id).await?;
    let tenant = owner(&*txn, obj, &before).await?;
    let mut cx = WriteCx {
        txn: &txn,
        obj,
        op: Op::Delete,
        params,
        tenant,
        input: Input::default(),
        before: Some(before),
        after: None,
    };
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
    crate::cluster::outbox::on_write(&cx).await?;
    drop(cx);
    txn.commit().await?;
    Ok(Output::Text(format!(
        "delete from {} where {}='{id}'",
        obj.table, obj.pk
    )))
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

pub async fn count(conn: &impl ConnectionTrait, q: SelectStatement) -> ApiResult<i64> {
    let row = conn
        .query_one(&q)
        .await?
        .ok_or_else(|| internal("count returned no row"))?;
    row.try_get_by_index::<i64>(0).map_err(internal)
}

fn count_query(table: &'static str) -> SelectStatement {
    let mut q = Query::select();
    q.expr(Expr::cust("COUNT(*)")).from(table);
    q
}

/// Refuse an add beyond the tenant's cap. The tenant row is locked first, so concurrent adds
/// for one tenant queue behind each other on servers with row locks (SQLite has one writer).
async fn check_limit(
    conn: &impl ConnectionTrait,
    obj: &Object,
    limit_col: &'static str,
    t: &TenantRef,
) -> ApiResult<()> {
    let mut q = Query::select();
    q.column(limit_col)
        .from("te_tenants")
        .and_where(Expr::col("te_id").eq(t.id))
        .lock(LockType::Update);
    let max = match conn.query_one(&q).await? {
        Some(r) => r.try_get_by_index::<i32>(0).map_err(internal)?,
        None => return Err(ApiError::WrongTenant),
    };
    if max <= 0 {
        return Ok(());
    }
    let mut c = count_query(obj.table);
    c.and_where(Expr::col(obj.tenant_col.unwrap_or(obj.pk)).eq(t.id));
    if count(conn, c).await? >= i64::from(max) {
        return Err(ApiError::Conflict(format!(
            "tenant {} has reached its limit of {max} {}s ({limit_col})",
            t.code, obj.name
        )));
    }
    Ok(())
}

/// Duplicate check with a message naming the fields, before the unique index has to refuse.
async fn check_unique(
    conn: &impl ConnectionTrait,
    cx: &WriteCx<'_>,
    exclude: Option<i32>,
) -> ApiResult<()> {
    let obj = cx.obj;
    for set in obj.unique {
        let touched = set.iter().any(|c| cx.input.has(c));
        if !touched {
            continue;
        }
        let mut q = count_query(obj.table);
        let mut shown = Vec::new();
        let mut scoped = false;
        for col in set.iter().copied() {
            if Some(col) == obj.tenant_col {
                let Some(t) = &cx.tenant else { continue };
                q.and_where(Expr::col(col).eq(t.id));
                scoped = true;
                continue;
            }
            let value = match cx.input.columns.iter().find(|(f, _)| f.name == col) {
                Some((_, v)) => value_text(v),
                None => cx
                    .before
                    .as_ref()
                    .and_then(|r| r.get(col))
                    .unwrap_or("")
                    .to_string(),
            };
            q.and_where(Expr::col(col).eq(value.clone()));
            shown.push((col, value));
        }
        if let Some(id) = exclude {
            q.and_where(Expr::col(obj.pk).ne(id));
        }
        if count(conn, q).await? > 0 {
            let cols: Vec<&str> = shown.iter().map(|(c, _)| *c).collect();
            let vals: Vec<String> = shown.iter().map(|(_, v)| format!("'{v}'")).collect();
            return Err(ApiError::Conflict(match (&cx.tenant, scoped) {
                (Some(t), true) => format!(
                    "{} {} already exists in tenant {}",
                    cols.join("/"),
                    vals.join("/"),
                    t.code
                ),
                // A tenant's row, unique across tenants: the holder may be another tenant,
                // whose values (parts of them come from the stored row) are not repeated.
                _ if obj.tenant_col.is_some() => {
                    format!("{}: the value is already in use", cols.join("/"))
                }
                _ => format!("{} {} already exists", cols.join("/"), vals.join("/")),
            }));
        }
    }
    Ok(())
}

/// Tables whose rows point at objects by destination tag: `(table, tag column, id column,
/// owner column, owner label)`. Destinations are listed by their source type.
const TAGGED: &[(&str, &str, &str, &str, &str)] = &[
    (
        "de_destinations",
        "de_type_dst",
        "de_type_id_dst",
        "de_type_id_src",
        "destinations of",
    ),
    (
        "hm_huntlistmembers",
        "hm_type",
        "hm_type_id",
        "hm_hu_id",
        "hunt lists",
    ),
];

/// A referenced column must name an existing row (of the same tenant when the target is
/// tenant-owned). `0` in a nullable reference means "none".
async fn check_references(conn: &impl ConnectionTrait, cx: &WriteCx<'_>) -> ApiResult<()> {
    for (field, value) in &cx.input.columns {
        let Some(target) = field.refers.and_then(super::find) else {
            continue;
        };
        let id = match value {
            Value::Int(Some(0)) if field.kind == Kind::OptInt => continue,
            Value::Int(Some(id)) => *id,
            _ => continue,
        };
        let mut q = count_query(target.table);
        q.and_where(Expr::col(target.pk).eq(id));
        let mut place = String::new();
        if let (Some(col), Some(t)) = (target.tenant_col, &cx.tenant) {
            q.and_where(Expr::col(col).eq(t.id));
            place = format!(" in tenant {}", t.code);
        }
        if count(conn, q).await? == 0 {
            return Err(ApiError::invalid(format!(
                "field '{}': no {} with id {id}{place}",
                field.name, target.name
            )));
        }
    }
    Ok(())
}

/// Deleting an object that others point to would leave them dangling: refuse, listing them.
async fn refuse_if_referenced(conn: &impl ConnectionTrait, obj: &Object, id: i32) -> ApiResult<()> {
    let mut parts = Vec::new();
    if let Some(tag) = obj.target_tag {
        for (table, tag_col, id_col, owner_col, label) in TAGGED {
            let mut q = Query::select();
            q.columns([*owner_col]);
            if *table == "de_destinations" {
                q.column("de_type_src");
            }
            q.from(*table)
                .and_where(Expr::col(*tag_col).eq(tag))
                .and_where(Expr::col(*id_col).eq(id.to_string()))
                .order_by(*owner_col, Order::Asc);
            let users: Vec<String> = conn
                .query_all(&q)
                .await?
                .iter()
                .map(|r| {
                    let owner = r.try_get_by_index::<i32>(0).unwrap_or_default();
                    match r.try_get_by_index::<String>(1) {
                        Ok(src) => format!("{src} {owner}"),
                        Err(_) => owner.to_string(),
                    }
                })
                .collect();
            if !users.is_empty() {
                parts.push(format!("{label}: {}", users.join(", ")));
            }
        }
    }
    for other in super::REGISTRY {
        for field in other.fields.iter().filter(|f| f.refers == Some(obj.name)) {
            let mut q = Query::select();
            q.column(other.pk)
                .from(other.table)
                .and_where(Expr::col(field.name).eq(id))
                .order_by(other.pk, Order::Asc);
            let users: Vec<String> = conn
                .query_all(&q)
                .await?
                .iter()
                .map(|r| r.try_get_by_index::<i32>(0).unwrap_or_default().to_string())
                .collect();
            if !users.is_empty() {
                parts.push(format!(
                    "{} ({}): {}",
                    other.plural,
                    field.name,
                    users.join(", ")
                ));
            }
        }
    }
    if parts.is_empty() {
        return Ok(());
    }
    Err(ApiError::Conflict(format!(
        "{} {id} is used by {}; change those first",
        obj.name,
        parts.join("; ")
    )))
}

/// `update <table> set a='x', b='y' where [<tenant col>='T' and ]<pk>='N'`, secrets masked.
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
    sets.extend(input.extras.iter().map(|(f, v)| match f.kind {
        Kind::Secret => format!("{}='********'", f.name),
        _ => format!("{}='{}'", f.name, quote(v.as_deref().unwrap_or(""))),
    }));
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
