use clap::Parser;
use std::process::ExitCode;
use switchboard::app::{self, AppState};
use switchboard::cli::{self, Cli, Command};
use switchboard::config::Config;
use switchboard::db::Db;
use switchboard::error::ApiError;

fn main() -> ExitCode {
    let cli = Cli::parse();
    // `serve` tells what it does; other commands print their answer and only warnings besides.
    // sea-orm's migrator narrates every run at info: Switchboard logs the migrations it applies.
    let default_filter = match cli.command {
        Command::Serve { .. } => "info,sea_orm_migration=warn",
        _ => "warn",
    };
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| default_filter.into()),
        )
        .with_writer(std::io::stderr)
        .init();
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(rt) => rt,
        Err(e) => return fail(e),
    };
    match runtime.block_on(run(cli)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => fail(e),
    }
}

fn fail(e: impl std::fmt::Display) -> ExitCode {
    let text = e.to_string();
    eprintln!("error: {}", text.strip_prefix("Error: ").unwrap_or(&text));
    ExitCode::FAILURE
}

async fn run(cli: Cli) -> Result<(), ApiError> {
    let db = Db::connect(&cli.database_url)
        .await
        .map_err(|e| ApiError::invalid(format!("cannot open database: {e}")))?;
    db.migrate()
        .await
        .map_err(|e| ApiError::invalid(format!("migration failed: {e}")))?;
    match cli.command {
        Command::Migrate => println!("migrations applied"),
        Command::Tenant(cmd) => cli::run_tenant(&db, cmd).await?,
        Command::Key(cmd) => cli::run_key(&db, cmd).await?,
        Command::Node(cmd) => switchboard::cluster::cli::run_node(&db, cmd).await?,
        Command::Outbox(cmd) => switchboard::cluster::cli::run_outbox(&db, cmd).await?,
        Command::Ban(cmd) => switchboard::cluster::cli::run_ban(&db, cmd).await?,
        Command::Cdr(cmd) => switchboard::cdr::cli::run_cdr(&db, cmd).await?,
        Command::Queuelog(cmd) => switchboard::cdr::cli::run_queuelog(&db, cmd).await?,
        Command::Recordings(cmd) => {
            let root = Config::from_env()
                .map_err(ApiError::invalid)?
                .recordings_dir;
            switchboard::cdr::cli::run_recordings(&db, &root, cmd).await?
        }
        Command::Serve {
            bind,
            demo,
            agi_bind,
            no_agi,
            agi_secret,
            agi_deadline_ms,
        } => {
            let config = Config::with_database(&cli.database_url).map_err(ApiError::invalid)?;
            config.check_data_dir().map_err(ApiError::invalid)?;
            let listener = std::net::TcpListener::bind(&bind)
                .map_err(|e| ApiError::invalid(format!("cannot bind {bind}: {e}")))?;
            let addr = listener
                .local_addr()
                .map_err(|e| ApiError::invalid(e.to_string()))?;
            if demo {
                switchboard::demo::prepare(&db, &addr.to_string()).await?;
            }
            tracing::info!(%addr, "serving the ProxyAPI at /pbx/proxyapi.php and /mirtapbx/proxyapi.php");
            if !no_agi {
                let agi = tokio::net::TcpListener::bind(&agi_bind)
                    .await
                    .map_err(|e| ApiError::invalid(format!("cannot bind {agi_bind}: {e}")))?;
                tracing::info!(addr = %agi_bind, "serving FastAGI call routing");
                let cfg = switchboard::agi::AgiConfig {
                    deadline: std::time::Duration::from_millis(agi_deadline_ms.max(1)),
                    secret: agi_secret.filter(|s| !s.is_empty()),
                    ..Default::default()
                };
                switchboard::agi::spawn(db.clone(), agi, cfg);
            }
            let state = AppState::new(db, config);
            state.cluster.start();
            app::serve(state, listener)
                .map_err(|e| ApiError::invalid(e.to_string()))?
                .await
                .map_err(|e| ApiError::invalid(e.to_string()))?;
        }
    }
    Ok(())
}
