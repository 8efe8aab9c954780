//! Input validation (spec §4): exact error texts naming the field or parameter, the
//! update/delete echoes (client regex, masked secrets), the `filter` language against
//! injection, `jsondata` injection stored literally, malformed and oversized `jsondata`.
//! Every refused request is checked to have written nothing.

use crate::common::*;
use serde_json::{json, Value};

/// The id a client extracts with `update di_dids set .+ where .+di_id='(\d+)'` (greedy, as the
/// regex engine would), or `None` when the regex does not match.
fn client_regex_id(body: &str) -> Option<String> {
    let start = body.find("update di_dids set ")? + "update di_dids set ".len();
    let mut found = None;
    // `.+ where ` : at least one character, then " where ".
    for (w, _) in body.match_indices(" where ").filter(|(w, _)| *w > start) {
        let after = w + " where ".len();
        // `.+di_id='(\d+)'` : at least one character, then the key.
        for (k, _) in body.match_indices("di_id='").filter(|(k, _)| *k > after) {
            let digits: String = body[k + 7..]
                .chars()
                .take_while(char::is_ascii_digit)
                .collect();
            if !digits.is_empty() && body[k + 7 + digits.len()..].starts_with('\'') {
                found = Some(digits);
            }
        }
    }
    found
}

#[test]
fn client_regex_emulation() {
    assert_eq!(
        client_regex_id("update di_dids set di_comment='x' where di_te_id='1' and di_id='27699'"),
        Some("27699".into())
    );
    assert_eq!(
        client_regex_id("update di_dids set di_comment='x' where di_id='27699'"),
        None
    );
    assert_eq!(
        client_regex_id("update di_dids set  where x di_id='1'"),
        None
    );
    assert_eq!(
        client_regex_id("update di_dids set a where x di_id='1'"),
        Some("1".into())
    );
    assert_eq!(
        client_regex_id("update di_dids set a where x di_id='1' and di_id='2'"),
        Some("2".into())
    );
    assert_eq!(client_regex_id("delete from di_dids where di_id='1'"), None);
}

