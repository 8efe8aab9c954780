//! Media files (greetings, announcements, music on hold). The row holds the metadata; the bytes
//! live in the content-addressed store ([`crate::media`]): `updatebinary` takes them from the
//! multipart field `filename`, checks their type by content and records format, size, MD5 and
//! SHA-256; `getbinary` sends them back (with HTTP Range). Deleting the row, or replacing its
//! bytes, releases the old content, which is removed after the commit if nothing else uses it.

use super::support::target_row;
use super::Kind::*;
use super::{opt, read_action, req, ro, write_action, ActionCx, Behavior, Object, Op, WriteCx};
use crate::error::{internal, ApiError, ApiResult};
use crate::files::{self, FileBody};
use crate::media;
use crate::output::Output;
use async_trait::async_trait;
use sea_orm::sea_query::{Expr, ExprTrait, Query};
use sea_orm::{ConnectionTrait, Value};

pub static MEDIAFILE: Object = Object {
    name: "mediafile",
    plural: "mediafiles",
    table: "me_mediafiles",
    pk: "me_id",
    tenant_col: Some("me_te_id"),
    admin_only: false,
    crud: true,
    fields: &[
        req("me_name", Text(100)),
        opt("me_description", Text(255)),
        opt("me_moh", Flag),
        ro("me_format", Text(10)),
        ro("me_size", Int),
        ro("me_md5", Text(32)),
        ro("me_sha256", Text(64)),
        ro("me_datetime", DateTime),
    ],
    extras: &[],
    unique: &[],
    limit: None,
    target_tag: Some("PLAYBACK"),
    source_types: &[],
    children: &[],
    actions: &[read_action("getbinary"), write_action("updatebinary")],
    behavior: &MediafileBehavior,
};

/// MANAGEDB `getbinary` (and `reqtype=MEDIAFILE&action=getaudio`): the bytes, with HTTP Range.
pub async fn get_binary(cx: &ActionCx<'_>) -> ApiResult<Output> {
    let row = target_row(&cx.db.conn, cx.caller, cx.obj, cx.args).await?;
    let id = row.id("me_id").unwrap_or_default();
    let sha = row.get("me_sha256").unwrap_or_default();
    if sha.is_empty() {
        return Err(ApiError::NotFound(format!(
            "mediafile {id} has no content yet (use updatebinary)"
        )));
    }
    let format = row.get("me_format").unwrap_or_default();
    Ok(Output::File(FileBody {
        path: media::path_of(&cx.config.media_dir(), sha)?,
        content_type: media::content_type(format).to_string(),
        filename: Some(format!(
            "{}.{format}",
            row.get("me_name").unwrap_or("media")
        )),
        inline: true,
    }))
}

async fn update_binary(cx: &ActionCx<'_>) -> ApiResult<Output> {
    let row = target_row(&cx.db.conn, cx.caller, cx.obj, cx.args).await?;
    let id = row.id("me_id").unwrap_or_default();
    let te_id = row.id("me_te_id").unwrap_or_default();
    let upload = cx.args.upload("filename").ok_or_else(|| {
        ApiError::invalid("parameter 'filename' is required: a multipart file field with the audio")
    })?;
    let bytes = std::sync::Arc::new(upload.bytes().await?);
    let audio = media::detect(&bytes, &upload.filename)
        .map_err(|e| ApiError::invalid(format!("parameter 'filename': {e}")))?;
    let shared = bytes.clone();
    let (sha, md5) = tokio::task::spawn_blocking(move || media::digests(&shared))
        .await
        .map_err(internal)?;
    let dir = cx.config.media_dir();
    media::store(&dir, &sha, &bytes).await?;

    let txn = cx.db.begin_write().await?;
    // Re-read under the write lock: the row may have gone, or changed content, meanwhile.
    let mut q = Query::select();
    q.column("me_sha256")
        .from("me_mediafiles")
        .and_where(Expr::col("me_id").eq(id));
    let old: String = match txn.query_one(&q).await? {
        Some(r) => r.try_get_by_index(0).map_err(internal)?,
        None => return Err(ApiError::NotFound(format!("no mediafile with id {id}"))),
    };
    let mut upd = Query::update();
    upd.table("me_mediafiles")
        .values([
            ("me_format", Expr::val(audio.format)),
            ("me_size", Expr::val(bytes.len() as i32)),
            ("me_md5", Expr::val(md5.clone())),
            ("me_sha256", Expr::val(sha.clone())),
            (
                "me_datetime",
                Expr::val(Value::ChronoDateTime(Some(chrono::Utc::now().naive_utc()))),
            ),
        ])
        .and_where(Expr::col("me_id").eq(id));
    txn.execute(&upd).await?;
    if old != sha {
        files::release(&*txn, &files::MEDIA, &old).await?;
    }
    txn.commit().await?;
    // Again after the commit: a clean-up that ran in between may have taken identical content.
    media::store(&dir, &sha, &bytes).await?;
    Ok(Output::Text(format!(
        "update me_mediafiles set me_format='{}', me_size='{}', me_md5='{md5}' where me_te_id='{te_id}' and me_id='{id}'",
        audio.format,
        bytes.len()
    )))
}

struct MediafileBehavior;

#[async_trait]
impl Behavior for MediafileBehavior {
    async fn before_write(&self, cx: &mut WriteCx<'_>) -> ApiResult<()> {
        if cx.op == Op::Delete {
            let sha = cx
                .before
                .as_ref()
                .and_then(|r| r.get("me_sha256"))
                .unwrap_or_default();
            files::release(cx.txn, &files::MEDIA, sha).await?;
        }
        Ok(())
    }

    async fn action(&self, cx: &ActionCx<'_>, name: &str) -> ApiResult<Output> {
        match name {
            "getbinary" => get_binary(cx).await,
            _ => update_binary(cx).await,
        }
    }
}
