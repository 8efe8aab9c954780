//! The HTTP edge under abuse: bodies are not read before the key is checked, files only where
//! files are taken (and on disk while they arrive), slow bodies are cut off, and the command
//! line's stderr stays quiet. Raw TCP where the point is what the server does before a body
//! has fully arrived.

use crate::common::*;
use serde_json::json;
use std::time::{Duration, Instant};
use switchboard::config::Config;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// These tests are about the HTTP layer: SQLite is enough.
macro_rules! sqlite_tests {
    ($( $(#[$meta:meta])* async fn $name:ident($ctx:ident) $body:block )*) => {$(
        $(#[$meta])*
        #[actix_rt::test]
        async fn $name() {
            fn body<'a>($ctx: &'a Ctx) -> TestFuture<'a> {
                Box::pin(async move $body)
            }
            run(Backend::Sqlite, body).await
        }
    )*};
}

async fn connect(base: &str) -> TcpStream {
    TcpStream::connect(base.trim_start_matches("http://"))
        .await
        .unwrap()
}

/// Send a request head (and the start of its body), nothing more.
async fn start_request(
    base: &str,
    query: &str,
    content_type: &str,
    length: usize,
    start: &[u8],
) -> TcpStream {
    let mut s = connect(base).await;
    let head = format!(
        "POST {PATH}?{query} HTTP/1.1\r\nHost: x\r\nContent-Type: {content_type}\r\nContent-Length: {length}\r\n\r\n"
    );
    s.write_all(head.as_bytes()).await.unwrap();
    s.write_all(start).await.unwrap();
    s
}

/// The answer's body, read within `limit` (None: no complete answer in time).
async fn answer(s: &mut TcpStream, limit: Duration) -> Option<String> {
    let mut got = Vec::new();
    let deadline = tokio::time::Instant::now() + limit;
    loop {
        let text = String::from_utf8_lossy(&got).to_string();
        if let Some((head, body)) = text.split_once("\r\n\r\n") {
            let length = head.lines().find_map(|l| {
                l.to_ascii_lowercase()
                    .strip_prefix("content-length:")
                    .map(|v| v.trim().parse::<usize>().unwrap())
            });
            if length.is_some_and(|n| body.len() >= n) {
                assert!(head.starts_with("HTTP/1.1 200"), "{head}");
                return Some(body.to_string());
            }
        }
        let mut buf = [0u8; 4096];
        match tokio::time::timeout_at(deadline, s.read(&mut buf)).await {
            Ok(Ok(0)) | Ok(Err(_)) | Err(_) => return None,
            Ok(Ok(n)) => got.extend_from_slice(&buf[..n]),
        }
    }
}

/// Whether the server closes the connection within `limit`.
async fn closed(s: &mut TcpStream, limit: Duration) -> bool {
    let mut buf = [0u8; 4096];
    let deadline = tokio::time::Instant::now() + limit;
    loop {
        match tokio::time::timeout_at(deadline, s.read(&mut buf)).await {
            Ok(Ok(0)) | Ok(Err(_)) => return true,
            Ok(Ok(_)) => continue,
            Err(_) => return false,
        }
    }
}

fn file_part_head(boundary: &str, fields: &[(&str, &str)], file_field: &str) -> Vec<u8> {
    let mut body = Vec::new();
    for (k, v) in fields {
        body.extend_from_slice(
            format!("--{boundary}\r\nContent-Disposition: form-data; name=\"{k}\"\r\n\r\n{v}\r\n")
                .as_bytes(),
        );
    }
    body.extend_from_slice(
        format!("--{boundary}\r\nContent-Disposition: form-data; name=\"{file_field}\"; filename=\"a.wav\"\r\nContent-Type: application/octet-stream\r\n\r\n")
            .as_bytes(),
    );
    body
}

/// Files being received under the data directory's `tmp`.
fn temp_uploads(ctx: &Ctx) -> Vec<(String, u64)> {
    std::fs::read_dir(ctx.config.upload_dir())
        .map(|dir| {
            dir.filter_map(Result::ok)
                .map(|e| {
                    (
                        e.file_name().to_string_lossy().to_string(),
                        e.metadata().unwrap().len(),
                    )
                })
                .collect()
        })
        .unwrap_or_default()
}

