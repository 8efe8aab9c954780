//! Voicemail boxes (`voicemail_users`, Asterisk's realtime table: context = tenant code, so a
//! box is `<mailbox>@<TENANT>`) and their messages (`voicemail_messages`).
//!
//! Message audio lives in files under the voicemail spool (`Config::voicemail_dir()`), in
//! Asterisk's layout: `<CONTEXT>/<mailbox>/<FOLDER>/msgNNNN.<format>`; the row's `recording`
//! holds that path relative to the spool, and every path is resolved inside the spool before
//! use. Moving a message between folders (mark read / unread) gives it the next free number in
//! the target folder and renames its file in the same step as the row update.
//!
//! The mailbox PIN (`password`) stays in clear text: Asterisk's voicemail reads it from this
//! table. It is digits only.

use super::engine;
use super::Kind::*;
use super::{
    checks, once, opt, read_action, ro, write_action, ActionCx, Behavior, Object, Op, WriteCx,
};
use crate::args::Upload;
use crate::auth::{Caller, TenantRef};
use crate::db::Db;
use crate::error::{internal, ApiError, ApiResult};
use crate::files::{resolve_inside, resolve_new_inside, FileBody};
use crate::objects::Kind;
use crate::output::{Output, Table};
use async_trait::async_trait;
use sea_orm::sea_query::{Expr, ExprTrait, Order, Query, SelectStatement};
use sea_orm::{ConnectionTrait, DatabaseTransaction, QueryResult, Value};
use std::path::Path;

pub static VOICEMAIL: Object = Object {
    name: "voicemail",
    plural: "voicemails",
    table: "voicemail_users",
    pk: "uniqueid",
    tenant_col: Some("te_id"),
    admin_only: false,
    crud: true,
    fields: &[
        once("mailbox", Text(20)).checked(checks::digits),
        opt("password", Text(20))
            .checked(checks::digits_or_empty)
            .masked(),
        opt("fullname", Text(150)),
        opt("email", Text(255)).checked(checks::email_or_empty),
        opt("attach", Choice(&["yes", "no"])),
        ro("context", Text(80)),
    ],
    extras: &[],
    unique: &[&["te_id", "mailbox"]],
    limit: None,
    target_tag: Some("VOICEMAIL"),
    source_types: &[],
    children: &[],
    actions: &[
        read_action("listmessages"),
        read_action("getmessagerecording"),
        write_action("putmessagerecording"),
    ],
    behavior: &VoicemailBehavior,
};

/// Queue the files of the messages `q` selects (their `recording`) for removal after commit.
async fn release_recordings(txn: &DatabaseTransaction, q: SelectStatement) -> ApiResult<()> {
    for row in txn.query_all(&q).await? {
        if let Ok(Some(name)) = row.try_get_by_index::<Option<String>>(0) {
            crate::files::release(txn, &crate::files::VOICEMAIL, &name).await?;
        }
    }
    Ok(())
}

/// Asterisk's voicemail folders.
pub const FOLDERS: &[&str] = &["INBOX", "Old", "Work", "Family", "Friends", "Urgent"];

struct VoicemailBehavior;

#[async_trait]
impl Behavior for VoicemailBehavior {
    async fn before_write(&self, cx: &mut WriteCx<'_>) -> ApiResult<()> {
        if cx.op == Op::Add {
            let code = cx
                .tenant
                .as_ref()
                .map(|t| t.code.clone())
                .unwrap_or_default();
            cx.input.set(cx.obj, "context", Value::String(Some(code)));
            if !cx.input.has("attach") {
                cx.input
                    .set(cx.obj, "attach", Value::String(Some("yes".into())));
            }
        }
        Ok(())
    }

    /// A box goes with its messages: the rows here, their files after the commit.
    async fn after_write(&self, cx: &mut WriteCx<'_>) -> ApiResult<()> {
        if let (Op::Delete, Some(before), Some(t)) = (cx.op, &cx.before, &cx.tenant) {
            let mailbox = before.get("mailbox").unwrap_or_default();
            let mut q = Query::select();
            q.column("recording")
                .from("voicemail_messages")
                .and_where(Expr::col("te_id").eq(t.id))
                .and_where(Expr::col("mailboxuser").eq(mailbox));
            release_recordings(cx.txn, q).await?;
            let mut del = Query::delete();
            del.from_table("voicemail_messages")
                .and_where(Expr::col("te_id").eq(t.id))
                .and_where(Expr::col("mailboxuser").eq(mailbox));
            cx.txn.execute(&del).await?;
        }
        Ok(())
    }