backend_tests! {
    /// Missing, ill-typed, over-long, unknown and server-owned fields: one error line naming
    /// the field, nothing written.
    async fn field_errors_name_the_field(ctx) {
        let ext = ctx.ext(&ctx.a, "100", json!({})).await;
        let ext_id = id_of(&ext, "ex_id");
        let did = ctx.did(&ctx.a, "5550100").await;
        let did_id = id_of(&did, "di_id");
        let before = ctx.snapshot().await;
        let long = "x".repeat(101);
        let cases: Vec<(&str, &str, Value, String)> = vec![
            ("extension", "add", json!({}), "field 'ex_number' is required to add an extension".into()),
            ("extension", "add", json!({ "ex_name": "x" }), "field 'ex_number' is required to add an extension".into()),
            ("extension", "add", json!({ "ex_number": "12a" }), "field 'ex_number' must be digits only".into()),
            ("extension", "add", json!({ "ex_number": "" }), "field 'ex_number' must be digits only".into()),
            ("extension", "add", json!({ "ex_number": "1 OR 1=1" }), "field 'ex_number' must be digits only".into()),
            ("extension", "add", json!({ "ex_number": null }), "field 'ex_number' must not be null".into()),
            ("extension", "add", json!({ "ex_number": ["101"] }), "field 'ex_number' must be a single value, not a list or object".into()),
            ("extension", "add", json!({ "ex_number": { "v": "101" } }), "field 'ex_number' must be a single value, not a list or object".into()),
            ("extension", "add", json!({ "ex_number": "101", "ex_tech": "H323" }), "field 'ex_tech' must be one of PJSIP, SIP, CUSTOM, VIRTUAL".into()),
            ("extension", "add", json!({ "ex_number": "101", "ex_dnd": "maybe" }), "field 'ex_dnd' must be 'on' or '' (or yes/no)".into()),
            ("extension", "add", json!({ "ex_number": "101", "ex_name": long }), "field 'ex_name' is longer than 100 characters".into()),
            ("extension", "add", json!({ "ex_number": "101", "ex_name": "a\nb" }), "field 'ex_name' must not contain control characters".into()),
            ("extension", "add", json!({ "ex_number": "101", "ex_foo": "1" }), "unknown field 'ex_foo' for object extension".into()),
            ("extension", "add", json!({ "ex_number": "101", "EX_NAME": "x" }), "unknown field 'EX_NAME' for object extension".into()),
            ("extension", "add", json!({ "ex_number": "101", "ex_id": "5" }), "field 'ex_id' of extension is set by the server".into()),
            ("extension", "add", json!({ "ex_number": "101", "ex_te_id": ctx.b.id }), "field 'ex_te_id' of extension is set by the server".into()),
            ("extension", "add", json!({ "ex_number": "101", "ex_created": "2020-01-01 00:00:00" }), "field 'ex_created' of extension cannot be changed".into()),
            ("extension", "add", json!({ "ex_number": "101", "ex_username": "bad name" }), "field 'ex_username' may contain only letters, digits, '_', '.' and '-'".into()),
            ("extension", "add", json!({ "ex_number": "101", "password": "short" }), "field 'password' must be 6 to 80 printable ASCII characters without spaces".into()),
            ("extension", "add", json!({ "ex_number": "101", "password": "with space" }), "field 'password' must be 6 to 80 printable ASCII characters without spaces".into()),
            ("extension", "add", json!({ "ex_number": "101", "ex_tech": "PJSIP", "secret": "longenough" }), "field 'secret' does not apply: PJSIP extensions take 'password'".into()),
            ("extension", "add", json!({ "ex_number": "101", "ex_tech": "SIP", "password": "longenough" }), "field 'password' does not apply: SIP extensions take 'secret'".into()),
            ("extension", "add", json!({ "ex_number": "101", "ex_tech": "VIRTUAL", "password": "longenough" }), "field 'password' does not apply: VIRTUAL extensions have no device secret".into()),
            ("extension", "add", json!({ "ex_number": "101", "ex_webpassword": "w".repeat(129) }), "field 'ex_webpassword' is longer than 128 characters".into()),
            ("extension", "add", json!({ "ex_number": "100" }), "ex_number '100' already exists in tenant ACME".into()),
            ("extension", "update", json!({ "ex_number": "1x" }), "field 'ex_number' must be digits only".into()),
            ("extension", "update", json!({ "ex_created": "2020-01-01 00:00:00" }), "field 'ex_created' of extension cannot be changed".into()),
            ("extension", "update", json!({ "secret": "longenough" }), "field 'secret' does not apply: PJSIP extensions take 'password'".into()),
            ("extension", "update", json!({ "ex_tech": "SIP", "password": "longenough" }), "field 'password' does not apply: SIP extensions take 'secret'".into()),
            ("extension", "update", json!({}), "jsondata must name at least one field to update".into()),
            ("did", "add", json!({ "di_comment": "x" }), "field 'di_number' is required to add a did".into()),
            ("did", "add", json!({ "di_number": "5551234", "di_maxchannels": "many" }), "field 'di_maxchannels' must be an integer".into()),
            ("did", "add", json!({ "di_number": "5551234", "di_maxchannels": 1.5 }), "field 'di_maxchannels' must be an integer".into()),
            ("did", "add", json!({ "di_number": "5551234", "di_maxchannels": 99999999999i64 }), "field 'di_maxchannels' must be an integer".into()),
            ("did", "add", json!({ "di_number": "5551234", "di_fax_email": "nope" }), "field 'di_fax_email' must be an e-mail address (or a comma-separated list)".into()),
            ("did", "add", json!({ "di_number": "5551234", "di_country": "+39" }), "field 'di_country' must be digits only".into()),
            ("did", "add", json!({ "di_number": "5550100", "di_country": "39", "di_area": "02" }), "di_country/di_area/di_number: the value is already in use".into()),
            ("did", "update", json!({ "di_recording": "sometimes" }), "field 'di_recording' must be 'on' or '' (or yes/no)".into()),
            ("did", "update", json!({ "di_te_id": ctx.b.id }), "field 'di_te_id' of did is set by the server".into()),
        ];
        for (object, action, data, expected) in &cases {
            let id = if *object == "extension" { ext_id } else { did_id };
            let r = ctx.mdb(&ctx.rw, Some("ACME"), object, action).id(id).json(data).post().await;
            r.is_error(expected);
            let r = ctx.mdb(&ctx.rw, Some("ACME"), object, action).id(id).json(data).fmt("json").post().await;
            r.is_json_error(expected);
        }
        let admin_cases: Vec<(&str, &str, Value, String)> = vec![
            ("tenant", "add", json!({ "te_name": "x" }), "field 'te_code' is required to add a tenant".into()),
            ("tenant", "add", json!({ "te_code": "NEW" }), "field 'te_name' is required to add a tenant".into()),
            ("tenant", "add", json!({ "te_code": "lower", "te_name": "x" }), "field 'te_code' must match [A-Z0-9_]{1,20}".into()),
            ("tenant", "add", json!({ "te_code": "NEW-1", "te_name": "x" }), "field 'te_code' must match [A-Z0-9_]{1,20}".into()),
            ("tenant", "add", json!({ "te_code": "ACME", "te_name": "again" }), "te_code 'ACME' already exists".into()),
            ("tenant", "add", json!({ "te_code": "NEW", "te_name": "x", "te_balance": "5" }), "field 'te_balance' of tenant cannot be changed".into()),
            ("tenant", "add", json!({ "te_code": "NEW", "te_name": "x", "te_maxextensions": "ten" }), "field 'te_maxextensions' must be an integer".into()),
            ("tenant", "add", json!({ "te_code": "NEW", "te_name": "x", "te_context": "bad ctx" }), "field 'te_context' may contain only letters, digits, '_', '.' and '-'".into()),
            ("tenant", "add", json!({ "te_code": "NEW", "te_name": "x", "pk_start": "700" }), "fields 'pk_start' and 'pk_end' go together".into()),
            ("tenant", "add", json!({ "te_code": "NEW", "te_name": "x", "pk_start": "720", "pk_end": "700" }), "field 'pk_start' must not be greater than 'pk_end'".into()),
            ("tenant", "add", json!({ "te_code": "NEW", "te_name": "x", "pk_start": "7a", "pk_end": "720" }), "field 'pk_start' must be digits only".into()),
            ("tenant", "update", json!({ "te_code": "ACME2" }), "field 'te_code' of tenant cannot be changed after add".into()),
            // The row's own key may be repeated (and is ignored); another one is refused.
            ("tenant", "update", json!({ "te_id": 9 }), format!("field 'te_id' (9) is not objectid {}: the primary key cannot change", ctx.a.id)),
            ("user", "add", json!({ "us_username": "bob" }), "field 'us_password' is required to add a user".into()),
            ("user", "add", json!({ "us_username": "bob", "us_password": "pw", "us_email": "bob" }), "field 'us_email' must be an e-mail address (or a comma-separated list)".into()),
            ("user", "add", json!({ "us_username": "bob smith", "us_password": "pw" }), "field 'us_username' may contain only letters, digits, '_', '.' and '-'".into()),
            ("user", "add", json!({ "us_username": "bob", "us_password": "pw", "us_up_id": "x" }), "field 'us_up_id' must be an integer".into()),
            ("extension", "add", json!({ "ex_number": "101" }), "parameter 'tenant' is required to add an extension with an admin key".into()),
            ("did", "add", json!({ "di_number": "101" }), "parameter 'tenant' is required to add a did with an admin key".into()),
        ];
        for (object, action, data, expected) in &admin_cases {
            let r = ctx.mdb(&ctx.admin, None, object, action).id(ctx.a.id).json(data).post().await;
            r.is_error(expected);
        }
        assert_eq!(ctx.snapshot().await, before);
    }

    /// objectid, object and action errors.
    async fn parameter_errors_name_the_parameter(ctx) {
        let did = ctx.did(&ctx.a, "5550100").await;
        let before = ctx.snapshot().await;
        let did_req = |action: &str| ctx.mdb(&ctx.rw, Some("ACME"), "did", action);
        for action in ["get", "update", "delete"] {
            did_req(action).json(&json!({ "di_comment": "x" })).post().await.is_error("parameter 'objectid' is required");
            for bad in ["abc", "1 OR 1=1", "1;", "0x10", "99999999999"] {
                did_req(action).id(bad).json(&json!({ "di_comment": "x" })).post().await
                    .is_error("parameter 'objectid' must be an integer id");
            }
        }
        did_req("get").id(424242).get().await.is_plain("");
        did_req("update").id(424242).json(&json!({ "di_comment": "x" })).post().await.is_error("no did with id 424242");
        did_req("delete").id(424242).post().await.is_error("no did with id 424242");
        // Blanks around an id are fine.
        let got = did_req("get").id(format!(" {} ", id_of(&did, "di_id"))).fmt("json").get().await.json();
        assert_eq!(got["di_number"], "5550100");

        let base = || ctx.req().p("reqtype", "MANAGEDB").p("key", &ctx.rw).p("tenant", "ACME");
        base().p("action", "list").get().await.is_error("parameter 'object' is required");
        base().p("object", "did").get().await.is_error("parameter 'action' is required");
        base().p("object", "foo").p("action", "list").get().await.is_error("parameter 'object': unknown object 'foo'");
        // Objects of the upstream API not served yet (if any are left) say so, in any spelling.
        if let Some(name) = switchboard::objects::NOT_YET.first() {
            base().p("object", name).p("action", "list").get().await
                .is_error(&format!("MANAGEDB object '{name}' is not implemented by this server"));
            base().p("object", format!("{}s", name.to_uppercase())).p("action", "list").get().await
                .is_error(&format!("MANAGEDB object '{name}s' is not implemented by this server"));
        }
        base().p("object", "did").p("action", "frobnicate").get().await
            .is_error("parameter 'action': 'frobnicate' is not an action of object did (use one of list, get, add, update, delete)");
        base().p("object", "destination").p("action", "get").get().await
            .is_error("parameter 'action': 'get' is not an action of object destination (use one of list, replace)");
        ctx.mdb(&ctx.admin, None, "user", "purge").get().await
            .is_error("parameter 'action': 'purge' is not an action of object user (use one of list, get, add, update, delete, listtenants, addtenant, deltenant)");
        ctx.info(&ctx.rw, Some("ACME"), "extensions").p("id", "x").get().await.is_error("parameter 'id' must be an integer id");
        assert_eq!(ctx.snapshot().await, before);
    }

    /// The update echo (tenant condition, client regex, quoting, field order) and the delete
    /// echo; secrets are masked in echoes and never returned.
    async fn update_and_delete_echoes(ctx) {
        let did = ctx.did(&ctx.a, "5550100").await;
        let id = id_of(&did, "di_id");
        let upd = |data: Value| ctx.mdb(&ctx.rw, Some("ACME"), "did", "update").id(id).json(&data).post();
        let r = upd(json!({ "di_comment": "x" })).await;
        r.is_plain(&format!("update di_dids set di_comment='x' where di_te_id='{}' and di_id='{id}'", ctx.a.id));
        assert_eq!(client_regex_id(&r.text()), Some(id.to_string()));
        // Also when an admin updates without naming the tenant.
        let r = ctx.mdb(&ctx.admin, None, "did", "update").id(id).json(&json!({ "di_comment": "y" })).post().await;
        r.is_plain(&format!("update di_dids set di_comment='y' where di_te_id='{}' and di_id='{id}'", ctx.a.id));
        assert_eq!(client_regex_id(&r.text()), Some(id.to_string()));
        // Fields in the order given, values as stored, quotes doubled.
        let r = upd(json!({ "di_maxchannels": 3, "di_recording": "yes", "di_comment": "it's \"ok\"" })).await;
        r.is_plain(&format!(
            "update di_dids set di_maxchannels='3', di_recording='on', di_comment='it''s \"ok\"' where di_te_id='{}' and di_id='{id}'",
            ctx.a.id
        ));
        let r = ctx.mdb(&ctx.rw, Some("ACME"), "did", "update").id(id).json(&json!({ "di_comment": "z" })).fmt("json").post().await;
        assert_eq!(r.json(), json!(format!("update di_dids set di_comment='z' where di_te_id='{}' and di_id='{id}'", ctx.a.id)));
        assert_eq!(client_regex_id(&r.text()), Some(id.to_string()));

        // Secrets: the device password, the web password, the SIP secret, a user password.
        let ext = ctx
            .add(&ctx.rw, Some("ACME"), "extension", json!({ "ex_number": "100", "password": "Sup3r-Secret", "ex_webpassword": "W3b-Secret" }))
            .await;
        assert!(!ext.to_string().contains("Secret"), "{ext}");
        assert!(ext.get("ex_webpassword").is_none() && ext.get("password").is_none());
        let ext_id = id_of(&ext, "ex_id");
        let r = ctx
            .mdb(&ctx.rw, Some("ACME"), "extension", "update")
            .id(ext_id)
            .json(&json!({ "ex_name": "Front desk", "ex_webpassword": "N3w-Web-Secret", "password": "N3w-Secret" }))
            .post()
            .await;
        r.is_plain(&format!(
            // The device password is no column of ex_extensions (it goes to ps_auths): not echoed.
            "update ex_extensions set ex_name='Front desk', ex_webpassword='********' where ex_te_id='{}' and ex_id='{ext_id}'",
            ctx.a.id
        ));
        let sip = ctx.add(&ctx.rw, Some("ACME"), "extension", json!({ "ex_number": "101", "ex_tech": "SIP", "secret": "S1p-Secret" })).await;
        let sip_id = id_of(&sip, "ex_id");
        let r = ctx.mdb(&ctx.rw, Some("ACME"), "extension", "update").id(sip_id).json(&json!({ "secret": "S1p-Secret-2" })).post().await;
        // Only the device secret changed (it lives in sippeers): the echo sets the key to itself.
        r.is_plain(&format!("update ex_extensions set ex_id='{sip_id}' where ex_te_id='{}' and ex_id='{sip_id}'", ctx.a.id));
        for r in [
            ctx.mdb(&ctx.rw, Some("ACME"), "extension", "list").fmt("json").get().await,
            ctx.mdb(&ctx.rw, Some("ACME"), "extension", "get").id(ext_id).fmt("xml").get().await,
            ctx.mdb(&ctx.rw, Some("ACME"), "extension", "list").fmt("csv").get().await,
        ] {
            assert!(!r.text().contains("Secret") && !r.text().contains("webpassword"), "{}", r.text());
        }
        // The web password is stored hashed.
        let stored = entity::ex_extensions::Entity::find_by_id(ext_id).one(&ctx.db.conn).await.unwrap().unwrap();
        assert!(stored.ex_webpassword.as_deref().unwrap().starts_with("$argon2id$"));

        let user = ctx.add(&ctx.admin, None, "user", json!({ "us_username": "alice", "us_password": "Al1ce-Secret" })).await;
        let us_id = id_of(&user, "us_id");
        assert!(!user.to_string().contains("Secret") && user.get("us_password").is_none(), "{user}");
        let r = ctx.mdb(&ctx.admin, None, "user", "update").id(us_id).json(&json!({ "us_password": "Al1ce-Secret-2", "us_name": "Alice" })).post().await;
        r.is_plain(&format!("update us_users set us_password='********', us_name='Alice' where us_id='{us_id}'"));
        let r = ctx.mdb(&ctx.admin, None, "tenant", "update").id(ctx.b.id).json(&json!({ "te_name": "Beta's" })).post().await;
        r.is_plain(&format!("update te_tenants set te_name='Beta''s' where te_id='{}'", ctx.b.id));

        // Delete echoes.
        let r = ctx.mdb(&ctx.rw, Some("ACME"), "did", "delete").id(id).post().await;
        r.is_plain(&format!("delete from di_dids where di_id='{id}'"));
        let r = ctx.mdb(&ctx.rw, Some("ACME"), "extension", "delete").id(sip_id).fmt("json").post().await;
        assert_eq!(r.json(), json!(format!("delete from ex_extensions where ex_id='{sip_id}'")));
        let r = ctx.mdb(&ctx.admin, None, "user", "delete").id(us_id).post().await;
        r.is_plain(&format!("delete from us_users where us_id='{us_id}'"));
        let r = ctx.mdb(&ctx.admin, None, "tenant", "delete").id(ctx.b.id).post().await;
        r.is_plain(&format!("delete from te_tenants where te_id='{}'", ctx.b.id));
    }

    /// `filter` on tenant list: a small expression language with bound values; SQL in it is
    /// an error or a literal, never executed.
    async fn filter_language_and_injection(ctx) {
        ctx.mdb(&ctx.admin, None, "tenant", "update").id(ctx.b.id).json(&json!({ "te_disabled": "on" })).post().await;
        let before = ctx.snapshot().await;
        let codes = |filter: &'static str| async move {
            let v = ctx.mdb(&ctx.admin, None, "tenant", "list").p("filter", filter).fmt("json").get().await.json();
            v.as_object()
                .unwrap_or_else(|| panic!("{filter}: {v}"))
                .values()
                .map(|t| t["te_code"].as_str().unwrap().to_string())
                .collect::<Vec<_>>()
        };
        assert_eq!(codes("te_code = 'ACME'").await, ["ACME"]);
        assert_eq!(codes("te_disabled='on'").await, ["BETA"]);
        assert_eq!(codes("TE_DISABLED = '' AND te_id > 0").await, ["ACME"]);
        assert_eq!(codes("te_code like 'A%' or te_code = 'BETA'").await, ["ACME", "BETA"]);
        assert_eq!(codes("not (te_code = 'ACME')").await, ["BETA"]);
        assert_eq!(codes("te_code != 'ACME' and (te_maxdids = 0 or te_maxdids is null)").await, ["BETA"]);
        assert_eq!(codes("te_context is null").await, ["ACME", "BETA"]);
        assert_eq!(codes("te_context is not null").await, Vec::<String>::new());
        // Quotes inside a value are a value.
        assert_eq!(codes("te_code = 'x'' OR 1=1 --'").await, Vec::<String>::new());
        assert_eq!(codes("te_name = 'Acme Inc'' OR ''1''=''1'").await, Vec::<String>::new());

        let f = |filter: String| ctx.mdb(&ctx.admin, None, "tenant", "list").p("filter", filter).get();
        f("te_code = 'ACME'; DROP TABLE te_tenants".into()).await.is_error("filter: unexpected character ';'");
        f("us_password = 'x'".into()).await.is_error("filter: unknown column 'us_password'");
        f("te_code = 'unterminated".into()).await.is_error("filter: unterminated string");
        f("te_id = 'abc'".into()).await.is_error("filter: 'abc' is not an integer for 'te_id'");
        f("x".repeat(2001)).await.is_error("filter: longer than 2000 characters");
        f(format!("{}te_id = 1{}", "(".repeat(40), ")".repeat(40))).await.is_error("filter: nested too deeply");
        for bad in [
            "1=1",
            "te_code = 'ACME' OR 1=1",
            "te_id = 1 union select us_password from us_users",
            "te_id = (select 1)",
            "te_code = \"ACME\"",
            "te_code = 'ACME' -- comment",
            "te_code = 'ACME' /* x */",
            "te_code = char(65)",
            "te_code = te_name",
            "te_code",
            "te_code =",
            "(te_code = 'ACME'",
            "te_code = 'ACME')",
            "te_code IN ('ACME')",
            "sleep(5)",
            "te_id = 1e3",
        ] {
            f(bad.into()).await.is_error_starting("filter: ");
        }
        assert_eq!(ctx.snapshot().await, before);
        assert_eq!(ctx.count("te_tenants").await, 2);
    }

    /// Quotes, SQL fragments, backslashes, LIKE wildcards and emoji in `jsondata` values are
    /// stored and returned literally; nothing else happens.
    async fn jsondata_injection_is_stored_literally(ctx) {
        let payloads = [
            "x'); DROP TABLE di_dids; --",
            "' OR '1'='1",
            "\" OR \"\"=\"",
            "back\\slash \\' \\\" \\\\",
            "100% _match_ [x]",
            "'; UPDATE te_tenants SET te_name='pwned' WHERE '1'='1",
            "Ünïcødé ☎ 😀 \u{202e}rtl",
            "<script>alert(1)</script>",
            "$1 ${x} {{x}} %s %n",
        ];
        for (i, text) in payloads.iter().enumerate() {
            let did = ctx
                .add(&ctx.rw, Some("ACME"), "did", json!({ "di_number": format!("55501{i:02}"), "di_comment": text }))
                .await;
            assert_eq!(did["di_comment"], *text);
            let id = id_of(&did, "di_id");
            let got = ctx.mdb(&ctx.rw, Some("ACME"), "did", "get").id(id).fmt("json").get().await.json();
            assert_eq!(got["di_comment"], *text);
            let ext = ctx
                .add(&ctx.rw, Some("ACME"), "extension", json!({ "ex_number": format!("1{i:02}"), "ex_name": text, "ex_cidname": text }))
                .await;
            let ext_id = id_of(&ext, "ex_id");
            let r = ctx
                .mdb(&ctx.rw, Some("ACME"), "extension", "update")
                .id(ext_id)
                .json(&json!({ "ex_name": format!("{text}!") }))
                .post()
                .await;
            assert!(r.text().starts_with("update ex_extensions set ex_name='"), "{}", r.text());
            let got = ctx.mdb(&ctx.rw, Some("ACME"), "extension", "get").id(ext_id).fmt("json").get().await.json();
            assert_eq!(got["ex_name"], format!("{text}!"));
            assert_eq!(got["ex_cidname"], *text);
        }
        let info = ctx.info(&ctx.rw, Some("ACME"), "dids").fmt("json").get().await.json();
        let comments: Vec<&str> = info.as_array().unwrap().iter().map(|d| d["di_comment"].as_str().unwrap()).collect();
        assert_eq!(comments, payloads);
        // A LIKE filter matches the literal text only where it is.
        let v = ctx.mdb(&ctx.admin, None, "did", "list").p("filter", "di_comment like '%DROP TABLE%'").fmt("json").get().await.json();
        assert_eq!(v.as_object().unwrap().len(), 1, "{v}");
        assert_eq!(ctx.count("di_dids").await, payloads.len() as i64);
        assert_eq!(ctx.count("ex_extensions").await, payloads.len() as i64);
        let tenants = ctx.list(&ctx.admin, None, "tenant").await;
        assert_eq!(tenants[ctx.a.id.to_string()]["te_name"], "Acme Inc");
        assert_eq!(tenants[ctx.b.id.to_string()]["te_name"], "Beta Ltd");
    }

    /// Not JSON, the wrong JSON type, nesting bombs, oversized bodies: clear errors, nothing
    /// written.
    async fn malformed_and_oversized_jsondata(ctx) {
        let did = ctx.did(&ctx.a, "5550100").await;
        let id = id_of(&did, "di_id");
        let before = ctx.snapshot().await;
        let add = |raw: String| ctx.mdb(&ctx.rw, Some("ACME"), "did", "add").p("jsondata", raw).post();
        let update = |raw: String| ctx.mdb(&ctx.rw, Some("ACME"), "did", "update").id(id).p("jsondata", raw).post();
        for raw in ["{bad", "{\"di_number\":\"1\",}", "{'di_number':'1'}", "di_number=1", "{\"di_number\":\"1\"} trailing"] {
            add(raw.into()).await.is_error_starting("jsondata is not valid JSON: ");
            update(raw.into()).await.is_error_starting("jsondata is not valid JSON: ");
        }
        for raw in ["[]", "[{\"di_number\":\"1\"}]", "\"di_number\"", "123", "true", "null"] {
            add(raw.into()).await.is_error("jsondata must be a JSON object");
            update(raw.into()).await.is_error("jsondata must be a JSON object");
        }
        add(String::new()).await.is_error("field 'di_number' is required to add a did");
        add("   ".into()).await.is_error("field 'di_number' is required to add a did");
        let bomb = format!("{{\"di_number\":{}{}}}", "[".repeat(100_000), "]".repeat(100_000));
        add(bomb).await.is_error_starting("jsondata is not valid JSON: recursion limit exceeded");
        // Just under the body limit: the field's own limit answers.
        let long = format!("{{\"di_number\":\"5551\",\"di_comment\":\"{}\"}}", "c".repeat(900_000));
        add(long).await.is_error("field 'di_comment' is longer than 255 characters");
        // 10 MB, every way a body can come.
        let huge = format!("{{\"di_number\":\"5552\",\"di_comment\":\"{}\"}}", "c".repeat(10 << 20));
        let req = ctx.mdb(&ctx.rw, Some("ACME"), "did", "add").p("jsondata", &huge);
        req.clone().post().await.is_error("request body is larger than 1048576 bytes");
        // The format asked for in the query string still applies; in the unread body it cannot.
        req.clone().fmt("json").split_post(&["reqtype", "key", "tenant", "format"]).await
            .is_json_error("request body is larger than 1048576 bytes");
        req.clone().fmt("json").post().await.is_error("request body is larger than 1048576 bytes");
        req.clone().multipart().await.is_error("multipart field 'jsondata' makes the request larger than 1048576 bytes");
        req.split_post(&["reqtype", "key", "tenant", "object", "action"]).await
            .is_error("request body is larger than 1048576 bytes");
        assert_eq!(ctx.snapshot().await, before);
        // The server is fine afterwards.
        let r = ctx.mdb(&ctx.rw, Some("ACME"), "did", "get").id(id).fmt("json").get().await;
        assert_eq!(r.json(), did);
    }
}

use sea_orm::EntityTrait;
