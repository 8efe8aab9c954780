//! Virtual extensions (their PIN and the real extensions that joined them), unique user-group
//! names, and one queue of files that may have outlived their rows (`fg_filegarbage`, for every
//! file store; it replaces the media store's own `mg_mediagarbage`, whose pending rows move over).

use crate::kit::{self, *};
use sea_orm_migration::prelude::*;

#[rustfmt::skip]
fn tables() -> Vec<(C, Vec<ColumnDef>)> {
    vec![
        ("fg_filegarbage", vec![id("fg_id"), s("fg_store", 20), s("fg_name", 255)]),
        ("vx_virtualexts", vec![id("vx_id"), te("vx_te_id"), int("vx_ex_id"), s("vx_pin", 12)]),
        ("vm_virtualmembers", vec![
            id("vm_id"), te("vm_te_id"), int("vm_vx_ex_id"), int("vm_ex_id"), dt("vm_joined"),
        ]),
    ]
}

#[rustfmt::skip]
const INDEXES: &[IndexDef] = &[
    ("idx_fg_filegarbage_fg_store_fg_name", "fg_filegarbage", &["fg_store", "fg_name"], false),
    ("uq_vx_virtualexts_vx_ex_id", "vx_virtualexts", &["vx_ex_id"], true),
    ("idx_vx_virtualexts_vx_te_id", "vx_virtualexts", &["vx_te_id"], false),
    ("uq_vm_virtualmembers_vm_vx_ex_id_vm_ex_id", "vm_virtualmembers", &["vm_vx_ex_id", "vm_ex_id"], true),
    ("idx_vm_virtualmembers_vm_ex_id", "vm_virtualmembers", &["vm_ex_id"], false),
    ("idx_vm_virtualmembers_vm_te_id", "vm_virtualmembers", &["vm_te_id"], false),
    ("uq_up_userprofiles_up_name", "up_userprofiles", &["up_name"], true),
];

fn media_garbage() -> Vec<(C, Vec<ColumnDef>)> {
    vec![("mg_mediagarbage", vec![id("mg_id"), s("mg_sha256", 64)])]
}

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        kit::create(manager, tables(), INDEXES).await?;
        let mut moved = Query::insert();
        moved
            .into_table("fg_filegarbage")
            .columns(["fg_store", "fg_name"])
            .select_from(
                Query::select()
                    .expr(Expr::val("media"))
                    .column("mg_sha256")
                    .from("mg_mediagarbage")
                    .take(),
            )
            .map_err(|e| DbErr::Migration(e.to_string()))?;
        manager.exec_stmt(moved).await?;
        kit::drop(manager, media_garbage()).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        kit::create(
            manager,
            media_garbage(),
            &[(
                "idx_mg_mediagarbage_mg_sha256",
                "mg_mediagarbage",
                &["mg_sha256"],
                false,
            )],
        )
        .await?;
        manager
            .drop_index(
                Index::drop()
                    .name("uq_up_userprofiles_up_name")
                    .table("up_userprofiles")
                    .to_owned(),
            )
            .await?;
        kit::drop(manager, tables()).await
    }
}
