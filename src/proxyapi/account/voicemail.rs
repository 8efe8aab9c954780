//! `reqtype=VOICEMAIL`: `action=list|messages|message|delete|markread|markunread` on the
//! tenant's boxes (`mailbox` = number or `number@TENANT`, `msgid` = Asterisk message id,
//! `folder` for messages). `message` answers the audio bytes (HTTP Range supported); markread
//! moves a message from INBOX to Old, markunread back.

use crate::auth::Caller;
use crate::error::{ApiError, ApiResult};
use crate::objects::voicemail::{
    delete_message, find_box, folder_param, list_boxes, list_messages, message_in_box,
    move_message, recording,
};
use crate::output::Output;
use crate::proxyapi::params::Params;
use crate::proxyapi::AppState;

pub async fn voicemail(state: &AppState, caller: &Caller, params: &Params) -> ApiResult<Output> {
    let tenant = caller.require_tenant("VOICEMAIL")?;
    let db = &state.db;
    let spool = state.config.voicemail_dir();
    let action = params.word("action").unwrap_or_else(|| "list".into());
    let mailbox = || async { find_box(db, caller, params.required("mailbox")?, "mailbox").await };
    match action.as_str() {
        "list" => {
            let only = match params.get("mailbox") {
                Some(m) => Some(find_box(db, caller, m, "mailbox").await?.mailbox),
                None => None,
            };
            list_boxes(db, tenant, only.as_deref()).await
        }
        "messages" => {
            let mb = mailbox().await?;
            list_messages(db, &mb, folder_param(params.get("folder"), "folder")?).await
        }
        "message" | "delete" | "markread" | "markunread" => {
            let mb = mailbox().await?;
            let msg = message_in_box(db, &mb, params.required("msgid")?).await?;
            match action.as_str() {
                "message" => recording(&spool, &msg),
                "delete" => delete_message(db, &spool, &msg).await.map(|_| ok()),
                "markread" => move_message(db, &spool, &msg, "Old").await.map(|_| ok()),
                _ => move_message(db, &spool, &msg, "INBOX").await.map(|_| ok()),
            }
        }
        other => Err(ApiError::invalid(format!(
            "parameter 'action': '{other}' is not one of list, messages, message, delete, markread, markunread"
        ))),
    }
}

fn ok() -> Output {
    Output::Text("OK".into())
}
