//! Call recordings: `re_recordings` rows name files under the recordings root
//! (`Config::recordings_dir`). INFO `recording` / `playrecording` send the bytes (attachment /
//! inline, HTTP Range), `inforecording` describes one, `recordings` lists them by date; `switchboard
//! recordings scan DIR` indexes files already on disk.
//!
//! A recording is asked for by `id`: the call's uniqueid (`srv02-1531779475.48`) or a DIAL id,
//! which reaches the recording through the CDRs that carry it as `originateid` (or the call's
//! uniqueid recorded with the DIAL). Every lookup is limited to the caller's tenant, and every
//! file name goes through [`files::resolve_inside`]: a row pointing outside the root (`..`, an
//! absolute path, a symlink out, a NUL byte) is refused, never served.

use crate::auth::Caller;
use crate::cdr::report::{self, text, Report, ReportQuery};
use crate::db::{CellType, Db};
use crate::error::{ApiError, ApiResult};
use crate::files::{self, FileBody};
use crate::output::{Output, RowStream};
use sea_orm::sea_query::{Cond, Expr, ExprTrait, Order, Query};
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, QueryOrder, Set};
use std::path::{Path, PathBuf};

pub const RECORDINGS: Report = Report {
    table: "re_recordings",
    tenant_col: "re_te_id",
    time_col: "re_date",
    id_col: "re_id",
    // (`format` names the output format, so there is no filter on re_format.)
    filters: &[text("uniqueid", &["re_uniqueid"])],
};

/// INFO recordings columns.
const LIST_COLUMNS: &[(&str, CellType)] = &[
    ("re_id", CellType::Int),
    ("re_te_id", CellType::Int),
    ("re_uniqueid", CellType::Text),
    ("re_date", CellType::DateTime),
    ("re_name", CellType::Text),
    ("re_format", CellType::Text),
    ("re_size", CellType::Int),
];

/// INFO recordings: the caller's recordings by `start`/`end` (on the call's start), streamed.
pub async fn list(db: &Db, caller: &Caller, query: &ReportQuery) -> ApiResult<RowStream> {
    report::own_columns(db, caller, query, &RECORDINGS, LIST_COLUMNS).await
}

/// One recording row.
struct Found {
    id: String,
    uniqueid: String,
    date: String,
    name: String,
    format: String,
    size: String,
}

/// The caller's first recording (by call start) of the call `id` names: a uniqueid, or a DIAL
/// id through the CDRs whose `originateid` it is and the uniqueid stored with the DIAL.
async fn find(db: &Db, caller: &Caller, id: &str) -> ApiResult<Option<Found>> {
    let t = RECORDINGS.table;
    let mut by_cdr = Query::select();
    by_cdr
        .column(("cdr", "uniqueid"))
        .from("cdr")
        .and_where(Expr::col(("cdr", "originateid")).eq(id));
    let mut by_dial = Query::select();
    by_dial
        .column(("dc_dialcalls", "dc_uniqueid"))
        .from("dc_dialcalls")
        .and_where(Expr::col(("dc_dialcalls", "dc_originateid")).eq(id))
        .and_where(Expr::col(("dc_dialcalls", "dc_uniqueid")).ne(""));
    let mut q = Query::select();
    q.columns([
        (t, "re_id"),
        (t, "re_uniqueid"),
        (t, "re_date"),
        (t, "re_name"),
        (t, "re_format"),
        (t, "re_size"),
    ])
    .from(t)
    .order_by((t, "re_date"), Order::Asc)
    .order_by((t, "re_id"), Order::Asc)
    .limit(1);
    if let Some(tenant) = &caller.tenant {
        q.and_where(Expr::col((t, "re_te_id")).eq(tenant.id));
        by_cdr.and_where(Expr::col(("cdr", "te_id")).eq(tenant.id));
        by_dial.and_where(Expr::col(("dc_dialcalls", "dc_te_id")).eq(tenant.id));
    }
    q.cond_where(
        Cond::any()
            .add(Expr::col((t, "re_uniqueid")).eq(id))
            .add(Expr::col((t, "re_uniqueid")).in_subquery(by_cdr))
            .add(Expr::col((t, "re_uniqueid")).in_subquery(by_dial)),
    );
    use CellType::{DateTime, Int, Text};
    let row = db
        .read_cells(&q, &[Int, Text, DateTime, Text, Text, Int])
        .await?
        .into_iter()
        .next();
    Ok(row.map(|r| {
        let mut r = r.into_iter().map(Option::unwrap_or_default);
        let mut next = || r.next().unwrap_or_default();
        Found {
            id: next(),
            uniqueid: next(),
            date: next(),
            name: next(),
            format: next(),
            size: next(),
        }
    }))
}

