//! Files on disk: paths that can never leave their root, and file bodies served with HTTP Range.
//!
//! Every byte Switchboard serves or stores on disk (media, recordings, voicemail, faxes) is named
//! relative to a root directory. Names come from clients or from database rows that clients
//! influenced, so they are checked before they touch the file system, and the final path is
//! canonicalised and must still be inside the canonical root (which also catches symlinks out).

use crate::error::{ApiError, ApiResult};
use actix_web::{http::header, HttpRequest, HttpResponse};
use std::io::SeekFrom;
use std::path::{Component, Path, PathBuf};
use tokio::io::{AsyncReadExt, AsyncSeekExt};

pub use crate::output::FileBody;

/// The checks that need no file system: one relative name made of normal components.
fn check_relative(relative: &str) -> ApiResult<&Path> {
    let bad = |why: &str| {
        Err(ApiError::invalid(format!(
            "file name '{}' {why}",
            relative.escape_debug()
        )))
    };
    if relative.is_empty() {
        return bad("is empty");
    }
    if relative.contains('\0') {
        return bad("contains a NUL byte");
    }
    if relative.contains('\\') {
        return bad("contains a backslash");
    }
    let path = Path::new(relative);
    for component in path.components() {
        match component {
            Component::Normal(_) | Component::CurDir => {}
            Component::ParentDir => return bad("contains '..'"),
            Component::RootDir | Component::Prefix(_) => return bad("is absolute"),
        }
    }
    Ok(path)
}

fn canonical_root(root: &Path) -> ApiResult<PathBuf> {
    root.canonicalize()
        .map_err(|e| crate::error::internal(format!("storage root {}: {e}", root.display())))
}

/// The canonical path of an existing file `relative` under `root`; refuses absolute names, `..`,
/// NUL bytes and anything (a symlink included) that resolves outside the root.
pub fn resolve_inside(root: &Path, relative: &str) -> ApiResult<PathBuf> {
    let rel = check_relative(relative)?;
    let root = canonical_root(root)?;
    let missing = || ApiError::NotFound(format!("file '{}' not found", relative.escape_debug()));
    let full = root.join(rel).canonicalize().map_err(|_| missing())?;
    if !full.starts_with(&root) {
        return Err(ApiError::invalid(format!(
            "file name '{}' leaves its directory",
            relative.escape_debug()
        )));
    }
    if !full.is_file() {
        return Err(missing());
    }
    Ok(full)
}

/// Where to write a new file `relative` under `root`: its parent directories are created, the
/// parent is canonicalised and must be inside the root, and the file itself must not be a symlink.
pub fn resolve_new_inside(root: &Path, relative: &str) -> ApiResult<PathBuf> {
    let rel = check_relative(relative)?;
    std::fs::create_dir_all(root).map_err(crate::error::internal)?;
    let root = canonical_root(root)?;
    let (Some(parent), Some(name)) = (rel.parent(), rel.file_name()) else {
        return Err(ApiError::invalid(format!(
            "file name '{}' has no name",
            relative.escape_debug()
        )));
    };
    let parent = root.join(parent);
    std::fs::create_dir_all(&parent).map_err(crate::error::internal)?;
    let parent = parent.canonicalize().map_err(crate::error::internal)?;
    if !parent.starts_with(&root) {
        return Err(ApiError::invalid(format!(
            "file name '{}' leaves its directory",
            relative.escape_debug()
        )));
    }
    let full = parent.join(name);
    if full
        .symlink_metadata()
        .is_ok_and(|m| m.file_type().is_symlink())
    {
        return Err(ApiError::invalid(format!(
            "file name '{}' is a symbolic link",
            relative.escape_debug()
        )));
    }
    Ok(full)
}

/// A byte range of a file of `len` bytes, inclusive.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ByteRange {
    pub start: u64,
    pub end: u64,
}

/// What a `Range` header asks of a file of `len` bytes.
#[derive(Debug, PartialEq, Eq)]
pub enum RangeAsk {
    /// No usable Range header (absent, not `bytes=`, several ranges): send it all.
    Whole,
    Part(ByteRange),
    /// Syntactically fine but outside the file: 416.
    Unsatisfiable,
}

