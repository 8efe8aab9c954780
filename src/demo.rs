//! `serve --demo`: tenant DEMO with a few extensions, DIDs and destinations, and three keys.

use crate::auth::keys::{self, NewKey};
use crate::auth::{Caller, Principal, Role, TenantRef};
use crate::db::Db;
use crate::error::ApiError;
use crate::objects::{self, engine};
use entity::{ak_apikeys, te_tenants};
use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};

const CODE: &str = "DEMO";

/// Seed on an empty database; always mint fresh demo keys (revoking the previous demo keys).
pub async fn prepare(db: &Db, bind: &str) -> Result<(), ApiError> {
    if te_tenants::Entity::find().count(&db.conn).await? == 0 {
        seed(db).await?;
    }
    let Some(tenant) = te_tenants::Entity::find()
        .filter(te_tenants::Column::TeCode.eq(CODE))
        .one(&db.conn)
        .await?
    else {
        println!("This database has data but no tenant {CODE}; not seeding. Create keys with `switchboard key create`.");
        return Ok(());
    };
    ak_apikeys::Entity::update_many()
        .col_expr(
            ak_apikeys::Column::AkRevoked,
            sea_orm::sea_query::Expr::value(chrono::Utc::now().naive_utc()),
        )
        .filter(ak_apikeys::Column::AkDescription.eq("demo"))
        .filter(ak_apikeys::Column::AkRevoked.is_null())
        .exec(&db.conn)
        .await?;
    let mut minted = Vec::new();
    for (label, admin, read_only) in [
        ("admin", true, false),
        ("tenant read/write", false, false),
        ("tenant read-only", false, true),
    ] {
        let value = keys::generate_key();
        let tenant_id = (!admin).then_some(tenant.te_id);
        keys::store_key(
            &db.conn,
            NewKey {
                value: &value,
                admin,
                tenant_id,
                read_only,
                allow: &[],
                expires: None,
                description: "demo",
            },
        )
        .await?;
        minted.push((label, value));
    }
    let url = format!("http://{bind}/pbx/proxyapi.php");
    println!("\nSwitchboard demo: tenant {CODE} is ready. Keys (shown once, stored hashed):");
    for (label, value) in &minted {
        println!("  {label:<18} {value}");
    }
    let (admin, rw, ro) = (&minted[0].1, &minted[1].1, &minted[2].1);
    println!("\nTry:");
    println!("  curl '{url}?reqtype=INFO&info=extensions&tenant={CODE}&key={ro}'");
    println!("  curl '{url}?reqtype=MANAGEDB&object=extension&action=list&tenant={CODE}&format=json&key={rw}'");
    println!("  curl '{url}' -d reqtype=MANAGEDB -d object=did -d action=add -d tenant={CODE} -d key={rw} --data-urlencode 'jsondata={{\"di_number\":\"5550199\",\"di_comment\":\"new line\"}}'");
    println!("  curl '{url}?reqtype=INFO&info=tenants&format=json&key={admin}'");
    println!("  curl '{url}?reqtype=HELP&key={ro}'\n");
    Ok(())
}

async fn seed(db: &Db) -> Result<(), ApiError> {
    let te_id = crate::cli::add_tenant(db, CODE, "Demo Company", serde_json::json!({"pk_start": "700", "pk_end": "720", "te_maxextensions": 50, "te_maxdids": 20})).await?;
    let caller = Caller {
        principal: Principal {
            key_id: 0,
            role: Role::Admin,
            read_only: false,
            widget: false,
        },
        tenant: Some(TenantRef {
            id: te_id,
            code: CODE.into(),
        }),
    };
    let extension =
        objects::find("extension").ok_or_else(|| crate::error::internal("no extension object"))?;
    let did = objects::find("did").ok_or_else(|| crate::error::internal("no did object"))?;
    let mut first_ext = None;
    for (number, name) in [
        ("100", "Reception"),
        ("101", "Alice Rossi"),
        ("102", "Bruno Bianchi"),
        ("103", "Carla Verdi"),
        ("104", "Support"),
    ] {
        let data = serde_json::json!({ "ex_number": number, "ex_name": name, "ex_voicemail": "on",
            "password": format!("demo-{number}-{}", keys::generate_key()[4..16].to_string()) });
        let row = add(db, &caller, extension, data).await?;
        first_ext = first_ext.or(row.id("ex_id"));
    }
    let mut first_did = None;
    for (number, comment) in [("5550100", "Main number"), ("5550101", "Support line")] {
        let data = serde_json::json!({ "di_country": "1", "di_area": "555", "di_number": number, "di_comment": comment });
        let row = add(db, &caller, did, data).await?;
        first_did = first_did.or(row.id("di_id"));
    }
    if let (Some(ext), Some(did_id)) = (first_ext, first_did) {
        let items = [
            serde_json::json!(format!("EXT-{ext}")),
            serde_json::json!("HANGUP"),
        ];
        objects::destination::set_destinations(db, &caller, "DID", did_id, &items).await?;
    }
    Ok(())
}

/// Add a row through the registry's engine, as MANAGEDB add would.
async fn add(
    db: &Db,
    caller: &Caller,
    obj: &'static objects::Object,
    data: serde_json::Value,
) -> Result<objects::Row, ApiError> {
    let w = engine::writer(caller, obj, objects::Op::Add)?;
    let fields = data.as_object().cloned().unwrap_or_default();
    let input = objects::input::from_json(obj, objects::Op::Add, &fields)?;
    engine::add(db, &w, obj, input).await
}