/// The last component of a stored name (what clients are told and offered as file name).
fn base_name(name: &str) -> &str {
    name.rsplit('/').next().unwrap_or(name)
}

/// The content type of a recording format (Asterisk writes `wav49` as `.WAV`, a RIFF file).
fn content_type(format: &str) -> &'static str {
    match format {
        "wav49" => "audio/wav",
        other => crate::media::content_type(other),
    }
}

/// INFO recording (`inline` false) and playrecording (true): the file, with HTTP Range.
pub async fn file(
    db: &Db,
    root: &Path,
    caller: &Caller,
    id: &str,
    inline: bool,
) -> ApiResult<Output> {
    let found = find(db, caller, id)
        .await?
        .ok_or_else(|| ApiError::NotFound(format!("parameter 'id': no recording of '{id}'")))?;
    let path = files::resolve_inside(root, &found.name).map_err(|e| {
        if matches!(e, ApiError::Invalid(_)) {
            // A row that points outside the root was written by someone who should not have.
            tracing::warn!(re_id = %found.id, error = %e, "recording refused");
        }
        e
    })?;
    Ok(Output::File(FileBody {
        path,
        content_type: content_type(&found.format).to_string(),
        filename: Some(base_name(&found.name).to_string()),
        inline,
    }))
}

/// INFO inforecording: one line `<re_uniqueid>|<id>|<file name>|<Y-m-d H:i:s>|<format>|<size>`
/// as it is in every format (clients split it even when they asked for json): the uniqueid the recording is filed under, the id
/// the request named (that uniqueid, or the DIAL id it was found by), the file's base name, the
/// call's start, the format and the size in bytes. A miss is an empty answer.
pub async fn info(db: &Db, caller: &Caller, id: &str) -> ApiResult<Output> {
    Ok(match find(db, caller, id).await? {
        Some(f) => Output::Line(format!(
            "{}|{}|{}|{}|{}|{}",
            f.uniqueid,
            id,
            base_name(&f.name),
            f.date,
            f.format,
            f.size
        )),
        None => Output::Line(String::new()),
    })
}

/// File extensions taken for recordings, lower-cased (the format stored is the extension).
const AUDIO_EXTENSIONS: &[&str] = &[
    "wav", "wav49", "gsm", "mp3", "ogg", "opus", "ulaw", "alaw", "sln", "sln16", "g722", "g729",
];

/// What a scan did.
#[derive(Debug, Default)]
pub struct ScanSummary {
    pub files: u64,
    pub indexed: u64,
    pub present: u64,
    /// Audio files named after no known call (relative names).
    pub orphans: Vec<String>,
    /// Files that are not recordings, symlinks and unreadable entries, with why.
    pub skipped: Vec<(String, String)>,
}

impl std::fmt::Display for ScanSummary {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} files: {} indexed, {} already indexed, {} without a CDR, {} skipped",
            self.files,
            self.indexed,
            self.present,
            self.orphans.len(),
            self.skipped.len()
        )
    }
}

/// Every regular file under `dir`, not following symlinks (they are reported as skipped).
fn walk(dir: &Path, out: &mut Vec<PathBuf>, skipped: &mut Vec<(String, String)>) {
    let entries = match std::fs::read_dir(dir) {
        Ok(e) => e,
        Err(e) => {
            skipped.push((dir.display().to_string(), e.to_string()));
            return;
        }
    };
    let mut paths: Vec<PathBuf> = entries.filter_map(|e| e.ok().map(|e| e.path())).collect();
    paths.sort();
    for path in paths {
        match path.symlink_metadata() {
            Ok(m) if m.file_type().is_symlink() => {
                skipped.push((path.display().to_string(), "a symbolic link".into()))
            }
            Ok(m) if m.is_dir() => walk(&path, out, skipped),
            Ok(m) if m.is_file() => out.push(path),
            Ok(_) => skipped.push((path.display().to_string(), "not a regular file".into())),
            Err(e) => skipped.push((path.display().to_string(), e.to_string())),
        }
    }
}

