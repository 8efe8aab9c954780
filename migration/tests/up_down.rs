//! Runs the migrations up, down and up again, then round-trips one row through every entity
//! (insert + `find().all()`), proving that entity and migration types agree.
//!
//! SQLite (in memory) always runs. PostgreSQL / MySQL-MariaDB run when
//! `SWITCHBOARD_TEST_POSTGRES_URL` / `SWITCHBOARD_TEST_MYSQL_URL` point at a server (any
//! database on it): a uniquely named database is created for the run and dropped afterwards.

use migration::{with_database, Migrator, MigratorTrait};
use sea_orm::{
    prelude::DateTime, sea_query::ColumnType, ActiveModelBehavior, ActiveModelTrait, ColumnTrait,
    ConnectionTrait, Database, DatabaseConnection, DbErr, EntityName, EntityTrait, IdenStatic,
    Iterable, ModelTrait, PrimaryKeyToColumn, PrimaryKeyTrait, Value,
};

/// Inserts one row with a non-default value in every column, reads it back through
/// `find().all()` and compares each column with what was written.
async fn roundtrip<A>(db: &DatabaseConnection) -> Result<(), DbErr>
where
    A: ActiveModelTrait + ActiveModelBehavior + Send,
{
    let table = A::Entity::default().table_name().to_owned();
    let auto_pk: Vec<_> = <A::Entity as EntityTrait>::PrimaryKey::iter()
        .filter(|_| <<A::Entity as EntityTrait>::PrimaryKey as PrimaryKeyTrait>::auto_increment())
        .map(|pk| pk.into_column().as_str())
        .collect();
    let when = DateTime::parse_from_str("2026-11-22 10:20:30", "%Y-%m-%d %H:%M:%S").unwrap();
    let mut am = A::default();
    let mut written = Vec::new();
    for col in <A::Entity as EntityTrait>::Column::iter() {
        if auto_pk.contains(&col.as_str()) {
            continue;
        }
        let value: Value = match col.def().get_column_type() {
            ColumnType::Integer => 7i32.into(),
            ColumnType::Double => 1.5f64.into(),
            ColumnType::Boolean => true.into(),
            ColumnType::DateTime => when.into(),
            ColumnType::String(_) | ColumnType::Text => "x".into(),
            other => panic!("{table}.{}: unexpected column type {other:?}", col.as_str()),
        };
        am.set(col, value.clone());
        written.push((col, value));
    }
    A::Entity::insert(am).exec(db).await?;
    let rows = A::Entity::find().all(db).await?;
    assert_eq!(rows.len(), 1, "{table}: expected exactly one row");
    for (col, value) in written {
        assert_eq!(rows[0].get(col), value, "{table}.{}", col.as_str());
    }
    Ok(())
}

async fn exercise(db: &DatabaseConnection) -> Result<(), DbErr> {
    Migrator::up(db, None).await?;
    Migrator::down(db, None).await?;
    Migrator::up(db, None).await?;
    assert!(Migrator::get_pending_migrations(db).await?.is_empty());

    use entity::*;
    macro_rules! roundtrip_all {
        ($($m:ident),* $(,)?) => { $(roundtrip::<$m::ActiveModel>(db).await?;)* };
    }
    roundtrip_all!(
        te_tenants,
        pk_parkinglots,
        ex_extensions,
        di_dids,
        de_destinations,
        up_userprofiles,
        us_users,
        ut_usertenants,
        ak_apikeys,
        ps_endpoints,
        ps_auths,
        ps_aors,
        ps_endpoint_id_ips,
        ps_registrations,
        sippeers,
        iv_ivrs,
        co_conditions,
        qu_queues,
        voicemail_users,
        hu_huntlists,
        cr_conferencerooms,
        cu_customs,
        me_mediafiles,
        ce_conditionextendedinfos,
        queues,
        queue_members,
        meetme,
        pr_providers,
        rp_routingprofiles,
        dl_routes,
        ct_customtypes,
        pm_phonemodels,
        ph_phones,
        hm_huntlistmembers,
        mu_musiconhold,
        bl_calleridblacklist,
        fg_filegarbage,
        vx_virtualexts,
        vm_virtualmembers,
        cdr,
        sc_simplecdrs,
        queue_log,
        re_recordings,
        tp_cdrtemplates,
        gt_cdrtemplates,
        fl_flows,
        sm_sms,
        dc_dialcalls,
        fx_faxes,
        cp_campaigns,
        cn_campaignnumbers,
        il_ivrlogs,
    );
    Ok(())
}

/// Runs `exercise` on a fresh, uniquely named database of the server at `$env`, if set.
async fn on_server(env: &str) {
    let Ok(admin_url) = std::env::var(env) else {
        eprintln!("{env} not set: skipped");
        return;
    };
    // Switchboard's `pgbouncer=true` (src/db.rs) is sqlx's statement cache turned off.
    let admin_url = admin_url.replace("pgbouncer=true", "statement-cache-capacity=0");
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos();
    let name = format!("switchboard_test_{}_{nanos}", std::process::id());
    let admin = Database::connect(&admin_url).await.unwrap();
    admin
        .execute_unprepared(&format!("CREATE DATABASE {name}"))
        .await
        .unwrap();
    let result = async {
        let db = Database::connect(with_database(&admin_url, &name)).await?;
        let result = exercise(&db).await;
        db.close().await?;
        result
    }
    .await;
    migration::drop_database(&admin, &name).await.unwrap();
    result.unwrap();
}

#[tokio::test]
async fn sqlite() {
    let db = Database::connect("sqlite::memory:").await.unwrap();
    exercise(&db).await.unwrap();
}

#[tokio::test]
#[cfg_attr(
    not(switchboard_test_postgres),
    ignore = "SWITCHBOARD_TEST_POSTGRES_URL is not set"
)]
async fn postgres() {
    on_server("SWITCHBOARD_TEST_POSTGRES_URL").await;
}

#[tokio::test]
#[cfg_attr(
    not(switchboard_test_mysql),
    ignore = "SWITCHBOARD_TEST_MYSQL_URL is not set"
)]
async fn mysql() {
    on_server("SWITCHBOARD_TEST_MYSQL_URL").await;
}

#[test]
fn database_url_rewrite() {
    assert_eq!(
        with_database("postgres://u@h:5432/postgres", "t"),
        "postgres://u@h:5432/t"
    );
    assert_eq!(
        with_database("mysql://root@h:3306", "t"),
        "mysql://root@h:3306/t"
    );
    assert_eq!(
        with_database("mysql://r@h/test?ssl-mode=disabled", "t"),
        "mysql://r@h/t?ssl-mode=disabled"
    );
}
