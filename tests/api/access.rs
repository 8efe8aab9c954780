//! The reqtype table (`proxyapi::REQTYPES`, issue #10): every write it lists is refused to a
//! read-only key before anything is looked up, every admin-only reqtype or action to a tenant
//! key, every tenant-needing one to an admin key without `tenant=`; nothing changes; HELP
//! prints every entry's access.

use crate::common::*;
use switchboard::objects::REGISTRY;
use switchboard::proxyapi::access::{Mode, Who, Writes};
use switchboard::proxyapi::REQTYPES;

/// One request of the table: reqtype, the action parameter and value (if any), who may
/// call it, whether it writes, and how refusals name it.
struct Case {
    reqtype: &'static str,
    param: Option<(&'static str, &'static str)>,
    object: Option<&'static str>,
    who: Who,
    write: bool,
    what: String,
    /// What the tenant refusal names: the reqtype, or the action that alone needs a tenant.
    tenant_what: String,
}

/// Every (reqtype, action) the table knows, MANAGEDB objects and their actions included.
fn cases() -> Vec<Case> {
    let mut out = Vec::new();
    for r in REQTYPES {
        let upper = r.name.to_ascii_uppercase();
        let plain = |write| Case {
            reqtype: r.name,
            param: None,
            object: None,
            who: r.access.who,
            write,
            what: upper.clone(),
            tenant_what: upper.clone(),
        };
        match r.access.writes {
            Writes::Never => out.push(plain(false)),
            Writes::Always => out.push(plain(true)),
            Writes::ByAction { params, acts, .. } => {
                for a in acts {
                    out.push(Case {
                        reqtype: r.name,
                        param: Some((params[0], a.name)),
                        object: None,
                        who: a.who.unwrap_or(r.access.who),
                        write: a.mode == Mode::Write,
                        what: format!("{upper} {}", a.name),
                        tenant_what: if a.who == Some(Who::Tenant) {
                            format!("{upper} {}", a.name)
                        } else {
                            upper.clone()
                        },
                    });
                }
            }
            Writes::Object => {
                for obj in REGISTRY {
                    let crud: &[(&'static str, bool)] = if obj.crud {
                        &[
                            ("list", false),
                            ("get", false),
                            ("add", true),
                            ("update", true),
                            ("delete", true),
                        ]
                    } else {
                        &[]
                    };
                    let special = obj.actions.iter().map(|a| (a.name, a.writes));
                    for (action, write) in crud.iter().copied().chain(special) {
                        out.push(Case {
                            reqtype: r.name,
                            param: Some(("action", action)),
                            object: Some(obj.name),
                            who: if obj.admin_only {
                                Who::Admin
                            } else {
                                r.access.who
                            },
                            write,
                            what: format!("{action} on {}", obj.name),
                            tenant_what: upper.clone(),
                        });
                    }
                }
            }
        }
    }
    out
}

async fn send(ctx: &Ctx, c: &Case, key: &str, tenant: Option<&str>) -> Resp {
    let mut r = ctx.req().p("reqtype", c.reqtype).p("key", key);
    if let Some(t) = tenant {
        r = r.p("tenant", t);
    }
    if let Some(o) = c.object {
        r = r.p("object", o);
    }
    if let Some((name, value)) = c.param {
        r = r.p(name, value);
    }
    r.get().await
}

/// Collect mismatches, so one run names every wrong entry.
fn expect(bad: &mut Vec<String>, c: &Case, who: &str, got: &str, want: &str) {
    if got != want {
        bad.push(format!(
            "{} {:?} {:?} with {who}: got {got:?}, want {want:?}",
            c.reqtype, c.object, c.param
        ));
    }
}

backend_tests! {
    async fn read_only_keys_are_refused_every_write_of_the_table(ctx) {
        let (_, ro_admin) = ctx.mint(KeySpec { admin: true, read_only: true, ..Default::default() }).await;
        let before = ctx.snapshot().await;
        let mut bad = Vec::new();
        let writes: Vec<Case> = cases().into_iter().filter(|c| c.write).collect();
        assert!(writes.len() > 40, "the table lists {} writes", writes.len());
        for c in &writes {
            let refusal = format!("Error: this key is read-only; {} needs a read/write key\n", c.what);
            // A read-only tenant key: the write refusal, or the auth failure for admin-only.
            let got = send(ctx, c, &ctx.ro, Some("ACME")).await.text();
            let want = if c.who == Who::Admin { TOO_BAD.to_string() } else { refusal.clone() };
            expect(&mut bad, c, "a read-only tenant key", &got, &want);
            // A read-only admin key naming the tenant: the write refusal everywhere.
            let got = send(ctx, c, &ro_admin, Some("ACME")).await.text();
            expect(&mut bad, c, "a read-only admin key", &got, &refusal);
        }
        assert!(bad.is_empty(), "{} wrong answers:\n{}", bad.len(), bad.join("\n"));
        assert_eq!(ctx.snapshot().await, before, "a refused write changed something");
    }

    async fn admin_only_and_tenant_needing_entries_are_refused_before_the_handler(ctx) {
        let before = ctx.snapshot().await;
        let mut bad = Vec::new();
        let all = cases();
        let admin_only: Vec<&Case> = all.iter().filter(|c| c.who == Who::Admin).collect();
        assert!(admin_only.len() > 10, "the table lists {} admin-only entries", admin_only.len());
        for c in admin_only {
            let got = send(ctx, c, &ctx.rw, Some("ACME")).await.text();
            expect(&mut bad, c, "a read/write tenant key", &got, TOO_BAD);
        }
        let tenant_needing: Vec<&Case> = all.iter().filter(|c| c.who == Who::Tenant).collect();
        assert!(tenant_needing.len() > 20, "the table lists {} tenant entries", tenant_needing.len());
        for c in tenant_needing {
            let got = send(ctx, c, &ctx.admin, None).await.text();
            let want = format!("Error: parameter 'tenant' is required for {} with an admin key\n", c.tenant_what);
            expect(&mut bad, c, "an admin key without tenant", &got, &want);
        }
        assert!(bad.is_empty(), "{} wrong answers:\n{}", bad.len(), bad.join("\n"));
        assert_eq!(ctx.snapshot().await, before, "a refused request changed something");
    }

    async fn help_prints_the_access_of_every_reqtype(ctx) {
        let help = ctx.req().p("reqtype", "HELP").p("key", &ctx.ro).p("tenant", "ACME").get().await.text();
        for r in REQTYPES {
            let line = switchboard::proxyapi::access::help_line(r.name, &r.access);
            assert!(help.lines().any(|l| l == line), "HELP lacks {line:?}");
        }
        // Spot checks in words, so the line itself is not only compared with itself.
        assert!(help.contains("\nDND - a tenant (tenant key, or admin key with tenant=); action read: get; write (read/write key): set\n"), "{help}");
        assert!(help.contains("\nUSERGROUP - admin key only;"), "{help}");
        assert!(help.contains("\nBALANCE - a tenant (tenant key, or admin key with tenant=); action read: get, history; write (read/write key): add (admin)\n"), "{help}");
    }
}
