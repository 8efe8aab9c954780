//! What the cluster suites share: a Switchboard process with its cluster running, AMI test
//! servers registered as nodes, and waiting for what happens in the background.
#![allow(dead_code)]

use crate::ami_server::{AmiServer, SECRET, USERNAME};
use crate::common::{Ctx, Req};
use std::sync::Arc;
use std::time::Duration;
use switchboard::app::{serve, AppState};
use switchboard::cluster::{nodes, Cluster};

/// One Switchboard process (HTTP server + cluster task) on the test's database (the test
/// context's own server runs no cluster).
pub struct Sb {
    pub base: String,
    pub handle: actix_web::dev::ServerHandle,
    pub cluster: Arc<Cluster>,
}

impl Sb {
    pub async fn start(ctx: &Ctx) -> Sb {
        Sb::start_with(ctx, ctx.config.clone()).await
    }

    /// A Switchboard with its own settings (on the test's database).
    pub async fn start_with(ctx: &Ctx, config: switchboard::config::Config) -> Sb {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let state = AppState::new(ctx.db.clone(), config);
        state.cluster.start();
        let cluster = state.cluster.clone();
        let server = serve(state, listener).unwrap();
        let handle = server.handle();
        actix_rt::spawn(server);
        Sb {
            base: format!("http://127.0.0.1:{port}"),
            handle,
            cluster,
        }
    }

    /// Registers `server` as node `n1`, starts a Switchboard and waits until it is connected.
    pub async fn with_node(ctx: &Ctx, server: &AmiServer) -> Sb {
        register(ctx, "n1", server).await;
        let sb = Sb::start(ctx).await;
        sb.wait_connected(&["n1"]).await;
        sb
    }

    /// Stop like a process exit: no more HTTP, no more deliveries, connections closed.
    pub async fn stop(self) {
        self.cluster.stop();
        self.handle.stop(false).await;
    }

    /// Wait until the node table is loaded and these nodes are connected.
    pub async fn wait_connected(&self, names: &[&str]) {
        wait_for("nodes connected", || {
            let nodes = self.cluster.nodes();
            names
                .iter()
                .all(|n| nodes.iter().any(|x| x.name == *n && x.is_connected()))
        })
        .await;
    }

    pub async fn wait_down(&self, name: &str) {
        wait_for("node seen down", || {
            !self.cluster.node(name).is_some_and(|n| n.is_connected())
        })
        .await;
    }

    /// A request to this Switchboard; an empty `tenant` sends none.
    pub fn req<'c>(&self, ctx: &'c Ctx, reqtype: &str, key: &str, tenant: &str) -> Req<'c> {
        let r = ctx.req().on(&self.base).p("reqtype", reqtype).p("key", key);
        if tenant.is_empty() {
            r
        } else {
            r.p("tenant", tenant)
        }
    }
}

/// A live request to a Switchboard of the test.
pub fn live<'c>(ctx: &'c Ctx, sb: &Sb, key: &str, tenant: &str, reqtype: &str) -> Req<'c> {
    sb.req(ctx, reqtype, key, tenant)
}

pub async fn wait_for(what: &str, mut cond: impl FnMut() -> bool) {
    for _ in 0..300 {
        if cond() {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("timed out waiting for {what}");
}

/// Register an AMI test server as a node.
pub async fn register(ctx: &Ctx, name: &str, server: &AmiServer) {
    nodes::add(
        &ctx.db.conn,
        nodes::NewNode {
            name,
            host: "127.0.0.1",
            port: server.port(),
            username: USERNAME,
            secret: SECRET,
            timezone: "UTC",
        },
    )
    .await
    .unwrap();
}

/// Two AMI test nodes registered as n1 and n2, and a Switchboard connected to both.
pub async fn two_nodes(ctx: &Ctx) -> (Vec<AmiServer>, Sb) {
    let servers = AmiServer::start_many(2).await;
    register(ctx, "n1", &servers[0]).await;
    register(ctx, "n2", &servers[1]).await;
    let sb = Sb::start(ctx).await;
    sb.wait_connected(&["n1", "n2"]).await;
    (servers, sb)
}
