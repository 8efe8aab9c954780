//! Call flows on the nodes. A flow is a toggle the tenant's dialplan reads: its state is the
//! custom device state `Custom:FLOW-<TENANT>-<number>` (phones watch it as a BLF through a
//! hint, the dialplan reads `${DEVICE_STATE(Custom:FLOW-…)}`), its value the AstDB entry
//! `FLOW/<TENANT>-<number>` (`${DB(FLOW/…)}`). `fl_flows` holds what every node should have;
//! each change reaches the nodes through the outbox, and a node added later is seeded from
//! the table. Asterisk keeps custom device states in AstDB, so they survive a node restart.

use super::{nodes, outbox, outbox::NodeAction};
use crate::error::ApiResult;
use entity::{fl_flows, te_tenants};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter};

/// The device states SETFLOW accepts (Asterisk's custom device state names).
pub const STATES: &[&str] = &["INUSE", "NOT_INUSE", "UNAVAILABLE", "RINGING"];

/// `FLOW-ACME-1`: the custom device name and AstDB key of a flow.
pub fn flow_name(code: &str, number: &str) -> String {
    format!("FLOW-{code}-{number}")
}

/// The node actions that give a node this flow's state and value.
pub fn actions(code: &str, flow: &fl_flows::Model) -> Vec<NodeAction> {
    let name = flow_name(code, &flow.fl_number);
    let state = NodeAction::new(
        format!("flow:{name}:state"),
        "Setvar",
        &[
            ("Variable", format!("DEVICE_STATE(Custom:{name})").as_str()),
            ("Value", flow.fl_state.as_str()),
        ],
    );
    let value = NodeAction::new(
        format!("flow:{name}:value"),
        "DBPut",
        &[
            ("Family", "FLOW"),
            ("Key", format!("{code}-{}", flow.fl_number).as_str()),
            ("Val", flow.fl_value.as_str()),
        ],
    );
    vec![state, value]
}

/// Queue every flow a node newly serving tenants should have (those of the tenants it serves,
/// or of `tenant` only).
pub async fn seed_node(
    conn: &impl ConnectionTrait,
    node_id: i32,
    tenant: Option<i32>,
) -> ApiResult<()> {
    let codes: std::collections::HashMap<i32, String> = te_tenants::Entity::find()
        .all(conn)
        .await?
        .into_iter()
        .map(|t| (t.te_id, t.te_code))
        .collect();
    let mut flows = fl_flows::Entity::find();
    if let Some(te) = tenant {
        flows = flows.filter(fl_flows::Column::FlTeId.eq(te));
    }
    for flow in flows.all(conn).await? {
        let Some(code) = codes.get(&flow.fl_te_id) else {
            continue;
        };
        if nodes::targets(conn, Some(flow.fl_te_id))
            .await?
            .contains(&node_id)
        {
            let acts = actions(code, &flow);
            outbox::record_to(conn, Some(flow.fl_te_id), &[node_id], &acts).await?;
        }
    }
    Ok(())
}
