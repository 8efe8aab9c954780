//! Isolation, table-driven from `switchboard::objects::REGISTRY` so that a new object is covered
//! as soon as it is registered:
//! - read-only keys (tenant and admin) trying every write of every object, and the special
//!   write actions, with the whole database proven unchanged; the same writes with a
//!   read/write key then succeed (so the refusals were about the key, not the payload);
//! - tenant A's key against tenant B's rows for every object and action, destinations on B's
//!   sources or pointing at B's objects, INFO, filters naming B: refused or empty, never B's
//!   data, B unchanged.

use crate::common::*;
use serde_json::{json, Value};
use std::collections::BTreeMap;
use switchboard::objects::{Access, Field, Kind, Object, REGISTRY};

/// A value for `field` that passes its check, distinct per `n`; a reference names the
/// fixture row of the object it refers to.
fn sample(field: &Field, n: usize, ids: &BTreeMap<&'static str, i32>) -> Value {
    if let Some(target) = field.refers {
        let id = ids.get(target).unwrap_or_else(|| {
            panic!(
                "{}: no fixture {target} yet (order REGISTRY so it comes first)",
                field.name
            )
        });
        return Value::String(id.to_string());
    }
    let candidates: Vec<String> = match field.kind {
        Kind::Int | Kind::OptInt => vec![format!("{}", n + 1)],
        Kind::Double => vec!["1.5".into()],
        Kind::Flag => vec!["on".into()],
        Kind::Choice(options) => vec![options[0].to_string()],
        Kind::Secret => vec![format!("Secr3t-{n}-pass")],
        Kind::Text(_) | Kind::OptText(_) => vec![
            format!("{}", 7000 + n),
            format!("T{n}"),
            format!("name-{n}"),
            format!("u{n}@example.com"),
            format!("02:00:5e:00:00:{n:02x}"),
        ],
        Kind::DateTime => panic!("{}: a server-set field is never sent", field.name),
    };
    let max = match field.kind {
        Kind::Text(m) | Kind::OptText(m) => m,
        _ => usize::MAX,
    };
    let value = candidates
        .into_iter()
        .find(|c| c.len() <= max && field.check.is_none_or(|check| check(c).is_ok()))
        .unwrap_or_else(|| panic!("no sample value passes the check of {}", field.name));
    Value::String(value)
}

/// A valid add for `obj`: every field that must be given, plus any the object needs on add.
fn add_data(obj: &Object, n: usize, ids: &BTreeMap<&'static str, i32>) -> Value {
    let mut map = serde_json::Map::new();
    for f in obj
        .fields
        .iter()
        .filter(|f| matches!(f.access, Access::Required | Access::Once))
    {
        map.insert(f.name.to_string(), sample(f, n, ids));
    }
    Value::Object(map)
}

/// A harmless valid update: the first free-text field without a check.
fn update_data(obj: &Object, n: usize) -> Value {
    let f = obj
        .fields
        .iter()
        .find(|f| {
            matches!(f.access, Access::Required | Access::Optional)
                && matches!(f.kind, Kind::Text(_) | Kind::OptText(_))
                && f.check.is_none()
        })
        .unwrap_or_else(|| panic!("{}: no free-text field to update", obj.name));
    json!({ f.name: format!("changed-{n}") })
}

/// Rows of every object for both tenants, made by the admin.
struct Fixtures {
    /// Object name → id of a row of tenant ACME (tenant-owned) or of some row (global).
    a: BTreeMap<&'static str, i32>,
    /// Object name → id of a row of tenant BETA (tenant-owned objects only).
    b: BTreeMap<&'static str, i32>,
}

