//! Shared harness of the black-box HTTP suite.
//!
//! Every test runs once per database backend: SQLite always (a fresh database file in a fresh
//! temporary directory), PostgreSQL and MySQL/MariaDB when `SWITCHBOARD_TEST_POSTGRES_URL` /
//! `SWITCHBOARD_TEST_MYSQL_URL` point at a server (a uniquely named database is created for the
//! test and dropped afterwards, also when the test fails). The app is served on
//! `127.0.0.1:0` and spoken to over real HTTP with `awc`.
//!
//! Data is set up through the code the CLI uses (`cli::add_tenant`, `keys::store_key`), and
//! every response is checked for the two invariants of the endpoint: HTTP status 200, and no
//! internal error.
#![allow(dead_code)]

pub mod render;

/// The exact upstream auth failure (46 bytes with its newline).
pub const TOO_BAD: &str = "Too bad... you mistaken the security api key.\n";
pub const HTML: &str = "text/html; charset=UTF-8";
pub const JSON: &str = "application/json";
pub const JS: &str = "application/javascript";
pub const XML: &str = "text/xml; charset=UTF-8";
pub const CSV: &str = "text/csv; charset=UTF-8";
pub const PATH: &str = "/pbx/proxyapi.php";
pub const ALT_PATH: &str = "/mirtapbx/proxyapi.php";

mod ctx;
mod db;
mod media;
mod req;
mod resp;

// The harness's public names (tests use `common::*`). Allowed unused: tests/logs.rs includes
// this module and uses only a few of them.
#[allow(unused_imports)]
pub use self::{
    ctx::{Ctx, KeySpec, Tenant},
    db::{Backend, TestDb},
    media::{wav, wav_of_len},
    req::{multipart, multipart_with_files, urlencode, Req},
    resp::{assert_string_scalars, id_of, Resp},
};
pub use migration::with_database;

use futures_util::FutureExt;
use std::future::Future;
use std::pin::Pin;

pub type TestFuture<'a> = Pin<Box<dyn Future<Output = ()> + 'a>>;

/// Run one test body on one backend: skipped when the backend is not configured; the database
/// is dropped whether the body passes or panics.
pub async fn run(backend: Backend, body: for<'a> fn(&'a Ctx) -> TestFuture<'a>) {
    let Some(ctx) = Ctx::start(backend).await else {
        return;
    };
    let outcome = std::panic::AssertUnwindSafe(body(&ctx))
        .catch_unwind()
        .await;
    ctx.finish().await;
    if let Err(panic) = outcome {
        std::panic::resume_unwind(panic);
    }
}

/// `backend_tests! { async fn name(ctx) { … } … }` makes a module per test with one
/// `#[actix_rt::test]` per backend: `name::sqlite`, `name::postgres`, `name::mysql`.
#[macro_export]
macro_rules! backend_tests {
    ($( $(#[$meta:meta])* async fn $name:ident($ctx:ident) $body:block )*) => {$(
        $(#[$meta])*
        mod $name {
            #[allow(unused_imports)]
            use super::*;
            fn body<'a>($ctx: &'a $crate::common::Ctx) -> $crate::common::TestFuture<'a> {
                Box::pin(async move $body)
            }
            #[actix_rt::test]
            async fn sqlite() {
                $crate::common::run($crate::common::Backend::Sqlite, body).await
            }
            #[actix_rt::test]
            #[cfg_attr(not(switchboard_test_postgres), ignore = "SWITCHBOARD_TEST_POSTGRES_URL is not set")]
            async fn postgres() {
                $crate::common::run($crate::common::Backend::Postgres, body).await
            }
            #[actix_rt::test]
            #[cfg_attr(not(switchboard_test_mysql), ignore = "SWITCHBOARD_TEST_MYSQL_URL is not set")]
            async fn mysql() {
                $crate::common::run($crate::common::Backend::Mysql, body).await
            }
        }
    )*};
}
