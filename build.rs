//! Which database variants of the tests can run: `switchboard_test_postgres` /
//! `switchboard_test_mysql` when their URL is set, so the others are reported as ignored
//! rather than passed (libtest has no skip at run time).

fn main() {
    for (var, cfg) in [
        ("SWITCHBOARD_TEST_POSTGRES_URL", "switchboard_test_postgres"),
        ("SWITCHBOARD_TEST_MYSQL_URL", "switchboard_test_mysql"),
    ] {
        println!("cargo:rerun-if-env-changed={var}");
        println!("cargo:rustc-check-cfg=cfg({cfg})");
        if std::env::var(var).is_ok_and(|v| !v.is_empty()) {
            println!("cargo:rustc-cfg={cfg}");
        }
    }
}