    async fn action(&self, cx: &ActionCx<'_>, name: &str) -> ApiResult<Output> {
        let spool = cx.config.voicemail_dir();
        match name {
            "listmessages" => {
                let user = cx.args.required("mailboxuser")?;
                let mb = find_box(cx.db, cx.caller, user, "mailboxuser").await?;
                let folder = folder_param(cx.args.get("mailbox"), "mailbox")?;
                list_messages(cx.db, &mb, folder).await
            }
            "getmessagerecording" => {
                let id = cx
                    .args
                    .id("id")?
                    .ok_or_else(|| ApiError::invalid("No id specified"))?;
                let msg = message_by_id(cx.db, cx.caller, id).await?;
                recording(&spool, &msg)
            }
            "putmessagerecording" => {
                let user = cx.args.required("mailboxuser")?;
                let mb = find_box(cx.db, cx.caller, user, "mailboxuser").await?;
                let folder = folder_param(cx.args.get("mailbox"), "mailbox")?.unwrap_or("INBOX");
                let upload = cx.args.upload("filename").ok_or_else(|| {
                    ApiError::invalid("multipart file field 'filename' is required")
                })?;
                let callerid = cx.args.get("callerid").unwrap_or("").trim();
                if crate::text::check_line(callerid, 120).is_err() {
                    return Err(ApiError::invalid(
                        "parameter 'callerid' must be at most 120 characters without control characters",
                    ));
                }
                let duration = match cx.args.get("duration") {
                    None => 0,
                    Some(d) => d
                        .trim()
                        .parse::<i32>()
                        .ok()
                        .filter(|d| (0..=86_400).contains(d))
                        .ok_or_else(|| {
                            ApiError::invalid(
                                "parameter 'duration' must be whole seconds from 0 to 86400",
                            )
                        })?,
                };
                put_message(cx.db, &spool, &mb, folder, upload, callerid, duration).await
            }
            other => Err(ApiError::invalid(format!(
                "unknown action '{other}' for object voicemail"
            ))),
        }
    }
}

/// A voicemail box the caller may reach.
#[derive(Debug, Clone)]
pub struct MailboxRef {
    pub tenant: TenantRef,
    pub mailbox: String,
}

/// `103` (in the request's tenant) or `103@TENANT` → the box, or an error naming `param`.
/// Another tenant's box answers like a box that does not exist.
pub async fn find_box(db: &Db, caller: &Caller, given: &str, param: &str) -> ApiResult<MailboxRef> {
    let given = given.trim();
    let (number, context) = match given.split_once('@') {
        Some((n, c)) => (n, Some(c.to_ascii_uppercase())),
        None => (given, None),
    };
    if checks::digits(number).is_err() || number.len() > 20 {
        return Err(ApiError::invalid(format!(
            "parameter '{param}' must be a mailbox number, or <number>@<TENANT>"
        )));
    }
    let missing = || ApiError::NotFound(format!("parameter '{param}': no voicemail box '{given}'"));
    let tenant = match (&caller.tenant, context) {
        (Some(t), Some(c)) if c != t.code => return Err(missing()),
        (Some(t), _) => t.clone(),
        (None, Some(c)) => {
            let mut q = Query::select();
            q.column("te_id")
                .from("te_tenants")
                .and_where(Expr::col("te_code").eq(c.as_str()));
            let row = db.conn.query_one(&q).await?.ok_or_else(missing)?;
            TenantRef {
                id: row.try_get_by_index(0).map_err(internal)?,
                code: c,
            }
        }
        (None, None) => {
            return Err(ApiError::invalid(format!(
                "parameter '{param}' must be <number>@<TENANT> with an admin key and no 'tenant'"
            )))
        }
    };
    let mut q = Query::select();
    q.expr(Expr::cust("COUNT(*)"))
        .from("voicemail_users")
        .and_where(Expr::col("te_id").eq(tenant.id))
        .and_where(Expr::col("mailbox").eq(number));
    if engine::count(&db.conn, q).await? == 0 {
        return Err(missing());
    }
    Ok(MailboxRef {
        tenant,
        mailbox: number.to_string(),
    })
}

