//! Output formats (spec §3): plain, json, xml, csv and JSONP for every MANAGEDB action and the
//! INFO types served, byte for byte against a reference renderer; content types; JSON scalars
//! as strings and NULL as null; empty results; errors in each format.

use crate::common::render::{assert_shape, Shape, CALLBACK, FORMATS};
use crate::common::*;
use serde_json::{json, Value};

/// Text that needs quoting in CSV, escaping in XML and JSON, and four-byte UTF-8 on MySQL.
const COMMENT: &str = "Main, \"HQ\" <&> 'x' Zürich ☎ 😀";

fn did_row(id: i32, te_id: i32, number: &str, comment: &str) -> Value {
    json!({
        "di_id": id.to_string(), "di_te_id": te_id.to_string(), "di_country": "39",
        "di_area": "02", "di_number": number, "di_comment": comment, "di_recording": "",
        "di_fax": "", "di_faxstationid": "", "di_fax_email": "", "di_maxchannels": "0",
        "di_unconditionalstatus": "", "di_recording_email": "", "di_sms_email": ""
    })
}

/// The one DID with this number, as the json list shows it to the admin.
async fn find_did(ctx: &Ctx, number: &str) -> Value {
    let list = ctx
        .mdb(&ctx.admin, None, "did", "list")
        .p("filter", format!("di_number = '{number}'"))
        .fmt("json")
        .get()
        .await
        .json();
    let rows: Vec<&Value> = list.as_object().unwrap().values().collect();
    assert_eq!(rows.len(), 1, "{list}");
    rows[0].clone()
}

const EXT_HEADER: &str = "Number|Name|Tech|State|Username|Password";
const DID_HEADER: &str = "Country|Area|Number|Tenant|Comment|Recording|Faxstation ID|FAX Email|Max Channels|Recording EMail|SMS Email";

fn info_did(number: &str, code: &str, comment: &str) -> Value {
    json!({
        "di_country": "39", "di_area": "02", "di_number": number, "te_code": code,
        "di_comment": comment, "di_recording": "", "di_faxstationid": "", "di_fax_email": "",
        "di_maxchannels": "0", "di_recording_email": "", "di_sms_email": ""
    })
}

fn info_ext(number: &str, name: &str, tech: &str, user: &str, password: &str) -> Value {
    json!({
        "ex_number": number, "ex_name": name, "ex_tech": tech, "state": "Unknown",
        "ex_username": user, "password": password
    })
}