/// Parse a single `bytes=` range (RFC 9110 §14.1.2). Multi-range requests get the whole file,
/// which the RFC allows and every player handles.
pub fn parse_range(value: Option<&str>, len: u64) -> RangeAsk {
    let Some(spec) = value.and_then(|v| v.trim().strip_prefix("bytes=")) else {
        return RangeAsk::Whole;
    };
    if spec.contains(',') {
        return RangeAsk::Whole;
    }
    let Some((first, last)) = spec.trim().split_once('-') else {
        return RangeAsk::Whole;
    };
    let num = |s: &str| s.trim().parse::<u64>().ok();
    let range = match (first.trim().is_empty(), last.trim().is_empty()) {
        // bytes=-N: the last N bytes.
        (true, false) => match num(last) {
            Some(0) => return RangeAsk::Unsatisfiable,
            Some(n) if len > 0 => ByteRange {
                start: len.saturating_sub(n),
                end: len - 1,
            },
            Some(_) => return RangeAsk::Unsatisfiable,
            None => return RangeAsk::Whole,
        },
        // bytes=A-: from A to the end.
        (false, true) => match num(first) {
            Some(a) if a < len => ByteRange {
                start: a,
                end: len - 1,
            },
            Some(_) => return RangeAsk::Unsatisfiable,
            None => return RangeAsk::Whole,
        },
        (false, false) => match (num(first), num(last)) {
            (Some(a), Some(b)) if a <= b && a < len => ByteRange {
                start: a,
                end: b.min(len - 1),
            },
            (Some(a), Some(b)) if a <= b => return RangeAsk::Unsatisfiable,
            _ => return RangeAsk::Whole,
        },
        (true, true) => return RangeAsk::Whole,
    };
    RangeAsk::Part(range)
}