/// A folder name (case-insensitive, stored as Asterisk spells it); `None` when not given.
pub fn folder_param(given: Option<&str>, param: &str) -> ApiResult<Option<&'static str>> {
    match given.map(str::trim) {
        None | Some("") => Ok(None),
        Some(f) => FOLDERS
            .iter()
            .find(|x| x.eq_ignore_ascii_case(f))
            .copied()
            .map(Some)
            .ok_or_else(|| {
                ApiError::invalid(format!(
                    "parameter '{param}': unknown folder '{f}' (use one of {})",
                    FOLDERS.join(", ")
                ))
            }),
    }
}

/// The columns a message listing shows, with their kinds.
const MESSAGE_COLUMNS: &[(&str, Kind)] = &[
    ("id", Int),
    ("te_id", Int),
    ("mailboxuser", Text(80)),
    ("mailboxcontext", Text(80)),
    ("dir", Text(20)),
    ("msgnum", Int),
    ("msg_id", Text(40)),
    ("callerid", Text(120)),
    ("origtime", Text(20)),
    ("duration", Int),
    ("flag", Text(20)),
    ("format", Text(10)),
    ("size", Int),
    ("recording", Text(255)),
];

/// One stored message.
#[derive(Debug, Clone)]
pub struct Message {
    pub id: i32,
    pub te_id: i32,
    pub mailbox: String,
    pub context: String,
    pub folder: String,
    pub msg_id: String,
    pub format: String,
    pub recording: String,
}

fn message_select() -> SelectStatement {
    let mut q = Query::select();
    q.columns(MESSAGE_COLUMNS.iter().map(|(c, _)| *c))
        .from("voicemail_messages");
    q
}

fn to_message(r: &QueryResult) -> ApiResult<Message> {
    let text =
        |i: usize| -> ApiResult<String> { r.try_get_by_index::<String>(i).map_err(internal) };
    Ok(Message {
        id: r.try_get_by_index(0).map_err(internal)?,
        te_id: r.try_get_by_index(1).map_err(internal)?,
        mailbox: text(2)?,
        context: text(3)?,
        folder: text(4)?,
        msg_id: text(6)?,
        format: text(11)?,
        recording: text(13)?,
    })
}

/// Messages of a box (optionally one folder), oldest first within each folder.
pub async fn list_messages(db: &Db, mb: &MailboxRef, folder: Option<&str>) -> ApiResult<Output> {
    let mut q = message_select();
    q.and_where(Expr::col("te_id").eq(mb.tenant.id))
        .and_where(Expr::col("mailboxuser").eq(mb.mailbox.as_str()))
        .order_by("dir", Order::Asc)
        .order_by("msgnum", Order::Asc);
    if let Some(f) = folder {
        q.and_where(Expr::col("dir").eq(f));
    }
    // The spool path is the server's business: not shown.
    let shown = MESSAGE_COLUMNS.len() - 1;
    let mut table = Table::new(
        MESSAGE_COLUMNS[..shown]
            .iter()
            .map(|(c, _)| c.to_string())
            .collect(),
    );
    for r in db.conn.query_all(&q).await? {
        let row = MESSAGE_COLUMNS[..shown]
            .iter()
            .enumerate()
            .map(|(i, (_, k))| engine::cell(&r, i, *k))
            .collect::<ApiResult<_>>()?;
        table.rows.push(row);
    }
    Ok(Output::Table(table))
}

/// A message by row id, within the caller's tenant.
pub async fn message_by_id(db: &Db, caller: &Caller, id: i32) -> ApiResult<Message> {
    let mut q = message_select();
    q.and_where(Expr::col("id").eq(id));
    if let Some(t) = &caller.tenant {
        q.and_where(Expr::col("te_id").eq(t.id));
    }
    match db.conn.query_one(&q).await? {
        Some(r) => to_message(&r),
        None => Err(ApiError::NotFound(format!(
            "parameter 'id': no voicemail message with id {id}"
        ))),
    }
}

/// Asterisk message ids look like `1475685709-00000004` (epoch, counter in hex).
pub fn check_msg_id(msgid: &str) -> ApiResult<&str> {
    let msgid = msgid.trim();
    let ok = matches!(msgid.split_once('-'), Some((t, n))
        if (1..=20).contains(&t.len()) && t.chars().all(|c| c.is_ascii_digit())
        && (1..=16).contains(&n.len()) && n.chars().all(|c| c.is_ascii_hexdigit()));
    if ok {
        Ok(msgid)
    } else {
        Err(ApiError::invalid(
            "parameter 'msgid' must be a message id such as 1475685709-00000004",
        ))
    }
}

