//! The objects of issue 3 through HTTP, on every backend: list/get/add/update/delete of each in
//! every format (table-driven), their special actions, the realtime rows they keep in step,
//! relation rules (dangling references refused, referenced rows not deletable, tenant cascade
//! complete), and the media store (types by content, limits, hostile names, Range).

use crate::common::render::{assert_shape, Shape, FORMATS};
use crate::common::*;
use sea_orm::ConnectionTrait;
use serde_json::{json, Value};
use std::collections::BTreeMap;
use switchboard::objects::{find, REGISTRY};

type Ids = BTreeMap<&'static str, i32>;

/// One object: how to add a valid row (given the ids of the objects added before it) and
/// which free-text field an update changes.
struct Case {
    object: &'static str,
    add: fn(&Ids) -> Value,
    update: &'static str,
}

/// In an order where what a row refers to comes first.
const CASES: &[Case] = &[
    Case {
        object: "customtype",
        add: |_| json!({"ct_name": "sip-uri", "ct_description": "Dial a SIP URI"}),
        update: "ct_description",
    },
    Case {
        object: "provider",
        add: |_| json!({"pr_peername": "carrier1", "pr_name": "Carrier", "host": "sip.carrier.example", "allow": "ulaw,alaw", "pr_tech": "pjsip", "pr_port": "5060"}),
        update: "pr_name",
    },
    Case {
        object: "routingprofile",
        add: |_| json!({"rp_name": "default"}),
        update: "rp_description",
    },
    Case {
        object: "route",
        add: |ids| json!({"dl_rp_id": ids["routingprofile"], "dl_regex": "^00[1-9][0-9]+$", "dl_pr_id": ids["provider"].to_string(), "dl_name": "intl", "dl_ord": 10}),
        update: "dl_name",
    },
    Case {
        object: "phonemodel",
        add: |_| json!({"pm_vendor": "Yealink", "pm_name": "T46U"}),
        update: "pm_name",
    },
    Case {
        object: "mediafile",
        add: |_| json!({"me_name": "welcome", "me_description": "hello"}),
        update: "me_description",
    },
    Case {
        object: "ivr",
        add: |ids| json!({"iv_name": "main", "iv_timeout": "5", "iv_me_id": ids["mediafile"]}),
        update: "iv_name",
    },
    Case {
        object: "condition",
        add: |_| json!({"co_name": "office hours", "co_timezone": "Europe/Rome"}),
        update: "co_name",
    },
    Case {
        object: "queue",
        add: |_| json!({"qu_name": "sales", "qu_number": "600", "strategy": "RRmemory", "timeout": "20"}),
        update: "qu_name",
    },
    Case {
        object: "huntlist",
        add: |_| json!({"hu_number": "700", "hu_name": "support"}),
        update: "hu_name",
    },
    Case {
        object: "conference",
        add: |_| json!({"cr_number": "800", "cr_name": "room", "pin": "1234"}),
        update: "cr_name",
    },
    Case {
        object: "custom",
        add: |ids| json!({"cu_name": "c1", "cu_ct_id": ids["customtype"], "cu_param1": "sip:x@example.com", "cu_param20": "z"}),
        update: "cu_param2",
    },
    Case {
        object: "phone",
        add: |ids| json!({"ph_mac": "00-1a-2B-3c-4d-5e", "ph_name": "desk", "ph_pm_id": ids["phonemodel"]}),
        update: "ph_description",
    },
    Case {
        object: "musiconhold",
        add: |_| json!({"mu_name": "jazz"}),
        update: "mu_description",
    },
    Case {
        object: "calleridblacklist",
        add: |_| json!({"bl_number": "+390212345", "bl_description": "spam"}),
        update: "bl_description",
    },
];

/// The objects of issue 3 that have rows (sipregs is list-only, checked on its own).
const MINE: &[&str] = &[
    "customtype",
    "provider",
    "routingprofile",
    "route",
    "phonemodel",
    "mediafile",
    "ivr",
    "condition",
    "queue",
    "huntlist",
    "conference",
    "custom",
    "phone",
    "musiconhold",
    "calleridblacklist",
];

fn key_of<'c>(ctx: &'c Ctx, object: &str) -> (&'c str, Option<&'static str>) {
    if find(object).unwrap().admin_only {
        (&ctx.admin, None)
    } else {
        (&ctx.rw, Some("ACME"))
    }
}

/// Add one row of every case as ACME (tenant objects) or globally; returns the ids.
async fn add_all(ctx: &Ctx) -> (Ids, BTreeMap<&'static str, Value>) {
    let (mut ids, mut rows) = (Ids::new(), BTreeMap::new());
    for case in CASES {
        let (key, tenant) = key_of(ctx, case.object);
        let row = ctx.add(key, tenant, case.object, (case.add)(&ids)).await;
        ids.insert(case.object, id_of(&row, find(case.object).unwrap().pk));
        rows.insert(case.object, row);
    }
    (ids, rows)
}

async fn get(ctx: &Ctx, object: &str, id: i32) -> Value {
    let (key, tenant) = key_of(ctx, object);
    ctx.mdb(key, tenant, object, "get")
        .id(id)
        .fmt("json")
        .get()
        .await
        .json()
}

async fn upload(ctx: &Ctx, key: &str, tenant: &str, id: i32, name: &str, bytes: Vec<u8>) -> Resp {
    ctx.mdb(key, Some(tenant), "mediafile", "updatebinary")
        .id(id)
        .file("filename", name, bytes)
        .post()
        .await
}

async fn binary(ctx: &Ctx, key: &str, tenant: &str, id: i32, range: Option<&str>) -> Resp {
    let mut req = ctx.mdb(key, Some(tenant), "mediafile", "getbinary").id(id);
    if let Some(r) = range {
        req = req.header("Range", r);
    }
    req.get().await
}

/// The stored media files (relative names) under the test's data directory.
fn stored(ctx: &Ctx) -> Vec<String> {
    let mut out = Vec::new();
    let mut stack = vec![ctx.config.data_dir.clone()];
    while let Some(dir) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        for e in entries.flatten() {
            let p = e.path();
            if p.is_dir() {
                stack.push(p);
            } else {
                out.push(
                    p.strip_prefix(&ctx.config.data_dir)
                        .unwrap()
                        .display()
                        .to_string(),
                );
            }
        }
    }
    out.sort();
    out
}

fn ogg() -> Vec<u8> {
    let mut b = b"OggS".to_vec();
    b.extend(0u8..60);
    b
}
const OGG_MD5: &str = "497a4193637294ee81634c667e84a3f9";
const OGG_SHA256: &str = "a0e60c51e16b6df700d1c99f363ac974a77f142062d8fe98db6c0fca29049f4f";

fn count_rows(list: &Value) -> usize {
    list.as_array().map_or(0, Vec::len)
}

