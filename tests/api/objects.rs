//! What objects do beyond their rows: concurrent adds, tenant limits, DID uniqueness across
//! tenants, the Asterisk realtime rows of extensions kept in step, tenant delete (refused /
//! cascade) and parking lots, destination replace validation and order, references that block
//! a delete, users and their tenants, writers outside the server.

use crate::common::*;
use serde_json::{json, Value};
use std::time::Duration;
use switchboard::auth::keys::REFRESH;

const EXT_HEADER: &str = "Number|Name|Tech|State|Username|Password";

async fn info_ext(ctx: &Ctx, key: &str, number: &str) -> String {
    ctx.info(key, Some("ACME"), "extensions")
        .p("number", number)
        .get()
        .await
        .text()
}

async fn dest_list(ctx: &Ctx, typesrc: &str, id: i32) -> Value {
    ctx.mdb(&ctx.admin, None, "destination", "list")
        .p("typesrc", typesrc)
        .p("typeidsrc", id.to_string())
        .fmt("json")
        .get()
        .await
        .json()
}

async fn replace(ctx: &Ctx, typesrc: &str, id: i32, data: Value) -> Resp {
    ctx.mdb(&ctx.rw, Some("ACME"), "destination", "replace")
        .p("typesrc", typesrc)
        .p("typeidsrc", id.to_string())
        .json(&data)
        .fmt("json")
        .post()
        .await
}

