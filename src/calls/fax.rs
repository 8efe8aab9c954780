//! Faxes: send (reqtype FAX `action=send`, multipart `filename`: a PDF or TIFF, `number`),
//! list, download (`id`); INFO `fax` is the same list.
//!
//! A fax is stored under the fax directory as `<TENANT>/<uuid>.<pdf|tif>` (the client's file
//! name is kept for display only, never used as a path), recorded in `fx_faxes`, and handed to a
//! node as an Originate. **Dialplan contract** (on every node):
//!
//! - Channel `Local/<number>@<tenant context>`: the tenant's own outbound routing dials the
//!   number (caller id `callerid`).
//! - When it answers, the originated side runs context `switchboard-fax-out`, extension `s`,
//!   with channel variables `TENANT`, `FAXID` (the fax's id, `<node>-<16 hex>`), `FAXFILE` (the
//!   stored file's absolute path as this server sees it: mount the fax directory at the same
//!   path on the nodes), `FAXTYPE` (`pdf` or `tiff`; SendFAX needs TIFF, so convert a PDF first)
//!   and `FAXSTATIONID`.
//! - Its `h` extension reports the result:
//!   `UserEvent(SwitchboardFax,FaxID: ${FAXID},Status: ${FAXOPT(status)},Pages: ${FAXOPT(pages)},Error: ${FAXOPT(error)})`.
//!
//! Status: `queued` (the node took the Originate) → `sending` (answered) → `sent` / `failed`
//! (from the user event); `failed` also when the call is not answered; `refused` when the node
//! refused the Originate; `unknown` when its outcome never came.

use super::{on_outcome, originate, originate_id, pick_node, Outcome, PhoneNumber};
use crate::ami::Variable;
use crate::args::Upload;
use crate::auth::TenantRef;
use crate::cluster::events::Event;
use crate::cluster::Cluster;
use crate::db::{CellType, Db};
use crate::error::{ApiError, ApiResult};
use crate::files::{resolve_inside, resolve_new_inside, FileBody};
use crate::output::{Output, Table};
use entity::fx_faxes;
use sea_orm::sea_query::{Expr, ExprTrait, Order, Query};
use sea_orm::{ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, Set};
use std::path::Path;
use std::time::Duration;

/// The largest fax document accepted.
pub const MAX_BYTES: usize = 10 << 20;
/// The dialplan context that sends the document once the number answered.
pub const FAX_CONTEXT: &str = "switchboard-fax-out";
/// The router key of the status event.
pub const USER_EVENT_KEY: &str = "UserEvent:SwitchboardFax";

/// The document type by its first bytes: PDF (`%PDF-`) or TIFF (`II*\0`, `MM\0*`).
pub fn kind_of(bytes: &[u8]) -> Option<(&'static str, &'static str, &'static str)> {
    if bytes.starts_with(b"%PDF-") {
        Some(("pdf", "pdf", "application/pdf"))
    } else if bytes.starts_with(b"II*\0") || bytes.starts_with(b"MM\0*") {
        Some(("tiff", "tif", "image/tiff"))
    } else {
        None
    }
}

/// The client's name, for display: no path, no control characters, at most 190 characters.
fn display_name(name: &str) -> String {
    let base = name.rsplit(['/', '\\']).next().unwrap_or("");
    base.chars().filter(|c| !c.is_control()).take(190).collect()
}

/// A document to fax: a PDF or TIFF of at most [`MAX_BYTES`].
pub struct Document {
    /// The client's file name (for display only).
    pub filename: String,
    pub bytes: Vec<u8>,
    pub kind: &'static str,
    pub ext: &'static str,
}

impl Document {
    /// The uploaded file, checked; errors name parameter `filename`.
    pub async fn read(upload: &Upload) -> ApiResult<Document> {
        if upload.len() > MAX_BYTES as u64 {
            return Err(ApiError::invalid(format!(
                "parameter 'filename': the document is larger than {} MiB",
                MAX_BYTES >> 20
            )));
        }
        let bytes = upload.bytes().await?;
        let (kind, ext, _) = kind_of(&bytes).ok_or_else(|| {
            ApiError::invalid("parameter 'filename' must be a PDF or TIFF document")
        })?;
        Ok(Document {
            filename: upload.filename.clone(),
            bytes,
            kind,
            ext,
        })
    }
}