async fn fixtures(ctx: &Ctx) -> Fixtures {
    let (mut a, mut b) = (BTreeMap::new(), BTreeMap::new());
    for obj in REGISTRY.iter().filter(|o| o.crud) {
        match obj.tenant_col {
            Some(_) => {
                for (tenant, n, ids) in [(&ctx.a, 1, &mut a), (&ctx.b, 2, &mut b)] {
                    let row = ctx
                        .add(
                            &ctx.admin,
                            Some(tenant.code),
                            obj.name,
                            add_data(obj, n, ids),
                        )
                        .await;
                    ids.insert(obj.name, id_of(&row, obj.pk));
                }
            }
            None if obj.name == "tenant" => {
                a.insert("tenant", ctx.a.id);
            }
            None => {
                let row = ctx
                    .add(&ctx.admin, None, obj.name, add_data(obj, 1, &a))
                    .await;
                a.insert(obj.name, id_of(&row, obj.pk));
            }
        }
    }
    // Destinations in both tenants; user 1 manages ACME.
    for (tenant, ids) in [(&ctx.a, &a), (&ctx.b, &b)] {
        let r = ctx
            .mdb(&ctx.admin, Some(tenant.code), "destination", "replace")
            .p("typesrc", "DID")
            .p("typeidsrc", ids["did"].to_string())
            .json(&json!([format!("EXT-{}", ids["extension"]), "HANGUP"]))
            .fmt("json")
            .post()
            .await;
        assert_eq!(r.json().as_array().map(Vec::len), Some(2), "{}", r.text());
        let r = ctx
            .mdb(&ctx.admin, Some(tenant.code), "destination", "replace")
            .p("typesrc", "EXT-BUSY")
            .p("typeidsrc", ids["extension"].to_string())
            .json(&json!(["HANGUP"]))
            .fmt("json")
            .post()
            .await;
        assert_eq!(r.json().as_array().map(Vec::len), Some(1), "{}", r.text());
    }
    let r = ctx
        .mdb(&ctx.admin, None, "user", "addtenant")
        .id(a["user"])
        .p("tenantid", ctx.a.id.to_string())
        .post()
        .await;
    r.is_plain("OK");
    Fixtures { a, b }
}

/// Every write on `obj` as (action, request), targeting the rows in `ids` (or `new_id` for
/// update/delete when given: the row an add just made).
fn writes<'c>(
    ctx: &'c Ctx,
    key: &str,
    tenant: Option<&str>,
    obj: &Object,
    ids: &BTreeMap<&'static str, i32>,
    n: usize,
) -> Vec<(String, Req<'c>)> {
    let mut out = Vec::new();
    if obj.crud {
        out.push((
            "add".to_string(),
            ctx.mdb(key, tenant, obj.name, "add")
                .json(&add_data(obj, n, ids)),
        ));
        let id = ids[obj.name];
        out.push((
            "update".into(),
            ctx.mdb(key, tenant, obj.name, "update")
                .id(id)
                .json(&update_data(obj, n)),
        ));
        out.push((
            "delete".into(),
            ctx.mdb(key, tenant, obj.name, "delete").id(id),
        ));
    }
    for action in obj.actions.iter().filter(|a| a.writes) {
        let req = ctx.mdb(key, tenant, obj.name, action.name);
        let req = match (obj.name, action.name) {
            ("destination", "replace") => req
                .p("typesrc", "DID")
                .p("typeidsrc", ids["did"].to_string())
                .json(&json!(["HANGUP"])),
            ("user", "addtenant") | ("user", "deltenant") => {
                req.id(ids["user"]).p("tenantid", ctx.b.id.to_string())
            }
            ("condition", "replaceextendedinfos") => req
                .id(ids["condition"])
                .json(&json!([{"param1": "1", "param2": "9:00", "param3": "17:00"}])),
            ("huntlist", "setextensions") => req
                .id(ids["huntlist"])
                .json(&json!([format!("EXT-{}", ids["extension"])])),
            ("mediafile", "updatebinary") => {
                req.id(ids["mediafile"])
                    .file("filename", "hello.wav", wav(n))
            }
            ("voicemail", "putmessagerecording") => req
                .p(
                    "mailboxuser",
                    add_data(obj, 1, ids)["mailbox"].as_str().unwrap(),
                )
                .file("filename", "vm.wav", wav(n)),
            (o, a) => panic!("write action {o}.{a} has no case in tests/isolation.rs: add one"),
        };
        out.push((action.name.to_string(), req));
    }
    out
}