/// (tag, target) pairs of a destination list.
fn targets(list: &Value) -> Vec<(String, String)> {
    list.as_array()
        .unwrap_or_else(|| panic!("not a list: {list}"))
        .iter()
        .map(|d| {
            (
                d["de_type_dst"].as_str().unwrap().to_string(),
                d["de_type_id_dst"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

fn pairs(items: &[(&str, &str)]) -> Vec<(String, String)> {
    items
        .iter()
        .map(|(a, b)| (a.to_string(), b.to_string()))
        .collect()
}

backend_tests! {
    /// Two adds of the same extension number fired at once: exactly one wins, the other is an
    /// error naming ex_number (never an internal error); likewise the same DID from two
    /// tenants, and two adds racing for a tenant's last free extension.
    async fn concurrent_adds(ctx) {
        let (_, rw_b) = ctx.mint(KeySpec { tenant_id: Some(ctx.b.id), ..Default::default() }).await;
        ctx.info(&rw_b, Some("BETA"), "dids").get().await.is_plain("");
        for round in 0..4 {
            let number = format!("20{round}");
            let add = |name: &str| {
                ctx.mdb(&ctx.rw, Some("ACME"), "extension", "add")
                    .json(&json!({ "ex_number": number, "ex_name": name, "ex_webpassword": "Web-Secret-1", "password": "Dev-Secret-1" }))
                    .post()
            };
            let (r1, r2) = futures_util::join!(add("first"), add("second"));
            let (won, lost): (Vec<&Resp>, Vec<&Resp>) = [&r1, &r2].into_iter().partition(|r| !r.is_any_error());
            assert_eq!((won.len(), lost.len()), (1, 1), "{} / {}", r1.text(), r2.text());
            assert_eq!(won[0].json()["ex_number"], number.as_str());
            lost[0].is_error(&format!("ex_number '{number}' already exists in tenant ACME"));
            let info = info_ext(ctx, &ctx.rw, &number).await;
            assert_eq!(info.lines().count(), 2, "{info}");
            let user = format!("{number}-ACME");
            assert_eq!(ctx.count_where("ps_endpoints", &format!("id = '{user}'")).await, 1);
        }
        assert_eq!(ctx.count("ex_extensions").await, 4);
        assert_eq!(ctx.count("ps_auths").await, 4);

        for round in 0..3 {
            let number = format!("555010{round}");
            let data = json!({ "di_country": "39", "di_area": "02", "di_number": number });
            let (r1, r2) = futures_util::join!(
                ctx.mdb(&ctx.rw, Some("ACME"), "did", "add").json(&data).post(),
                ctx.mdb(&rw_b, Some("BETA"), "did", "add").json(&data).post()
            );
            let errors: Vec<&Resp> = [&r1, &r2].into_iter().filter(|r| r.is_any_error()).collect();
            assert_eq!(errors.len(), 1, "{} / {}", r1.text(), r2.text());
            errors[0].is_error("di_country/di_area/di_number: the value is already in use");
        }
        assert_eq!(ctx.count("di_dids").await, 3);

        ctx.mdb(&ctx.admin, None, "tenant", "update").id(ctx.b.id).json(&json!({ "te_maxextensions": 1 })).post().await;
        let add_b = |n: &'static str| ctx.mdb(&rw_b, Some("BETA"), "extension", "add").json(&json!({ "ex_number": n })).post();
        let (r1, r2) = futures_util::join!(add_b("301"), add_b("302"));
        let errors: Vec<&Resp> = [&r1, &r2].into_iter().filter(|r| r.is_any_error()).collect();
        assert_eq!(errors.len(), 1, "{} / {}", r1.text(), r2.text());
        errors[0].is_error("tenant BETA has reached its limit of 1 extensions (te_maxextensions)");
        assert_eq!(ctx.count_where("ex_extensions", &format!("ex_te_id = {}", ctx.b.id)).await, 1);
    }

    /// te_maxextensions and te_maxdids: enforced per tenant, freed by a delete, 0 = no cap.
    async fn tenant_limits_are_enforced(ctx) {
        let r = ctx.mdb(&ctx.admin, None, "tenant", "update").id(ctx.a.id)
            .json(&json!({ "te_maxextensions": 2, "te_maxdids": 1 })).post().await;
        assert!(!r.is_any_error(), "{}", r.text());
        let e1 = ctx.add(&ctx.rw, Some("ACME"), "extension", json!({ "ex_number": "100" })).await;
        ctx.add(&ctx.rw, Some("ACME"), "extension", json!({ "ex_number": "101" })).await;
        let before = ctx.snapshot().await;
        for key in [&ctx.rw, &ctx.admin] {
            ctx.mdb(key, Some("ACME"), "extension", "add").json(&json!({ "ex_number": "102" })).post().await
                .is_error("tenant ACME has reached its limit of 2 extensions (te_maxextensions)");
        }
        let d1 = ctx.add(&ctx.rw, Some("ACME"), "did", json!({ "di_number": "5550100" })).await;
        let before_did = ctx.snapshot().await;
        ctx.mdb(&ctx.rw, Some("ACME"), "did", "add").json(&json!({ "di_number": "5550101" })).fmt("json").post().await
            .is_json_error("tenant ACME has reached its limit of 1 dids (te_maxdids)");
        assert_eq!(ctx.snapshot().await, before_did);
        assert_ne!(before, before_did);
        // Another tenant has its own (absent) caps.
        for n in ["100", "101", "102"] {
            ctx.ext(&ctx.b, n, json!({})).await;
        }
        ctx.did(&ctx.b, "5550200").await;
        ctx.did(&ctx.b, "5550201").await;
        // A delete frees a place.
        ctx.mdb(&ctx.rw, Some("ACME"), "extension", "delete").id(id_of(&e1, "ex_id")).post().await;
        ctx.add(&ctx.rw, Some("ACME"), "extension", json!({ "ex_number": "102" })).await;
        ctx.mdb(&ctx.rw, Some("ACME"), "did", "delete").id(id_of(&d1, "di_id")).post().await;
        ctx.add(&ctx.rw, Some("ACME"), "did", json!({ "di_number": "5550101" })).await;
        // 0 lifts the cap.
        ctx.mdb(&ctx.admin, None, "tenant", "update").id(ctx.a.id).json(&json!({ "te_maxextensions": 0 })).post().await;
        for n in ["103", "104", "105"] {
            ctx.add(&ctx.rw, Some("ACME"), "extension", json!({ "ex_number": n })).await;
        }
        assert_eq!(ctx.count_where("ex_extensions", &format!("ex_te_id = {}", ctx.a.id)).await, 5);
    }

    /// A DID exists once across all tenants; an extension number once per tenant.
    async fn uniqueness_rules(ctx) {
        let did = json!({ "di_country": "39", "di_area": "02", "di_number": "5550100" });
        let a_did = ctx.add(&ctx.rw, Some("ACME"), "did", did.clone()).await;
        // Unique across tenants: the error names the fields, never the holder's values.
        let msg = "di_country/di_area/di_number: the value is already in use";
        let r = ctx.mdb(&ctx.admin, Some("BETA"), "did", "add").json(&did).post().await;
        r.is_error(msg);
        assert!(!r.text().contains("ACME"));
        let b_did = ctx.add(&ctx.admin, Some("BETA"), "did", json!({ "di_country": "39", "di_area": "03", "di_number": "5550100" })).await;
        // Moving a DID onto a taken number, in either tenant.
        ctx.mdb(&ctx.admin, Some("BETA"), "did", "update").id(id_of(&b_did, "di_id")).json(&json!({ "di_area": "02" })).post().await
            .is_error(msg);
        ctx.mdb(&ctx.rw, Some("ACME"), "did", "update").id(id_of(&a_did, "di_id")).json(&json!({ "di_area": "03" })).post().await
            .is_error(msg);
        // Updating a DID to its own values is fine.
        let r = ctx.mdb(&ctx.rw, Some("ACME"), "did", "update").id(id_of(&a_did, "di_id")).json(&did).post().await;
        assert!(!r.is_any_error(), "{}", r.text());

        let a = ctx.ext(&ctx.a, "100", json!({})).await;
        let b = ctx.ext(&ctx.b, "100", json!({})).await;
        assert_eq!((a["ex_username"].as_str(), b["ex_username"].as_str()), (Some("100-ACME"), Some("100-BETA")));
        ctx.mdb(&ctx.rw, Some("ACME"), "extension", "add").json(&json!({ "ex_number": "101", "ex_username": "100-ACME" })).post().await
            .is_error("field 'ex_username' is set by the server to <ex_number>-<TENANT> ('101-ACME'), not '100-ACME'");
        ctx.mdb(&ctx.rw, Some("ACME"), "extension", "update").id(id_of(&a, "ex_id")).json(&json!({ "ex_number": "100" })).post().await;
        assert_eq!(ctx.count("ex_extensions").await, 2);
    }

    /// Extension writes keep ps_endpoints/ps_auths/ps_aors (PJSIP, `password`) or sippeers
    /// (SIP, `secret`) in step: INFO extensions shows the device secret to a read/write key.
    async fn extension_realtime_rows_follow_every_write(ctx) {
        let pj = ctx.add(&ctx.rw, Some("ACME"), "extension", json!({ "ex_number": "100", "ex_name": "Front", "password": "pj-Secret-100" })).await;
        let pj_id = id_of(&pj, "ex_id");
        assert_eq!((pj["ex_tech"].as_str(), pj["ex_username"].as_str()), (Some("PJSIP"), Some("100-ACME")));
        assert_eq!(info_ext(ctx, &ctx.rw, "100").await, format!("{EXT_HEADER}\n100|Front|PJSIP|Unknown|100-ACME|pj-Secret-100\n"));
        assert_eq!(info_ext(ctx, &ctx.ro, "100").await, format!("{EXT_HEADER}\n100|Front|PJSIP|Unknown|100-ACME|********\n"));
        let ep = entity::ps_endpoints::Entity::find_by_id("100-ACME".to_string()).one(&ctx.db.conn).await.unwrap().unwrap();
        assert_eq!(ep.context.as_deref(), Some("from-internal-ACME"));
        assert_eq!((ep.aors.as_deref(), ep.auth.as_deref()), (Some("100-ACME"), Some("100-ACME")));
        assert_eq!(ep.callerid.as_deref(), Some("\"Front\" <100>"));
        let auth = entity::ps_auths::Entity::find_by_id("100-ACME".to_string()).one(&ctx.db.conn).await.unwrap().unwrap();
        assert_eq!((auth.password.as_deref(), auth.username.as_deref()), (Some("pj-Secret-100"), Some("100-ACME")));
        assert_eq!(ctx.count_where("ps_aors", "id = '100-ACME' AND max_contacts = 1").await, 1);
        assert_eq!(ctx.count("sippeers").await, 0);

        let sip = ctx.add(&ctx.rw, Some("ACME"), "extension", json!({ "ex_number": "101", "secret": "sip-Secret-101" })).await;
        let sip_id = id_of(&sip, "ex_id");
        assert_eq!(sip["ex_tech"], "SIP");
        assert_eq!(info_ext(ctx, &ctx.rw, "101").await, format!("{EXT_HEADER}\n101||SIP|Unknown|101-ACME|sip-Secret-101\n"));
        assert_eq!(ctx.count_where("sippeers", "name = '101-ACME' AND secret = 'sip-Secret-101' AND context = 'from-internal-ACME'").await, 1);
        assert_eq!(ctx.count_where("ps_endpoints", "id = '101-ACME'").await, 0);

        // No secret given: a random one of 20 characters.
        ctx.add(&ctx.rw, Some("ACME"), "extension", json!({ "ex_number": "102" })).await;
        let line = info_ext(ctx, &ctx.rw, "102").await;
        let secret = line.lines().nth(1).unwrap().rsplit('|').next().unwrap().to_string();
        assert_eq!(secret.len(), 20, "{line}");
        assert!(secret.chars().all(|c| c.is_ascii_alphanumeric()));
        // VIRTUAL: no device, no realtime rows.
        ctx.add(&ctx.rw, Some("ACME"), "extension", json!({ "ex_number": "103", "ex_tech": "VIRTUAL" })).await;
        assert_eq!(info_ext(ctx, &ctx.rw, "103").await, format!("{EXT_HEADER}\n103||VIRTUAL|Unknown|103-ACME|\n"));

        let upd = |id: i32, data: Value| ctx.mdb(&ctx.rw, Some("ACME"), "extension", "update").id(id).json(&data).post();
        // A change that does not touch the secret keeps it, and refreshes the rest.
        upd(pj_id, json!({ "ex_name": "Reception", "ex_voicemail": "on" })).await;
        assert_eq!(info_ext(ctx, &ctx.rw, "100").await, format!("{EXT_HEADER}\n100|Reception|PJSIP|Unknown|100-ACME|pj-Secret-100\n"));
        let ep = entity::ps_endpoints::Entity::find_by_id("100-ACME".to_string()).one(&ctx.db.conn).await.unwrap().unwrap();
        assert_eq!((ep.callerid.as_deref(), ep.mailboxes.as_deref()), (Some("\"Reception\" <100>"), Some("100@ACME")));
        // A new password.
        upd(pj_id, json!({ "password": "pj-Secret-NEW" })).await;
        assert!(info_ext(ctx, &ctx.rw, "100").await.ends_with("|100-ACME|pj-Secret-NEW\n"));
        // PJSIP → SIP carries the secret over; SIP → PJSIP back with a new password.
        upd(pj_id, json!({ "ex_tech": "SIP" })).await;
        assert!(info_ext(ctx, &ctx.rw, "100").await.ends_with("|SIP|Unknown|100-ACME|pj-Secret-NEW\n"));
        assert_eq!(ctx.count_where("ps_endpoints", "id = '100-ACME'").await, 0);
        assert_eq!(ctx.count_where("ps_auths", "id = '100-ACME'").await, 0);
        assert_eq!(ctx.count_where("ps_aors", "id = '100-ACME'").await, 0);
        assert_eq!(ctx.count_where("sippeers", "name = '100-ACME' AND secret = 'pj-Secret-NEW'").await, 1);
        upd(pj_id, json!({ "ex_tech": "PJSIP", "password": "pj-Secret-3rd" })).await;
        assert!(info_ext(ctx, &ctx.rw, "100").await.ends_with("|PJSIP|Unknown|100-ACME|pj-Secret-3rd\n"));
        assert_eq!(ctx.count_where("sippeers", "name = '100-ACME'").await, 0);
        // A new number renames the device: the realtime rows move.
        upd(pj_id, json!({ "ex_number": "105" })).await;
        assert!(info_ext(ctx, &ctx.rw, "105").await.ends_with("|105-ACME|pj-Secret-3rd\n"));
        assert_eq!(ctx.count_where("ps_endpoints", "id = '100-ACME'").await, 0);
        assert_eq!(ctx.count_where("ps_endpoints", "id = '105-ACME' AND aors = '105-ACME'").await, 1);
        assert_eq!(ctx.count_where("ps_auths", "id = '105-ACME' AND password = 'pj-Secret-3rd'").await, 1);
        // The tenant's own context, when it has one.
        ctx.mdb(&ctx.admin, None, "tenant", "update").id(ctx.a.id).json(&json!({ "te_context": "acme-internal" })).post().await;
        upd(sip_id, json!({ "ex_name": "Back" })).await;
        assert_eq!(ctx.count_where("sippeers", "name = '101-ACME' AND context = 'acme-internal' AND secret = 'sip-Secret-101'").await, 1);

        // Counts: one set of rows per device.
        assert_eq!(ctx.count("ps_endpoints").await, 2); // 105-ACME, 102-ACME
        assert_eq!(ctx.count("ps_auths").await, 2);
        assert_eq!(ctx.count("ps_aors").await, 2);
        assert_eq!(ctx.count("sippeers").await, 1); // 101-ACME

        // Delete: INFO shows nothing, the rows are gone, and the number can be used again.
        for (id, number) in [(pj_id, "105"), (sip_id, "101")] {
            let r = ctx.mdb(&ctx.rw, Some("ACME"), "extension", "delete").id(id).post().await;
            r.is_plain(&format!("delete from ex_extensions where ex_id='{id}'"));
            assert_eq!(info_ext(ctx, &ctx.rw, number).await, "");
        }
        assert_eq!(ctx.count_where("ps_endpoints", "id = '105-ACME'").await, 0);
        assert_eq!(ctx.count_where("ps_auths", "id = '105-ACME'").await, 0);
        assert_eq!(ctx.count_where("ps_aors", "id = '105-ACME'").await, 0);
        assert_eq!(ctx.count("sippeers").await, 0);
        let again = ctx.add(&ctx.rw, Some("ACME"), "extension", json!({ "ex_number": "100", "password": "pj-Secret-again" })).await;
        assert_eq!(again["ex_username"], "100-ACME");
        assert_eq!(info_ext(ctx, &ctx.rw, "100").await, format!("{EXT_HEADER}\n100||PJSIP|Unknown|100-ACME|pj-Secret-again\n"));
        let again = ctx.add(&ctx.rw, Some("ACME"), "extension", json!({ "ex_number": "101", "ex_tech": "SIP", "secret": "sip-Secret-again" })).await;
        assert_eq!(again["ex_username"], "101-ACME");
        assert_eq!(ctx.count_where("sippeers", "name = '101-ACME' AND secret = 'sip-Secret-again'").await, 1);
    }

    /// Tenant add with a parking lot; delete refused while the tenant owns rows (the message
    /// counts them); `cascade=yes` removes everything of it, and only of it.
    async fn tenant_delete_and_cascade(ctx) {
        let t = ctx
            .add(&ctx.admin, None, "tenant", json!({ "te_code": "GAMMA", "te_name": "Gamma", "pk_start": "700", "pk_end": "720", "te_maxextensions": 10 }))
            .await;
        let g = id_of(&t, "te_id");
        assert_eq!((t["te_code"].as_str(), t["te_maxextensions"].as_str()), (Some("GAMMA"), Some("10")));
        let lot = entity::pk_parkinglots::Entity::find().all(&ctx.db.conn).await.unwrap();
        assert_eq!(lot.len(), 1);
        assert_eq!((lot[0].pk_te_id, lot[0].pk_name.as_str(), lot[0].pk_start.as_str(), lot[0].pk_end.as_str()), (g, "default", "700", "720"));
        // A new range replaces the lot.
        ctx.mdb(&ctx.admin, None, "tenant", "update").id(g).json(&json!({ "pk_start": "800", "pk_end": "810" })).post().await
            // The parking lot is no column of te_tenants: the echo sets only the key to itself.
            .is_plain(&format!("update te_tenants set te_id='{g}' where te_id='{g}'"));
        assert_eq!(ctx.count_where("pk_parkinglots", &format!("pk_te_id = {g} AND pk_start = '800'")).await, 1);
        assert_eq!(ctx.count("pk_parkinglots").await, 1);

        // A tenant with nothing but housekeeping (parking lot, keys) goes without cascade.
        let empty = switchboard::cli::add_tenant(&ctx.db, "EMPTY", "Empty", json!({ "pk_start": "1", "pk_end": "2" })).await.unwrap();
        ctx.mint(KeySpec { tenant_id: Some(empty), ..Default::default() }).await;
        ctx.mdb(&ctx.admin, None, "tenant", "delete").id(empty).post().await
            .is_plain(&format!("delete from te_tenants where te_id='{empty}'"));
        assert_eq!(ctx.count_where("ak_apikeys", &format!("ak_te_id = {empty}")).await, 0);

        // GAMMA gets rows of every kind, plus a key and a user.
        let (_, g_key) = ctx.mint(KeySpec { tenant_id: Some(g), ..Default::default() }).await;
        ctx.info(&g_key, Some("GAMMA"), "dids").get().await.is_plain("");
        let gamma = Tenant { id: g, code: "GAMMA" };
        let e1 = id_of(&ctx.ext(&gamma, "100", json!({ "password": "gamma-pw-100" })).await, "ex_id");
        let e2 = id_of(&ctx.ext(&gamma, "101", json!({ "secret": "gamma-pw-101" })).await, "ex_id");
        let d = id_of(&ctx.did(&gamma, "5550300").await, "di_id");
        for (typesrc, id, data) in [("DID", d, json!([format!("EXT-{e1}"), "HANGUP"])), ("EXT-BUSY", e2, json!([format!("EXT-{e1}")]))] {
            let r = ctx.mdb(&g_key, Some("GAMMA"), "destination", "replace").p("typesrc", typesrc).p("typeidsrc", id.to_string()).json(&data).post().await;
            assert!(!r.is_any_error(), "{}", r.text());
        }
        let user = ctx.add(&ctx.admin, None, "user", json!({ "us_username": "gina", "us_password": "Gina-pw-1" })).await;
        let us_id = id_of(&user, "us_id");
        for te in [g, ctx.a.id] {
            ctx.mdb(&ctx.admin, None, "user", "addtenant").id(us_id).p("tenantid", te.to_string()).post().await.is_plain("OK");
        }
        // The other tenants have rows too, which must survive.
        ctx.ext(&ctx.a, "100", json!({ "password": "acme-pw-100" })).await;
        ctx.did(&ctx.b, "5550400").await;

        let before = ctx.snapshot().await;
        let refusal = format!("tenant {g} still owns 2 extensions, 1 dids, 3 destinations; delete those first or pass cascade=yes");
        for cascade in [None, Some("no"), Some("0"), Some("")] {
            let mut r = ctx.mdb(&ctx.admin, None, "tenant", "delete").id(g);
            if let Some(c) = cascade {
                r = r.p("cascade", c);
            }
            r.post().await.is_error(&refusal);
        }
        assert_eq!(ctx.snapshot().await, before);
        let dids = ctx.info(&g_key, Some("GAMMA"), "dids").fmt("json").get().await.json();
        assert_eq!(dids.as_array().map(Vec::len), Some(1), "{dids}");

        let acme_exts = ctx.info(&ctx.admin, Some("ACME"), "extensions").get().await.text();
        let beta_dids = ctx.info(&ctx.admin, Some("BETA"), "dids").get().await.text();
        ctx.mdb(&ctx.admin, None, "tenant", "delete").id(g).p("cascade", "YES").post().await
            .is_plain(&format!("delete from te_tenants where te_id='{g}'"));
        for (table, cond) in [
            ("te_tenants", format!("te_id = {g}")),
            ("ex_extensions", format!("ex_te_id = {g}")),
            ("di_dids", format!("di_te_id = {g}")),
            ("de_destinations", format!("de_te_id = {g}")),
            ("pk_parkinglots", format!("pk_te_id = {g}")),
            ("ak_apikeys", format!("ak_te_id = {g}")),
            ("ut_usertenants", format!("ut_te_id = {g}")),
            ("ps_endpoints", "id LIKE '%-GAMMA'".to_string()),
            ("ps_auths", "id LIKE '%-GAMMA'".to_string()),
            ("ps_aors", "id LIKE '%-GAMMA'".to_string()),
            ("sippeers", "name LIKE '%-GAMMA'".to_string()),
        ] {
            assert_eq!(ctx.count_where(table, &cond).await, 0, "{table} still has rows of GAMMA");
        }
        // Everything else is as it was.
        assert_eq!(ctx.info(&ctx.admin, Some("ACME"), "extensions").get().await.text(), acme_exts);
        assert_eq!(ctx.info(&ctx.admin, Some("BETA"), "dids").get().await.text(), beta_dids);
        assert_eq!(ctx.count_where("ps_endpoints", "id = '100-ACME'").await, 1);
        let linked = ctx.mdb(&ctx.admin, None, "user", "listtenants").id(us_id).fmt("json").get().await.json();
        assert_eq!(linked, json!([{ "te_id": ctx.a.id.to_string(), "te_code": "ACME", "te_name": "Acme Inc" }]));
        assert_eq!(ctx.count("te_tenants").await, 2);
        // GAMMA's key stops working; the code is free again.
        let took = {
            let start = std::time::Instant::now();
            loop {
                let r = ctx.info(&g_key, Some("GAMMA"), "dids").get().await;
                if r.text() == TOO_BAD {
                    break start.elapsed();
                }
                assert!(start.elapsed() < REFRESH + Duration::from_secs(2), "{}", r.text());
                actix_rt::time::sleep(Duration::from_millis(100)).await;
            }
        };
        assert!(took <= REFRESH + Duration::from_secs(1));
        ctx.add(&ctx.admin, None, "tenant", json!({ "te_code": "GAMMA", "te_name": "Gamma again" })).await;
        ctx.info(&g_key, Some("GAMMA"), "dids").get().await.is_too_bad();
    }

    /// destination replace: every element validated first (naming it), nothing replaced on
    /// error; a valid list replaces in order.
    async fn destination_replace(ctx) {
        let e1 = id_of(&ctx.ext(&ctx.a, "100", json!({})).await, "ex_id");
        let e2 = id_of(&ctx.ext(&ctx.a, "101", json!({})).await, "ex_id");
        let d = id_of(&ctx.did(&ctx.a, "5550100").await, "di_id");
        let r = replace(ctx, "DID", d, json!([format!("EXT-{e1}"), "EXTERNAL-+390212345", "SMS-hello there", "hangup", format!(" ext - {e2} ")])).await;
        let rows = r.json();
        assert_eq!(targets(&rows), pairs(&[("EXT", &e1.to_string()), ("EXTERNAL", "+390212345"), ("SMS", "hello there"), ("HANGUP", ""), ("EXT", &e2.to_string())]));
        let ords: Vec<&str> = rows.as_array().unwrap().iter().map(|r| r["de_ord"].as_str().unwrap()).collect();
        assert_eq!(ords, ["1", "2", "3", "4", "5"]);
        assert!(rows.as_array().unwrap().iter().all(|r| r["de_type_src"] == "DID" && r["de_type_id_src"] == d.to_string().as_str()));
        assert_eq!(dest_list(ctx, "DID", d).await, rows);
        let plain = ctx.mdb(&ctx.rw, Some("ACME"), "destination", "list").p("typesrc", "DID").p("typeidsrc", d.to_string()).get().await.text();
        assert!(plain.starts_with("de_id|de_type_src|de_type_id_src|de_type_dst|de_type_id_dst|de_ord\n"), "{plain}");
        assert_eq!(plain.lines().count(), 6);

        let before = ctx.snapshot().await;
        let bad: Vec<(Value, String)> = vec![
            (json!(["HANGUP", "FOO-1"]), "jsondata element 1 ('FOO-1'): unknown destination tag 'FOO'".into()),
            (json!(["EXT"]), "jsondata element 0 ('EXT'): EXT needs an object id".into()),
            (json!(["EXT-"]), "jsondata element 0 ('EXT-'): EXT needs an object id".into()),
            (json!(["EXT-abc"]), "jsondata element 0 ('EXT-abc'): EXT needs an object id".into()),
            (json!(["EXT-99999"]), "jsondata element 0 ('EXT-99999'): no EXT with id 99999 in tenant ACME".into()),
            (json!(["QUEUE-1"]), "jsondata element 0 ('QUEUE-1'): no QUEUE with id 1 in tenant ACME".into()),
            (json!(["PLAYBACK-60"]), "jsondata element 0 ('PLAYBACK-60'): no PLAYBACK with id 60 in tenant ACME".into()),
            (json!(["EXTERNAL-abc"]), "jsondata element 0 ('EXTERNAL-abc'): EXTERNAL needs a phone number".into()),
            (json!(["SMS-"]), "jsondata element 0 ('SMS-'): SMS needs a value of 1 to 64 characters".into()),
            (json!(["HANGUP", 5]), "jsondata element 1 must be a string \"TAG-ID\"".into()),
            (json!(["HANGUP", null]), "jsondata element 1 must be a string \"TAG-ID\"".into()),
            (json!({ "0": "HANGUP" }), "jsondata must be a JSON array like [\"EXT-12\",\"HANGUP\"]".into()),
            (json!("HANGUP"), "jsondata must be a JSON array like [\"EXT-12\",\"HANGUP\"]".into()),
            (json!(vec!["HANGUP"; 101]), "jsondata may hold at most 100 destinations".into()),
        ];
        for (data, msg) in &bad {
            replace(ctx, "DID", d, data.clone()).await.is_json_error(msg);
        }
        let r = ctx.mdb(&ctx.rw, Some("ACME"), "destination", "replace").p("typesrc", "DID").p("typeidsrc", d.to_string()).p("jsondata", "[\"HANGUP\"").post().await;
        r.is_error_starting("jsondata is not valid JSON: ");
        let base = || ctx.mdb(&ctx.rw, Some("ACME"), "destination", "replace").json(&json!(["HANGUP"]));
        base().p("typeidsrc", d.to_string()).post().await.is_error("parameter 'typesrc' is required");
        base().p("typesrc", "DID").post().await.is_error("parameter 'typeidsrc' is required");
        base().p("typesrc", "DID").p("typeidsrc", "x").post().await.is_error("parameter 'typeidsrc' must be an integer id");
        base().p("typesrc", "FOO").p("typeidsrc", "1").post().await.is_error("parameter 'typesrc': unknown source type 'FOO'");
        base().p("typesrc", "IVR_X").p("typeidsrc", "1").post().await.is_error("parameter 'typesrc': unknown source type 'IVR_X'");
        base().p("typesrc", "DID").p("typeidsrc", "99999").post().await.is_error("parameter 'typeidsrc': no DID source with id 99999");
        base().p("typesrc", "ivr_1").p("typeidsrc", "1").post().await.is_error("parameter 'typeidsrc': no IVR_1 source with id 1");
        ctx.mdb(&ctx.rw, Some("ACME"), "destination", "replace").p("typesrc", "DID").p("typeidsrc", d.to_string()).post().await
            .is_error("parameter 'jsondata' is required");
        assert_eq!(ctx.snapshot().await, before, "a refused replace changed something");

        // Replace with fewer, with the maximum, with none; other sources untouched.
        let busy = replace(ctx, "EXT-BUSY", e2, json!([format!("EXT-{e1}")])).await;
        assert_eq!(targets(&busy.json()), pairs(&[("EXT", &e1.to_string())]));
        let r = replace(ctx, "DID", d, json!([format!("EXT-{e2}")])).await;
        assert_eq!(targets(&r.json()), pairs(&[("EXT", &e2.to_string())]));
        let r = replace(ctx, "DID", d, json!(vec!["BUSY"; 100])).await;
        assert_eq!(r.json().as_array().unwrap().len(), 100);
        assert_eq!(dest_list(ctx, "DID", d).await.as_array().unwrap().last().unwrap()["de_ord"], "100");
        let r = replace(ctx, "DID", d, json!([])).await;
        assert_eq!(r.text(), "[]");
        assert_eq!(ctx.count_where("de_destinations", "de_type_src = 'DID'").await, 0);
        assert_eq!(targets(&dest_list(ctx, "EXT-BUSY", e2).await), pairs(&[("EXT", &e1.to_string())]));
    }

    /// An extension a destination points at cannot be deleted; deleting a DID or an extension
    /// removes the destinations it is the source of.
    async fn references_and_owned_destinations(ctx) {
        let e1 = id_of(&ctx.ext(&ctx.a, "100", json!({})).await, "ex_id");
        let e2 = id_of(&ctx.ext(&ctx.a, "101", json!({})).await, "ex_id");
        let d = id_of(&ctx.did(&ctx.a, "5550100").await, "di_id");
        replace(ctx, "DID", d, json!([format!("EXT-{e1}"), "HANGUP"])).await;
        replace(ctx, "EXT-BUSY", e2, json!([format!("EXT-{e1}")])).await;
        replace(ctx, "EXT-NOANSWER", e1, json!(["HANGUP"])).await;
        let before = ctx.snapshot().await;
        for key in [&ctx.rw, &ctx.admin] {
            ctx.mdb(key, Some("ACME"), "extension", "delete").id(e1).post().await
                .is_error(&format!("extension {e1} is used by destinations of: DID {d}, EXT-BUSY {e2}; change those first"));
        }
        assert_eq!(ctx.snapshot().await, before);
        assert!(info_ext(ctx, &ctx.rw, "100").await.contains("|100-ACME|"));

        // e2 goes, and with it the destinations it is the source of.
        ctx.mdb(&ctx.rw, Some("ACME"), "extension", "delete").id(e2).post().await
            .is_plain(&format!("delete from ex_extensions where ex_id='{e2}'"));
        assert_eq!(ctx.count_where("de_destinations", "de_type_src = 'EXT-BUSY'").await, 0);
        ctx.mdb(&ctx.rw, Some("ACME"), "extension", "delete").id(e1).post().await
            .is_error(&format!("extension {e1} is used by destinations of: DID {d}; change those first"));
        // The DID goes with its destinations; then e1 is free (its own go with it).
        ctx.mdb(&ctx.rw, Some("ACME"), "did", "delete").id(d).post().await
            .is_plain(&format!("delete from di_dids where di_id='{d}'"));
        assert_eq!(ctx.count_where("de_destinations", "de_type_src = 'DID'").await, 0);
        ctx.mdb(&ctx.rw, Some("ACME"), "extension", "delete").id(e1).post().await
            .is_plain(&format!("delete from ex_extensions where ex_id='{e1}'"));
        assert_eq!(ctx.count("de_destinations").await, 0);
        // A new row that gets a recycled id does not inherit anything.
        let e3 = id_of(&ctx.ext(&ctx.a, "100", json!({})).await, "ex_id");
        assert_eq!(dest_list(ctx, "EXT-NOANSWER", e3).await, json!([]));
    }

    /// Users: password hashed and never returned; listtenants/addtenant/deltenant.
    async fn users_and_their_tenants(ctx) {
        let user = ctx.add(&ctx.admin, None, "user", json!({ "us_username": "alice", "us_password": "Al1ce-pass", "us_name": "Alice", "us_email": "alice@example.com" })).await;
        let id = id_of(&user, "us_id");
        let keys: Vec<&String> = user.as_object().unwrap().keys().collect();
        assert_eq!(keys, ["us_id", "us_username", "us_name", "us_email", "us_up_id", "us_created"]);
        assert_eq!((user["us_username"].as_str(), user["us_up_id"].clone()), (Some("alice"), Value::Null));
        let stored = entity::us_users::Entity::find_by_id(id).one(&ctx.db.conn).await.unwrap().unwrap();
        assert!(stored.us_password.starts_with("$argon2id$") && !stored.us_password.contains("Al1ce"));
        assert!(switchboard::auth::verify_secret("Al1ce-pass", &stored.us_password));
        for f in ["plain", "json", "xml", "csv"] {
            for r in [
                ctx.mdb(&ctx.admin, None, "user", "get").id(id).fmt(f).get().await,
                ctx.mdb(&ctx.admin, None, "user", "list").fmt(f).get().await,
            ] {
                assert!(r.text().contains("alice") && !r.text().contains("us_password") && !r.text().contains("argon2"), "{}", r.text());
            }
        }
        ctx.mdb(&ctx.admin, None, "user", "add").json(&json!({ "us_username": "alice", "us_password": "x" })).post().await
            .is_error("us_username 'alice' already exists");
        ctx.mdb(&ctx.admin, None, "user", "update").id(id).json(&json!({ "us_password": "N3w-pass" })).post().await;
        let stored = entity::us_users::Entity::find_by_id(id).one(&ctx.db.conn).await.unwrap().unwrap();
        assert!(switchboard::auth::verify_secret("N3w-pass", &stored.us_password));

        let tenants = |f: &'static str| ctx.mdb(&ctx.admin, None, "user", "listtenants").id(id).fmt(f).get();
        assert_eq!(tenants("json").await.text(), "[]");
        tenants("plain").await.is_plain("");
        let link = |action: &'static str, te: i32| ctx.mdb(&ctx.admin, None, "user", action).id(id).p("tenantid", te.to_string()).post();
        link("addtenant", ctx.b.id).await.is_plain("OK");
        link("addtenant", ctx.a.id).await.is_plain("OK");
        link("addtenant", ctx.a.id).await.is_error(&format!("user {id} already has tenant {}", ctx.a.id));
        assert_eq!(tenants("json").await.json(), json!([
            { "te_id": ctx.a.id.to_string(), "te_code": "ACME", "te_name": "Acme Inc" },
            { "te_id": ctx.b.id.to_string(), "te_code": "BETA", "te_name": "Beta Ltd" },
        ]));
        tenants("plain").await.is_plain(&format!("te_id|te_code|te_name\n{}|ACME|Acme Inc\n{}|BETA|Beta Ltd\n", ctx.a.id, ctx.b.id));
        link("deltenant", ctx.b.id).await.is_plain("OK");
        assert_eq!(tenants("json").await.json().as_array().unwrap().len(), 1);
        link("addtenant", 99999).await.is_error("parameter 'tenantid': no tenant with id 99999");
        ctx.mdb(&ctx.admin, None, "user", "addtenant").id(id).post().await.is_error("parameter 'tenantid' is required");
        ctx.mdb(&ctx.admin, None, "user", "listtenants").id(99999).get().await.is_error("no user with id 99999");
        ctx.mdb(&ctx.admin, None, "user", "listtenants").get().await.is_error("parameter 'objectid' is required");
        // Deleting the user drops its links.
        ctx.mdb(&ctx.admin, None, "user", "delete").id(id).post().await.is_plain(&format!("delete from us_users where us_id='{id}'"));
        assert_eq!(ctx.count("ut_usertenants").await, 0);
    }

    /// A write transaction of another process (a CLI command) holding the database: the API's
    /// writes wait for it instead of failing (SQLite: BEGIN IMMEDIATE + busy timeout).
    async fn writers_outside_the_server_are_waited_for(ctx) {
        use sea_orm::{ConnectionTrait, TransactionTrait};
        ctx.info(&ctx.rw, Some("ACME"), "dids").get().await.is_plain("");
        let outside = switchboard::db::Db::connect(&ctx.db_url()).await.unwrap();
        for round in 0..2 {
            let txn = outside.conn.begin().await.unwrap();
            txn.execute_unprepared("UPDATE ak_apikeys SET ak_description = 'busy' WHERE ak_id = 1").await.unwrap();
            let number = format!("555010{round}");
            let (r, ()) = futures_util::join!(
                ctx.mdb(&ctx.rw, Some("ACME"), "did", "add").json(&json!({ "di_number": number })).post(),
                async {
                    actix_rt::time::sleep(Duration::from_millis(300)).await;
                    txn.commit().await.unwrap();
                }
            );
            assert_eq!(r.json()["di_number"], number.as_str(), "{}", r.text());
        }
        outside.conn.close().await.unwrap();
        assert_eq!(ctx.count("di_dids").await, 2);
    }
}

use sea_orm::EntityTrait;
