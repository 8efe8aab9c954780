//! What the server logs, at debug level: every request with its method and path (never its
//! query string), authentication failures, and never a secret (keys, passwords).

// Its own binary: its log subscriber must be installed before any test starts a server.
#[path = "api/common/mod.rs"]
mod common;

use common::*;
use serde_json::json;
use std::io::Write;
use std::sync::{Arc, Mutex, OnceLock};

/// Everything logged by this test binary.
fn captured() -> &'static Arc<Mutex<Vec<u8>>> {
    static LOG: OnceLock<Arc<Mutex<Vec<u8>>>> = OnceLock::new();
    LOG.get_or_init(Default::default)
}

struct Capture;

impl Write for Capture {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        captured().lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

fn install() {
    // Before the harness installs its own (which then does nothing); `log` records (the
    // access log) come through too.
    let _ = tracing_subscriber::fmt()
        .with_env_filter("debug")
        .with_ansi(false)
        .with_writer(|| Capture)
        .try_init();
}

/// The subscriber must be in place before the harness starts the server: one test per backend
/// by hand rather than `backend_tests!`.
mod no_secrets_in_logs_at_debug_level {
    use super::*;

    #[actix_rt::test]
    async fn sqlite() {
        install();
        run(Backend::Sqlite, body).await
    }

    #[actix_rt::test]
    #[cfg_attr(
        not(switchboard_test_postgres),
        ignore = "SWITCHBOARD_TEST_POSTGRES_URL is not set"
    )]
    async fn postgres() {
        install();
        run(Backend::Postgres, body).await
    }

    #[actix_rt::test]
    #[cfg_attr(
        not(switchboard_test_mysql),
        ignore = "SWITCHBOARD_TEST_MYSQL_URL is not set"
    )]
    async fn mysql() {
        install();
        run(Backend::Mysql, body).await
    }

    fn body(ctx: &Ctx) -> TestFuture<'_> {
        Box::pin(check(ctx))
    }
}

async fn check(ctx: &Ctx) {
    {
        let secrets = [
            ctx.admin.clone(),
            ctx.rw.clone(),
            "sbk_guessed-key-0123456789".to_string(),
            "Dev1ce-Secret-77".to_string(),
            "Web-Secret-88".to_string(),
            "Wrong-Secret-99".to_string(),
        ];
        ctx.ext(
            &ctx.a,
            "301",
            json!({ "password": secrets[3], "ex_webpassword": secrets[4] }),
        )
        .await;
        ctx.info(&ctx.rw, Some("ACME"), "extensions").get().await;
        ctx.info(&ctx.rw, Some("ACME"), "dids").post().await;
        ctx.info(&secrets[2], Some("ACME"), "dids")
            .get()
            .await
            .is_too_bad();
        for password in [&secrets[4], &secrets[5]] {
            ctx.req()
                .p("reqtype", "CHECKAUTH")
                .p("key", &ctx.rw)
                .p("tenant", "ACME")
                .p("username", "301")
                .p("password", password)
                .get()
                .await;
        }
        // The access log is written when the response is done: give it a moment.
        actix_rt::time::sleep(std::time::Duration::from_millis(200)).await;
        let log = String::from_utf8_lossy(&captured().lock().unwrap()).to_string();
        for secret in &secrets {
            assert!(!log.contains(secret.as_str()), "{secret} logged:\n{log}");
        }
        assert!(log.contains("\"GET /pbx/proxyapi.php\" 200"), "{log}");
        assert!(log.contains("\"POST /pbx/proxyapi.php\" 200"), "{log}");
        assert!(log.contains("authentication failed"), "{log}");
    }
}