/// A fax to send, checked at the edge: the document, the number, and the caller id and
/// station id as AMI header values.
pub struct Outgoing<'a> {
    pub document: Document,
    pub number: &'a PhoneNumber,
    pub callerid: &'a str,
    pub stationid: &'a str,
    /// The node to send through (else one is picked).
    pub server: Option<&'a str>,
}

/// Store the document and hand it to a node; answers the fax's row.
pub async fn send(
    db: &Db,
    cluster: &Cluster,
    fax_dir: &Path,
    t: &TenantRef,
    fax: Outgoing<'_>,
) -> ApiResult<Table> {
    let doc = &fax.document;
    let (kind, ext) = (doc.kind, doc.ext);
    let (number, callerid, stationid) = (fax.number.as_str(), fax.callerid, fax.stationid);
    let (_, context) = crate::objects::extension::tenant_context(&db.conn, t.id).await?;
    let node = pick_node(cluster, t, fax.server, None).await?;
    let id = originate_id(&node.name);
    let stored = format!("{}/{}.{ext}", t.code, uuid::Uuid::new_v4().simple());
    let path = resolve_new_inside(fax_dir, &stored)?;
    // Built before anything is stored: a value it refuses leaves nothing behind.
    let action = crate::ami::Action::new("Originate")
        .header("Channel", format!("Local/{number}@{context}"))
        .header("Context", FAX_CONTEXT)
        .header("Exten", "s")
        .header("Priority", "1")
        .header("CallerID", callerid)
        .header("Timeout", "60000")
        .variable(Variable::new("tenant", "TENANT", &t.code, 20)?)
        .variable(Variable::new("FAXID", "FAXID", &id, 120)?)
        .variable(Variable::new(
            "FAXFILE",
            "FAXFILE",
            &path.display().to_string(),
            1000,
        )?)
        .variable(Variable::new("FAXTYPE", "FAXTYPE", kind, 20)?)
        .variable(Variable::new("stationid", "FAXSTATIONID", stationid, 20)?);
    tokio::fs::write(&path, &doc.bytes)
        .await
        .map_err(crate::error::internal)?;
    let now = chrono::Utc::now().naive_utc();
    let row = fx_faxes::ActiveModel {
        fx_te_id: Set(t.id),
        fx_direction: Set("out".into()),
        fx_number: Set(number.to_string()),
        fx_callerid: Set(callerid.to_string()),
        fx_stationid: Set(stationid.to_string()),
        fx_status: Set("queued".into()),
        fx_name: Set(display_name(&doc.filename)),
        fx_file: Set(stored),
        fx_type: Set(kind.into()),
        fx_size: Set(doc.bytes.len() as i32),
        fx_pages: Set(0),
        fx_node: Set(node.name.clone()),
        fx_originateid: Set(id.clone()),
        fx_uniqueid: Set(String::new()),
        fx_message: Set(String::new()),
        fx_created: Set(now),
        fx_updated: Set(None),
        ..Default::default()
    };
    let row = match row.insert(&db.conn).await {
        Ok(row) => row,
        Err(e) => {
            let _ = tokio::fs::remove_file(&path).await;
            return Err(e.into());
        }
    };
    let sent = originate(
        &node.client,
        action,
        cluster.settings.action_timeout,
        Duration::from_secs(120),
    )
    .await;
    let (status, message) = match &sent {
        Ok(_) => ("queued", String::new()),
        Err(crate::ami::AmiError::Refused(m)) => ("refused", m.clone()),
        Err(crate::ami::AmiError::NotConnected) => ("failed", "the node was not connected".into()),
        Err(e) => ("unknown", e.to_string()),
    };
    if status != "queued" {
        set_status(&db.conn, row.fx_id, "queued", status, &message).await?;
    }
    match sent {
        Ok(pending) => {
            let outcome_db = db.clone();
            on_outcome("FAX", pending, move |o| {
                Box::pin(record_outcome(outcome_db, id, o))
            });
            let only = Filter {
                id: Some(row.fx_id),
                ..Filter::default()
            };
            list(db, Some(t), &only).await
        }
        Err(e) => Err(ApiError::Conflict(format!(
            "fax {} {status}: {e}",
            row.fx_id
        ))),
    }
}

