//! `reqtype=MANAGEDB`: object + action → the registry's engine or the object's special action.

use crate::app::AppState;
use crate::auth::Caller;
use crate::error::{ApiError, ApiResult};
use crate::objects::{self, engine, ActionCx};
use crate::proxyapi::params::Params;
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
    if obj.admin_only {
        caller.require_admin()?;
    }
    let action = params.required_word("action")?;
    if let Some(special) = obj.action(&action) {
        if special.writes {
            caller.require_write(&format!("{action} on {}", obj.name))?;
        }
        let cx = ActionCx {
            db: &state.db,
            config: &state.config,
            caller,
            params,
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
        // A delete may release stored files (media, voicemail): clean up after commit.
        let out = engine::delete(db, caller, obj, params).await;
        if out.is_ok() {
            crate::files::collect(db, &state.config).await;
        }
        return out;
    }
    match action.as_str() {
        "list" if obj.crud => engine::list(db, caller, obj, params).await,
        "get" if obj.crud => engine::get(db, caller, obj, params).await,
        "add" if obj.crud => engine::add(db, caller, obj, params).await,
        "update" if obj.crud => engine::update(db, caller, obj, params).await,
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