/// Send `file`, honouring a single-range `Range` header (206 / 416) and streaming the bytes
/// in chunks so a large recording never sits in memory.
pub async fn respond(req: &HttpRequest, file: &FileBody) -> ApiResult<HttpResponse> {
    let mut f = tokio::fs::File::open(&file.path)
        .await
        .map_err(crate::error::internal)?;
    let len = f.metadata().await.map_err(crate::error::internal)?.len();
    let asked = req
        .headers()
        .get(header::RANGE)
        .and_then(|v| v.to_str().ok());
    let (mut builder, start, count) = match parse_range(asked, len) {
        RangeAsk::Unsatisfiable => {
            return Ok(HttpResponse::RangeNotSatisfiable()
                .insert_header((header::CONTENT_RANGE, format!("bytes */{len}")))
                .finish())
        }
        RangeAsk::Whole => {
            let mut r = HttpResponse::Ok();
            r.no_chunking(len);
            (r, 0, len)
        }
        RangeAsk::Part(ByteRange { start, end }) => {
            let mut r = HttpResponse::PartialContent();
            r.insert_header((header::CONTENT_RANGE, format!("bytes {start}-{end}/{len}")));
            r.no_chunking(end - start + 1);
            (r, start, end - start + 1)
        }
    };
    f.seek(SeekFrom::Start(start))
        .await
        .map_err(crate::error::internal)?;
    builder.insert_header((header::CONTENT_TYPE, file.content_type.as_str()));
    builder.insert_header((header::ACCEPT_RANGES, "bytes"));
    builder.insert_header((header::CACHE_CONTROL, "no-store"));
    if let Some(name) = &file.filename {
        // Only a safe subset of characters reaches the header.
        let safe: String = name
            .chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() || "._-".contains(c) {
                    c
                } else {
                    '_'
                }
            })
            .collect();
        let kind = if file.inline { "inline" } else { "attachment" };
        builder.insert_header((
            header::CONTENT_DISPOSITION,
            format!("{kind}; filename=\"{safe}\""),
        ));
    }
    let stream = futures_util::stream::unfold(
        (f.take(count), vec![0u8; 64 * 1024]),
        |(mut f, mut buf)| async move {
            match f.read(&mut buf).await {
                Ok(0) => None,
                Ok(n) => {
                    let chunk = actix_web::web::Bytes::copy_from_slice(&buf[..n]);
                    Some((Ok::<_, std::io::Error>(chunk), (f, buf)))
                }
                Err(e) => Some((Err(e), (f, buf))),
            }
        },
    );
    Ok(builder.streaming(stream))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges() {
        let p = |s: &str| parse_range(Some(s), 100);
        assert_eq!(
            p("bytes=0-9"),
            RangeAsk::Part(ByteRange { start: 0, end: 9 })
        );
        assert_eq!(
            p("bytes=90-"),
            RangeAsk::Part(ByteRange { start: 90, end: 99 })
        );
        assert_eq!(
            p("bytes=-10"),
            RangeAsk::Part(ByteRange { start: 90, end: 99 })
        );
        assert_eq!(
            p("bytes=-1000"),
            RangeAsk::Part(ByteRange { start: 0, end: 99 })
        );
        assert_eq!(
            p("bytes=50-1000"),
            RangeAsk::Part(ByteRange { start: 50, end: 99 })
        );
        assert_eq!(p("bytes=100-"), RangeAsk::Unsatisfiable);
        assert_eq!(p("bytes=100-200"), RangeAsk::Unsatisfiable);
        assert_eq!(p("bytes=-0"), RangeAsk::Unsatisfiable);
        assert_eq!(p("bytes=9-0"), RangeAsk::Whole);
        assert_eq!(p("bytes=0-1,5-6"), RangeAsk::Whole);
        assert_eq!(p("items=0-1"), RangeAsk::Whole);
        assert_eq!(p("bytes=x-y"), RangeAsk::Whole);
        assert_eq!(parse_range(None, 100), RangeAsk::Whole);
        assert_eq!(parse_range(Some("bytes=0-"), 0), RangeAsk::Unsatisfiable);
    }

    #[tokio::test]
    async fn responds_with_ranges() {
        use actix_web::{body::to_bytes, test::TestRequest};
        let path = std::env::temp_dir().join(format!("sb-range-{}", uuid::Uuid::new_v4().simple()));
        std::fs::write(&path, b"0123456789").unwrap();
        let file = FileBody {
            path: path.clone(),
            content_type: "audio/wav".into(),
            filename: Some("a b\"\r\n.wav".into()),
            inline: false,
        };
        let get = |range: Option<&str>| {
            let mut req = TestRequest::default();
            if let Some(r) = range {
                req = req.insert_header((header::RANGE, r));
            }
            let req = req.to_http_request();
            let file = file.clone();
            async move {
                let resp = respond(&req, &file).await.unwrap();
                let status = resp.status().as_u16();
                let headers = resp.headers().clone();
                let body = to_bytes(resp.into_body()).await.unwrap();
                (status, headers, body)
            }
        };
        let (status, headers, body) = get(None).await;
        assert_eq!((status, &body[..]), (200, &b"0123456789"[..]));
        assert_eq!(headers.get(header::ACCEPT_RANGES).unwrap(), "bytes");
        assert_eq!(
            headers.get(header::CONTENT_DISPOSITION).unwrap(),
            "attachment; filename=\"a_b___.wav\""
        );
        let (status, headers, body) = get(Some("bytes=2-4")).await;
        assert_eq!((status, &body[..]), (206, &b"234"[..]));
        assert_eq!(headers.get(header::CONTENT_RANGE).unwrap(), "bytes 2-4/10");
        let (status, headers, _) = get(Some("bytes=10-")).await;
        assert_eq!(status, 416);
        assert_eq!(headers.get(header::CONTENT_RANGE).unwrap(), "bytes */10");
        std::fs::remove_file(&path).unwrap();
    }

    #[test]
    fn names_stay_inside() {
        let root = std::env::temp_dir().join(format!("sb-files-{}", uuid::Uuid::new_v4().simple()));
        std::fs::create_dir_all(root.join("a")).unwrap();
        std::fs::write(root.join("a/x.wav"), b"x").unwrap();
        let outside = root.with_extension("outside");
        std::fs::write(&outside, b"secret").unwrap();
        #[cfg(unix)]
        std::os::unix::fs::symlink(&outside, root.join("a/link.wav")).unwrap();

        assert!(resolve_inside(&root, "a/x.wav").is_ok());
        assert!(resolve_inside(&root, "./a/x.wav").is_ok());
        for bad in [
            "",
            "../x",
            "a/../../x",
            "/etc/passwd",
            "a/x.wav\0",
            "a\\x.wav",
            "a/link.wav",
        ] {
            assert!(resolve_inside(&root, bad).is_err(), "{bad:?} accepted");
        }
        assert!(matches!(
            resolve_inside(&root, "a/none.wav"),
            Err(ApiError::NotFound(_))
        ));
        assert!(matches!(
            resolve_inside(&root, "a"),
            Err(ApiError::NotFound(_))
        ));

        let new = resolve_new_inside(&root, "b/c/new.wav").unwrap();
        assert!(new.starts_with(root.canonicalize().unwrap()));
        for bad in ["../new", "/tmp/new", "b/../../new", "a/link.wav"] {
            assert!(resolve_new_inside(&root, bad).is_err(), "{bad:?} accepted");
        }
        std::fs::remove_dir_all(&root).unwrap();
        std::fs::remove_file(&outside).unwrap();
    }
}

// --- Files that may have outlived their rows ---------------------------------------------------

/// A store of files that rows refer to by name. A delete records, in its own transaction, each
/// name it may have orphaned ([`release`]); after the commit [`collect`] removes the file only if
/// no row refers to that name any more (a new row may have taken it meanwhile).
pub struct FileStore {
    pub name: &'static str,
    root: fn(&crate::config::Config) -> PathBuf,
    /// The table and column whose rows name the files, and the rows' tenant column.
    table: &'static str,
    column: &'static str,
    tenant_col: &'static str,
    /// The file's path under the root, from the name a row holds.
    path: fn(&str) -> ApiResult<String>,
}