/// `switchboard recordings scan DIR`: index the audio files under `dir` (inside `root`) that
/// are named after a call uniqueid (`srv02-1531779475.48.wav`, in any subfolder). The tenant
/// and date come from the call's first CDR, the format from the extension, the size from the
/// file; names are stored relative to the root. Files already indexed are left alone.
pub async fn scan(db: &Db, root: &Path, dir: &Path) -> ApiResult<ScanSummary> {
    use entity::{cdr, re_recordings};
    let bad = |what: &Path, e: std::io::Error| {
        ApiError::invalid(format!("cannot read {}: {e}", what.display()))
    };
    let root = root.canonicalize().map_err(|e| bad(root, e))?;
    let dir = dir.canonicalize().map_err(|e| bad(dir, e))?;
    if !dir.starts_with(&root) {
        return Err(ApiError::invalid(format!(
            "{} is not inside the recordings root {} (SWITCHBOARD_RECORDINGS_DIR)",
            dir.display(),
            root.display()
        )));
    }
    let mut summary = ScanSummary::default();
    let mut found = Vec::new();
    walk(&dir, &mut found, &mut summary.skipped);
    for path in found {
        summary.files += 1;
        let shown = path.display().to_string();
        let mut skip = |why: &str| summary.skipped.push((shown.clone(), why.to_string()));
        let Some(name) = path
            .strip_prefix(&root)
            .ok()
            .and_then(|p| p.to_str())
            .map(|p| p.replace(std::path::MAIN_SEPARATOR, "/"))
        else {
            skip("name is not UTF-8");
            continue;
        };
        let (Some(uniqueid), Some(ext)) = (
            path.file_stem().and_then(|s| s.to_str()),
            path.extension().and_then(|s| s.to_str()),
        ) else {
            skip("not named <uniqueid>.<format>");
            continue;
        };
        let format = ext.to_ascii_lowercase();
        if !AUDIO_EXTENSIONS.contains(&format.as_str()) {
            skip("not an audio file extension");
            continue;
        }
        if name.len() > 255 || uniqueid.len() > 64 {
            skip("name too long");
            continue;
        }
        let Ok(size) = std::fs::metadata(&path)
            .map_err(|_| ())
            .and_then(|m| i32::try_from(m.len()).map_err(|_| ()))
        else {
            skip("unreadable or larger than 2 GiB");
            continue;
        };
        let present = re_recordings::Entity::find()
            .filter(re_recordings::Column::ReName.eq(name.as_str()))
            .one(&db.conn)
            .await?;
        if present.is_some() {
            summary.present += 1;
            continue;
        }
        let call = cdr::Entity::find()
            .filter(cdr::Column::Uniqueid.eq(uniqueid))
            .order_by_asc(cdr::Column::Start)
            .order_by_asc(cdr::Column::Id)
            .one(&db.conn)
            .await?;
        let Some(call) = call else {
            summary.orphans.push(name);
            continue;
        };
        re_recordings::ActiveModel {
            re_te_id: Set(call.te_id),
            re_uniqueid: Set(uniqueid.to_string()),
            re_date: Set(call.start),
            re_name: Set(name),
            re_format: Set(format),
            re_size: Set(size),
            ..Default::default()
        }
        .insert(&db.conn)
        .await?;
        summary.indexed += 1;
    }
    Ok(summary)
}

/// Whether the caller's tenant (any tenant for an admin without one) has a recording of the
/// call a uniqueid or DIAL id names.
pub async fn exists(db: &Db, caller: &Caller, id: &str) -> ApiResult<bool> {
    Ok(find(db, caller, id).await?.is_some())
}
