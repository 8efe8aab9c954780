//! Account-level reqtypes: BALANCE, LICENSEDAYS, CHECKAUTH, GETWEBRTCAUTH, AUTHTOKEN,
//! VOICEMAIL, PHONEBOOKS, PHONEBOOK, USERGROUP and VIRTUALEXT.

mod balance;
mod login;
mod phonebook;
mod usergroup;
mod virtualext;
mod voicemail;

use crate::app::AppState;
use crate::auth::{Caller, TenantRef};
use crate::error::{ApiError, ApiResult};
use crate::proxyapi::params::Params;
use crate::render::Output;
use std::net::IpAddr;

pub use balance::info_balance;

/// The reqtypes this module serves (lower case).
pub const REQTYPES: &[&str] = &[
    "balance",
    "licensedays",
    "checkauth",
    "getwebrtcauth",
    "authtoken",
    "voicemail",
    "phonebooks",
    "phonebook",
    "usergroup",
    "virtualext",
];

pub async fn handle(
    state: &AppState,
    caller: &Caller,
    params: &Params,
    reqtype: &str,
    ip: IpAddr,
) -> ApiResult<Output> {
    match reqtype {
        "balance" => balance::balance(state, caller, params).await,
        "licensedays" => balance::licensedays(state, caller, params).await,
        "checkauth" => login::checkauth(state, caller, params, ip, false).await,
        "getwebrtcauth" => login::checkauth(state, caller, params, ip, true).await,
        "authtoken" => login::authtoken(state, caller, params).await,
        "voicemail" => voicemail::voicemail(state, caller, params).await,
        "phonebooks" => phonebook::phonebooks(state, caller, params).await,
        "phonebook" => phonebook::phonebook(state, caller, params).await,
        "usergroup" => usergroup::usergroup(state, caller, params).await,
        "virtualext" => virtualext::virtualext(state, caller, params, ip).await,
        other => Err(ApiError::NotImplemented(format!(
            "reqtype {}",
            other.to_uppercase()
        ))),
    }
}

/// The tenant a request is about; an admin must name one with `tenant=`.
pub(crate) fn tenant_of<'c>(caller: &'c Caller, what: &str) -> ApiResult<&'c TenantRef> {
    caller.tenant.as_ref().ok_or_else(|| {
        ApiError::invalid(format!(
            "parameter 'tenant' is required for {what} with an admin key"
        ))
    })
}