async fn set_status(
    conn: &impl ConnectionTrait,
    fx_id: i32,
    from: &str,
    to: &str,
    message: &str,
) -> ApiResult<()> {
    let mut u = Query::update();
    u.table(fx_faxes::Entity)
        .value(fx_faxes::Column::FxStatus, to)
        .value(
            fx_faxes::Column::FxMessage,
            message.chars().take(255).collect::<String>(),
        )
        .value(fx_faxes::Column::FxUpdated, chrono::Utc::now().naive_utc())
        .and_where(Expr::col(fx_faxes::Column::FxId).eq(fx_id))
        .and_where(Expr::col(fx_faxes::Column::FxStatus).eq(from));
    conn.execute(&u).await?;
    Ok(())
}

/// The OriginateResponse: answered → `sending`, else `failed`; nothing within the limit →
/// `unknown`. Only a fax still `queued` changes (the user event may already have ended it).
async fn record_outcome(db: crate::db::Db, id: String, o: Option<Outcome>) -> ApiResult<()> {
    let Some(row) = fx_faxes::Entity::find()
        .filter(fx_faxes::Column::FxOriginateid.eq(id.as_str()))
        .one(&db.conn)
        .await?
    else {
        return Ok(());
    };
    let (status, message) = match &o {
        Some(o) if o.success => ("sending", String::new()),
        Some(o) => ("failed", format!("not answered (reason {})", o.reason)),
        None => ("unknown", "no call outcome from the node".to_string()),
    };
    let txn = db.begin_write().await?;
    set_status(&*txn, row.fx_id, "queued", status, &message).await?;
    if let Some(o) = o.filter(|o| !o.uniqueid.is_empty()) {
        let mut u = Query::update();
        u.table(fx_faxes::Entity)
            .value(fx_faxes::Column::FxUniqueid, o.uniqueid)
            .and_where(Expr::col(fx_faxes::Column::FxId).eq(row.fx_id));
        txn.execute(&u).await?;
    }
    txn.commit().await?;
    Ok(())
}

/// `UserEvent: SwitchboardFax` from the node that sent the fax: its final status and pages.
pub async fn on_user_event(e: Event) -> ApiResult<()> {
    let m = &e.message;
    let id = m.get("FaxID").unwrap_or("").trim();
    if id.is_empty() {
        return Err(ApiError::invalid(
            "SwitchboardFax event: header 'FaxID' is missing",
        ));
    }
    let status = match m
        .get("Status")
        .unwrap_or("")
        .trim()
        .to_ascii_uppercase()
        .as_str()
    {
        "SUCCESS" => "sent",
        "FAILED" => "failed",
        _ => {
            return Err(ApiError::invalid(
                "SwitchboardFax event: header 'Status' must be SUCCESS or FAILED",
            ))
        }
    };
    let pages = match m.get("Pages").map(str::trim).filter(|v| !v.is_empty()) {
        None => 0,
        Some(v) => v.parse::<i32>().ok().filter(|n| *n >= 0).ok_or_else(|| {
            ApiError::invalid("SwitchboardFax event: header 'Pages' must be a whole number")
        })?,
    };
    let message: String = m
        .get("Error")
        .unwrap_or("")
        .trim()
        .chars()
        .take(255)
        .collect();
    let mut u = Query::update();
    u.table(fx_faxes::Entity)
        .value(fx_faxes::Column::FxStatus, status)
        .value(fx_faxes::Column::FxPages, pages)
        .value(fx_faxes::Column::FxMessage, message)
        .value(fx_faxes::Column::FxUpdated, chrono::Utc::now().naive_utc())
        .and_where(Expr::col(fx_faxes::Column::FxOriginateid).eq(id))
        .and_where(Expr::col(fx_faxes::Column::FxNode).eq(e.node.as_str()))
        .and_where(Expr::col(fx_faxes::Column::FxStatus).is_in(["queued", "sending", "unknown"]));
    let txn = e.db.begin_write().await?;
    txn.execute(&u).await?;
    txn.commit().await?;
    Ok(())
}

