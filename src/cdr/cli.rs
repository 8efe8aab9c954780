//! `switchboard cdr …`, `switchboard queuelog import`, `switchboard recordings scan`: the command-line side of call records.

use super::import::{self, Layout, Summary};
use crate::db::Db;
use crate::error::ApiError;
use clap::Subcommand;
use indicatif::{ProgressBar, ProgressStyle};
use std::path::{Path, PathBuf};

#[derive(Subcommand)]
pub enum CdrCmd {
    /// Import a cdr_csv Master.csv (or a cdr_custom file with --format). Idempotent.
    Import {
        file: PathBuf,
        /// The Asterisk node the file comes from.
        #[arg(long)]
        node: String,
        /// cdr_custom column layout: comma list of accountcode, src, dst, dcontext, clid,
        /// channel, dstchannel, lastapp, lastdata, start, answer, end, duration, billsec,
        /// disposition, amaflags, uniqueid, userfield, linkedid, peeraccount, originateid,
        /// or '-' to skip a column. Default: the cdr_csv columns.
        #[arg(long)]
        format: Option<String>,
        /// The zone the node writes its times in (IANA name, e.g. Europe/Rome); they are
        /// stored in UTC. Default UTC (Asterisk's `usegmtime=yes`).
        #[arg(long, default_value = "UTC")]
        tz: String,
    },
}

#[derive(Subcommand)]
pub enum QueuelogCmd {
    /// Import an Asterisk queue_log file. Idempotent.
    Import {
        file: PathBuf,
        #[arg(long)]
        node: String,
    },
}

#[derive(Subcommand)]
pub enum RecordingsCmd {
    /// Index the recordings under DIR (inside the recordings root) named after call uniqueids,
    /// e.g. 2026/11/22/srv02-1531779475.48.wav. Idempotent.
    Scan { dir: PathBuf },
}

pub async fn run_recordings(db: &Db, root: &Path, cmd: RecordingsCmd) -> Result<(), ApiError> {
    match cmd {
        RecordingsCmd::Scan { dir } => {
            let summary = super::recording::scan(db, root, &dir).await?;
            for name in &summary.orphans {
                eprintln!("{name}: no CDR with this uniqueid (not indexed)");
            }
            for (name, why) in &summary.skipped {
                eprintln!("{name}: {why} (skipped)");
            }
            println!("{summary}");
        }
    }
    Ok(())
}

fn fail(msg: impl std::fmt::Display) -> ApiError {
    ApiError::invalid(msg.to_string())
}

fn open(file: &Path) -> Result<(std::fs::File, u64), ApiError> {
    let f = std::fs::File::open(file)
        .map_err(|e| fail(format!("cannot read {}: {e}", file.display())))?;
    let len = f.metadata().map(|m| m.len()).unwrap_or(0);
    Ok((f, len))
}

fn bar(len: u64) -> ProgressBar {
    let bar = ProgressBar::new(len);
    if let Ok(style) =
        ProgressStyle::with_template("{bar:40} {bytes}/{total_bytes} {bytes_per_sec} eta {eta}")
    {
        bar.set_style(style);
    }
    bar
}

fn report(bar: &ProgressBar, summary: &Summary) {
    bar.finish_and_clear();
    for (line, what) in &summary.bad {
        eprintln!("line {line}: {what} (skipped)");
    }
    println!("{summary}");
}

pub async fn run_cdr(db: &Db, cmd: CdrCmd) -> Result<(), ApiError> {
    match cmd {
        CdrCmd::Import {
            file,
            node,
            format,
            tz,
        } => {
            let layout = match format {
                Some(f) => Layout::parse(&f)?,
                None => Layout::cdr_csv(),
            };
            let tz = crate::time::zone(&tz).ok_or_else(|| {
                fail(format!(
                    "--tz: '{tz}' is not a time zone name such as UTC or Europe/Rome"
                ))
            })?;
            let (f, len) = open(&file)?;
            let bar = bar(len);
            let progress = |b| bar.set_position(b);
            let summary =
                import::import_cdrs_in(db, f, node.trim(), &layout, tz, &progress).await?;
            report(&bar, &summary);
        }
    }
    Ok(())
}

pub async fn run_queuelog(db: &Db, cmd: QueuelogCmd) -> Result<(), ApiError> {
    match cmd {
        QueuelogCmd::Import { file, node } => {
            let (f, len) = open(&file)?;
            let bar = bar(len);
            let summary =
                import::import_queue_log(db, f, node.trim(), &|b| bar.set_position(b)).await?;
            report(&bar, &summary);
        }
    }
    Ok(())
}
