//! The embeddable status page and what it reads: INFO queuecallers (from the nodes'
//! QueueStatus `QueueEntry` items), widget tokens (WIDGETTOKEN, `key widget`), the
//! `/widget/status` page and its headers, and the page in headless Chromium.

use crate::ami_server::{Queue, QueueCaller};
use crate::cluster_harness::*;
use crate::common::*;
use sea_orm::{ActiveModelTrait, Set};
use serde_json::json;

/// A queue of `te` numbered `number`, named `Q<number>`; returns its id.
async fn queue(ctx: &Ctx, te: i32, number: &str) -> i32 {
    entity::qu_queues::ActiveModel {
        qu_te_id: Set(te),
        qu_name: Set(format!("Q{number}")),
        qu_number: Set(number.into()),
        qu_timeout: Set(0),
        qu_alwaysrecord: Set(String::new()),
        ..Default::default()
    }
    .insert(&ctx.db.conn)
    .await
    .unwrap()
    .qu_id
}

fn waiting(uid: &str, num: &str, name: &str, waited: u64) -> QueueCaller {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    QueueCaller {
        channel: format!("PJSIP/trunk-{uid}"),
        uniqueid: uid.into(),
        caller_id_num: num.into(),
        caller_id_name: name.into(),
        since: now - waited,
        ..Default::default()
    }
}

backend_tests! {
    async fn info_queuecallers_lists_the_tenants_waiting_callers(ctx) {
        let (servers, sb) = two_nodes(ctx).await;
        let qa = queue(ctx, ctx.a.id, "600").await;
        let qa2 = queue(ctx, ctx.a.id, "601").await;
        let qb = queue(ctx, ctx.b.id, "700").await;
        {
            let mut st = servers[0].state();
            let mut q = Queue::default();
            q.entries.push(waiting("n1-1.1", "5551001", "First", 300));
            q.entries.push(waiting("n1-1.2", "5551002", "Second", 30));
            st.queues.insert(qa.to_string(), q);
            let mut q = Queue::default();
            q.entries.push(waiting("n1-1.3", "5553003", "Beta caller", 10));
            st.queues.insert(qb.to_string(), q);
        }
        {
            let mut st = servers[1].state();
            let mut q = Queue::default();
            q.entries.push(waiting("n2-1.1", "5552001", "Other node", 5));
            st.queues.insert(qa2.to_string(), q);
            st.queues.insert(qa.to_string(), Queue::default());
        }
        let info = |key: &str, tenant: &str| ctx.info(key, Some(tenant), "queuecallers").on(&sb.base);
        let rows = info(&ctx.ro, "ACME").fmt("json").get().await.json();
        let rows = rows.as_array().unwrap();
        let seen: Vec<(String, String, String, String)> = rows.iter().map(|r| (
            r["qu_id"].as_str().unwrap().to_string(), r["position"].as_str().unwrap().to_string(),
            r["calleridnum"].as_str().unwrap().to_string(), r["node"].as_str().unwrap().to_string(),
        )).collect();
        assert_eq!(seen, [
            (qa.to_string(), "1".to_string(), "5551001".to_string(), "n1".to_string()),
            (qa.to_string(), "2".to_string(), "5551002".to_string(), "n1".to_string()),
            (qa2.to_string(), "1".to_string(), "5552001".to_string(), "n2".to_string()),
        ]);
        assert_eq!(rows[0]["qu_name"], "Q600");
        assert_eq!(rows[0]["calleridname"], "First");
        assert_eq!(rows[0]["uniqueid"], "n1-1.1");
        assert_eq!(rows[0]["channel"], "PJSIP/trunk-n1-1.1");
        let wait: u64 = rows[0]["wait"].as_str().unwrap().parse().unwrap();
        assert!((300..310).contains(&wait), "wait {wait}");
        assert!(!format!("{rows:?}").contains("Beta caller"));

        // One queue by id; plain has the column line first.
        let plain = info(&ctx.ro, "ACME").p("queue", qa2.to_string()).get().await.text();
        let mut lines = plain.lines();
        assert_eq!(lines.next(), Some("qu_id|qu_name|position|calleridnum|calleridname|wait|channel|uniqueid|node"));
        let row = lines.next().unwrap();
        assert!(row.starts_with(&format!("{qa2}|Q601|1|5552001|Other node|")), "{row}");
        assert!(row.ends_with("|PJSIP/trunk-n2-1.1|n2-1.1|n2"), "{row}");
        assert_eq!(lines.next(), None);
        // Another tenant's queue is not found; the admin sees BETA's caller.
        info(&ctx.ro, "ACME").p("queue", qb.to_string()).get().await
            .is_error_starting("parameter 'queue': no queue");
        let beta = info(&ctx.admin, "BETA").fmt("json").get().await.json();
        assert_eq!(beta.as_array().unwrap().len(), 1);
        assert_eq!(beta[0]["calleridname"], "Beta caller");
        ctx.info(&ctx.admin, None, "queuecallers").on(&sb.base).get().await
            .is_error("parameter 'tenant' is required for INFO queuecallers with an admin key");
        // No one waiting: the column line alone / an empty list.
        assert_eq!(info(&ctx.rw, "ACME").p("queue", qa2.to_string()).fmt("json").get().await.json().as_array().unwrap().len(), 1);
        servers[1].state().queues.get_mut(&qa2.to_string()).unwrap().entries.clear();
        assert_eq!(info(&ctx.rw, "ACME").p("queue", qa2.to_string()).fmt("json").get().await.json(), json!([]));
        // A node down: the answer says which.
        servers[1].go_away().await;
        sb.wait_down("n2").await;
        let text = info(&ctx.ro, "ACME").get().await.text();
        assert!(text.ends_with("Note: no answer from node(s) n2\n"), "{text}");
        assert_eq!(text.lines().count(), 4, "{text}");
        sb.stop().await;
    }
}