const COLUMNS: &[&str] = &[
    "fx_id",
    "fx_te_id",
    "fx_direction",
    "fx_number",
    "fx_callerid",
    "fx_status",
    "fx_pages",
    "fx_name",
    "fx_type",
    "fx_size",
    "fx_node",
    "fx_originateid",
    "fx_message",
    "fx_created",
    "fx_updated",
];

/// Which faxes a list shows (each lower-cased text must match exactly).
#[derive(Debug, Default)]
pub struct Filter {
    pub id: Option<i32>,
    pub status: Option<String>,
    pub direction: Option<String>,
}

/// The faxes of `tenant` (`None`: an admin's view of every tenant), newest first.
pub async fn list(db: &Db, tenant: Option<&TenantRef>, filter: &Filter) -> ApiResult<Table> {
    let mut q = Query::select();
    q.columns(COLUMNS.iter().copied())
        .from(fx_faxes::Entity)
        .order_by(fx_faxes::Column::FxId, Order::Desc);
    if let Some(t) = tenant {
        q.and_where(Expr::col(fx_faxes::Column::FxTeId).eq(t.id));
    }
    if let Some(id) = filter.id {
        q.and_where(Expr::col(fx_faxes::Column::FxId).eq(id));
    }
    for (value, col) in [
        (&filter.status, fx_faxes::Column::FxStatus),
        (&filter.direction, fx_faxes::Column::FxDirection),
    ] {
        if let Some(v) = value {
            q.and_where(Expr::col(col).eq(v.trim().to_ascii_lowercase()));
        }
    }
    let types: Vec<CellType> = COLUMNS
        .iter()
        .map(|c| match *c {
            "fx_id" | "fx_te_id" | "fx_pages" | "fx_size" => CellType::Int,
            "fx_created" | "fx_updated" => CellType::DateTime,
            _ => CellType::Text,
        })
        .collect();
    let rows = db.read_cells(&q, &types).await?;
    let mut table = Table::new(COLUMNS.iter().map(|c| c.to_string()).collect());
    table.rows = rows;
    Ok(table)
}

/// The document of fax `id` of `tenant` (`None`: any tenant's), as an attachment.
pub async fn download(
    db: &Db,
    fax_dir: &Path,
    tenant: Option<&TenantRef>,
    id: i32,
) -> ApiResult<Output> {
    let mut find = fx_faxes::Entity::find().filter(fx_faxes::Column::FxId.eq(id));
    if let Some(t) = tenant {
        find = find.filter(fx_faxes::Column::FxTeId.eq(t.id));
    }
    let row = find
        .one(&db.conn)
        .await?
        .ok_or_else(|| ApiError::NotFound(format!("parameter 'id': no fax {id}")))?;
    let (_, ext, content_type) = match row.fx_type.as_str() {
        "pdf" => kind_of(b"%PDF-"),
        _ => kind_of(b"II*\0"),
    }
    .ok_or_else(|| crate::error::internal("fax type"))?;
    Ok(Output::File(FileBody {
        path: resolve_inside(fax_dir, &row.fx_file)?,
        content_type: content_type.into(),
        filename: Some(format!("fax-{}.{ext}", row.fx_id)),
        inline: false,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn documents_are_recognised_by_their_bytes() {
        assert_eq!(kind_of(b"%PDF-1.4\n").map(|k| k.0), Some("pdf"));
        assert_eq!(kind_of(b"II*\0\x08\0\0\0").map(|k| k.0), Some("tiff"));
        assert_eq!(kind_of(b"MM\0*\0\0\0\x08").map(|k| k.0), Some("tiff"));
        assert_eq!(kind_of(b"RIFF....WAVE"), None);
        assert_eq!(kind_of(b""), None);
    }

    #[test]
    fn display_names_drop_paths_and_controls() {
        assert_eq!(display_name("../../etc/passwd"), "passwd");
        assert_eq!(display_name("C:\\x\\a\r\nb.pdf"), "ab.pdf");
    }
}