/// A message of a box by its Asterisk id.
pub async fn message_in_box(db: &Db, mb: &MailboxRef, msgid: &str) -> ApiResult<Message> {
    let msgid = check_msg_id(msgid)?;
    let mut q = message_select();
    q.and_where(Expr::col("te_id").eq(mb.tenant.id))
        .and_where(Expr::col("mailboxuser").eq(mb.mailbox.as_str()))
        .and_where(Expr::col("msg_id").eq(msgid));
    match db.conn.query_one(&q).await? {
        Some(r) => to_message(&r),
        None => Err(ApiError::NotFound(format!(
            "parameter 'msgid': no message {msgid} in box {}@{}",
            mb.mailbox, mb.tenant.code
        ))),
    }
}

/// The audio of a message, for the response (HTTP Range is handled by the server).
pub fn recording(spool: &Path, msg: &Message) -> ApiResult<Output> {
    let path = resolve_inside(spool, &msg.recording)?;
    Ok(Output::File(FileBody {
        path,
        content_type: crate::media::content_type(&msg.format).into(),
        filename: Some(format!("{}.{}", msg.msg_id, msg.format)),
        inline: true,
    }))
}

fn spool_path(context: &str, mailbox: &str, folder: &str, msgnum: i32, format: &str) -> String {
    format!("{context}/{mailbox}/{folder}/msg{msgnum:04}.{format}")
}

async fn next_msgnum(
    conn: &impl ConnectionTrait,
    te_id: i32,
    mailbox: &str,
    folder: &str,
) -> ApiResult<i32> {
    let mut q = Query::select();
    q.expr(Expr::cust("COALESCE(MAX(msgnum), -1)"))
        .from("voicemail_messages")
        .and_where(Expr::col("te_id").eq(te_id))
        .and_where(Expr::col("mailboxuser").eq(mailbox))
        .and_where(Expr::col("dir").eq(folder));
    let row = conn
        .query_one(&q)
        .await?
        .ok_or_else(|| internal("max returned no row"))?;
    let max = row
        .try_get_by_index::<i64>(0)
        .or_else(|_| row.try_get_by_index::<i32>(0).map(i64::from))
        .map_err(internal)?;
    i32::try_from(max + 1).map_err(internal)
}

/// Store an uploaded message: file first, then its row; the file is removed if the row fails.
pub async fn put_message(
    db: &Db,
    spool: &Path,
    mb: &MailboxRef,
    folder: &str,
    upload: &Upload,
    callerid: &str,
    duration: i32,
) -> ApiResult<Output> {
    let bytes = upload.bytes().await?;
    let bytes = bytes.as_slice();
    let format = crate::media::detect(bytes, &upload.filename)
        .map_err(|e| ApiError::invalid(format!("multipart file 'filename': {e}")))?
        .format;
    let now = chrono::Utc::now();
    let txn = db.begin_write().await?;
    let msgnum = next_msgnum(&*txn, mb.tenant.id, &mb.mailbox, folder).await?;
    let relative = spool_path(&mb.tenant.code, &mb.mailbox, folder, msgnum, format);
    let path = resolve_new_inside(spool, &relative)?;
    let mut seq = [0u8; 4];
    rand::RngCore::fill_bytes(&mut rand::rngs::OsRng, &mut seq);
    let msg_id = format!("{}-{}", now.timestamp(), hex::encode(seq));
    tokio::fs::write(&path, bytes).await.map_err(internal)?;
    let mut ins = Query::insert();
    ins.into_table("voicemail_messages")
        .columns([
            "te_id",
            "mailboxuser",
            "mailboxcontext",
            "dir",
            "msgnum",
            "msg_id",
            "callerid",
            "origtime",
            "duration",
            "recording",
            "format",
            "size",
        ])
        .values_panic([
            mb.tenant.id.into(),
            mb.mailbox.as_str().into(),
            mb.tenant.code.as_str().into(),
            folder.into(),
            msgnum.into(),
            msg_id.as_str().into(),
            callerid.into(),
            now.timestamp().to_string().into(),
            duration.into(),
            relative.as_str().into(),
            format.into(),
            (bytes.len() as i32).into(),
        ]);
    let stored = match txn.execute(&ins).await {
        Ok(_) => txn.commit().await.map_err(ApiError::from),
        Err(e) => Err(e.into()),
    };
    if let Err(e) = stored {
        let _ = tokio::fs::remove_file(&path).await;
        return Err(e);
    }
    let mut q = message_select();
    q.and_where(Expr::col("te_id").eq(mb.tenant.id))
        .and_where(Expr::col("msg_id").eq(msg_id.as_str()));
    let mut out = list_one(db, q).await?;
    out.columns.truncate(MESSAGE_COLUMNS.len() - 1);
    if let Some(row) = &mut out.row {
        row.truncate(MESSAGE_COLUMNS.len() - 1);
    }
    Ok(Output::Record {
        columns: out.columns,
        row: out.row,
    })
}

