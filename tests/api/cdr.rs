//! Call records through HTTP: import (fixtures recorded from Asterisk 22), INFO cdrs /
//! simplecdrs / queuelogs with every filter and format, CSV layouts, templates, CDR get/update,
//! tenant isolation and a streamed export of 100k rows.

use crate::common::*;
use futures_util::StreamExt;
use sea_orm::sea_query::Query;
use sea_orm::{ActiveModelTrait, ConnectionTrait, Set};
use serde_json::{json, Value};
use switchboard::cdr::import::{import_cdrs, import_queue_log, Layout, Summary};
use switchboard::cdr::layout;
use switchboard::cdr::report::CDR_COLUMNS;

const MASTER: &str = include_str!("../fixtures/asterisk-22-Master.csv");
const QUEUE_LOG: &str = include_str!("../fixtures/asterisk-22-queue_log");

async fn import(ctx: &Ctx, text: &str) -> Summary {
    import_cdrs(
        &ctx.db,
        text.as_bytes(),
        "node1",
        &Layout::cdr_csv(),
        &|_| {},
    )
    .await
    .unwrap()
}

/// One cdr_csv line.
#[allow(clippy::too_many_arguments)]
fn line(
    src: &str,
    dst: &str,
    clid: &str,
    channel: &str,
    dstchannel: &str,
    start: &str,
    disposition: &str,
    billsec: u32,
    uniqueid: &str,
) -> String {
    let answer = if disposition == "ANSWERED" { start } else { "" };
    format!(
        "\"\",\"{src}\",\"{dst}\",\"from-internal\",\"{}\",\"{channel}\",\"{dstchannel}\",\"Dial\",\"\",\"{start}\",\"{answer}\",\"{start}\",{},{billsec},\"{disposition}\",\"DOCUMENTATION\",\"{uniqueid}\",\"\"\n",
        clid.replace('"', "\"\""),
        billsec + 5
    )
}

/// Calls of ACME (out, in, local) and one of BETA.
async fn calls(ctx: &Ctx) {
    let text = [
        line(
            "103",
            "0039061111",
            "\"Alice\" <103>",
            "PJSIP/103-ACME-00000001",
            "PJSIP/trunk-00000002",
            "2026-01-05 09:00:00",
            "ANSWERED",
            60,
            "n1-1.1",
        ),
        line(
            "5551234",
            "0612345",
            "\"Bob\" <5551234>",
            "PJSIP/trunk-00000003",
            "PJSIP/104-ACME-00000004",
            "2026-01-06 10:30:00",
            "NO ANSWER",
            0,
            "n1-2.1",
        ),
        line(
            "103",
            "104",
            "\"Alice\" <103>",
            "PJSIP/103-ACME-00000005",
            "PJSIP/104-ACME-00000006",
            "2026-02-01 00:00:00",
            "BUSY",
            0,
            "n1-3.1",
        ),
        line(
            "103",
            "0039061111",
            "\"Carol\" <103>",
            "PJSIP/103-BETA-00000007",
            "PJSIP/trunk-00000008",
            "2026-01-05 09:00:00",
            "ANSWERED",
            30,
            "n1-4.1",
        ),
    ]
    .concat();
    let s = import(ctx, &text).await;
    assert_eq!((s.imported, s.bad.len()), (4, 0), "{s:?}");
}

async fn cdrs_json(
    ctx: &Ctx,
    key: &str,
    tenant: Option<&str>,
    filters: &[(&str, &str)],
) -> Vec<Value> {
    let mut r = ctx.info(key, tenant, "cdrs").fmt("json");
    for (k, v) in filters {
        r = r.p(k, v);
    }
    let resp = r.get().await;
    assert_eq!(resp.content_type, JSON, "{}", resp.text());
    let v = resp.json();
    assert_string_scalars(&v);
    v.as_array()
        .unwrap_or_else(|| panic!("not a list: {v}"))
        .clone()
}

fn uniqueids(rows: &[Value]) -> Vec<&str> {
    rows.iter()
        .map(|r| r["uniqueid"].as_str().unwrap())
        .collect()
}

/// Filters and the uniqueids they should select.
type Case<'a> = (Vec<(&'a str, &'a str)>, Vec<&'a str>);

async fn acme(ctx: &Ctx, filters: &[(&str, &str)]) -> Vec<String> {
    uniqueids(&cdrs_json(ctx, &ctx.rw, Some("ACME"), filters).await)
        .into_iter()
        .map(String::from)
        .collect()
}