backend_tests! {
    /// Read-only keys (tenant and admin, with and without `tenant=`) try every write of every
    /// object: all refused, the database unchanged. Then a read/write key makes the same writes.
    async fn read_only_keys_write_nothing(ctx) {
        let fx = fixtures(ctx).await;
        let (_, admin_ro) = ctx.mint(KeySpec { admin: true, read_only: true, ..Default::default() }).await;
        let before = ctx.snapshot().await;
        let mut tried = 0;
        for obj in REGISTRY {
            for (key, tenant, is_admin) in [
                (ctx.ro.as_str(), Some("ACME"), false),
                (admin_ro.as_str(), Some("ACME"), true),
                (admin_ro.as_str(), None, true),
            ] {
                for (action, req) in writes(ctx, key, tenant, obj, &fx.a, 10) {
                    tried += 1;
                    let plain = req.clone().post().await;
                    let json = req.clone().fmt("json").get().await;
                    if obj.admin_only && !is_admin {
                        plain.is_too_bad();
                        json.is_too_bad();
                    } else {
                        let msg = format!("this key is read-only; {action} on {} needs a read/write key", obj.name);
                        plain.is_error(&msg);
                        json.is_json_error(&msg);
                    }
                }
            }
            // Reads still work with the read-only keys.
            if obj.crud && !obj.admin_only {
                let list = ctx.list(&ctx.ro, Some("ACME"), obj.name).await;
                assert!(list.get(fx.a[obj.name].to_string()).is_some(), "{}: {list}", obj.name);
            }
            if obj.crud {
                let list = ctx.list(&admin_ro, None, obj.name).await;
                assert!(list.get(fx.a[obj.name].to_string()).is_some(), "{}: {list}", obj.name);
            }
        }
        // Reqtypes that would change live state are refused too (not served, or not allowed).
        for reqtype in ["DIAL", "HANGUP", "QUEUE", "AGENT", "DND", "SETFLOW", "PHONEBOOK", "SETTING", "BALANCE", "AUTHTOKEN", "CDR", "VOICEMAIL", "VIRTUALEXT", "USERGROUP"] {
            let r = ctx.req().p("reqtype", reqtype).p("key", &ctx.ro).p("tenant", "ACME").p("action", "set").p("value", "on").get().await;
            assert!(r.is_any_error(), "{reqtype}: {}", r.text());
        }
        assert!(tried >= 3 * REGISTRY.len());
        assert_eq!(ctx.snapshot().await, before, "a read-only key changed the database");

        // The same writes with read/write keys go through: add, then update/delete what it made.
        for obj in REGISTRY {
            let (key, tenant) = if obj.admin_only { (&ctx.admin, None) } else { (&ctx.rw, Some("ACME")) };
            let mut ids = fx.a.clone();
            for (action, req) in writes(ctx, key, tenant, obj, &ids.clone(), 20) {
                let req = match action.as_str() {
                    "update" | "delete" => req.id(ids[obj.name]),
                    _ => req,
                };
                let r = req.fmt("json").post().await;
                assert!(!r.is_any_error(), "{} {action}: {}", obj.name, r.text());
                if action == "add" {
                    ids.insert(obj.name, id_of(&r.json(), obj.pk));
                }
            }
        }
        assert_ne!(ctx.snapshot().await, before);
    }

    /// Tenant ACME's read/write key (and the admin scoped to ACME) against BETA's rows of every
    /// object: misses and refusals only; BETA unchanged.
    async fn tenant_keys_never_reach_another_tenants_rows(ctx) {
        let fx = fixtures(ctx).await;
        let before = ctx.snapshot().await;
        for obj in REGISTRY.iter().filter(|o| o.crud) {
            if obj.admin_only {
                for action in ["list", "get", "add", "update", "delete"] {
                    let r = ctx.mdb(&ctx.rw, Some("ACME"), obj.name, action).id(ctx.b.id).json(&update_data(obj, 3)).post().await;
                    r.is_too_bad();
                }
                continue;
            }
            let te_col = obj.tenant_col.unwrap();
            let (a_id, b_id) = (fx.a[obj.name], fx.b[obj.name]);
            for key in [&ctx.rw, &ctx.admin] {
                let mdb = |action: &str| ctx.mdb(key, Some("ACME"), obj.name, action);
                for f in ["plain", "json", "xml", "csv"] {
                    let r = mdb("get").id(b_id).fmt(f).get().await;
                    assert!(!r.text().contains(&format!(">{b_id}<")) && !r.text().contains(&format!("\"{b_id}\"")), "{}", r.text());
                    match f {
                        "json" => assert_eq!(r.text(), "{}"),
                        "xml" => assert!(!r.text().contains("<row>")),
                        _ => assert_eq!(r.text(), ""),
                    }
                }
                let list = mdb("list").fmt("json").get().await.json();
                let ids: Vec<&String> = list.as_object().unwrap().keys().collect();
                assert_eq!(ids, [&a_id.to_string()], "{}: {list}", obj.name);
                // A filter naming BETA cannot widen the tenant's scope.
                for filter in [
                    format!("{te_col} = {}", ctx.b.id),
                    format!("{te_col} = {} or {} > 0", ctx.b.id, obj.pk),
                    format!("({} = {b_id}) or not ({} = {b_id})", obj.pk, obj.pk),
                ] {
                    let v = mdb("list").p("filter", &filter).fmt("json").get().await.json();
                    assert!(v.get(b_id.to_string()).is_none(), "{} {filter}: {v}", obj.name);
                }
                mdb("update").id(b_id).json(&update_data(obj, 3)).post().await
                    .is_error(&format!("no {} with id {b_id}", obj.name));
                mdb("delete").id(b_id).post().await.is_error(&format!("no {} with id {b_id}", obj.name));
                let mut data = add_data(obj, 4, &fx.a);
                data[te_col] = json!(ctx.b.id);
                mdb("add").json(&data).post().await
                    .is_error(&format!("field '{te_col}' of {} is set by the server", obj.name));
            }
            // Naming the other tenant with a tenant key is an auth failure, whatever the action.
            for action in ["list", "get", "add", "update", "delete"] {
                ctx.mdb(&ctx.rw, Some("BETA"), obj.name, action).id(b_id).json(&update_data(obj, 3)).post().await.is_too_bad();
            }
        }

        // Destinations: BETA's sources, BETA's targets.
        let (b_did, b_ext, a_did, a_ext) = (fx.b["did"], fx.b["extension"], fx.a["did"], fx.a["extension"]);
        for key in [&ctx.rw, &ctx.admin] {
            for (typesrc, id) in [("DID", b_did), ("EXT-BUSY", b_ext), ("EXT-UNCONDITIONAL", b_ext), ("EXT-NOANSWER", b_ext), ("EXT-OFFLINE", b_ext)] {
                let list = ctx.mdb(key, Some("ACME"), "destination", "list").p("typesrc", typesrc).p("typeidsrc", id.to_string());
                assert_eq!(list.clone().fmt("json").get().await.text(), "[]", "{typesrc} {id}");
                list.get().await.is_plain("");
                ctx.mdb(key, Some("ACME"), "destination", "replace")
                    .p("typesrc", typesrc)
                    .p("typeidsrc", id.to_string())
                    .json(&json!(["HANGUP"]))
                    .post()
                    .await
                    .is_error(&format!("parameter 'typeidsrc': no {typesrc} source with id {id}"));
            }
            for target in [format!("EXT-{b_ext}"), format!("ext-{b_ext}")] {
                ctx.mdb(key, Some("ACME"), "destination", "replace")
                    .p("typesrc", "DID")
                    .p("typeidsrc", a_did.to_string())
                    .json(&json!(["HANGUP", target]))
                    .post()
                    .await
                    .is_error(&format!("jsondata element 1 ('{target}'): no EXT with id {b_ext} in tenant ACME"));
            }
        }
        // ACME's own destinations are still there, BETA's too.
        let own = ctx.mdb(&ctx.rw, Some("ACME"), "destination", "list").p("typesrc", "DID").p("typeidsrc", a_did.to_string()).fmt("json").get().await.json();
        assert_eq!(own[0]["de_type_id_dst"], a_ext.to_string());

        // INFO: BETA's extension by id or number, BETA's DIDs.
        let b_number = add_data(&switchboard::objects::extension::EXTENSION, 2, &BTreeMap::new())["ex_number"].as_str().unwrap().to_string();
        for key in [&ctx.rw, &ctx.ro] {
            ctx.info(key, Some("ACME"), "extensions").p("id", b_ext.to_string()).get().await.is_plain("");
            ctx.info(key, Some("ACME"), "extensions").p("number", &b_number).get().await.is_plain("");
            let dids = ctx.info(key, Some("ACME"), "dids").fmt("json").get().await.json();
            assert_eq!(dids.as_array().unwrap().len(), 1);
            assert_eq!(dids[0]["te_code"], "ACME");
            let exts = ctx.info(key, Some("ACME"), "extensions").fmt("json").get().await.json();
            assert!(exts.as_array().unwrap().iter().all(|e| e["ex_username"].as_str().unwrap().ends_with("-ACME")), "{exts}");
        }
        assert_eq!(ctx.snapshot().await, before, "tenant ACME changed something");
    }
}
