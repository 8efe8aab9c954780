//! Which variants of the tests can run: `switchboard_test_postgres` / `switchboard_test_mysql`
//! when their URL is set, `switchboard_test_chromium` when Chromium and chromedriver are
//! installed (Debian `chromium`, `chromium-driver`), so the others are reported as ignored
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
    // Decided again when PATH changes (installing the packages later needs `touch build.rs`).
    println!("cargo:rerun-if-env-changed=PATH");
    println!("cargo:rustc-check-cfg=cfg(switchboard_test_chromium)");
    let found = |names: &[&str]| {
        let path = std::env::var_os("PATH").unwrap_or_default();
        std::env::split_paths(&path).any(|dir| names.iter().any(|n| dir.join(n).is_file()))
    };
    if found(&["chromedriver"]) && found(&["chromium", "chromium-browser", "google-chrome"]) {
        println!("cargo:rustc-cfg=switchboard_test_chromium");
    }
}
