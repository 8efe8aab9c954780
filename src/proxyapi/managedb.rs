//! `reqtype=MANAGEDB`: object + action → the registry's engine or the object's special action.

use crate::auth::Caller;
use crate::error::{ApiError, ApiResult};
use crate::objects::{self, engine, ActionCx, Input, Op};
use crate::proxyapi::params::Params;
use crate::proxyapi::AppState;
use crate::render::Output;

pub async fn handle(state: &AppState, caller: &Caller, params: &Params) -> ApiResult<Output> {
    let name = params.required_word("object")?;
    let obj = objects::find(&name).ok_or_else(|| {
        let singular = name.trim_end_matches('s');
        if objects::NOT_YET
            .iter()
            .any(|o| *o == name || *o == singular)
        {
            ApiError::NotImplemented(format!("MANAGEDB object '{name}'"))
        } else {
            ApiError::invalid(format!("parameter 'object': unknown object '{name}'"))
        }
    })?;
    let action = params.required_word("action")?;
    if let Some(special) = obj.action(&action) {
        let cx = ActionCx {
            db: &state.db,
            config: &state.config,
            caller,
            args: params,
            obj,
        };
        let out = obj.behavior.action(&cx, &action).await;
        if special.writes && out.is_ok() {
            crate::files::collect(&state.db, &state.config).await;
        }
        return out;
    }
    let db = &state.db;
    if action == "delete" && obj.crud {
        let w = engine::writer(caller, obj, Op::Delete)?;
        let id = params.required_id("objectid")?;
        let out = engine::delete(db, &w, obj, id, params.flag("cascade")).await;
        // A delete may release stored files (media, voicemail): clean up after commit.
        if out.is_ok() {
            crate::files::collect(db, &state.config).await;
        }
        return out.map(Output::Text);
    }
    match action.as_str() {
        "list" if obj.crud => {
            let rows = engine::list(db, caller, obj, params.get("filter")).await?;
            Ok(engine::keyed(obj, rows))
        }
        "get" if obj.crud => {
            engine::scope(obj, caller)?;
            let id = params.required_id("objectid")?;
            Ok(engine::record(obj, engine::get(db, caller, obj, id).await?))
        }
        "add" if obj.crud => {
            let w = engine::writer(caller, obj, Op::Add)?;
            let input = Input::parse(obj, Op::Add, params.get("jsondata"))?;
            let row = engine::add(db, &w, obj, input).await?;
            Ok(engine::record(obj, Some(row)))
        }
        "update" if obj.crud => {
            let w = engine::writer(caller, obj, Op::Update)?;
            let id = params.required_id("objectid")?;
            let input = Input::parse_update(obj, id, params.get("jsondata"))?;
            Ok(Output::Text(engine::update(db, &w, obj, id, input).await?))
        }
        other => {
            let mut known: Vec<&str> = if obj.crud {
                vec!["list", "get", "add", "update", "delete"]
            } else {
                vec![]
            };
            known.extend(obj.actions.iter().map(|a| a.name));
            Err(ApiError::invalid(format!(
                "parameter 'action': '{other}' is not an action of object {} (use one of {})",
                obj.name,
                known.join(", ")
            )))
        }
    }
}

/// `reqtype=MEDIAFILE&action=getaudio&objectid=N`: the same bytes as MANAGEDB `getbinary`.
pub async fn mediafile(state: &AppState, caller: &Caller, params: &Params) -> ApiResult<Output> {
    match params.required_word("action")?.as_str() {
        "getaudio" => {
            let cx = ActionCx {
                db: &state.db,
                config: &state.config,
                caller,
                args: params,
                obj: &objects::mediafile::MEDIAFILE,
            };
            objects::mediafile::get_binary(&cx).await
        }
        other => Err(ApiError::invalid(format!(
            "parameter 'action': '{other}' is not an action of reqtype MEDIAFILE (use getaudio)"
        ))),
    }
}
