//! Transport (spec §1): both paths; GET with a query string, POST url-encoded, multipart and
//! mixed query + body give the same answers (the body wins, like PHP's `$_REQUEST`); case
//! folding of discriminators; unknown / missing / not-yet reqtypes; HELP; parameters that are
//! not UTF-8; JSONP callbacks that could carry script.

use crate::common::*;
use serde_json::json;

const NOT_UTF8: &str = "Error: parameter 'jsondata' is not valid UTF-8\n";

backend_tests! {
    /// Reads: the same bytes whatever the path and the way parameters travel.
    async fn paths_and_transports_agree_on_reads(ctx) {
        ctx.ext(&ctx.a, "100", json!({ "password": "pw-acme-100" })).await;
        ctx.did(&ctx.a, "5550100").await;
        let reads = [
            ctx.info(&ctx.rw, Some("ACME"), "extensions"),
            ctx.info(&ctx.rw, Some("ACME"), "extensions").fmt("json"),
            ctx.info(&ctx.admin, None, "tenants").fmt("csv"),
            ctx.mdb(&ctx.rw, Some("ACME"), "did", "list").fmt("json"),
            ctx.mdb(&ctx.ro, Some("ACME"), "extension", "list").fmt("xml"),
            ctx.mdb(&ctx.ro, Some("ACME"), "extension", "get").id(1),
        ];
        for read in reads {
            let reference = read.clone().get().await;
            assert!(!reference.is_any_error(), "{}", reference.text());
            assert!(!reference.body.is_empty());
            for path in [PATH, ALT_PATH] {
                let r = read.clone().path(path);
                for other in [
                    r.clone().get().await,
                    r.clone().post().await,
                    r.clone().multipart().await,
                    r.clone().split_post(&["reqtype", "key", "tenant"]).await,
                    r.clone().split_multipart(&["reqtype", "key", "tenant", "format"]).await,
                ] {
                    assert_eq!(other.text(), reference.text(), "{path} {:?}", read.params());
                    assert_eq!(other.content_type, reference.content_type);
                    assert_eq!(other.disposition, reference.disposition);
                }
            }
        }
    }

    /// Writes: an add works the same through each transport and path; so do update and delete.
    async fn paths_and_transports_agree_on_writes(ctx) {
        type Send<'c> = fn(Req<'c>) -> std::pin::Pin<Box<dyn std::future::Future<Output = Resp> + 'c>>;
        let transports: [(&str, Send); 5] = [
            ("get", |r| Box::pin(r.get())),
            ("post", |r| Box::pin(r.post())),
            ("multipart", |r| Box::pin(r.multipart())),
            ("query+form", |r| Box::pin(r.split_post(&["reqtype", "key", "tenant", "object", "action", "objectid"]))),
            ("query+multipart", |r| Box::pin(r.split_multipart(&["reqtype", "key", "tenant", "object", "action"]))),
        ];
        let mut n = 0;
        for path in [PATH, ALT_PATH] {
            for (name, send) in transports {
                n += 1;
                let number = format!("55501{n:02}");
                let r = send(
                    ctx.mdb(&ctx.rw, Some("ACME"), "did", "add")
                        .path(path)
                        .json(&json!({ "di_number": number, "di_comment": format!("via {name}") })),
                )
                .await;
                let row = r.json();
                assert_eq!(row["di_number"], number.as_str(), "{path} {name}: {}", r.text());
                assert_eq!(row["di_comment"], format!("via {name}"));
                let id = id_of(&row, "di_id");

                let r = send(
                    ctx.mdb(&ctx.rw, Some("ACME"), "did", "update")
                        .path(path)
                        .id(id)
                        .json(&json!({ "di_comment": "a&b=c+d %20" })),
                )
                .await;
                r.is_plain(&format!(
                    "update di_dids set di_comment='a&b=c+d %20' where di_te_id='{}' and di_id='{id}'",
                    ctx.a.id
                ));
                let got = ctx.mdb(&ctx.rw, Some("ACME"), "did", "get").id(id).fmt("json").get().await.json();
                assert_eq!(got["di_comment"], "a&b=c+d %20", "{path} {name}");

                let r = send(ctx.mdb(&ctx.rw, Some("ACME"), "did", "delete").path(path).id(id)).await;
                r.is_plain(&format!("delete from di_dids where di_id='{id}'"));
            }
        }
        assert_eq!(ctx.count("di_dids").await, 0);
    }

    /// A parameter in both the query string and the body: the body's value is used.
    async fn body_wins_over_query(ctx) {
        let q = "reqtype=INFO&info=dids&tenant=ACME&format=xml&key=nope";
        let body = format!("format=json&key={}", ctx.rw);
        let r = ctx
            .send_raw("POST", PATH, q, Some("application/x-www-form-urlencoded"), body.into_bytes())
            .await;
        assert_eq!((r.text().as_str(), r.content_type.as_str()), ("[]", JSON));
    }

    /// reqtype, object, action, format, info and typesrc values in any case; plural objects.
    async fn discriminators_are_case_insensitive(ctx) {
        let ext = ctx.ext(&ctx.a, "100", json!({})).await;
        let did = ctx.did(&ctx.a, "5550100").await;
        let reference = ctx.list(&ctx.rw, Some("ACME"), "extension").await;
        for reqtype in ["MANAGEDB", "managedb", "ManageDB", " managedb "] {
            for object in ["extension", "EXTENSION", "Extensions", "extensions"] {
                for action in ["list", "LIST", "List"] {
                    for format in ["json", "JSON", "Json"] {
                        let r = ctx
                            .req()
                            .p("reqtype", reqtype)
                            .p("key", &ctx.rw)
                            .p("tenant", "ACME")
                            .p("object", object)
                            .p("action", action)
                            .p("format", format)
                            .get()
                            .await;
                        assert_eq!(r.content_type, JSON);
                        assert_eq!(r.json(), reference, "{reqtype} {object} {action} {format}");
                    }
                }
            }
        }
        let reference = ctx.info(&ctx.rw, Some("ACME"), "extensions").get().await.text();
        assert!(reference.starts_with("Number|"));
        for (reqtype, info) in [("INFO", "EXTENSIONS"), ("info", "Extensions"), ("Info", "extensions")] {
            let r = ctx.req().p("reqtype", reqtype).p("key", &ctx.rw).p("tenant", "acme").p("info", info).get().await;
            assert_eq!(r.text(), reference);
        }
        let r = ctx
            .mdb(&ctx.rw, Some("ACME"), "DIDS", "GET")
            .id(id_of(&did, "di_id"))
            .fmt("Json")
            .get()
            .await;
        assert_eq!(r.json(), did);
        // Destination source types and tags too.
        let ext_id = id_of(&ext, "ex_id");
        let did_id = id_of(&did, "di_id");
        let r = ctx
            .mdb(&ctx.rw, Some("ACME"), "Destinations", "Replace")
            .p("typesrc", "did")
            .p("typeidsrc", did_id.to_string())
            .json(&json!([format!("ext-{ext_id}"), "Hangup"]))
            .fmt("json")
            .post()
            .await;
        let rows = r.json();
        assert_eq!(rows[0]["de_type_dst"], "EXT", "{rows}");
        assert_eq!(rows[1]["de_type_dst"], "HANGUP");
        let listed = ctx
            .mdb(&ctx.ro, Some("ACME"), "destination", "LIST")
            .p("typesrc", "Did")
            .p("typeidsrc", did_id.to_string())
            .fmt("json")
            .get()
            .await
            .json();
        assert_eq!(listed, rows);
    }

    /// Unknown, missing and not-yet-served reqtypes; unknown paths are not the endpoint.
    async fn reqtype_errors(ctx) {
        let r = ctx.req().p("reqtype", "X").get().await;
        r.is_plain("Error: unknown reqtype 'X'\n");
        let r = ctx.req().p("reqtype", " Bogus ").p("key", &ctx.admin).fmt("json").get().await;
        r.is_json_error("unknown reqtype 'Bogus'");
        ctx.req().p("key", &ctx.admin).get().await.is_error("parameter 'reqtype' is required");
        ctx.req().p("reqtype", "").get().await.is_error("parameter 'reqtype' is required");
        // A known reqtype is behind the key before anything else is checked.
        ctx.req().p("reqtype", "RESPONSEPATH").get().await.is_too_bad();
        let r = ctx.req().p("reqtype", "responsepath").p("key", &ctx.admin).get().await;
        r.is_error("parameter 'uniqueid' (or a 'start' date) is required");
        // Served upstream but not here: still behind the key, and said so.
        let getlast = |key: &str| ctx.req().p("reqtype", "RESPONSEPATH").p("action", "GETLAST").p("id", "19").p("key", key);
        getlast("bad").get().await.is_too_bad();
        getlast(&ctx.admin).get().await.is_error_starting("RESPONSEPATH action=GETLAST (the latest result of a configured response path");
        let r = ctx.info(&ctx.admin, None, "nonsense").get().await;
        r.is_error("parameter 'info': unknown info type 'nonsense'");
        ctx.req().p("reqtype", "INFO").p("key", &ctx.admin).get().await.is_error("parameter 'info' is required");

        assert_eq!(ctx.status_of("/pbx/other.php?reqtype=HELP").await, 404);
        assert_eq!(ctx.status_of("/proxyapi.php?reqtype=HELP").await, 404);
        let r = ctx.send_raw("GET", "/healthz", "", None, vec![]).await;
        assert_eq!(r.text(), "OK");
    }

    /// HELP needs a valid key of any kind (no tenant) and carries the line clients look for,
    /// and every object served; a wrong or missing key gets the auth failure.
    async fn help_lists_the_parameters(ctx) {
        for reqtype in ["HELP", "help"] {
            ctx.req().p("reqtype", reqtype).get().await.is_too_bad();
            ctx.req().p("reqtype", reqtype).p("key", "whatever").path(ALT_PATH).post().await.is_too_bad();
            ctx.req().p("reqtype", reqtype).p("key", "whatever").fmt("json").get().await.is_too_bad();
            for r in [
                ctx.req().p("reqtype", reqtype).p("key", &ctx.admin).get().await,
                ctx.req().p("reqtype", reqtype).p("key", &ctx.rw).path(ALT_PATH).post().await,
                ctx.req().p("reqtype", reqtype).p("key", &ctx.ro).p("tenant", "ACME").get().await,
            ] {
                assert_eq!(r.content_type, HTML);
                let text = r.text();
                assert!(text.lines().any(|l| l.starts_with("reqtype - Request type")), "{text}");
                for obj in switchboard::objects::REGISTRY {
                    assert!(text.lines().any(|l| l.starts_with(&format!("{} (", obj.name))), "{} missing:\n{text}", obj.name);
                }
            }
        }
        let r = ctx.req().p("reqtype", "HELP").p("key", &ctx.ro).fmt("json").get().await;
        assert!(r.json().as_str().unwrap().contains("\nreqtype - Request type"));
    }

    /// Bytes that are not UTF-8 in a value or a name: an error naming it, nothing written.
    async fn parameters_that_are_not_utf8(ctx) {
        let before = ctx.snapshot().await;
        let base = format!("reqtype=MANAGEDB&object=did&action=add&tenant=ACME&key={}", ctx.rw);
        let bad = "jsondata=%7B%22di_number%22%3A%22555%22%2C%22di_comment%22%3A%22%ff%22%7D";
        let form = Some("application/x-www-form-urlencoded");
        let r = ctx.send_raw("GET", PATH, &format!("{base}&{bad}"), None, vec![]).await;
        r.is_plain(NOT_UTF8);
        let r = ctx.send_raw("POST", PATH, "", form, format!("{base}&{bad}").into_bytes()).await;
        r.is_plain(NOT_UTF8);
        let r = ctx.send_raw("POST", ALT_PATH, &base, form, bad.as_bytes().to_vec()).await;
        r.is_plain(NOT_UTF8);
        // Raw bytes in a multipart text part.
        let boundary = "XyZ";
        let mut body = multipart(
            &[("reqtype", "MANAGEDB"), ("object", "did"), ("action", "add"), ("tenant", "ACME")]
                .map(|(k, v)| (k.to_string(), v.to_string())),
            boundary,
        );
        body.truncate(body.len() - format!("--{boundary}--\r\n").len());
        body.extend_from_slice(b"--XyZ\r\nContent-Disposition: form-data; name=\"jsondata\"\r\n\r\n{\"di_number\":\"555\",\"di_comment\":\"\xff\xfe\"}\r\n--XyZ--\r\n");
        let r = ctx
            .send_raw("POST", PATH, &format!("key={}", ctx.rw), Some("multipart/form-data; boundary=XyZ"), body)
            .await;
        r.is_plain(NOT_UTF8);
        // The key, a name.
        let r = ctx.send_raw("GET", PATH, "reqtype=INFO&info=dids&key=%ff", None, vec![]).await;
        r.is_error("parameter 'key' is not valid UTF-8");
        let r = ctx.send_raw("GET", PATH, "reqtype=HELP&%ff=1", None, vec![]).await;
        r.is_error("a parameter name is not valid UTF-8");
        // Latin-1 from an old form: the error comes in the format asked for.
        let r = ctx.send_raw("GET", PATH, &format!("{base}&format=json&jsondata=%E9"), None, vec![]).await;
        r.is_json_error("parameter 'jsondata' is not valid UTF-8");
        let r = ctx.send_raw("POST", PATH, &format!("{base}&format=json&callback=cb"), form, b"jsondata=%E9".to_vec()).await;
        assert_eq!(r.content_type, JS);
        assert_eq!(r.text(), "cb({\"Response\":\"Error\",\"Message\":\"parameter 'jsondata' is not valid UTF-8\"});");
        assert_eq!(ctx.snapshot().await, before);
        // Percent-encoded UTF-8 is fine.
        let r = ctx
            .send_raw("GET", PATH, &format!("{base}&format=json&jsondata=%7B%22di_number%22%3A%22555%22%2C%22di_comment%22%3A%22%C3%A9%22%7D"), None, vec![])
            .await;
        assert_eq!(r.json()["di_comment"], "é");
    }

    /// Malformed multipart bodies: an error line (in the format the query asked for).
    async fn malformed_multipart(ctx) {
        let q = format!("reqtype=MANAGEDB&object=did&action=add&tenant=ACME&key={}", ctx.rw);
        let unterminated = b"--x\r\nContent-Disposition: form-data; name=\"jsondata\"\r\n\r\n{\"di_number\":\"1\"}".to_vec();
        for (ct, body, msg) in [
            ("multipart/form-data", b"--x\r\n".to_vec(), "malformed multipart body: Multipart boundary is not found"),
            ("multipart/form-data; boundary=x", unterminated, "malformed multipart body: Multipart stream is incomplete"),
            ("multipart/form-data; boundary=x", b"garbage".to_vec(), "malformed multipart body: Multipart stream is incomplete"),
        ] {
            ctx.send_raw("POST", PATH, &q, Some(ct), body.clone()).await.is_error(msg);
            ctx.send_raw("POST", PATH, &format!("{q}&format=json"), Some(ct), body).await.is_json_error(msg);
        }
        assert_eq!(ctx.count("di_dids").await, 0);
    }

    /// JSONP: a valid name wraps the json; anything else is an error that never echoes it.
    async fn jsonp_callbacks(ctx) {
        let r = ctx.info(&ctx.rw, Some("ACME"), "dids").fmt("json").p("callback", "jQuery3.cb_$1").get().await;
        assert_eq!((r.text().as_str(), r.content_type.as_str()), ("jQuery3.cb_$1([]);", JS));
        let r = ctx.info(&ctx.rw, Some("ACME"), "dids").p("callback", "cb").get().await;
        r.is_plain(""); // Callbacks apply to json only.
        let too_long = format!("a{}", "b".repeat(64));
        for bad in ["alert(1)", "<script>alert(1)</script>", "a b", "x;alert(1)", "1abc", "a-b", "cb()//", too_long.as_str(), "é"] {
            for key in [&ctx.rw, &ctx.admin] {
                let r = ctx.info(key, Some("ACME"), "dids").fmt("json").p("callback", bad).get().await;
                r.is_json_error("callback must match ^[A-Za-z_$][A-Za-z0-9_$.]{0,63}$");
                assert!(!r.text().contains(bad) && !r.text().contains("alert"), "{}", r.text());
                let r = ctx.info(key, Some("ACME"), "dids").p("callback", bad).post().await;
                r.is_error("callback must match ^[A-Za-z_$][A-Za-z0-9_$.]{0,63}$");
            }
            // Checked before anything else: a write with a bad callback writes nothing.
            let r = ctx.mdb(&ctx.rw, Some("ACME"), "did", "add")
                .json(&json!({ "di_number": "555" }))
                .fmt("json")
                .p("callback", bad)
                .post()
                .await;
            assert!(r.is_any_error() && !r.text().contains(bad));
        }
        assert_eq!(ctx.count("di_dids").await, 0);
    }
}