backend_tests! {
    /// list, get, add, update and delete of a DID in plain, json, xml, csv and JSONP.
    async fn managedb_actions_in_every_format(ctx) {
        let first = ctx
            .add(&ctx.rw, Some("ACME"), "did", json!({
                "di_country": "39", "di_area": "02", "di_number": "5550100", "di_comment": COMMENT
            }))
            .await;
        let id = id_of(&first, "di_id");
        let row = did_row(id, ctx.a.id, "5550100", COMMENT);
        // Column order and every value, exactly.
        assert_eq!(first.to_string(), row.to_string());

        for f in FORMATS {
            let r = ctx.mdb(&ctx.rw, Some("ACME"), "did", "list").in_format(f).get().await;
            assert_shape(&r, &Shape::Keyed(vec![row.clone()]), f);
            let r = ctx.mdb(&ctx.rw, Some("ACME"), "did", "get").id(id).in_format(f).get().await;
            assert_shape(&r, &Shape::Record(Some(row.clone())), f);
        }

        for (i, f) in FORMATS.iter().enumerate() {
            let number = format!("555020{i}");
            let r = ctx
                .mdb(&ctx.rw, Some("ACME"), "did", "add")
                .json(&json!({ "di_country": "39", "di_area": "02", "di_number": number, "di_comment": COMMENT }))
                .in_format(f)
                .post()
                .await;
            let stored = find_did(ctx, &number).await;
            let new_id = id_of(&stored, "di_id");
            assert_eq!(stored.to_string(), did_row(new_id, ctx.a.id, &number, COMMENT).to_string());
            assert_shape(&r, &Shape::Record(Some(stored)), f);

            let r = ctx
                .mdb(&ctx.rw, Some("ACME"), "did", "update")
                .id(new_id)
                .json(&json!({ "di_comment": "it's" }))
                .in_format(f)
                .post()
                .await;
            let echo = format!(
                "update di_dids set di_comment='it''s' where di_te_id='{}' and di_id='{new_id}'",
                ctx.a.id
            );
            assert_shape(&r, &Shape::Text(echo), f);
            assert_eq!(find_did(ctx, &number).await["di_comment"], "it's");

            let r = ctx
                .mdb(&ctx.rw, Some("ACME"), "did", "delete")
                .id(new_id)
                .in_format(f)
                .post()
                .await;
            assert_shape(&r, &Shape::Text(format!("delete from di_dids where di_id='{new_id}'")), f);
        }
        // Only the first DID is left, unchanged.
        let r = ctx.mdb(&ctx.admin, Some("ACME"), "did", "list").fmt("json").get().await;
        assert_shape(&r, &Shape::Keyed(vec![row]), "json");
    }

    /// Rows with timestamps and NULLs (extensions, tenants) agree across formats.
    async fn rows_with_nulls_and_timestamps_in_every_format(ctx) {
        ctx.ext(&ctx.a, "100", json!({})).await;
        ctx.ext(&ctx.a, "101", json!({ "ex_name": COMMENT })).await;
        let exts = ctx.list(&ctx.rw, Some("ACME"), "extension").await;
        let ext_rows: Vec<Value> = exts.as_object().unwrap().values().cloned().collect();
        assert_eq!(ext_rows.len(), 2);
        assert_eq!(ext_rows[1]["ex_name"], COMMENT);
        // The device secret is not a column of the object and never listed.
        assert!(ext_rows[0].get("password").is_none() && ext_rows[0].get("ex_webpassword").is_none());

        let tenants = ctx.list(&ctx.admin, None, "tenant").await;
        let te_rows: Vec<Value> = tenants.as_object().unwrap().values().cloned().collect();
        assert_eq!(te_rows.len(), 2);
        assert_eq!(te_rows[0]["te_context"], Value::Null);
        assert_eq!(te_rows[0]["te_cdr_csv_layout"], Value::Null);

        for f in FORMATS {
            let r = ctx.mdb(&ctx.rw, Some("ACME"), "extension", "list").in_format(f).get().await;
            assert_shape(&r, &Shape::Keyed(ext_rows.clone()), f);
            let r = ctx.mdb(&ctx.admin, None, "tenant", "list").in_format(f).get().await;
            assert_shape(&r, &Shape::Keyed(te_rows.clone()), f);
            let r = ctx
                .mdb(&ctx.admin, None, "tenant", "get")
                .id(ctx.b.id)
                .in_format(f)
                .get()
                .await;
            assert_shape(&r, &Shape::Record(Some(te_rows[1].clone())), f);
        }
    }

    /// INFO extensions, dids, version and tenants in every format.
    async fn info_in_every_format(ctx) {
        ctx.ext(&ctx.a, "100", json!({ "ex_name": "Reception, \"front\"", "password": "s3cret-100" })).await;
        ctx.ext(&ctx.a, "101", json!({ "ex_tech": "SIP", "secret": "s3cret-101" })).await;
        ctx.ext(&ctx.b, "100", json!({ "password": "beta-secret" })).await;
        ctx.did(&ctx.a, "5550100").await;
        ctx.did(&ctx.b, "5550200").await;

        let acme_exts = vec![
            info_ext("100", "Reception, \"front\"", "PJSIP", "100-ACME", "s3cret-100"),
            info_ext("101", "Ext 101", "SIP", "101-ACME", "s3cret-101"),
        ];
        let all_exts = [
            acme_exts.clone(),
            vec![info_ext("100", "Ext 100", "PJSIP", "100-BETA", "beta-secret")],
        ]
        .concat();
        let acme_dids = vec![info_did("5550100", "ACME", "DID 5550100")];
        let all_dids = [acme_dids.clone(), vec![info_did("5550200", "BETA", "DID 5550200")]].concat();
        let tenant_rows = vec![
            json!({ "te_id": ctx.a.id.to_string(), "te_code": "ACME", "te_name": "Acme Inc", "te_disabled": "",
                    "te_maxchannels": "0", "te_maxextensions": "0", "te_maxdids": "0" }),
            json!({ "te_id": ctx.b.id.to_string(), "te_code": "BETA", "te_name": "Beta Ltd", "te_disabled": "",
                    "te_maxchannels": "0", "te_maxextensions": "0", "te_maxdids": "0" }),
        ];
        let version = format!("Switchboard {}", env!("CARGO_PKG_VERSION"));

        for f in FORMATS {
            let r = ctx.info(&ctx.rw, Some("ACME"), "extensions").in_format(f).get().await;
            assert_shape(&r, &Shape::Table(acme_exts.clone(), EXT_HEADER), f);
            let r = ctx.info(&ctx.admin, None, "extensions").in_format(f).get().await;
            assert_shape(&r, &Shape::Table(all_exts.clone(), EXT_HEADER), f);
            let r = ctx.info(&ctx.rw, Some("ACME"), "dids").in_format(f).get().await;
            assert_shape(&r, &Shape::Table(acme_dids.clone(), DID_HEADER), f);
            let r = ctx.info(&ctx.admin, Some("%"), "dids").in_format(f).get().await;
            assert_shape(&r, &Shape::Table(all_dids.clone(), DID_HEADER), f);
            let r = ctx.info(&ctx.admin, None, "version").in_format(f).get().await;
            assert_shape(&r, &Shape::Value("version", version.clone()), f);
            let r = ctx.info(&ctx.admin, None, "tenants").in_format(f).get().await;
            assert_shape(
                &r,
                &Shape::Table(
                    tenant_rows.clone(),
                    "te_id|te_code|te_name|te_disabled|te_maxchannels|te_maxextensions|te_maxdids",
                ),
                f,
            );
        }
        // INFO extensions filters: id= and number=.
        let r = ctx.info(&ctx.rw, Some("ACME"), "extensions").p("number", "101").get().await;
        r.is_plain(&format!("{EXT_HEADER}\n101|Ext 101|SIP|Unknown|101-ACME|s3cret-101\n"));
    }

    /// A miss or an empty list: empty body in plain, `{}` / `[]` in json; in csv a record miss
    /// is an empty body and a list with no rows its header line.
    async fn empty_results_in_every_format(ctx) {
        // csv: the header alone, starting with the first column.
        let header_only = |r: &Resp, first: &str| {
            let t = r.text();
            assert!(t.starts_with(first) && t.ends_with('\n') && t.lines().count() == 1, "{t:?}");
            assert_eq!(r.content_type, CSV);
        };
        for f in FORMATS {
            let r = ctx.mdb(&ctx.rw, Some("ACME"), "did", "list").in_format(f).get().await;
            match *f {
                "csv" => header_only(&r, "di_id,"),
                _ => assert_shape(&r, &Shape::Keyed(vec![]), f),
            }
            let r = ctx.mdb(&ctx.rw, Some("ACME"), "extension", "get").id(4242).in_format(f).get().await;
            assert_shape(&r, &Shape::Record(None), f);
            let r = ctx
                .mdb(&ctx.admin, None, "tenant", "list")
                .p("filter", "te_code = 'NOPE'")
                .in_format(f)
                .get()
                .await;
            match *f {
                "csv" => header_only(&r, "te_id,"),
                _ => assert_shape(&r, &Shape::Keyed(vec![]), f),
            }
            let r = ctx.info(&ctx.ro, Some("ACME"), "extensions").in_format(f).get().await;
            match *f {
                "csv" => header_only(&r, "ex_number,"),
                _ => assert_shape(&r, &Shape::Table(vec![], EXT_HEADER), f),
            }
            let r = ctx.info(&ctx.ro, Some("ACME"), "dids").in_format(f).get().await;
            match *f {
                "csv" => header_only(&r, "di_country,"),
                _ => assert_shape(&r, &Shape::Table(vec![], DID_HEADER), f),
            }
        }
        // The literal bodies, for the record.
        let r = ctx.mdb(&ctx.rw, Some("ACME"), "did", "list").fmt("json").get().await;
        assert_eq!((r.text().as_str(), r.content_type.as_str()), ("{}", JSON));
        let r = ctx.info(&ctx.rw, Some("ACME"), "dids").fmt("json").get().await;
        assert_eq!((r.text().as_str(), r.content_type.as_str()), ("[]", JSON));
        let r = ctx.info(&ctx.rw, Some("ACME"), "dids").get().await;
        r.is_plain("");
        let r = ctx.info(&ctx.rw, Some("ACME"), "dids").fmt("csv").get().await;
        header_only(&r, "di_country,");
    }

    /// json scalars are strings (integers, doubles, flags) and SQL NULL is null.
    async fn json_scalars_are_strings_and_null_is_null(ctx) {
        let get = || async {
            ctx.mdb(&ctx.admin, None, "tenant", "get").id(ctx.a.id).fmt("json").get().await.json()
        };
        let t = get().await;
        assert_string_scalars(&t);
        assert_eq!(t["te_id"], json!(ctx.a.id.to_string()));
        assert_eq!(t["te_maxchannels"], json!("0"));
        assert_eq!(t["te_balance"], json!("0.0000"));
        assert_eq!(t["te_disabled"], json!(""));
        assert_eq!(t["te_context"], Value::Null);

        // Numbers sent as JSON numbers, flags as booleans: still strings on the way out.
        let r = ctx
            .mdb(&ctx.admin, None, "tenant", "update")
            .id(ctx.a.id)
            .json(&json!({ "te_maxchannels": 12, "te_context": "acme-ctx" }))
            .post()
            .await;
        r.is_plain(&format!(
            "update te_tenants set te_maxchannels='12', te_context='acme-ctx' where te_id='{}'",
            ctx.a.id
        ));
        let t = get().await;
        assert_eq!((&t["te_maxchannels"], &t["te_context"]), (&json!("12"), &json!("acme-ctx")));
        ctx.mdb(&ctx.admin, None, "tenant", "update")
            .id(ctx.a.id)
            .json(&json!({ "te_context": null }))
            .post()
            .await;
        assert_eq!(get().await["te_context"], Value::Null);

        let did = ctx
            .add(&ctx.rw, Some("ACME"), "did", json!({ "di_number": 5551234, "di_maxchannels": 4, "di_recording": true }))
            .await;
        assert_string_scalars(&did);
        assert_eq!(
            (&did["di_number"], &did["di_maxchannels"], &did["di_recording"]),
            (&json!("5551234"), &json!("4"), &json!("on"))
        );
        let info = ctx.info(&ctx.rw, Some("ACME"), "dids").fmt("json").get().await.json();
        assert_string_scalars(&info);
        assert_eq!(info[0]["di_maxchannels"], json!("4"));
    }

    /// Errors come in the caller's format: a plain line, or the json error object.
    async fn errors_in_every_format(ctx) {
        let missing = "parameter 'objectid' is required";
        for f in FORMATS {
            let r = ctx.mdb(&ctx.rw, Some("ACME"), "did", "get").in_format(f).get().await;
            let bad_key = ctx.mdb("sbk_nope_nope_nope", Some("ACME"), "did", "list").in_format(f).get().await;
            match *f {
                "json" => {
                    r.is_json_error(missing);
                    // The auth failure is the upstream text whatever the format (spec §2).
                    bad_key.is_too_bad();
                }
                "jsonp" => {
                    bad_key.is_too_bad();
                    assert_eq!(r.content_type, JS);
                    assert_eq!(
                        r.text(),
                        format!("{CALLBACK}({});", json!({ "Response": "Error", "Message": missing }))
                    );
                }
                _ => {
                    r.is_error(missing);
                    bad_key.is_too_bad();
                }
            }
        }
        let r = ctx.info(&ctx.rw, Some("ACME"), "dids").fmt("yaml").get().await;
        r.is_error("format 'yaml' is not one of plain, json, xml, csv");
    }
}
