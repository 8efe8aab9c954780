//! DND: read and set an extension's do-not-disturb.

use super::*;

pub async fn dnd(state: &AppState, caller: &Caller, p: &Params) -> ApiResult<Output> {
    let action = p.required_word("action")?;
    let t = caller.require_tenant("DND")?;
    let ext = extension(state, t, "number", p.required("number")?).await?;
    match action.as_str() {
        "get" => Ok(Output::Value {
            name: "dnd",
            value: Some(ext.ex_dnd),
        }),
        "set" => {
            let on = p.flag("value");
            // The row and the AstDB update of every node commit together (the outbox).
            let txn = state.db.begin_write().await?;
            let mut row: ex_extensions::ActiveModel = ext.clone().into();
            row.ex_dnd = Set(if on { "on".into() } else { String::new() });
            row.update(&*txn).await?;
            outbox::record(
                &*txn,
                Some(t.id),
                &[outbox::dnd_action(&ext.ex_username, on)],
            )
            .await?;
            txn.commit().await?;
            Ok(Output::Text("OK".into()))
        }
        other => Err(ApiError::invalid(format!(
            "parameter 'action': '{other}' is not get or set"
        ))),
    }
}
