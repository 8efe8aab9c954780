//! DIAL: a call from an extension of the tenant to a number.

use super::*;

/// Every DIAL answer in json has `Response`, `Message` and `ID` (empty on failure): clients
/// read `ID` without checking `Response` first. The auth failure stays the upstream text.
pub async fn dial(state: &AppState, caller: &Caller, p: &Params) -> ApiResult<Output> {
    match originate(state, caller, p).await {
        Err(e) => refused(e),
        ok => ok,
    }
}

/// A DIAL error in DIAL's answer shape (the reqtype table's refusals too).
pub fn refused(e: ApiError) -> ApiResult<Output> {
    match e {
        ApiError::Auth => Err(e),
        e => Ok(Output::Reply {
            plain: format!("{}\n", e.line()),
            json: json!({ "Response": "Error", "Message": e.to_string(), "ID": "" }),
        }),
    }
}

async fn originate(state: &AppState, caller: &Caller, p: &Params) -> ApiResult<Output> {
    let t = caller.require_tenant("DIAL")?;
    let mut source = p
        .get("source")
        .or(p.get("exten"))
        .ok_or_else(|| ApiError::invalid("parameter 'source' is required"))?;
    // `source=ACCOUNT`: the extension the `account` names (`100-ACME`), as upstream clients send.
    if source.trim().eq_ignore_ascii_case("ACCOUNT") {
        source = p.get("account").ok_or_else(|| {
            ApiError::invalid("parameter 'account' is required with source=ACCOUNT")
        })?;
    }
    let dest = PhoneNumber::parse(
        "dest",
        p.get("dest")
            .or(p.get("phone"))
            .ok_or_else(|| ApiError::invalid("parameter 'dest' is required"))?,
    )?;
    let dest = dest.as_str();
    let ext = extension(state, t, "source", source).await?;
    let channel = device(&ext, "source")?;
    let mut vars = vec![Variable::new("tenant", "TENANT", &t.code, 20)?];
    let account = match p.get("account") {
        Some(account) => {
            let account = HeaderValue::new("account", account, 80)?;
            let owned = DeviceName::parse(account.as_str())
                .is_some_and(|d| d.code().eq_ignore_ascii_case(&t.code));
            if !owned {
                return Err(ApiError::invalid(format!(
                    "parameter 'account' must be an account of tenant {} (<number>-{})",
                    t.code, t.code
                )));
            }
            Some(account)
        }
        None => None,
    };
    if let Some(var) = p.get("var") {
        for pair in var.split('|').filter(|v| !v.is_empty()) {
            let (name, value) = pair.split_once('=').ok_or_else(|| {
                ApiError::invalid("parameter 'var' must be name=value (several joined by '|')")
            })?;
            let name_ok = !name.is_empty()
                && name.len() <= 40
                && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
            if !name_ok {
                return Err(ApiError::invalid(
                    "parameter 'var': names are letters, digits and '_' (at most 40)",
                ));
            }
            vars.push(Variable::new(
                "var",
                &format!("{}-{name}", t.code),
                value,
                200,
            )?);
        }
    }
    let seconds = |name: &str, default: u32| -> ApiResult<u32> {
        match p.get(name) {
            None => Ok(default),
            Some(v) => v
                .trim()
                .parse::<u32>()
                .ok()
                .filter(|s| (1..=3600).contains(s))
                .ok_or_else(|| {
                    ApiError::invalid(format!("parameter '{name}' must be 1 to 3600 seconds"))
                }),
        }
    };
    let dialtimeout = seconds("dialtimeout", 30)?;
    if p.get("timeout").is_some() {
        let s = seconds("timeout", 1)?;
        vars.push(Variable::new(
            "timeout",
            "TIMEOUT(absolute)",
            &s.to_string(),
            10,
        )?);
    }
    for (flag, var) in [
        ("recording", "RECORDING"),
        ("autoanswer", "AUTOANSWER"),
        ("nofollow", "NOFOLLOW"),
    ] {
        if p.flag(flag) {
            vars.push(Variable::new(flag, var, "yes", 3)?);
        }
    }
    if let Some(clid) = p.get("destclid") {
        vars.push(Variable::new("destclid", "DESTCLID", clid, 80)?);
    }
    let callerid = match p.get("sourceclid") {
        Some(c) => HeaderValue::new("sourceclid", c, 80)?,
        // The source extension's own caller ID, as its device presents it on a call.
        None => HeaderValue::new(
            "source",
            &crate::objects::extension::caller_id(&ext.ex_name, &ext.ex_cidnum, &ext.ex_number),
            200,
        )?,
    };
    let (_, context) = crate::objects::extension::tenant_context(&state.db.conn, t.id).await?;
    let device = (ext.ex_tech == "PJSIP").then_some(ext.ex_username.as_str());
    let node = crate::calls::pick_node(&state.cluster, t, p.get("server"), device).await?;
    let id = crate::calls::originate_id(&node.name);
    vars.push(Variable::new("ORIGINATEID", "ORIGINATEID", &id, 120)?);
    let mut action = Action::new("Originate")
        .header("Channel", channel.clone())
        .header("Context", context)
        .header("Exten", dest)
        .header("Priority", "1")
        .header("CallerID", callerid)
        .header("Timeout", (dialtimeout * 1000).to_string())
        .header("Async", "true");
    if let Some(account) = account {
        action.push("Account", account);
    }
    for v in vars {
        action.push_variable(v);
    }
    // Stored first: the id must find the call even if the answer is lost.
    let row = dc_dialcalls::ActiveModel {
        dc_originateid: Set(id.clone()),
        dc_te_id: Set(t.id),
        dc_node: Set(node.name.clone()),
        dc_source: Set(channel),
        dc_dest: Set(dest.to_string()),
        dc_uniqueid: Set(String::new()),
        dc_state: Set("sent".into()),
        dc_created: Set(chrono::Utc::now().naive_utc()),
        dc_reason: Set(0),
        dc_channel: Set(String::new()),
        dc_updated: Set(None),
        ..Default::default()
    }
    .insert(&state.db.conn)
    .await?;
    // The answer does not wait for the call: its outcome is recorded when the node reports it.
    let outcome_within = std::time::Duration::from_secs(u64::from(dialtimeout) + 60);
    let outcome = crate::calls::originate(
        &node.client,
        action,
        state.cluster.settings.action_timeout,
        outcome_within,
    )
    .await;
    let label = match &outcome {
        Ok(_) => "queued",
        Err(AmiError::Refused(_)) => "refused",
        Err(AmiError::NotConnected) => "not sent",
        Err(_) => "unknown",
    };
    let mut row: dc_dialcalls::ActiveModel = row.into();
    row.dc_state = Set(label.into());
    row.update(&state.db.conn).await?;
    match outcome {
        Ok(pending) => {
            let (db, dial_id) = (state.db.clone(), id.clone());
            crate::calls::on_outcome("DIAL", pending, move |o| {
                Box::pin(crate::calls::record_dial(db, dial_id, o))
            });
            Ok(success("Originate successfully queued", Some(&id)))
        }
        Err(e) => Err(ami_error(e)),
    }
}