struct OneRow {
    columns: Vec<String>,
    row: Option<Vec<Option<String>>>,
}

async fn list_one(db: &Db, q: SelectStatement) -> ApiResult<OneRow> {
    let row = match db.conn.query_one(&q).await? {
        Some(r) => Some(
            MESSAGE_COLUMNS
                .iter()
                .enumerate()
                .map(|(i, (_, k))| engine::cell(&r, i, *k))
                .collect::<ApiResult<Vec<_>>>()?,
        ),
        None => None,
    };
    Ok(OneRow {
        columns: MESSAGE_COLUMNS.iter().map(|(c, _)| c.to_string()).collect(),
        row,
    })
}

/// Delete a message: the row, then its file.
pub async fn delete_message(db: &Db, spool: &Path, msg: &Message) -> ApiResult<()> {
    let txn = db.begin_write().await?;
    let mut del = Query::delete();
    del.from_table("voicemail_messages")
        .and_where(Expr::col("id").eq(msg.id));
    txn.execute(&del).await?;
    txn.commit().await?;
    if let Ok(path) = resolve_inside(spool, &msg.recording) {
        let _ = tokio::fs::remove_file(path).await;
    }
    Ok(())
}

/// Move a message to `folder` with the next free number there; the file follows. If the row
/// cannot be committed the file is moved back.
pub async fn move_message(db: &Db, spool: &Path, msg: &Message, folder: &str) -> ApiResult<()> {
    if msg.folder == folder {
        return Ok(());
    }
    let txn = db.begin_write().await?;
    let msgnum = next_msgnum(&*txn, msg.te_id, &msg.mailbox, folder).await?;
    let relative = spool_path(&msg.context, &msg.mailbox, folder, msgnum, &msg.format);
    let from = resolve_inside(spool, &msg.recording)?;
    let to = resolve_new_inside(spool, &relative)?;
    tokio::fs::rename(&from, &to).await.map_err(internal)?;
    let mut upd = Query::update();
    upd.table("voicemail_messages")
        .values([
            ("dir", Expr::val(folder)),
            ("msgnum", Expr::val(msgnum)),
            ("recording", Expr::val(relative.as_str())),
        ])
        .and_where(Expr::col("id").eq(msg.id));
    let stored = match txn.execute(&upd).await {
        Ok(_) => txn.commit().await.map_err(ApiError::from),
        Err(e) => Err(e.into()),
    };
    if let Err(e) = stored {
        let _ = tokio::fs::rename(&to, &from).await;
        return Err(e);
    }
    Ok(())
}

/// The boxes of a tenant (or one of them): `Mailbox|Fullname|Email|Attach|` in plain.
pub async fn list_boxes(db: &Db, tenant: &TenantRef, only: Option<&str>) -> ApiResult<Output> {
    let cols = ["mailbox", "fullname", "email", "attach"];
    let mut q = Query::select();
    q.columns(cols)
        .from("voicemail_users")
        .and_where(Expr::col("te_id").eq(tenant.id))
        .order_by("mailbox", Order::Asc);
    if let Some(mailbox) = only {
        q.and_where(Expr::col("mailbox").eq(mailbox));
    }
    let mut table = Table::new(cols.map(String::from).to_vec())
        .with_plain_header("Mailbox|Fullname|Email|Attach|");
    for r in db.conn.query_all(&q).await? {
        table.rows.push(
            (0..cols.len())
                .map(|i| engine::cell(&r, i, Text(255)))
                .collect::<ApiResult<_>>()?,
        );
    }
    Ok(Output::Table(table))
}