backend_tests! {
    /// Every object: add (the row comes back with its id), get and list in every format, update
    /// in every format (the statement echo), delete in every format; names are
    /// case-insensitive, singular or plural.
    async fn crud_in_every_format(ctx) {
        for name in MINE {
            let obj = find(name).unwrap_or_else(|| panic!("{name} is not registered"));
            assert!(CASES.iter().any(|c| c.object == obj.name), "{name} has no case");
            assert!(REGISTRY.iter().any(|o| o.name == obj.name));
        }
        let (ids, rows) = add_all(ctx).await;
        for case in CASES {
            let obj = find(case.object).unwrap();
            let (key, tenant) = key_of(ctx, case.object);
            let id = ids[case.object];
            let row = &rows[case.object];
            for f in FORMATS {
                let r = ctx.mdb(key, tenant, case.object, "get").id(id).in_format(f).get().await;
                assert_shape(&r, &Shape::Record(Some(row.clone())), f);
                let r = ctx.mdb(key, tenant, case.object, "list").in_format(f).get().await;
                assert_shape(&r, &Shape::Keyed(vec![row.clone()]), f);
            }
            for (upper, plural) in [(obj.name.to_uppercase(), obj.plural.to_string()), (obj.name.to_string(), obj.plural.to_uppercase())] {
                for name in [upper, plural] {
                    let list = ctx.list(key, tenant, &name).await;
                    assert!(list.get(id.to_string()).is_some(), "{name}: {list}");
                }
            }
            let owner = match obj.tenant_col {
                Some(col) => format!("{col}='{}' and ", ctx.a.id),
                None => String::new(),
            };
            for f in FORMATS {
                let value = format!("new {f} value");
                let r = ctx.mdb(key, tenant, case.object, "update").id(id).json(&json!({ case.update: value })).in_format(f).post().await;
                let echo = format!("update {} set {}='{value}' where {owner}{}='{id}'", obj.table, case.update, obj.pk);
                assert_shape(&r, &Shape::Text(echo), f);
                assert_eq!(get(ctx, case.object, id).await[case.update], value.as_str());
            }
        }
        // What the rows say about their aliases and normalisation.
        let provider = &rows["provider"];
        assert_eq!((provider["pr_host"].as_str(), provider["pr_allow"].as_str(), provider["pr_tech"].as_str()), (Some("sip.carrier.example"), Some("ulaw,alaw"), Some("PJSIP")));
        assert_eq!((rows["queue"]["qu_strategy"].as_str(), rows["queue"]["qu_timeout"].as_str()), (Some("rrmemory"), Some("20")));
        assert_eq!(rows["conference"]["cr_pin"], "1234");
        assert_eq!(rows["phone"]["ph_mac"], "001A2B3C4D5E");
        assert_eq!(rows["musiconhold"]["mu_directory"], "moh/ACME/jazz");
        assert_eq!(rows["musiconhold"]["mu_mode"], "files");
        assert_eq!(rows["condition"]["co_type"], "WEEKTIME");
        assert_eq!(rows["mediafile"]["me_size"], "0");
        assert!(rows["mediafile"]["me_datetime"].is_string());

        // Delete in reverse order (referring rows first), in turn in every format.
        for (i, case) in CASES.iter().rev().enumerate() {
            let obj = find(case.object).unwrap();
            let (key, tenant) = key_of(ctx, case.object);
            let f = FORMATS[i % FORMATS.len()];
            let id = ids[case.object];
            let r = ctx.mdb(key, tenant, case.object, "delete").id(id).in_format(f).post().await;
            assert_shape(&r, &Shape::Text(format!("delete from {} where {}='{id}'", obj.table, obj.pk)), f);
            assert_eq!(get(ctx, case.object, id).await, json!({}));
            ctx.mdb(key, tenant, case.object, "delete").id(id).post().await.is_error(&format!("no {} with id {id}", obj.name));
        }
        for table in ["queues", "meetme", "ce_conditionextendedinfos", "hm_huntlistmembers"] {
            assert_eq!(ctx.count(table).await, 0, "{table}");
        }
    }

    /// Validation of each object's own rules: errors name the field and change nothing.
    async fn field_rules(ctx) {
        let (ids, _) = add_all(ctx).await;
        let before = ctx.snapshot().await;
        let bad: &[(&str, Value, &str)] = &[
            ("route", json!({"dl_rp_id": ids["routingprofile"], "dl_pr_id": ids["provider"], "dl_regex": "^(00"}), "field 'dl_regex' is not a valid regular expression: unclosed group"),
            ("route", json!({"dl_rp_id": ids["routingprofile"], "dl_pr_id": 9999, "dl_regex": "^0"}), "field 'dl_pr_id': no provider with id 9999"),
            ("route", json!({"dl_rp_id": 9999, "dl_pr_id": ids["provider"], "dl_regex": "^0"}), "field 'dl_rp_id': no routingprofile with id 9999"),
            ("route", json!({"dl_rp_id": ids["routingprofile"], "dl_regex": "^0"}), "field 'dl_pr_id' is required to add a route"),
            ("queue", json!({"qu_name": "q", "qu_number": "601", "strategy": "roundrobin"}), "field 'strategy' must be one of ringall, leastrecent, fewestcalls, random, rrmemory, rrordered, linear, wrandom"),
            ("queue", json!({"qu_name": "q", "qu_number": "601", "timeout": "0"}), "field 'timeout' must be between 1 and 3600"),
            ("queue", json!({"qu_name": "q", "qu_number": "601", "timeout": "abc"}), "field 'timeout' must be an integer"),
            ("queue", json!({"qu_name": "q", "qu_number": "601", "strategy": "linear", "qu_strategy": "random"}), "fields 'strategy' and 'qu_strategy' are the same setting: give one of them"),
            ("queue", json!({"qu_name": "q", "qu_number": "600"}), "qu_number '600' already exists in tenant ACME"),
            ("conference", json!({"cr_number": "801", "pin": "12a4"}), "field 'pin' must be digits only"),
            ("conference", json!({"cr_number": "80x"}), "field 'cr_number' must be digits only"),
            ("phone", json!({"ph_mac": "00:1a:2b:3c:4d"}), "field 'ph_mac' must be a MAC address (12 hex digits, ':' '-' '.' separators allowed)"),
            ("phone", json!({"ph_mac": "001a.2b3c.4d5e"}), "ph_mac: the value is already in use"),
            ("phone", json!({"ph_mac": "001a2b3c4d5f", "ph_pm_id": 9999}), "field 'ph_pm_id': no phonemodel with id 9999"),
            ("musiconhold", json!({"mu_name": ".."}), "field 'mu_name' may contain only letters, digits, '_' and '-'"),
            ("musiconhold", json!({"mu_name": "x", "mu_mode": "custom"}), "field 'mu_mode' must be one of files, mp3, quietmp3, mp3nb, quietmp3nb"),
            ("musiconhold", json!({"mu_name": "x", "mu_directory": "/tmp"}), "field 'mu_directory' of musiconhold cannot be changed"),
            ("calleridblacklist", json!({"bl_number": "12ab"}), "field 'bl_number' may contain only digits, '+', '*' and '#'"),
            ("calleridblacklist", json!({"bl_number": "+390212345"}), "bl_number '+390212345' already exists in tenant ACME"),
            ("condition", json!({"co_name": "c", "co_type": "SOMETIMES"}), "field 'co_type' must be one of WEEKTIME, DATE, FLOW"),
            ("condition", json!({"co_name": "c", "co_timezone": "Europe/Rome; rm"}), "field 'co_timezone' must be a time zone name like Europe/Rome"),
            ("ivr", json!({"iv_name": "i", "iv_me_id": 9999}), "field 'iv_me_id': no mediafile with id 9999 in tenant ACME"),
            ("huntlist", json!({"hu_number": "700"}), "hu_number '700' already exists in tenant ACME"),
            ("provider", json!({"pr_peername": "p2", "host": "a b"}), "field 'host' must be a host name or IP address"),
            ("provider", json!({"pr_peername": "carrier1"}), "pr_peername 'carrier1' already exists"),
            ("provider", json!({"pr_peername": "p2", "pr_port": "70000"}), "field 'pr_port' must be between 0 and 65535"),
            ("custom", json!({"cu_name": "c", "cu_ct_id": 9999}), "field 'cu_ct_id': no customtype with id 9999"),
            ("mediafile", json!({"me_name": "m", "me_md5": "00"}), "field 'me_md5' of mediafile cannot be changed"),
        ];
        for (object, data, message) in bad {
            let (key, tenant) = key_of(ctx, object);
            for f in ["plain", "json"] {
                let r = ctx.mdb(key, tenant, object, "add").json(data).in_format(f).post().await;
                if f == "plain" { r.is_error(message) } else { r.is_json_error(message) }
            }
        }
        // The same rules on update.
        ctx.mdb(&ctx.admin, None, "route", "update").id(ids["route"]).json(&json!({"dl_regex": "a{99999999}"})).post().await
            .is_error_starting("field 'dl_regex' is not a valid regular expression");
        ctx.mdb(&ctx.admin, None, "route", "update").id(ids["route"]).json(&json!({"dl_pr_id": 0})).post().await
            .is_error("field 'dl_pr_id': no provider with id 0");
        ctx.mdb(&ctx.rw, Some("ACME"), "queue", "update").id(ids["queue"]).json(&json!({"strategy": "nope"})).post().await
            .is_error_starting("field 'strategy' must be one of");
        assert_eq!(ctx.snapshot().await, before, "a refused write changed something");

        // Another tenant's MAC in any spelling is a duplicate (MACs are unique everywhere).
        ctx.mdb(&ctx.admin, Some("BETA"), "phone", "add").json(&json!({"ph_mac": "00:1A:2B:3C:4D:5E"})).post().await
            .is_error("ph_mac: the value is already in use");
        // A nullable reference may be cleared with 0 or null.
        for none in [json!(0), Value::Null] {
            let r = ctx.mdb(&ctx.rw, Some("ACME"), "ivr", "update").id(ids["ivr"]).json(&json!({"iv_me_id": none})).post().await;
            assert!(!r.is_any_error(), "{}", r.text());
        }
    }

    /// Queues and conferences keep their Asterisk realtime rows in step.
    async fn realtime_rows_in_step(ctx) {
        let q = ctx.add(&ctx.rw, Some("ACME"), "queue", json!({"qu_name": "sales", "qu_number": "600"})).await;
        let qid = id_of(&q, "qu_id");
        let realtime = format!("name = '{qid}' and strategy = 'ringall' and timeout = 15 and context = 'from-internal-ACME'");
        assert_eq!(ctx.count_where("queues", &realtime).await, 1);
        ctx.mdb(&ctx.rw, Some("ACME"), "queue", "update").id(qid).json(&json!({"strategy": "leastrecent", "timeout": 30})).post().await
            // The echo names the columns the aliases set, not the aliases.
            .is_plain(&format!("update qu_queues set qu_strategy='leastrecent', qu_timeout='30' where qu_te_id='{}' and qu_id='{qid}'", ctx.a.id));
        assert_eq!(ctx.count("queues").await, 1);
        assert_eq!(ctx.count_where("queues", &format!("name = '{qid}' and strategy = 'leastrecent' and timeout = 30")).await, 1);

        let c = ctx.add(&ctx.rw, Some("ACME"), "conference", json!({"cr_number": "800", "pin": "1234", "adminpin": "999"})).await;
        let cid = id_of(&c, "cr_id");
        assert_eq!(ctx.count_where("meetme", "confno = '800-ACME' and pin = '1234' and adminpin = '999'").await, 1);
        // Renumbering moves the realtime row; clearing the pin clears it there too.
        ctx.mdb(&ctx.rw, Some("ACME"), "conference", "update").id(cid).json(&json!({"cr_number": "801", "pin": ""})).post().await;
        assert_eq!(ctx.count("meetme").await, 1);
        assert_eq!(ctx.count_where("meetme", "confno = '801-ACME' and pin is null and adminpin = '999'").await, 1);
        // The same number in another tenant is another room.
        ctx.add(&ctx.admin, Some("BETA"), "conference", json!({"cr_number": "801"})).await;
        assert_eq!(ctx.count_where("meetme", "confno = '801-BETA'").await, 1);

        ctx.mdb(&ctx.rw, Some("ACME"), "queue", "delete").id(qid).post().await;
        ctx.mdb(&ctx.rw, Some("ACME"), "conference", "delete").id(cid).post().await;
        assert_eq!(ctx.count("queues").await, 0);
        assert_eq!(ctx.count_where("meetme", "confno = '801-ACME'").await, 0);
        assert_eq!(ctx.count("meetme").await, 1);
    }

    /// IVR and condition destinations, condition week-time rows, hunt-list members,
    /// routes by provider and profile, SIP registrations.
    async fn special_actions(ctx) {
        let (ids, _) = add_all(ctx).await;
        let ext = id_of(&ctx.ext(&ctx.a, "100", json!({"ex_tech": "SIP", "secret": "s3cret-pass"})).await, "ex_id");
        let b_ext = id_of(&ctx.ext(&ctx.b, "100", json!({"ex_tech": "SIP", "secret": "s3cret-pass"})).await, "ex_id");
        let mdb = |object: &str, action: &str| ctx.mdb(&ctx.rw, Some("ACME"), object, action);

        // IVR keys are destination sources IVR_<key>.
        for (typesrc, data) in [("IVR_1", json!([format!("EXT-{ext}")])), ("IVR_TIMEOUT", json!(["HANGUP"])), ("IVR_#", json!([format!("QUEUE-{}", ids["queue"])]))] {
            let r = mdb("destination", "replace").p("typesrc", typesrc).p("typeidsrc", ids["ivr"].to_string()).json(&data).fmt("json").post().await;
            assert_eq!(count_rows(&r.json()), 1, "{}", r.text());
        }
        let d = mdb("ivr", "getdestinations").id(ids["ivr"]).fmt("json").get().await.json();
        let got: Vec<(&str, &str)> = d.as_array().unwrap().iter().map(|r| (r["de_type_src"].as_str().unwrap(), r["de_type_dst"].as_str().unwrap())).collect();
        assert_eq!(got, [("IVR_#", "QUEUE"), ("IVR_1", "EXT"), ("IVR_TIMEOUT", "HANGUP")]);

        // Conditions: destinations when true and when not.
        for (typesrc, tag) in [("CONDITION", format!("EXT-{ext}")), ("NOTCONDITION", format!("IVR-{}", ids["ivr"]))] {
            mdb("destination", "replace").p("typesrc", typesrc).p("typeidsrc", ids["condition"].to_string()).json(&json!([tag])).post().await;
        }
        let d = mdb("condition", "getdestinations").id(ids["condition"]).fmt("json").get().await.json();
        assert_eq!(count_rows(&d), 2, "{d}");
        assert_eq!(d[1]["de_type_src"], "NOTCONDITION");
        assert_eq!(d[1]["de_type_id_dst"], ids["ivr"].to_string());

        // Week-time rows: replaced as a whole, validated first.
        let rows = json!([
            {"param1": "1", "param2": "9:00", "param3": "13:00"},
            {"param1": 1, "param2": "14:00", "param3": "18:30", "param4": "afternoon"},
            {"ce_param1": "7", "ce_param2": "00:00", "ce_param3": "24:00"},
        ]);
        let r = mdb("condition", "replaceextendedinfos").id(ids["condition"]).json(&rows).fmt("json").post().await.json();
        assert_eq!(count_rows(&r), 3, "{r}");
        let got = mdb("condition", "getextendedinfos").id(ids["condition"]).fmt("json").get().await.json();
        assert_eq!(got, r);
        assert_eq!((got[1]["ce_ord"].as_str(), got[1]["ce_param2"].as_str(), got[1]["ce_param4"].as_str()), (Some("2"), Some("14:00"), Some("afternoon")));
        let plain = mdb("condition", "getextendedinfos").id(ids["condition"]).get().await.text();
        assert!(plain.starts_with("ce_id|ce_co_id|ce_ord|ce_param1|ce_param2|ce_param3|ce_param4\n"), "{plain}");
        let before = ctx.snapshot().await;
        for (data, message) in [
            (json!([{"param1": "8", "param2": "9:00", "param3": "10:00"}]), "jsondata element 0: param1 ('8') must be a weekday from 1 (Monday) to 7 (Sunday)"),
            (json!([{"param1": "1", "param2": "9:00", "param3": "10:00"}, {"param1": "2", "param2": "9:0", "param3": "10:00"}]), "jsondata element 1: param2 ('9:0') must be a time H:MM"),
            (json!([{"param1": "2", "param2": "10:00", "param3": "9:59"}]), "jsondata element 0: param3 ('9:59') must be later than param2"),
            (json!([{"param1": "2", "param2": "10:00", "param3": "10:00"}]), "jsondata element 0: param3 ('10:00') must be later than param2"),
            (json!([{"param5": "x"}]), "jsondata element 0: unknown key 'param5' (use param1..param4)"),
            (json!({"param1": "1"}), "jsondata must be a JSON array like [{\"param1\":\"1\",\"param2\":\"9:00\",\"param3\":\"17:00\"}]"),
            (json!(["1,9:00,10:00"]), "jsondata element 0 must be an object with param1..param4"),
            (json!(vec![json!({"param1": "1", "param2": "9:00", "param3": "10:00"}); 201]), "jsondata may hold at most 200 elements"),
        ] {
            mdb("condition", "replaceextendedinfos").id(ids["condition"]).json(&data).post().await.is_error(message);
        }
        assert_eq!(ctx.snapshot().await, before);
        // An empty array clears the rows.
        let r = mdb("condition", "replaceextendedinfos").id(ids["condition"]).json(&json!([])).fmt("json").post().await;
        assert_eq!(r.text(), "[]");

        // Hunt-list members: ordered TYPE-ID, validated like destinations.
        let members = json!([format!("ext-{ext}"), "EXTERNAL-00390212345"]);
        let r = mdb("huntlist", "setextensions").id(ids["huntlist"]).json(&members).fmt("json").post().await.json();
        let got: Vec<(&str, &str, &str)> = r.as_array().unwrap().iter().map(|m| (m["hm_ord"].as_str().unwrap(), m["hm_type"].as_str().unwrap(), m["hm_type_id"].as_str().unwrap())).collect();
        assert_eq!(got, [("1", "EXT", ext.to_string().as_str()), ("2", "EXTERNAL", "00390212345")]);
        assert_eq!(mdb("huntlist", "getextensions").id(ids["huntlist"]).fmt("json").get().await.json(), r);
        let before = ctx.snapshot().await;
        for (data, message) in [
            (json!([format!("EXT-{b_ext}")]), format!("jsondata element 0 ('EXT-{b_ext}'): no EXT with id {b_ext} in tenant ACME")),
            (json!([format!("EXT-{ext}"), "EXT-99999"]), "jsondata element 1 ('EXT-99999'): no EXT with id 99999 in tenant ACME".to_string()),
            (json!(["HANGUP"]), "jsondata element 0 ('HANGUP'): a hunt list member must be one of EXT, EXTERNAL".to_string()),
            (json!(["NOPE-1"]), "jsondata element 0 ('NOPE-1'): unknown destination tag 'NOPE'".to_string()),
            (json!(["EXTERNAL-12ab"]), "jsondata element 0 ('EXTERNAL-12ab'): EXTERNAL needs a phone number".to_string()),
            (json!([7]), "jsondata element 0 must be a string \"TYPE-ID\"".to_string()),
            (json!(vec!["EXTERNAL-1"; 101]), "jsondata may hold at most 100 elements".to_string()),
            (json!("EXT-1"), "jsondata must be a JSON array like [\"EXT-12\",\"EXT-13\"]".to_string()),
        ] {
            mdb("huntlist", "setextensions").id(ids["huntlist"]).json(&data).post().await.is_error(&message);
        }
        assert_eq!(ctx.snapshot().await, before);

        // Routes by provider and by routing profile.
        let second = ctx.add(&ctx.admin, None, "route", json!({"dl_rp_id": ids["routingprofile"], "dl_pr_id": ids["provider"], "dl_regex": "^0", "dl_ord": 5})).await;
        let other_rp = id_of(&ctx.add(&ctx.admin, None, "routingprofile", json!({"rp_name": "backup"})).await, "rp_id");
        ctx.add(&ctx.admin, None, "route", json!({"dl_rp_id": other_rp, "dl_pr_id": ids["provider"], "dl_regex": "^1"})).await;
        let keys = |v: Value| v.as_object().unwrap().keys().cloned().collect::<Vec<_>>();
        let by_rp = ctx.mdb(&ctx.admin, None, "routingprofile", "listroutes").id(ids["routingprofile"]).fmt("json").get().await.json();
        assert_eq!(keys(by_rp.clone()), [second["dl_id"].as_str().unwrap().to_string(), ids["route"].to_string()]);
        let by_param = ctx.mdb(&ctx.admin, None, "route", "list").p("routingprofileid", ids["routingprofile"].to_string()).fmt("json").get().await.json();
        assert_eq!(by_param, by_rp);
        assert_eq!(keys(ctx.mdb(&ctx.admin, None, "route", "list").fmt("json").get().await.json()).len(), 3);
        assert_eq!(keys(ctx.mdb(&ctx.admin, None, "provider", "listroutes").id(ids["provider"]).fmt("json").get().await.json()).len(), 3);
        ctx.mdb(&ctx.admin, None, "provider", "listroutes").id(9999).get().await.is_error("no provider with id 9999");
        // Admin objects refuse tenant keys, whatever the action.
        for (object, action) in [("provider", "listroutes"), ("routingprofile", "listroutes"), ("route", "list"), ("customtype", "list"), ("phonemodel", "get")] {
            ctx.mdb(&ctx.rw, Some("ACME"), object, action).id(1).get().await.is_too_bad();
        }

        // SIP registrations: each tenant sees its own devices only.
        ctx.db.conn.execute_unprepared("UPDATE sippeers SET ipaddr = '192.0.2.7', port = 5062, regseconds = 1700000000 WHERE name = '100-ACME'").await.unwrap();
        let regs = ctx.mdb(&ctx.rw, Some("ACME"), "sipregs", "list").fmt("json").get().await.json();
        assert_eq!(count_rows(&regs), 1, "{regs}");
        assert_eq!((regs[0]["name"].as_str(), regs[0]["ipaddr"].as_str(), regs[0]["port"].as_str()), (Some("100-ACME"), Some("192.0.2.7"), Some("5062")));
        let all = ctx.mdb(&ctx.admin, None, "SIPREGS", "list").fmt("json").get().await.json();
        assert_eq!(count_rows(&all), 2);
        ctx.mdb(&ctx.rw, Some("ACME"), "sipregs", "add").post().await.is_error("parameter 'action': 'add' is not an action of object sipregs (use one of list)");

        // Another tenant's rows through the special actions: misses.
        let b_cond = id_of(&ctx.add(&ctx.admin, Some("BETA"), "condition", json!({"co_name": "b"})).await, "co_id");
        let b_hunt = id_of(&ctx.add(&ctx.admin, Some("BETA"), "huntlist", json!({"hu_number": "1"})).await, "hu_id");
        let b_ivr = id_of(&ctx.add(&ctx.admin, Some("BETA"), "ivr", json!({"iv_name": "b"})).await, "iv_id");
        let before = ctx.snapshot().await;
        for (object, action, id) in [("condition", "getextendedinfos", b_cond), ("condition", "getdestinations", b_cond), ("condition", "replaceextendedinfos", b_cond), ("huntlist", "getextensions", b_hunt), ("huntlist", "setextensions", b_hunt), ("ivr", "getdestinations", b_ivr)] {
            mdb(object, action).id(id).json(&json!([])).post().await.is_error(&format!("no {object} with id {id}"));
        }
        assert_eq!(ctx.snapshot().await, before);
    }

    /// References: a row may only point at an existing row of its own tenant; a row others
    /// point at cannot be deleted, and the refusal lists who points at it.
    async fn relations(ctx) {
        let (ids, _) = add_all(ctx).await;
        let ext = id_of(&ctx.ext(&ctx.a, "100", json!({})).await, "ex_id");
        let b_media = id_of(&ctx.add(&ctx.admin, Some("BETA"), "mediafile", json!({"me_name": "b"})).await, "me_id");
        let b_ext = id_of(&ctx.ext(&ctx.b, "100", json!({})).await, "ex_id");
        let mdb = |object: &str, action: &str| ctx.mdb(&ctx.rw, Some("ACME"), object, action);

        // Dangling or foreign references.
        mdb("ivr", "add").json(&json!({"iv_name": "x", "iv_me_id": b_media})).post().await
            .is_error(&format!("field 'iv_me_id': no mediafile with id {b_media} in tenant ACME"));
        mdb("phone", "add").json(&json!({"ph_mac": "020000000001", "ph_ex_id": b_ext})).post().await
            .is_error(&format!("field 'ph_ex_id': no extension with id {b_ext} in tenant ACME"));
        ctx.mdb(&ctx.admin, Some("BETA"), "ivr", "update").id(ids["ivr"]).json(&json!({"iv_name": "x"})).post().await
            .is_error(&format!("no ivr with id {}", ids["ivr"]));
        let did = id_of(&ctx.did(&ctx.a, "5550001").await, "di_id");
        for (tag, id) in [("PLAYBACK", b_media), ("QUEUE", 9999), ("MEETME", 9999), ("CUSTOM", 9999), ("HUNTLIST", 9999), ("IVR", 9999), ("CONDITION", 9999)] {
            mdb("destination", "replace").p("typesrc", "DID").p("typeidsrc", did.to_string()).json(&json!([format!("{tag}-{id}")])).post().await
                .is_error(&format!("jsondata element 0 ('{tag}-{id}'): no {tag} with id {id} in tenant ACME"));
        }

        // Point at each object, then try to delete it.
        let phone2 = id_of(&mdb("phone", "add").json(&json!({"ph_mac": "020000000002", "ph_ex_id": ext})).fmt("json").post().await.json(), "ph_id");
        mdb("huntlist", "setextensions").id(ids["huntlist"]).json(&json!([format!("EXT-{ext}")])).post().await;
        let targets = [
            ("PLAYBACK", "mediafile"), ("QUEUE", "queue"), ("MEETME", "conference"), ("CUSTOM", "custom"),
            ("HUNTLIST", "huntlist"), ("IVR", "ivr"), ("CONDITION", "condition"),
        ];
        let list: Vec<String> = targets.iter().map(|(t, o)| format!("{t}-{}", ids[o])).collect();
        mdb("destination", "replace").p("typesrc", "DID").p("typeidsrc", did.to_string()).json(&json!(list)).post().await;
        let before = ctx.snapshot().await;
        let refused = [
            ("mediafile", ids["mediafile"], format!("mediafile {} is used by destinations of: DID {did}; ivrs (iv_me_id): {}; change those first", ids["mediafile"], ids["ivr"])),
            ("queue", ids["queue"], format!("queue {} is used by destinations of: DID {did}; change those first", ids["queue"])),
            ("conference", ids["conference"], format!("conference {} is used by destinations of: DID {did}; change those first", ids["conference"])),
            ("custom", ids["custom"], format!("custom {} is used by destinations of: DID {did}; change those first", ids["custom"])),
            ("huntlist", ids["huntlist"], format!("huntlist {} is used by destinations of: DID {did}; change those first", ids["huntlist"])),
            ("ivr", ids["ivr"], format!("ivr {} is used by destinations of: DID {did}; change those first", ids["ivr"])),
            ("condition", ids["condition"], format!("condition {} is used by destinations of: DID {did}; change those first", ids["condition"])),
            ("extension", ext, format!("extension {ext} is used by hunt lists: {}; phones (ph_ex_id): {phone2}; change those first", ids["huntlist"])),
        ];
        for (object, id, message) in &refused {
            mdb(object, "delete").id(id).post().await.is_error(message);
        }
        for (object, id, message) in [
            ("provider", ids["provider"], format!("provider {} is used by routes (dl_pr_id): {}; change those first", ids["provider"], ids["route"])),
            ("routingprofile", ids["routingprofile"], format!("routingprofile {} is used by routes (dl_rp_id): {}; change those first", ids["routingprofile"], ids["route"])),
            ("customtype", ids["customtype"], format!("customtype {} is used by customs (cu_ct_id): {}; change those first", ids["customtype"], ids["custom"])),
            ("phonemodel", ids["phonemodel"], format!("phonemodel {} is used by phones (ph_pm_id): {}; change those first", ids["phonemodel"], ids["phone"])),
        ] {
            ctx.mdb(&ctx.admin, None, object, "delete").id(id).post().await.is_error(&message);
        }
        assert_eq!(ctx.snapshot().await, before, "a refused delete changed something");

        // Once nothing points at them, they go; the rows they owned go with them.
        mdb("destination", "replace").p("typesrc", "DID").p("typeidsrc", did.to_string()).json(&json!([])).post().await;
        mdb("destination", "replace").p("typesrc", "IVR_1").p("typeidsrc", ids["ivr"].to_string()).json(&json!(["HANGUP"])).post().await;
        mdb("condition", "replaceextendedinfos").id(ids["condition"]).json(&json!([{"param1": "1", "param2": "8:00", "param3": "9:00"}])).post().await;
        mdb("ivr", "delete").id(ids["ivr"]).post().await.is_plain(&format!("delete from iv_ivrs where iv_id='{}'", ids["ivr"]));
        assert_eq!(ctx.count_where("de_destinations", "de_type_src = 'IVR_1'").await, 0);
        mdb("condition", "delete").id(ids["condition"]).post().await;
        assert_eq!(ctx.count("ce_conditionextendedinfos").await, 0);
        mdb("huntlist", "delete").id(ids["huntlist"]).post().await;
        assert_eq!(ctx.count("hm_huntlistmembers").await, 0);
        mdb("phone", "delete").id(phone2).post().await;
        mdb("extension", "delete").id(ext).post().await.is_plain(&format!("delete from ex_extensions where ex_id='{ext}'"));
        mdb("mediafile", "delete").id(ids["mediafile"]).post().await;
        ctx.mdb(&ctx.admin, None, "route", "delete").id(ids["route"]).post().await;
        ctx.mdb(&ctx.admin, None, "provider", "delete").id(ids["provider"]).post().await
            .is_plain(&format!("delete from pr_providers where pr_id='{}'", ids["provider"]));
    }

    /// Upload, download with Range, type by content, limits and hostile names; content shared
    /// between rows is stored once and removed only with its last row.
    async fn media_store(ctx) {
        let m = id_of(&ctx.add(&ctx.rw, Some("ACME"), "mediafile", json!({"me_name": "greeting"})).await, "me_id");
        binary(ctx, &ctx.rw, "ACME", m, None).await.is_error(&format!("mediafile {m} has no content yet (use updatebinary)"));
        upload(ctx, &ctx.rw, "ACME", m, "greeting.ogg", ogg()).await
            .is_plain(&format!("update me_mediafiles set me_format='ogg', me_size='64', me_md5='{OGG_MD5}' where me_te_id='{}' and me_id='{m}'", ctx.a.id));
        let row = ctx.mdb(&ctx.rw, Some("ACME"), "mediafile", "get").id(m).fmt("json").get().await.json();
        assert_eq!((row["me_format"].as_str(), row["me_size"].as_str(), row["me_md5"].as_str(), row["me_sha256"].as_str()), (Some("ogg"), Some("64"), Some(OGG_MD5), Some(OGG_SHA256)));
        assert_eq!(stored(ctx), [format!("media/a0/{OGG_SHA256}")]);

        let r = binary(ctx, &ctx.rw, "ACME", m, None).await;
        assert_eq!((r.status, r.body.clone(), r.content_type.as_str()), (200, ogg(), "audio/ogg"));
        assert_eq!(r.disposition.as_deref(), Some("inline; filename=\"greeting.ogg\""));
        for (range, status, body, content_range) in [
            ("bytes=0-3", 206, b"OggS".to_vec(), Some("bytes 0-3/64")),
            ("bytes=60-", 206, vec![56, 57, 58, 59], Some("bytes 60-63/64")),
            ("bytes=-2", 206, vec![58, 59], Some("bytes 62-63/64")),
            ("bytes=64-70", 416, vec![], Some("bytes */64")),
        ] {
            let r = binary(ctx, &ctx.rw, "ACME", m, Some(range)).await;
            assert_eq!((r.status, r.body.clone(), r.content_range.as_deref()), (status, body, content_range), "{range}");
        }
        // A read-only key and the admin may download; another tenant may not.
        assert_eq!(binary(ctx, &ctx.ro, "ACME", m, None).await.body, ogg());
        assert_eq!(binary(ctx, &ctx.admin, "ACME", m, None).await.body, ogg());
        let b = id_of(&ctx.add(&ctx.admin, Some("BETA"), "mediafile", json!({"me_name": "b"})).await, "me_id");
        binary(ctx, &ctx.admin, "BETA", m, None).await.is_error(&format!("no mediafile with id {m}"));
        upload(ctx, &ctx.rw, "ACME", b, "x.ogg", ogg()).await.is_error(&format!("no mediafile with id {b}"));
        upload(ctx, &ctx.ro, "ACME", m, "x.ogg", ogg()).await.is_error("this key is read-only; updatebinary on mediafile needs a read/write key");

        // Refused content: the row and the store stay as they were.
        let before = (ctx.snapshot().await, stored(ctx));
        let mut big = wav_of_len(1, switchboard::media::MAX_BYTES / 2);
        big.truncate(switchboard::media::MAX_BYTES + 1);
        let refusals: Vec<(&str, Vec<u8>, String)> = vec![
            ("notes.wav", b"just some text, not audio".to_vec(), "the file is not a supported audio type (WAV, MP3, OGG, raw GSM, raw u-law/a-law)".into()),
            ("shell.php.wav", b"<?php system($_GET['c']); ?>".to_vec(), "the file is not a supported audio type (WAV, MP3, OGG, raw GSM, raw u-law/a-law)".into()),
            ("prog.mp3", b"MZ\x90\x00\x03\x00\x00\x00".to_vec(), "the file is not a supported audio type (WAV, MP3, OGG, raw GSM, raw u-law/a-law)".into()),
            ("empty.wav", vec![], "the file is empty".into()),
            ("big.wav", big, format!("the file is larger than the limit of {} bytes", switchboard::media::MAX_BYTES)),
            ("short.gsm", vec![0xD0; 32], "the file is not raw GSM 06.10 (33-byte frames starting 0xD)".into()),
            ("text.ulaw", vec![b'a'; 400], "the file is not raw G.711 audio (at least 160 bytes, not text)".into()),
        ];
        for (name, bytes, message) in refusals {
            upload(ctx, &ctx.rw, "ACME", m, name, bytes).await.is_error(&format!("parameter 'filename': {message}"));
        }
        ctx.mdb(&ctx.rw, Some("ACME"), "mediafile", "updatebinary").id(m).post().await
            .is_error("parameter 'filename' is required: a multipart file field with the audio");
        assert_eq!((ctx.snapshot().await, stored(ctx)), before);

        // Hostile names change nothing but the row: the bytes go to the store by their hash.
        let gsm: Vec<u8> = (0..66).map(|i| if i % 33 == 0 { 0xD5 } else { i as u8 }).collect();
        for (i, name) in ["../../../../evil.gsm", "..\\..\\evil.gsm", "/etc/cron.d/x.gsm", "évil ü.gsm"].iter().enumerate() {
            let mut bytes = gsm.clone();
            bytes[1] = i as u8;
            let r = upload(ctx, &ctx.rw, "ACME", m, name, bytes).await;
            assert!(r.text().starts_with("update me_mediafiles set me_format='gsm', me_size='66'"), "{name}: {}", r.text());
        }
        let files = stored(ctx);
        assert_eq!(files.len(), 1, "only the last content is kept: {files:?}");
        assert!(files[0].starts_with("media/") && !files[0].contains("evil"), "{files:?}");
        assert!(!ctx.config.data_dir.parent().unwrap().join("evil.gsm").exists());
        let ulaw: Vec<u8> = (0..400u32).map(|i| (i * 7 % 256) as u8 | 0x80).collect();
        upload(ctx, &ctx.rw, "ACME", m, "prompt.ul", ulaw.clone()).await;
        let r = binary(ctx, &ctx.rw, "ACME", m, None).await;
        assert_eq!((r.body.clone(), r.content_type.as_str()), (ulaw.clone(), "audio/basic"));
        upload(ctx, &ctx.rw, "ACME", m, "renamed.mp3", wav(3)).await;
        let row = ctx.mdb(&ctx.rw, Some("ACME"), "mediafile", "get").id(m).fmt("json").get().await.json();
        assert_eq!(row["me_format"], "wav", "the type comes from the bytes, not the name");

        // Identical content in two rows (and two tenants) is stored once and kept while used.
        upload(ctx, &ctx.admin, "BETA", b, "same.wav", wav(3)).await;
        assert_eq!(stored(ctx).len(), 1);
        ctx.mdb(&ctx.rw, Some("ACME"), "mediafile", "delete").id(m).post().await;
        assert_eq!(stored(ctx).len(), 1, "BETA still uses the content");
        assert_eq!(binary(ctx, &ctx.admin, "BETA", b, None).await.body, wav(3));
        ctx.mdb(&ctx.admin, Some("BETA"), "mediafile", "delete").id(b).post().await;
        assert_eq!(stored(ctx), Vec::<String>::new());
        assert_eq!(ctx.count("fg_filegarbage").await, 0);
    }

    /// Deleting a tenant: refused while it owns rows; with cascade=yes everything it owns goes
    /// in one transaction, realtime rows and stored media included; other tenants keep theirs.
    async fn tenant_cascade(ctx) {
        let (ids, _) = add_all(ctx).await;
        let ext = id_of(&ctx.ext(&ctx.a, "100", json!({"ex_tech": "SIP", "secret": "s3cret-pass"})).await, "ex_id");
        let mdb = |object: &str, action: &str| ctx.mdb(&ctx.rw, Some("ACME"), object, action);
        mdb("huntlist", "setextensions").id(ids["huntlist"]).json(&json!([format!("EXT-{ext}")])).post().await;
        mdb("condition", "replaceextendedinfos").id(ids["condition"]).json(&json!([{"param1": "3", "param2": "8:00", "param3": "9:00"}])).post().await;
        mdb("destination", "replace").p("typesrc", "IVR_0").p("typeidsrc", ids["ivr"].to_string()).json(&json!([format!("HUNTLIST-{}", ids["huntlist"])])).post().await;
        upload(ctx, &ctx.rw, "ACME", ids["mediafile"], "a.ogg", ogg()).await;
        let own = id_of(&ctx.add(&ctx.rw, Some("ACME"), "mediafile", json!({"me_name": "own"})).await, "me_id");
        upload(ctx, &ctx.rw, "ACME", own, "own.wav", wav(9)).await;
        // BETA: the same content as one of ACME's files, and rows of its own.
        let b_media = id_of(&ctx.add(&ctx.admin, Some("BETA"), "mediafile", json!({"me_name": "b"})).await, "me_id");
        upload(ctx, &ctx.admin, "BETA", b_media, "b.ogg", ogg()).await;
        ctx.add(&ctx.admin, Some("BETA"), "queue", json!({"qu_name": "b", "qu_number": "1"})).await;
        ctx.add(&ctx.admin, Some("BETA"), "conference", json!({"cr_number": "1"})).await;
        assert_eq!(stored(ctx).len(), 2);

        let before = ctx.snapshot().await;
        let r = ctx.mdb(&ctx.admin, None, "tenant", "delete").id(ctx.a.id).post().await;
        let text = r.text();
        assert!(text.starts_with(&format!("Error: tenant {} still owns ", ctx.a.id)), "{text}");
        for label in ["1 ivrs", "1 conditions", "1 queues", "1 hunt lists", "1 conference rooms", "1 custom destinations", "2 media files", "1 phones", "1 music-on-hold classes", "1 blacklisted caller ids"] {
            assert!(text.contains(label), "{label}: {text}");
        }
        assert_eq!(ctx.snapshot().await, before);

        ctx.mdb(&ctx.admin, None, "tenant", "delete").id(ctx.a.id).p("cascade", "yes").post().await
            .is_plain(&format!("delete from te_tenants where te_id='{}'", ctx.a.id));
        let a = ctx.a.id;
        for (table, col) in [
            ("iv_ivrs", "iv_te_id"), ("co_conditions", "co_te_id"), ("ce_conditionextendedinfos", "ce_te_id"),
            ("qu_queues", "qu_te_id"), ("hu_huntlists", "hu_te_id"), ("hm_huntlistmembers", "hm_te_id"),
            ("cr_conferencerooms", "cr_te_id"), ("cu_customs", "cu_te_id"), ("me_mediafiles", "me_te_id"),
            ("ph_phones", "ph_te_id"), ("mu_musiconhold", "mu_te_id"), ("bl_calleridblacklist", "bl_te_id"),
            ("de_destinations", "de_te_id"), ("ex_extensions", "ex_te_id"),
        ] {
            assert_eq!(ctx.count_where(table, &format!("{col} = {a}")).await, 0, "{table}");
        }
        assert_eq!(ctx.count_where("queues", &format!("name = '{}'", ids["queue"])).await, 0);
        assert_eq!(ctx.count("queues").await, 1, "BETA's queue stays");
        assert_eq!(ctx.count_where("meetme", "confno like '%-ACME'").await, 0);
        assert_eq!(ctx.count("meetme").await, 1, "BETA's room stays");
        assert_eq!(ctx.count_where("sippeers", "name = '100-ACME'").await, 0);
        // ACME's own content is gone; the content BETA shares stays and still downloads.
        assert_eq!(stored(ctx), [format!("media/a0/{OGG_SHA256}")]);
        assert_eq!(binary(ctx, &ctx.admin, "BETA", b_media, None).await.body, ogg());
        // Global objects are not the tenant's: they stay.
        assert_eq!(ctx.count("pr_providers").await, 1);
        assert_eq!(ctx.count("dl_routes").await, 1);
    }

    /// The special read actions in every format: the same rows as in json, rendered by the
    /// reference renderer; MEDIAFILE getaudio is getbinary under the upstream reqtype.
    async fn special_reads_in_every_format(ctx) {
        let (ids, _) = add_all(ctx).await;
        let ext = id_of(&ctx.ext(&ctx.a, "100", json!({"ex_tech": "SIP", "secret": "s3cret-pass"})).await, "ex_id");
        let mdb = |object: &str, action: &str| ctx.mdb(&ctx.rw, Some("ACME"), object, action);
        mdb("destination", "replace").p("typesrc", "IVR_2").p("typeidsrc", ids["ivr"].to_string()).json(&json!([format!("EXT-{ext}"), "HANGUP"])).post().await;
        mdb("destination", "replace").p("typesrc", "CONDITION").p("typeidsrc", ids["condition"].to_string()).json(&json!([format!("IVR-{}", ids["ivr"])])).post().await;
        mdb("condition", "replaceextendedinfos").id(ids["condition"]).json(&json!([{"param1": "5", "param2": "9:00", "param3": "12:00", "param4": "a,\"b\" <c>"}])).post().await;
        mdb("huntlist", "setextensions").id(ids["huntlist"]).json(&json!([format!("EXT-{ext}"), "EXTERNAL-+3902"])).post().await;
        let reads = [
            ("ivr", "getdestinations", Some(ids["ivr"]), &ctx.rw, Some("ACME"), vec![]),
            ("condition", "getdestinations", Some(ids["condition"]), &ctx.rw, Some("ACME"), vec![]),
            ("condition", "getextendedinfos", Some(ids["condition"]), &ctx.rw, Some("ACME"), vec![]),
            ("huntlist", "getextensions", Some(ids["huntlist"]), &ctx.rw, Some("ACME"), vec![]),
            ("sipregs", "list", None, &ctx.rw, Some("ACME"), vec![]),
            ("provider", "listroutes", Some(ids["provider"]), &ctx.admin, None, vec![]),
            ("routingprofile", "listroutes", Some(ids["routingprofile"]), &ctx.admin, None, vec![]),
            ("route", "list", None, &ctx.admin, None, vec![("routingprofileid", ids["routingprofile"].to_string())]),
        ];
        for (object, action, id, key, tenant, extra) in reads {
            let req = || {
                let mut r = ctx.mdb(key, tenant, object, action);
                if let Some(id) = id {
                    r = r.id(id);
                }
                for (k, v) in &extra {
                    r = r.p(k, v);
                }
                r
            };
            let json = req().fmt("json").get().await.json();
            let shape = match &json {
                Value::Array(rows) => {
                    assert!(!rows.is_empty(), "{object} {action}: no rows");
                    let header: String = rows[0].as_object().unwrap().keys().cloned().collect::<Vec<_>>().join("|");
                    Shape::Table(rows.clone(), Box::leak(header.into_boxed_str()))
                }
                Value::Object(map) => {
                    assert!(!map.is_empty(), "{object} {action}: no rows");
                    Shape::Keyed(map.values().cloned().collect())
                }
                other => panic!("{object} {action}: {other}"),
            };
            for f in FORMATS {
                assert_shape(&req().in_format(f).get().await, &shape, f);
            }
        }

        // MEDIAFILE getaudio.
        let m = ids["mediafile"];
        upload(ctx, &ctx.rw, "ACME", m, "a.ogg", ogg()).await;
        let audio = |key: &str, tenant: &str| ctx.req().p("reqtype", "MEDIAFILE").p("key", key).p("tenant", tenant).p("action", "getaudio").p("objectid", m.to_string());
        let r = audio(&ctx.ro, "ACME").get().await;
        assert_eq!((r.body.clone(), r.content_type.as_str()), (ogg(), "audio/ogg"));
        let r = audio(&ctx.rw, "ACME").header("Range", "bytes=4-5").get().await;
        assert_eq!((r.status, r.body.clone()), (206, vec![0, 1]));
        audio(&ctx.admin, "BETA").get().await.is_error(&format!("no mediafile with id {m}"));
        audio(&ctx.rw, "BETA").get().await.is_too_bad();
        audio(&ctx.rw, "ACME").p("action", "play").get().await.is_error("parameter 'action': 'play' is not an action of reqtype MEDIAFILE (use getaudio)");
        audio(&ctx.rw, "ACME").without("objectid").get().await.is_error("parameter 'objectid' is required");
    }
}