/// The content-addressed media store: rows hold the SHA-256 that names the content.
pub static MEDIA: FileStore = FileStore {
    name: "media",
    root: crate::config::Config::media_dir,
    table: "me_mediafiles",
    column: "me_sha256",
    tenant_col: "me_te_id",
    path: content_path,
};

/// The path of content `sha256` under the media store's root (checked to be 64 hex digits).
pub(crate) fn content_path(sha256: &str) -> ApiResult<String> {
    if sha256.len() != 64 || !sha256.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(crate::error::internal(format!("not a sha256: {sha256:?}")));
    }
    Ok(format!("{}/{sha256}", &sha256[..2]))
}

/// The voicemail spool: message rows hold the path under the spool.
pub static VOICEMAIL: FileStore = FileStore {
    name: "voicemail",
    root: crate::config::Config::voicemail_dir,
    table: "voicemail_messages",
    column: "recording",
    tenant_col: "te_id",
    path: |name| Ok(name.to_string()),
};

/// Sent and received faxes: rows hold the path under the fax directory.
pub static FAX: FileStore = FileStore {
    name: "fax",
    root: crate::config::Config::fax_dir,
    table: "fx_faxes",
    column: "fx_file",
    tenant_col: "fx_te_id",
    path: |name| Ok(name.to_string()),
};

static STORES: &[&FileStore] = &[&MEDIA, &VOICEMAIL, &FAX];

/// Inside the transaction that deletes a tenant (before its rows go): release every file its
/// rows name, in every store.
pub async fn release_tenant(conn: &impl sea_orm::ConnectionTrait, te_id: i32) -> ApiResult<()> {
    use sea_orm::sea_query::{Expr, ExprTrait, Query};
    for store in STORES {
        let mut q = Query::select();
        q.distinct()
            .column(store.column)
            .from(store.table)
            .and_where(Expr::col(store.tenant_col).eq(te_id));
        for row in conn.query_all(&q).await? {
            if let Ok(Some(name)) = row.try_get_by_index::<Option<String>>(0) {
                release(conn, store, &name).await?;
            }
        }
    }
    Ok(())
}

/// Note, inside a write transaction, that the file `name` of `store` may have lost its last row.
pub async fn release(
    conn: &impl sea_orm::ConnectionTrait,
    store: &FileStore,
    name: &str,
) -> ApiResult<()> {
    if name.is_empty() {
        return Ok(());
    }
    let mut ins = sea_orm::sea_query::Query::insert();
    ins.into_table("fg_filegarbage")
        .columns(["fg_store", "fg_name"])
        .values_panic([store.name.into(), name.into()]);
    conn.execute(&ins).await?;
    Ok(())
}

/// After a commit: remove released files that no row refers to any more. Failures are logged
/// and stay queued for the next run; they never fail the request that caused them.
pub async fn collect(db: &crate::db::Db, config: &crate::config::Config) {
    for store in STORES {
        if let Err(e) = collect_store(db, config, store).await {
            tracing::warn!("{} clean-up: {e}", store.name);
        }
    }
}

async fn collect_store(
    db: &crate::db::Db,
    config: &crate::config::Config,
    store: &FileStore,
) -> ApiResult<()> {
    use sea_orm::sea_query::{Expr, ExprTrait, Query};
    use sea_orm::ConnectionTrait;
    let mut q = Query::select();
    q.distinct()
        .column("fg_name")
        .from("fg_filegarbage")
        .and_where(Expr::col("fg_store").eq(store.name))
        .limit(1000);
    let names: Vec<String> = db
        .conn
        .query_all(&q)
        .await?
        .iter()
        .filter_map(|r| r.try_get_by_index::<String>(0).ok())
        .collect();
    let root = (store.root)(config);
    for name in names {
        let txn = db.begin_write().await?;
        let mut used = Query::select();
        used.expr(Expr::cust("COUNT(*)"))
            .from(store.table)
            .and_where(Expr::col(store.column).eq(name.clone()));
        let unused = crate::db::count(&*txn, used).await? == 0;
        // A name that could never be served, or a file already gone: nothing to remove.
        if let (true, true, Ok(rel)) = (unused, root.is_dir(), (store.path)(&name)) {
            match resolve_inside(&root, &rel) {
                Ok(path) => tokio::fs::remove_file(&path)
                    .await
                    .map_err(crate::error::internal)?,
                Err(ApiError::NotFound(_) | ApiError::Invalid(_)) => {}
                Err(e) => return Err(e),
            }
        }
        let mut del = Query::delete();
        del.from_table("fg_filegarbage")
            .and_where(Expr::col("fg_store").eq(store.name))
            .and_where(Expr::col("fg_name").eq(name));
        txn.execute(&del).await?;
        txn.commit().await?;
    }
    Ok(())
}