backend_tests! {
    /// The recorded Master.csv goes in whole; a second import adds nothing; bad lines are
    /// reported with their line numbers and skipped while the good ones still go in.
    async fn import_is_idempotent_and_tolerant(ctx) {
        let first = import(ctx, MASTER).await;
        assert_eq!((first.lines, first.imported, first.present, first.bad.len()), (22, 22, 0, 0), "{first:?}");
        let again = import(ctx, MASTER).await;
        assert_eq!((again.imported, again.present), (0, 22), "{again:?}");
        assert_eq!(ctx.count("cdr").await, 22);
        assert_eq!(ctx.count("sc_simplecdrs").await, 22);

        let lines: Vec<&str> = MASTER.lines().collect();
        let broken = format!(
            "{}\n\"\",\"1\",\"2\",\"ctx\",\"\",\"c\",\"\",\"\",\"\",\"yesterday\",\"\",\"\",1,1,\"ANSWERED\",\"D\",\"x-1.1\",\"\"\n\"too\",\"few\"\n{}\n\"\",\"1\",\"2\",\"ctx\",\"\",\"c\",\"\",\"\",\"\",\"2026-11-22 05:00:00\",\"\",\"\",abc,1,\"ANSWERED\",\"D\",\"x-1.2\",\"\"\n\"\",\"5\",\"6\",\"ctx\",\"\",\"c\",\"\",\"\",\"\",\"2026-11-22 05:00:00\",\"\",\"2026-11-22 05:00:09\",9,9,\"ANSWERED\",\"D\",\"x-1.3\",\"\"\n",
            lines[0], lines[1]
        );
        let s = import(ctx, &broken).await;
        assert_eq!((s.lines, s.imported, s.present), (6, 1, 2), "{s:?}");
        let bad: Vec<u64> = s.bad.iter().map(|(n, _)| *n).collect();
        assert_eq!(bad, vec![2, 3, 5], "{s:?}");
        assert!(s.bad[0].1.contains("'start'"), "{s:?}");
        assert!(s.bad[1].1.contains("expected 18 fields"), "{s:?}");
        assert!(s.bad[2].1.contains("'duration'"), "{s:?}");
        assert_eq!(ctx.count("cdr").await, 23);

        // Admin sees them with tenant=% (Local channels of no tenant: te_id 0).
        let rows = cdrs_json(ctx, &ctx.admin, Some("%"), &[("uniqueid", "1795319819.3")]).await;
        assert_eq!(rows.len(), 1);
        let row = rows[0].as_object().unwrap();
        let cols: Vec<&str> = row.keys().map(String::as_str).collect();
        assert_eq!(cols, CDR_COLUMNS);
        assert_eq!(row["start"], "2026-11-22 03:56:59");
        assert_eq!(row["dstchannel"], "Local/101@from-internal-00000002;1");
        assert_eq!(row["billsec"], "122");
        assert_eq!(row["clid"], "\"QCaller\" <5559999>");
        assert_eq!(row["te_id"], "0");
        let failed = cdrs_json(ctx, &ctx.admin, None, &[("uniqueid", "1795320002.11")]).await;
        assert_eq!(failed[0]["answer"], Value::Null);
        assert_eq!(failed[0]["disposition"], "FAILED");
        // No tenant's key sees calls of no tenant.
        assert!(cdrs_json(ctx, &ctx.rw, Some("ACME"), &[]).await.is_empty());
    }

    /// queue_log: imported once, and reported as answered / abandoned / login / logout rows.
    async fn queue_log_import_and_report(ctx) {
        let s = import_queue_log(&ctx.db, QUEUE_LOG.as_bytes(), "node1", &|_| {}).await.unwrap();
        assert_eq!((s.lines, s.imported, s.bad.len()), (27, 27, 0), "{s:?}");
        let again = import_queue_log(&ctx.db, QUEUE_LOG.as_bytes(), "node1", &|_| {}).await.unwrap();
        assert_eq!((again.imported, again.present), (0, 27));
        let bad = import_queue_log(&ctx.db, "1795319999|a|9200\nnot-a-time|a|b|c|d\n".as_bytes(), "node1", &|_| {}).await.unwrap();
        assert_eq!(bad.bad.iter().map(|b| b.0).collect::<Vec<_>>(), vec![1, 2]);

        let r = ctx.info(&ctx.admin, Some("%"), "queuelogs").fmt("json").get().await;
        let rows = r.json();
        let rows = rows.as_array().unwrap();
        let dispositions: Vec<&str> = rows.iter().map(|r| r["disposition"].as_str().unwrap()).collect();
        assert_eq!(
            dispositions,
            ["LOGIN", "LOGOUT", "LOGIN", "LOGOUT", "ANSWERED", "ABANDONED", "LOGIN", "LOGOUT", "ANSWERED"]
        );
        let answered = &rows[4];
        assert_eq!(
            answered,
            &json!({"time": "2026-11-22 03:59:02", "qu_name": "9200", "callerid": "5559999",
                    "disposition": "ANSWERED", "agent": "Agent101", "holdtime": "0",
                    "calltime": "122", "origpos": "1", "callid": "1795319819.3"})
        );
        assert_eq!(rows[5]["holdtime"], "4");
        assert_eq!(rows[5]["origpos"], "1");
        // Plain: header line in the spec's column order.
        let plain = ctx.info(&ctx.admin, None, "queuelogs").p("callid", "1795319967.3").get().await.text();
        assert_eq!(plain.lines().next(), Some("time|qu_name|callerid|disposition|agent|holdtime|calltime|origpos|callid"));
        assert_eq!(plain.lines().count(), 2, "{plain}");
        // A queue of a tenant: its id is the queue name on Asterisk.
        let qid = entity::qu_queues::ActiveModel {
            qu_te_id: Set(ctx.a.id),
            qu_name: Set("Support".into()),
            qu_number: Set("600".into()),
            qu_timeout: Set(0),
            qu_alwaysrecord: Set(String::new()),
            ..Default::default()
        }.insert(&ctx.db.conn).await.unwrap().qu_id;
        let text = format!("1795320000|c-1|{qid}|NONE|ENTERQUEUE||5550000|1\n1795320010|c-1|{qid}|PJSIP/103-ACME|COMPLETECALLER|3|7|1\n");
        import_queue_log(&ctx.db, text.as_bytes(), "node1", &|_| {}).await.unwrap();
        let mine = ctx.info(&ctx.rw, Some("ACME"), "queuelogs").fmt("json").get().await.json();
        assert_eq!(mine.as_array().unwrap().len(), 1, "{mine}");
        assert_eq!(mine[0]["qu_name"], "Support");
        assert_eq!(mine[0]["callerid"], "5550000");
        assert_eq!(mine[0]["calltime"], "7");
        let (_, rw_b) = ctx.mint(KeySpec { tenant_id: Some(ctx.b.id), ..Default::default() }).await;
        ctx.info(&rw_b, Some("BETA"), "queuelogs").get().await.is_plain("");
        // Time range.
        let ranged = ctx.info(&ctx.admin, None, "queuelogs").fmt("json")
            .p("start", "2026-11-22 03:59:01").p("end", "2026-11-22 03:59:02").get().await.json();
        assert_eq!(ranged.as_array().unwrap().len(), 3, "{ranged}");
    }

    /// Enrichment seen through INFO cdrs, tenant isolation and every cdrs filter.
    async fn cdrs_filters_and_isolation(ctx) {
        calls(ctx).await;
        let rows = cdrs_json(ctx, &ctx.rw, Some("ACME"), &[]).await;
        assert_eq!(uniqueids(&rows), ["n1-1.1", "n1-2.1", "n1-3.1"]);
        let dirs: Vec<(&str, &str, &str, &str)> = rows.iter().map(|r| (
            r["direction"].as_str().unwrap(), r["userfield"].as_str().unwrap(),
            r["realsrc"].as_str().unwrap(), r["lastdst"].as_str().unwrap(),
        )).collect();
        assert_eq!(dirs, [
            ("OUT", "[outbound]", "103", "0039061111"),
            ("IN", "[inbound]", "5551234", "104"),
            ("LOCAL", "", "103", "104"),
        ]);
        let acme_id = ctx.a.id.to_string();
        assert!(rows.iter().all(|r| r["te_id"].as_str() == Some(acme_id.as_str())));

        // Isolation: other tenants' calls are invisible; tenant=% is for admins only.
        assert!(acme(ctx, &[("uniqueid", "n1-4.1")]).await.is_empty());
        for tenant in ["%", "BETA"] {
            ctx.info(&ctx.rw, Some(tenant), "cdrs").get().await.is_too_bad();
            ctx.info(&ctx.ro, Some(tenant), "simplecdrs").get().await.is_too_bad();
        }
        assert_eq!(cdrs_json(ctx, &ctx.admin, Some("%"), &[]).await.len(), 4);
        assert_eq!(cdrs_json(ctx, &ctx.admin, None, &[]).await.len(), 4);
        assert_eq!(uniqueids(&cdrs_json(ctx, &ctx.admin, Some("BETA"), &[]).await), ["n1-4.1"]);
        assert_eq!(acme(ctx, &[]).await, acme(ctx, &[]).await);
        assert_eq!(uniqueids(&cdrs_json(ctx, &ctx.ro, Some("ACME"), &[]).await).len(), 3);

        // Filters: comma lists, case-insensitive, phone over caller / dialed / answering number.
        let id = rows[1]["ID"].as_str().unwrap().to_string();
        let cases: Vec<Case> = vec![
            (vec![("id", id.as_str())], vec!["n1-2.1"]),
            (vec![("uniqueid", "N1-2.1")], vec!["n1-2.1"]),
            (vec![("uniqueid", "n1-1.1, n1-3.1")], vec!["n1-1.1", "n1-3.1"]),
            (vec![("src", "5551234")], vec!["n1-2.1"]),
            (vec![("firstdst", "104,0612345")], vec!["n1-2.1", "n1-3.1"]),
            (vec![("direction", "in")], vec!["n1-2.1"]),
            (vec![("direction", "out,local")], vec!["n1-1.1", "n1-3.1"]),
            (vec![("linkedid", "nothing")], vec![]),
            (vec![("phone", "5551234")], vec!["n1-2.1"]),
            (vec![("phone", "104")], vec!["n1-2.1", "n1-3.1"]),
            (vec![("phone", "0039061111")], vec!["n1-1.1"]),
            (vec![("start", "2026-1-6")], vec!["n1-2.1", "n1-3.1"]),
            (vec![("end", "2026-01-06")], vec!["n1-1.1", "n1-2.1"]),
            (vec![("start", "2026-01-06 10:30"), ("end", "2026-01-06 10:30")], vec!["n1-2.1"]),
            (vec![("start", "2026-01-06 10:30:01")], vec!["n1-3.1"]),
            (vec![("end", "2026-01-05 08:59:59")], vec![]),
            (vec![("phone", "104"), ("direction", "local")], vec!["n1-3.1"]),
        ];
        for (filters, expected) in cases {
            assert_eq!(acme(ctx, &filters).await, expected, "{filters:?}");
        }
        ctx.info(&ctx.rw, Some("ACME"), "cdrs").p("start", "yesterday").get().await
            .is_error_starting("parameter 'start'");
        ctx.info(&ctx.rw, Some("ACME"), "cdrs").p("end", "2026-02-30").get().await
            .is_error_starting("parameter 'end'");
        ctx.info(&ctx.rw, Some("ACME"), "cdrs").p("id", "1,x").get().await
            .is_error("parameter 'id' must be a comma list of integer ids");
    }

    /// INFO simplecdrs: column order, tenant code, every filter.
    async fn simplecdrs_filters(ctx) {
        calls(ctx).await;
        let r = ctx.info(&ctx.rw, Some("ACME"), "simplecdrs").get().await;
        let text = r.text();
        let mut lines = text.lines();
        assert_eq!(lines.next(), Some("sc_te_id|tenantcode|sc_start|sc_direction|sc_calleridnum|sc_calleridname|sc_dialednum|sc_disposition|sc_duration|sc_uniqueid|sc_whoanswered|sc_billsec"));
        assert_eq!(lines.next(), Some(format!("{}|ACME|2026-01-05 09:00:00|OUT|103|Alice|0039061111|ANSWERED|65|n1-1.1|0039061111|60", ctx.a.id).as_str()));
        assert_eq!(lines.next(), Some(format!("{}|ACME|2026-01-06 10:30:00|IN|5551234|Bob|0612345|NO ANSWER|5|n1-2.1||0", ctx.a.id).as_str()));
        assert_eq!(lines.count(), 1);
        let sc = |filters: Vec<(&'static str, &'static str)>| async move {
            let mut r = ctx.info(&ctx.rw, Some("ACME"), "simplecdrs").fmt("json");
            for (k, v) in &filters {
                r = r.p(k, v);
            }
            let v = r.get().await.json();
            v.as_array().unwrap().iter().map(|r| r["sc_uniqueid"].as_str().unwrap().to_string()).collect::<Vec<_>>()
        };
        assert_eq!(sc(vec![("calleridnum", "5551234")]).await, ["n1-2.1"]);
        assert_eq!(sc(vec![("calleridname", "BOB,alice")]).await, ["n1-1.1", "n1-2.1", "n1-3.1"]);
        assert_eq!(sc(vec![("disposition", "busy")]).await, ["n1-3.1"]);
        assert_eq!(sc(vec![("direction", "OUT")]).await, ["n1-1.1"]);
        assert_eq!(sc(vec![("whoanswered", "0039061111")]).await, ["n1-1.1"]);
        assert_eq!(sc(vec![("phone", "104")]).await, ["n1-3.1"]);
        assert_eq!(sc(vec![("uniqueid", "n1-3.1,n1-4.1")]).await, ["n1-3.1"]);
        assert_eq!(sc(vec![("start", "2026-02-01"), ("end", "2026-02-01")]).await, ["n1-3.1"]);
        let first = ctx.info(&ctx.admin, Some("%"), "simplecdrs").fmt("json").get().await.json();
        assert_eq!(first.as_array().unwrap().len(), 4);
        let beta = first.as_array().unwrap().iter().find(|r| r["sc_uniqueid"] == "n1-4.1").unwrap();
        assert_eq!(beta["tenantcode"], "BETA");
    }

    /// The same rows in every format, and misses in every format.
    async fn cdrs_formats(ctx) {
        calls(ctx).await;
        let r = ctx.info(&ctx.rw, Some("ACME"), "cdrs").get().await;
        assert_eq!(r.content_type, HTML);
        let text = r.text();
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines[0], CDR_COLUMNS.join("|"));
        assert_eq!(lines.len(), 4);
        assert!(lines[1].contains("|n1-1.1|"), "{}", lines[1]);

        let r = ctx.info(&ctx.rw, Some("ACME"), "cdrs").fmt("csv").get().await;
        assert_eq!(r.content_type, CSV);
        assert!(r.disposition.as_deref().unwrap_or("").starts_with("attachment"));
        let mut rd = csv::Reader::from_reader(r.body.as_slice());
        assert_eq!(rd.headers().unwrap().iter().collect::<Vec<_>>(), CDR_COLUMNS);
        let recs: Vec<csv::StringRecord> = rd.records().map(Result::unwrap).collect();
        assert_eq!(recs.len(), 3);
        let clid = CDR_COLUMNS.iter().position(|c| *c == "clid").unwrap();
        assert_eq!(&recs[1][clid], "\"Bob\" <5551234>");

        let r = ctx.info(&ctx.rw, Some("ACME"), "cdrs").fmt("xml").get().await;
        assert_eq!(r.content_type, XML);
        let x = r.text();
        assert!(x.starts_with("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<response>\n"), "{x}");
        assert_eq!(x.matches("<row>").count(), 3);
        assert!(x.contains("<clid>&quot;Bob&quot; &lt;5551234&gt;</clid>"), "{x}");
        assert!(x.contains("<answer null=\"true\"/>"), "{x}");
        assert!(x.ends_with("</response>\n"));

        let r = ctx.info(&ctx.rw, Some("ACME"), "cdrs").fmt("json").p("callback", "cb.done").get().await;
        assert_eq!(r.content_type, JS);
        let t = r.text();
        assert!(t.starts_with("cb.done([{") && t.ends_with("}]);"), "{t}");
        let v: Value = serde_json::from_str(&t["cb.done(".len()..t.len() - 2]).unwrap();
        assert_eq!(v.as_array().unwrap().len(), 3);

        // A miss: empty body in plain, the header line in csv (an export keeps its columns),
        // an empty list in json, an empty document in xml.
        let miss = |f: &'static str| ctx.info(&ctx.rw, Some("ACME"), "cdrs").fmt(f).p("uniqueid", "none");
        miss("plain").get().await.is_plain("");
        let csv = miss("csv").get().await.text();
        assert!(csv.starts_with("ID,") && csv.ends_with('\n') && csv.lines().count() == 1, "{csv:?}");
        assert_eq!(miss("json").get().await.text(), "[]");
        assert_eq!(miss("xml").get().await.text(), "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<response>\n</response>\n");
        let t = miss("json").p("callback", "cb").get().await.text();
        assert_eq!(t, "cb([]);");
        // A bad format is refused before anything streams.
        ctx.info(&ctx.rw, Some("ACME"), "cdrs").fmt("yaml").get().await.is_error_starting("format 'yaml'");
    }

    /// CSV layouts: the tenant's own (SETTING CDR_CSV_LAYOUT, or te_cdr_csv_layout set by an
    /// admin, which wins), the admin one (SETTING without tenant) for tenant=% and as the
    /// default of tenants without their own; checked when stored; json keeps every column.
    async fn csv_layouts(ctx) {
        calls(ctx).await;
        let header = |key: &str, tenant: &'static str| {
            let key = key.to_string();
            async move {
                let r = ctx.info(&key, Some(tenant), "cdrs").fmt("csv").get().await;
                r.text().lines().next().unwrap_or("").to_string()
            }
        };
        let set = |key: &str, tenant: Option<&'static str>, value: &'static str| {
            let mut r = ctx.req().p("reqtype", "SETTING").p("key", key).p("action", "set")
                .p("code", "CDR_CSV_LAYOUT").p("value", value);
            if let Some(t) = tenant {
                r = r.p("tenant", t);
            }
            r.get()
        };
        let (_, rw_b) = ctx.mint(KeySpec { tenant_id: Some(ctx.b.id), ..Default::default() }).await;
        assert_eq!(header(&ctx.rw, "ACME").await, CDR_COLUMNS.join(","));

        // A tenant's own layout, checked when stored.
        set(&ctx.rw, Some("ACME"), "uniqueid,bogus").await
            .is_error_starting("parameter 'value' for CDR_CSV_LAYOUT: unknown CDR column 'bogus'");
        set(&ctx.ro, Some("ACME"), "uniqueid").await.is_any_error();
        set(&ctx.rw, Some("ACME"), "uniqueid, src,billsec,node").await.is_plain("uniqueid, src,billsec,node");
        let r = ctx.info(&ctx.rw, Some("ACME"), "cdrs").fmt("csv").get().await;
        assert_eq!(r.text(), "uniqueid,src,billsec,node\nn1-1.1,103,60,node1\nn1-2.1,5551234,0,node1\nn1-3.1,103,0,node1\n");
        assert_eq!(header(&ctx.admin, "ACME").await, "uniqueid,src,billsec,node");
        assert_eq!(header(&rw_b, "BETA").await, CDR_COLUMNS.join(","));
        let row = &cdrs_json(ctx, &ctx.rw, Some("ACME"), &[]).await[0];
        assert_eq!(row.as_object().unwrap().len(), CDR_COLUMNS.len());

        // te_cdr_csv_layout (admin, MANAGEDB tenant) wins, and is checked too.
        let r = ctx.mdb(&ctx.admin, None, "tenant", "update").id(ctx.a.id)
            .json(&json!({"te_cdr_csv_layout": "uniqueid,nope"})).get().await;
        r.is_error_starting("field 'te_cdr_csv_layout'");
        assert!(r.text().contains("'nope'"), "{}", r.text());
        let r = ctx.mdb(&ctx.admin, None, "tenant", "update").id(ctx.a.id)
            .json(&json!({"te_cdr_csv_layout": "uniqueid,direction"})).get().await;
        assert!(!r.is_any_error(), "{}", r.text());
        assert_eq!(header(&ctx.rw, "ACME").await, "uniqueid,direction");
        layout::set_tenant(&ctx.db, ctx.a.id, "").await.unwrap();
        assert_eq!(header(&ctx.rw, "ACME").await, "uniqueid,src,billsec,node");

        // The admin layout: tenant=% exports, and tenants without their own.
        assert_eq!(header(&ctx.admin, "%").await, CDR_COLUMNS.join(","));
        set(&ctx.rw, None, "te_id").await.is_too_bad();
        set(&ctx.admin, None, "te_id,uniqueid").await.is_plain("te_id,uniqueid");
        let r = ctx.info(&ctx.admin, Some("%"), "cdrs").fmt("csv").p("uniqueid", "n1-4.1").get().await;
        assert_eq!(r.text(), format!("te_id,uniqueid\n{},n1-4.1\n", ctx.b.id));
        assert_eq!(header(&rw_b, "BETA").await, "te_id,uniqueid");
        assert_eq!(header(&ctx.rw, "ACME").await, "uniqueid,src,billsec,node");
    }

    /// Templates: stored in the upstream syntax, checked when stored, rendered per row; a
    /// tenant's own before the global ones; never another tenant's.
    async fn templates(ctx) {
        calls(ctx).await;
        let tpl = "BEGIN\\n{row_loop}{$uniqueid};{$src};{$billsec};{$disposition}\\n{/row_loop}END";
        ctx.add(&ctx.rw, Some("ACME"), "cdrtemplate", json!({"tp_name": "billing", "tp_template": tpl})).await;
        let r = ctx.info(&ctx.rw, Some("ACME"), "cdrs").fmt("xml").p("template", "billing").get().await;
        assert_eq!(r.text(), "BEGIN\nn1-1.1;103;60;ANSWERED\nn1-2.1;5551234;0;NO ANSWER\nn1-3.1;103;0;BUSY\nEND");
        let r = ctx.info(&ctx.rw, Some("ACME"), "cdrs").fmt("xml").p("template", "billing").p("uniqueid", "none").get().await;
        assert_eq!(r.text(), "BEGIN\nEND");
        ctx.info(&ctx.rw, Some("ACME"), "cdrs").fmt("json").p("template", "billing").get().await
            .is_json_error("parameter 'template' needs format=xml");
        ctx.info(&ctx.rw, Some("ACME"), "cdrs").fmt("xml").p("template", "nothere").get().await
            .is_error("parameter 'template': no template named 'nothere'");

        // Syntax errors are reported when storing, and nothing is stored.
        for (bad, says) in [
            ("{row_loop}{$nope}{/row_loop}", "field 'tp_template': unknown column '{$nope}'"),
            ("{row_loop}{$src}", "field 'tp_template': {row_loop} is never closed by {/row_loop}"),
            ("{$src}{row_loop}{/row_loop}", "field 'tp_template': '{$src}' is outside {row_loop}…{/row_loop}"),
        ] {
            ctx.mdb(&ctx.rw, Some("ACME"), "cdrtemplate", "add")
                .json(&json!({"tp_name": "broken", "tp_template": bad})).post().await.is_error(says);
        }
        assert_eq!(ctx.count("tp_cdrtemplates").await, 1);
        let list = ctx.list(&ctx.rw, Some("ACME"), "cdrtemplate").await;
        let id = list.as_object().unwrap().keys().next().unwrap().clone();
        ctx.mdb(&ctx.rw, Some("ACME"), "cdrtemplate", "update").id(&id)
            .json(&json!({"tp_template": "{row_loop}{$bogus}{/row_loop}"})).post().await
            .is_error("field 'tp_template': unknown column '{$bogus}'");
        let r = ctx.info(&ctx.rw, Some("ACME"), "cdrs").fmt("xml").p("template", "billing").p("uniqueid", "n1-3.1").get().await;
        assert_eq!(r.text(), "BEGIN\nn1-3.1;103;0;BUSY\nEND");

        // Global templates (admin); BETA cannot use ACME's.
        let (_, rw_b) = ctx.mint(KeySpec { tenant_id: Some(ctx.b.id), ..Default::default() }).await;
        ctx.info(&rw_b, Some("BETA"), "cdrs").fmt("xml").p("template", "billing").get().await
            .is_error("parameter 'template': no template named 'billing'");
        ctx.mdb(&ctx.rw, Some("ACME"), "globalcdrtemplate", "add")
            .json(&json!({"gt_name": "billing", "gt_template": "x"})).post().await.is_too_bad();
        ctx.add(&ctx.admin, None, "globalcdrtemplate", json!({"gt_name": "billing", "gt_template": "G:{row_loop}{$uniqueid}|{$te_id} {/row_loop}"})).await;
        let r = ctx.info(&rw_b, Some("BETA"), "cdrs").fmt("xml").p("template", "billing").get().await;
        assert_eq!(r.text(), format!("G:n1-4.1|{} ", ctx.b.id));
        let r = ctx.info(&ctx.rw, Some("ACME"), "cdrs").fmt("xml").p("template", "billing").p("uniqueid", "n1-1.1").get().await;
        assert!(r.text().starts_with("BEGIN"), "the tenant's own wins: {}", r.text());
        let r = ctx.info(&ctx.admin, Some("%"), "cdrs").fmt("xml").p("template", "billing").p("uniqueid", "n1-1.1,n1-4.1").get().await;
        assert_eq!(r.text(), format!("G:n1-1.1|{} n1-4.1|{} ", ctx.a.id, ctx.b.id));
        ctx.mdb(&ctx.admin, None, "globalcdrtemplate", "add")
            .json(&json!({"gt_name": "bad", "gt_template": "{row_loop}{$x}{/row_loop}"})).post().await
            .is_error("field 'gt_template': unknown column '{$x}'");
    }

    /// CDR get / update: only userfield and accountcode, appended; misses are empty; a tenant
    /// never reaches another tenant's call; read-only keys change nothing.
    async fn cdr_get_and_update(ctx) {
        calls(ctx).await;
        let cdr = |key: &str, tenant: &'static str, action: &'static str| {
            ctx.req().p("reqtype", "CDR").p("key", key).p("tenant", tenant).p("action", action)
        };
        cdr(&ctx.rw, "ACME", "get").p("uniqueid", "n1-2.1").p("field", "userfield").get().await.is_plain("[inbound]");
        cdr(&ctx.rw, "ACME", "get").p("uniqueid", "n1-2.1").p("field", "billsec").get().await.is_plain("0");
        cdr(&ctx.rw, "ACME", "update").p("uniqueid", "n1-2.1").p("field", "userfield").p("value", " vip").get().await.is_plain("[inbound] vip");
        cdr(&ctx.rw, "ACME", "update").p("uniqueid", "n1-2.1").p("field", "accountcode").p("value", "A1").post().await.is_plain("A1");
        cdr(&ctx.rw, "ACME", "update").p("uniqueid", "n1-2.1").p("field", "accountcode").p("value", "B2").post().await.is_plain("A1B2");
        let r = cdr(&ctx.rw, "ACME", "get").p("uniqueid", "n1-2.1").p("field", "accountcode").fmt("json").get().await;
        assert_eq!(r.json(), json!({"accountcode": "A1B2"}));
        // Misses: unknown uniqueid, another tenant's call.
        cdr(&ctx.rw, "ACME", "get").p("uniqueid", "nope").p("field", "userfield").get().await.is_plain("");
        assert_eq!(cdr(&ctx.rw, "ACME", "get").p("uniqueid", "nope").p("field", "userfield").fmt("json").get().await.text(), "{}");
        cdr(&ctx.rw, "ACME", "get").p("uniqueid", "n1-4.1").p("field", "userfield").get().await.is_plain("");
        cdr(&ctx.rw, "ACME", "update").p("uniqueid", "n1-4.1").p("field", "userfield").p("value", "x").get().await.is_plain("");
        cdr(&ctx.admin, "BETA", "get").p("uniqueid", "n1-4.1").p("field", "userfield").get().await.is_plain("[outbound]");
        // Refusals.
        let before = cdrs_json(ctx, &ctx.admin, Some("%"), &[]).await;
        cdr(&ctx.rw, "ACME", "update").p("uniqueid", "n1-2.1").p("field", "src").p("value", "1").get().await
            .is_error("parameter 'field': only userfield and accountcode may be updated");
        cdr(&ctx.rw, "ACME", "get").p("uniqueid", "n1-2.1").p("field", "password").get().await
            .is_error("parameter 'field': 'password' is not a CDR column");
        cdr(&ctx.ro, "ACME", "update").p("uniqueid", "n1-2.1").p("field", "userfield").p("value", "x").get().await
            .is_error("this key is read-only; CDR update needs a read/write key");
        cdr(&ctx.rw, "ACME", "update").p("uniqueid", "n1-2.1").p("field", "accountcode").p("value", "x".repeat(80)).get().await
            .is_error("field 'accountcode': the result would exceed 80 characters");
        cdr(&ctx.rw, "ACME", "delete").p("uniqueid", "n1-2.1").p("field", "userfield").get().await
            .is_error("parameter 'action': 'delete' is not one of get, update");
        cdr(&ctx.rw, "ACME", "get").p("field", "userfield").get().await.is_error("parameter 'uniqueid' is required");
        cdr(&ctx.rw, "%", "get").p("uniqueid", "n1-2.1").p("field", "userfield").get().await.is_too_bad();
        assert_eq!(cdrs_json(ctx, &ctx.admin, Some("%"), &[]).await, before);
    }

    /// 100,000 rows streamed as CSV, checked row by row; a client that stops reading early
    /// leaves the server serving.
    async fn streamed_export_of_100k_rows(ctx) {
        const N: usize = 100_000;
        let start = chrono::NaiveDate::from_ymd_opt(2026, 3, 1).unwrap().and_hms_opt(0, 0, 0).unwrap();
        for chunk in 0..N / 1000 {
            let mut q = Query::insert();
            q.into_table("cdr").columns(["te_id", "start", "src", "dst", "uniqueid", "node", "billsec"]);
            for i in chunk * 1000..(chunk + 1) * 1000 {
                q.values_panic([
                    ctx.a.id.into(),
                    (start + chrono::Duration::seconds(i as i64)).into(),
                    format!("{i}").into(),
                    "x,\"y\"".into(),
                    format!("bulk-{i}").into(),
                    "n".into(),
                    ((i % 600) as i32).into(),
                ]);
            }
            ctx.db.conn.execute(&q).await.unwrap();
        }
        layout::set_tenant(&ctx.db, ctx.a.id, "uniqueid,src,dst,start,billsec").await.unwrap();
        let r = ctx.info(&ctx.rw, Some("ACME"), "cdrs").fmt("csv").get().await;
        let mut rd = csv::Reader::from_reader(r.body.as_slice());
        let mut n = 0;
        for (i, rec) in rd.records().enumerate() {
            let rec = rec.unwrap();
            let when = (start + chrono::Duration::seconds(i as i64)).format("%Y-%m-%d %H:%M:%S").to_string();
            let expected = [format!("bulk-{i}"), i.to_string(), "x,\"y\"".to_string(), when, (i % 600).to_string()];
            assert_eq!(rec.iter().collect::<Vec<_>>(), expected, "row {i}");
            n += 1;
        }
        assert_eq!(n, N);

        // Stop reading after the first chunk, several times over: the server keeps serving.
        for _ in 0..3 {
            let url = format!("{}{PATH}?reqtype=INFO&info=cdrs&format=json&tenant=ACME&key={}", ctx.base, ctx.rw);
            let mut res = awc::Client::default().get(&url).send().await.unwrap();
            let first = res.next().await.unwrap().unwrap();
            assert!(first.starts_with(b"[{"));
            drop(res);
        }
        let r = ctx.info(&ctx.rw, Some("ACME"), "cdrs").fmt("json").p("uniqueid", "bulk-99999").get().await;
        assert_eq!(r.json()[0]["src"], "99999");
    }
}