sqlite_tests! {
    /// A wrong key is answered as soon as it is known: before the 31 MB file it announces
    /// (multipart, key in a field or the query string), before a large url-encoded body (key
    /// in the query string or the head of the body). The client never sends the rest.
    async fn wrong_keys_are_answered_before_the_body_is_read(ctx) {
        let boundary = "XyZ";
        let ct = format!("multipart/form-data; boundary={boundary}");
        let fields = [("reqtype", "MANAGEDB"), ("object", "mediafile"), ("action", "updatebinary"), ("key", "bad"), ("tenant", "ACME")];
        let mut s = start_request(&ctx.base, "", &ct, 31 << 20, &file_part_head(boundary, &fields, "filename")).await;
        assert_eq!(answer(&mut s, Duration::from_secs(5)).await.as_deref(), Some(TOO_BAD));
        assert!(temp_uploads(ctx).is_empty(), "{:?}", temp_uploads(ctx));

        let mut s = start_request(&ctx.base, "reqtype=MANAGEDB&object=mediafile&action=updatebinary&key=bad&tenant=ACME", &ct, 31 << 20, &file_part_head(boundary, &[], "filename")).await;
        assert_eq!(answer(&mut s, Duration::from_secs(5)).await.as_deref(), Some(TOO_BAD));

        // A client that goes on sending after the answer came (curl, PHP and Python clients
        // stop at a send error and lose the answer) is not reset under it: the server reads
        // and drops the rest for a while before it closes.
        let mut s = start_request(&ctx.base, "reqtype=MANAGEDB&object=mediafile&action=updatebinary&key=bad&tenant=ACME", &ct, 31 << 20, &file_part_head(boundary, &[], "filename")).await;
        assert_eq!(answer(&mut s, Duration::from_secs(5)).await.as_deref(), Some(TOO_BAD));
        let chunk = vec![0u8; 65536];
        let started = Instant::now();
        while started.elapsed() < Duration::from_millis(300) {
            s.write_all(&chunk).await.expect("the connection was reset while the client was sending");
            tokio::time::sleep(Duration::from_millis(5)).await;
        }

        let form = "application/x-www-form-urlencoded";
        let mut s = start_request(&ctx.base, "reqtype=INFO&info=dids&key=bad", form, 900_000, b"tenant=ACME&").await;
        assert_eq!(answer(&mut s, Duration::from_secs(5)).await.as_deref(), Some(TOO_BAD));

        let mut head = b"reqtype=INFO&info=dids&key=bad&tenant=ACME&pad=".to_vec();
        head.resize(40_000, b'x');
        let mut s = start_request(&ctx.base, "", form, 900_000, &head).await;
        assert_eq!(answer(&mut s, Duration::from_secs(5)).await.as_deref(), Some(TOO_BAD));

        // A large body without a key in its head is not read on: the same failure.
        let mut head = b"pad=".to_vec();
        head.resize(40_000, b'x');
        let mut s = start_request(&ctx.base, "reqtype=INFO&info=dids", form, 900_000, &head).await;
        assert_eq!(answer(&mut s, Duration::from_secs(5)).await.as_deref(), Some(TOO_BAD));

        // Large bodies with a good key still work, the key in the query string or the head.
        let pairs = |with_key: bool| {
            let mut pairs = vec![("reqtype", "MANAGEDB"), ("object", "tenant"), ("action", "list"), ("format", "json")];
            if with_key {
                pairs.push(("key", &ctx.admin));
            }
            let pad = "x".repeat(30_000);
            let mut pairs: Vec<(String, String)> = pairs.into_iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
            pairs.push(("pad".into(), pad));
            urlencode(&pairs).into_bytes()
        };
        let query = format!("key={}", ctx.admin);
        for (query, body) in [(query.as_str(), pairs(false)), ("", pairs(true))] {
            let r = ctx.send_raw("POST", PATH, query, Some(form), body).await;
            assert!(r.text().contains("\"ACME\""), "{}", r.text());
        }
    }

    /// File parts are refused by reqtypes that take no file (with a valid key too).
    async fn files_only_where_files_are_taken(ctx) {
        let r = ctx.info(&ctx.rw, Some("ACME"), "dids").file("filename", "a.wav", wav(1)).post().await;
        r.is_error_starting("parameter 'filename': this request takes no file");
        let row = ctx.add(&ctx.rw, Some("ACME"), "mediafile", json!({"me_name": "welcome"})).await;
        let id = id_of(&row, "me_id");
        let r = ctx.mdb(&ctx.rw, Some("ACME"), "mediafile", "updatebinary").id(id).file("filename", "a.wav", wav(1)).post().await;
        assert!(r.text().starts_with("update me_mediafiles set me_format='wav'"), "{}", r.text());
    }

    /// A file arrives on disk (a temporary file under the data directory), not in memory, and
    /// the temporary file is gone when the request is done.
    async fn uploads_are_streamed_to_disk(ctx) {
        let row = ctx.add(&ctx.rw, Some("ACME"), "mediafile", json!({"me_name": "welcome"})).await;
        let id = id_of(&row, "me_id");
        let boundary = "XyZ";
        let audio = wav_of_len(3, 400_000);
        let mut body = file_part_head(boundary, &[], "filename");
        let split = body.len() + audio.len() / 2;
        body.extend_from_slice(&audio);
        body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
        let query = format!("reqtype=MANAGEDB&object=mediafile&action=updatebinary&objectid={id}&key={}&tenant=ACME", ctx.rw);
        let ct = format!("multipart/form-data; boundary={boundary}");
        let mut s = start_request(&ctx.base, &query, &ct, body.len(), &body[..split]).await;
        let started = Instant::now();
        while !temp_uploads(ctx).iter().any(|(_, len)| *len >= (audio.len() / 2 - 65_536) as u64) {
            assert!(started.elapsed() < Duration::from_secs(5), "no temporary file: {:?}", temp_uploads(ctx));
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        s.write_all(&body[split..]).await.unwrap();
        let text = answer(&mut s, Duration::from_secs(10)).await.unwrap();
        assert!(text.starts_with("update me_mediafiles set me_format='wav'"), "{text}");
        assert!(temp_uploads(ctx).is_empty(), "{:?}", temp_uploads(ctx));
        let r = ctx.mdb(&ctx.rw, Some("ACME"), "mediafile", "getbinary").id(id).get().await;
        assert_eq!(r.body, audio);
    }

    /// A body dripped slower than the minimum rate is answered with an error naming the rule and
    /// its connection closed; the server keeps answering others meanwhile.
    async fn slow_bodies_are_cut_off(ctx) {
        let limits = switchboard::proxyapi::params::BodyLimits {
            body_grace: Duration::from_secs(1),
            min_body_rate: 1000,
            ..Default::default()
        };
        let base = ctx.extra_server_with(Config { limits, ..ctx.config.clone() }).await;
        let form = "application/x-www-form-urlencoded";
        let mut drips = Vec::new();
        for query in ["reqtype=INFO&info=dids", ""] {
            drips.push(start_request(&base, query, form, 1000, b"key=").await);
        }
        let started = Instant::now();
        for s in &mut drips {
            for b in b"abc" {
                s.write_all(&[*b]).await.unwrap();
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
        }
        let r = ctx.info(&ctx.rw, Some("ACME"), "dids").on(&base).get().await;
        r.is_plain("");
        for s in &mut drips {
            let text = answer(s, Duration::from_secs(5)).await.expect("no answer to a slow body");
            assert!(text.starts_with("Error: the request body came too slowly"), "{text}");
            assert!(closed(s, Duration::from_secs(3)).await, "connection left open");
        }
        assert!(started.elapsed() < Duration::from_secs(4), "{:?}", started.elapsed());
    }

    /// A request head over 64 KiB (a 100 KB URL) gets the legacy error in the format it asks
    /// for, with HTTP 200, and the connection closes; heads under it, and keep-alive requests
    /// after bodies, are served as before.
    async fn oversized_heads_get_the_legacy_error(ctx) {
        let base = ctx.base.trim_start_matches("http://").to_string();
        let long = "x".repeat(100_000);
        for (format, expected) in [
            ("format=json&", "{\"Response\":\"Error\",\"Message\":\"request head is larger than 64 KiB: send long parameters in a POST body\"}"),
            ("", "Error: request head is larger than 64 KiB: send long parameters in a POST body\n"),
        ] {
            let mut s = TcpStream::connect(&base).await.unwrap();
            let head = format!("GET {PATH}?{format}reqtype=INFO&info=extensions&pad={long} HTTP/1.1\r\nHost: x\r\n\r\n");
            // The server answers before taking the whole head: the write may fail part way.
            let _ = s.write_all(head.as_bytes()).await;
            let text = answer(&mut s, Duration::from_secs(5)).await.expect("no legacy answer");
            assert_eq!(text, expected);
            assert!(closed(&mut s, Duration::from_secs(3)).await, "connection left open");
        }
        // Keep-alive: a POST with a body that looks like a head, a 60 KB URL, then a 100 KB one.
        let mut s = TcpStream::connect(&base).await.unwrap();
        let body = format!("reqtype=INFO&info=extensions&format=json&key={}&tenant=ACME&x=GET%20/%20HTTP/1.1%0D%0A%0D%0A", ctx.rw);
        let post = format!("POST {PATH} HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: {}\r\n\r\n{body}", body.len());
        s.write_all(post.as_bytes()).await.unwrap();
        let text = answer(&mut s, Duration::from_secs(5)).await.unwrap();
        assert!(text.starts_with('['), "{text}");
        let get = format!("GET {PATH}?reqtype=INFO&info=extensions&format=json&key={}&tenant=ACME&pad={} HTTP/1.1\r\nHost: x\r\n\r\n", ctx.rw, &long[..60_000]);
        s.write_all(get.as_bytes()).await.unwrap();
        let text = answer(&mut s, Duration::from_secs(5)).await.unwrap();
        assert!(text.starts_with('['), "{text}");
        let get = format!("GET {PATH}?format=json&pad={long} HTTP/1.1\r\nHost: x\r\n\r\n");
        let _ = s.write_all(get.as_bytes()).await;
        let text = answer(&mut s, Duration::from_secs(5)).await.unwrap();
        assert!(text.contains("request head is larger than 64 KiB"), "{text}");
    }

    /// Uploads share a budget of bytes in flight: beyond it a request waits, and is refused
    /// once its grace is over, while the first one completes.
    async fn uploads_share_a_byte_budget(ctx) {
        let limits = switchboard::proxyapi::params::BodyLimits {
            body_grace: Duration::from_secs(1),
            min_body_rate: 1,
            upload_budget_bytes: 1 << 20,
            ..Default::default()
        };
        let base = ctx.extra_server_with(Config { limits, ..ctx.config.clone() }).await;
        let row = ctx.add(&ctx.rw, Some("ACME"), "mediafile", json!({"me_name": "welcome"})).await;
        let id = id_of(&row, "me_id");
        let boundary = "XyZ";
        let ct = format!("multipart/form-data; boundary={boundary}");
        let query = format!("reqtype=MANAGEDB&object=mediafile&action=updatebinary&objectid={id}&key={}&tenant=ACME", ctx.rw);
        let audio = wav_of_len(4, 300_000);
        let mut body = file_part_head(boundary, &[], "filename");
        let split = body.len() + 1000;
        body.extend_from_slice(&audio);
        body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
        let mut first = start_request(&base, &query, &ct, body.len(), &body[..split]).await;
        while temp_uploads(ctx).is_empty() {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        let mut second = start_request(&base, &query, &ct, body.len(), &body[..split]).await;
        let text = answer(&mut second, Duration::from_secs(5)).await.expect("the second upload was not refused");
        assert_eq!(text, "Error: the server is busy receiving other uploads; try again shortly\n");
        first.write_all(&body[split..]).await.unwrap();
        let text = answer(&mut first, Duration::from_secs(5)).await.unwrap();
        assert!(text.starts_with("update me_mediafiles set me_format='wav'"), "{text}");
    }
}

/// The command line prints its answer, and nothing on stderr: no migration narration.
#[test]
fn cli_commands_are_quiet() {
    let dir = std::env::temp_dir().join(format!("switchboard-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let url = format!("sqlite://{}?mode=rwc", dir.join("cli.db").display());
    let run = |args: &[&str]| {
        std::process::Command::new(env!("CARGO_BIN_EXE_switchboard"))
            .args(args)
            .env("DATABASE_URL", &url)
            .env_remove("RUST_LOG")
            .output()
            .unwrap()
    };
    for args in [
        &["tenant", "list"][..],
        &["outbox", "status"],
        &["tenant", "list"],
    ] {
        let out = run(args);
        assert!(
            out.status.success(),
            "{args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert_eq!(String::from_utf8_lossy(&out.stderr), "", "{args:?}");
    }
    let _ = std::fs::remove_dir_all(&dir);
}

/// `serve` refuses to start on a data directory it cannot use, saying which and why.
#[test]
fn serve_checks_the_data_directory_at_start() {
    let dir = std::env::temp_dir().join(format!("switchboard-datadir-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let not_a_dir = dir.join("file");
    std::fs::write(&not_a_dir, b"x").unwrap();
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_switchboard"))
        .args(["serve", "--bind", "127.0.0.1:0"])
        .env(
            "DATABASE_URL",
            format!("sqlite://{}?mode=rwc", dir.join("s.db").display()),
        )
        .env("SWITCHBOARD_DATA_DIR", &not_a_dir)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let started = Instant::now();
    while child.try_wait().unwrap().is_none() {
        if started.elapsed() > Duration::from_secs(20) {
            child.kill().unwrap();
            panic!("serve started on an unusable data directory");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    let out = child.wait_with_output().unwrap();
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("error: SWITCHBOARD_DATA_DIR") && stderr.contains("writable directory"),
        "{stderr}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

/// `serve --demo` prints keys and curl lines a newcomer pastes at once: every GET line answers
/// with data, none with the auth failure or an error.
#[actix_rt::test]
async fn the_demo_curl_lines_answer() {
    let dir = std::env::temp_dir().join(format!("switchboard-demo-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_switchboard"))
        .args([
            "serve",
            "--demo",
            "--no-agi",
            "--bind",
            &format!("127.0.0.1:{port}"),
        ])
        .env(
            "DATABASE_URL",
            format!("sqlite://{}?mode=rwc", dir.join("demo.db").display()),
        )
        .env("SWITCHBOARD_DATA_DIR", dir.join("data"))
        .env_remove("RUST_LOG")
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    // The lines come before the server listens; read until the last one.
    let mut out = String::new();
    {
        use std::io::BufRead;
        let mut lines = std::io::BufReader::new(child.stdout.take().unwrap()).lines();
        while let Some(Ok(line)) = lines.next() {
            out.push_str(&line);
            out.push('\n');
            if line.contains("reqtype=HELP") {
                break;
            }
        }
    }
    let client = awc::Client::default();
    for _ in 0..100 {
        if client
            .get(format!("http://127.0.0.1:{port}/healthz"))
            .send()
            .await
            .is_ok()
        {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let gets: Vec<&str> = out
        .lines()
        .filter_map(|l| l.trim().strip_prefix("curl '"))
        .filter(|l| !l.contains(" -d "))
        .filter_map(|l| l.strip_suffix('\''))
        .collect();
    assert_eq!(gets.len(), 4, "{out}");
    for url in gets {
        let body = client.get(url).send().await.unwrap().body().await.unwrap();
        let text = String::from_utf8_lossy(&body);
        let refused = text.starts_with("Too bad")
            || text.starts_with("Error")
            || text.starts_with("{\"Response\":\"Error\"");
        assert!(!text.is_empty() && !refused, "{url}: {text}");
    }
    child.kill().unwrap();
    child.wait().unwrap();
    let _ = std::fs::remove_dir_all(&dir);
}
