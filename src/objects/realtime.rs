//! The Asterisk settings of a device or a trunk that MANAGEDB exposes: ONE table of the
//! realtime columns (which row, how validated, who may set them). A setting is stored only in
//! the realtime row Asterisk reads, written by the object's write hook in the write's
//! transaction, and read back as a column of the object (a sub-select on the realtime row), so
//! the two can never disagree.
//!
//! The columns that decide routing, identity or trust are in the table too, as
//! [`Who::Switchboard`]: nobody may send them (a clear error naming the field, nothing written);
//! Switchboard writes them itself.

use super::Kind::{Choice, OptInt, OptText};
use super::{support, Field, Input, Kind, Object, Row};
use crate::error::{ApiError, ApiResult};
use sea_orm::sea_query::{Expr, ExprTrait, Query};
use sea_orm::{ConnectionTrait, Value};

/// Who may set a realtime column.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Who {
    /// Any read/write key of the owner (the tenant's own key).
    Tenant,
    /// The hosting provider only (an admin key): node paths, addresses, QoS, ACLs.
    Admin,
    /// Switchboard only: routing, identity, trust.
    Switchboard,
}

/// One realtime column: the field as MANAGEDB parses it (named as Asterisk names the column),
/// the table it lives in, and who may set it.
#[derive(Debug, Clone, Copy)]
pub struct Opt {
    pub field: Field,
    pub table: &'static str,
    pub who: Who,
}

/// The realtime settings of an object: the column of its own table that is the realtime id,
/// the table of settings, and the settable ones it leaves out (those it has columns for).
pub struct Options {
    pub key: &'static str,
    pub list: &'static [Opt],
    pub except: &'static [&'static str],
}

pub const ENDPOINTS: &str = "ps_endpoints";
pub const AORS: &str = "ps_aors";

const YESNO: Kind = Choice(&["yes", "no"]);

/// A setting of `table`: sent as null or empty, it goes back to Switchboard's default.
const fn setting(table: &'static str, name: &'static str, kind: Kind, who: Who) -> Opt {
    let mut field = Field::new(name, kind, super::Access::Optional);
    field.clearable = true;
    Opt { field, table, who }
}
const fn e(name: &'static str, kind: Kind, who: Who) -> Opt {
    setting(ENDPOINTS, name, kind, who)
}
const fn a(name: &'static str, kind: Kind, who: Who) -> Opt {
    setting(AORS, name, kind, who)
}
const fn checked(mut o: Opt, check: super::Check) -> Opt {
    o.field.check = Some(check);
    o
}

use Who::{Admin, Switchboard, Tenant};

/// Allowed values and widths are Asterisk 22's (its alembic schema and `pjsip.conf` docs).
#[rustfmt::skip]
pub static DEVICE: &[Opt] = &[
    // NAT
    e("rtp_symmetric", YESNO, Tenant),
    e("force_rport", YESNO, Tenant),
    e("rewrite_contact", YESNO, Tenant),
    e("direct_media", YESNO, Tenant),
    e("disable_direct_media_on_nat", YESNO, Tenant),
    e("ice_support", YESNO, Tenant),
    // WebRTC / DTLS / SRTP
    e("webrtc", YESNO, Tenant),
    e("use_avpf", YESNO, Tenant),
    e("rtcp_mux", YESNO, Tenant),
    e("bundle", YESNO, Tenant),
    e("media_encryption", Choice(&["no", "sdes", "dtls"]), Tenant),
    e("media_encryption_optimistic", YESNO, Tenant),
    e("dtls_verify", Choice(&["no", "yes", "fingerprint", "certificate"]), Tenant),
    e("dtls_setup", Choice(&["active", "passive", "actpass"]), Tenant),
    e("dtls_fingerprint", Choice(&["SHA-1", "SHA-256"]), Tenant),
    checked(e("dtls_rekey", OptText(40), Tenant), super::checks::digits_or_empty),
    e("dtls_auto_generate_cert", YESNO, Tenant),
    checked(e("dtls_cert_file", OptText(200), Admin), node_path),
    checked(e("dtls_private_key", OptText(200), Admin), node_path),
    checked(e("dtls_ca_file", OptText(200), Admin), node_path),
    checked(e("dtls_ca_path", OptText(200), Admin), node_path),
    checked(e("dtls_cipher", OptText(200), Admin), word_list),
    // Media
    checked(e("allow", OptText(200), Tenant), support::codecs),
    checked(e("disallow", OptText(200), Tenant), support::codecs),
    e("dtmf_mode", Choice(&["rfc4733", "inband", "info", "auto", "auto_info"]), Tenant),
    e("inband_progress", YESNO, Tenant),
    e("t38_udptl", YESNO, Tenant),
    e("t38_udptl_ec", Choice(&["none", "fec", "redundancy"]), Tenant),
    e("fax_detect", YESNO, Tenant),
    checked(e("rtp_timeout", OptInt, Tenant), seconds),
    checked(e("rtp_timeout_hold", OptInt, Tenant), seconds),
    checked(e("rtp_keepalive", OptInt, Tenant), seconds),
    checked(e("moh_suggest", OptText(40), Tenant), name_or_empty),
    checked(e("tone_zone", OptText(40), Tenant), name_or_empty),
    checked(e("language", OptText(40), Tenant), name_or_empty),
    // SIP behaviour
    e("timers", Choice(&["forced", "no", "required", "yes"]), Tenant),
    checked(e("timers_min_se", OptInt, Tenant), seconds),
    checked(e("timers_sess_expires", OptInt, Tenant), seconds),
    e("100rel", Choice(&["no", "required", "peer_supported", "yes"]), Tenant),
    e("send_pai", YESNO, Tenant),
    e("send_rpid", YESNO, Tenant),
    e("send_diversion", YESNO, Tenant),
    e("allow_transfer", YESNO, Tenant),
    e("allow_subscribe", YESNO, Tenant),
    checked(e("device_state_busy_at", OptInt, Tenant), seconds),
    checked(e("call_group", OptText(40), Tenant), groups),
    checked(e("pickup_group", OptText(40), Tenant), groups),
    // The hosting provider's: which node transport, addresses, QoS, ACLs.
    checked(e("transport", OptText(40), Admin), name_or_empty),
    checked(e("media_address", OptText(40), Admin), support::host_or_empty),
    checked(e("external_media_address", OptText(40), Admin), support::host_or_empty),
    e("bind_rtp_to_media_address", YESNO, Admin),
    checked(e("outbound_proxy", OptText(255), Admin), sip_uri),
    checked(e("rtp_engine", OptText(40), Admin), name_or_empty),
    checked(e("tos_audio", OptText(10), Admin), name_or_empty),
    checked(e("tos_video", OptText(10), Admin), name_or_empty),
    checked(e("cos_audio", OptInt, Admin), cos),
    checked(e("cos_video", OptInt, Admin), cos),
    checked(e("permit", OptText(95), Admin), acl),
    checked(e("deny", OptText(95), Admin), acl),
    checked(e("contact_permit", OptText(95), Admin), acl),
    checked(e("contact_deny", OptText(95), Admin), acl),
    checked(e("from_user", OptText(40), Admin), name_or_empty),
    checked(e("from_domain", OptText(40), Admin), support::host_or_empty),
    // Registrations (the AOR)
    checked(a("max_contacts", OptInt, Tenant), contacts),
    checked(a("qualify_frequency", OptInt, Tenant), seconds),
    a("remove_existing", YESNO, Tenant),
    a("remove_unavailable", YESNO, Tenant),
    checked(a("default_expiration", OptInt, Admin), seconds),
    checked(a("minimum_expiration", OptInt, Admin), seconds),
    checked(a("maximum_expiration", OptInt, Admin), seconds),
    // Switchboard's own: routing, identity, trust.
    e("id", OptText(255), Switchboard),
    e("context", OptText(40), Switchboard),
    e("tenantid", OptText(80), Switchboard),
    e("set_var", OptText(255), Switchboard),
    e("trust_id_inbound", YESNO, Switchboard),
    e("trust_id_outbound", YESNO, Switchboard),
    e("trust_connected_line", YESNO, Switchboard),
    e("subscribe_context", OptText(40), Switchboard),
    e("message_context", OptText(40), Switchboard),
    e("overlap_context", OptText(80), Switchboard),
    e("identify_by", OptText(80), Switchboard),
    e("aors", OptText(255), Switchboard),
    e("auth", OptText(255), Switchboard),
    e("outbound_auth", OptText(255), Switchboard),
    e("callerid", OptText(40), Switchboard),
    e("callerid_privacy", OptText(40), Switchboard),
    e("callerid_tag", OptText(40), Switchboard),
    e("mailboxes", OptText(40), Switchboard),
    e("incoming_mwi_mailbox", OptText(40), Switchboard),
    e("voicemail_extension", OptText(40), Switchboard),
    e("accountcode", OptText(80), Switchboard),
    e("named_call_group", OptText(40), Switchboard),
    e("named_pickup_group", OptText(40), Switchboard),
    e("acl", OptText(40), Switchboard),
    e("contact_acl", OptText(40), Switchboard),
];

/// The settings a client may send for `obj` (Tenant and Admin ones).
pub fn settable(obj: &Object) -> impl Iterator<Item = &'static Opt> {
    let (list, except) = obj
        .behavior
        .options()
        .map_or((&[][..], &[][..]), |o| (o.list, o.except));
    list.iter()
        .filter(move |o| o.who != Who::Switchboard && !except.contains(&o.field.name))
}

/// The setting named `name` of `obj`, any [`Who`].
pub fn find(obj: &Object, name: &str) -> Option<&'static Opt> {
    obj.behavior
        .options()?
        .list
        .iter()
        .find(|o| o.field.name == name)
}

/// A Switchboard-only column sent by a client: the error that names it.
pub fn refused(obj: &Object, name: &str) -> Option<ApiError> {
    let o = find(obj, name).filter(|o| o.who == Who::Switchboard)?;
    Some(ApiError::invalid(format!(
        "field '{}' of {} is set by Switchboard only (it decides routing, identity or trust)",
        o.field.name, obj.name
    )))
}

/// Refuse an input with a hosting-provider setting from a key that is not an admin's, before
/// anything is written.
pub fn check_access(obj: &Object, input: &Input, admin: bool) -> ApiResult<()> {
    if admin {
        return Ok(());
    }
    for (field, _) in &input.extras {
        if let Some(o) = find(obj, field.name).filter(|o| o.who == Who::Admin) {
            return Err(ApiError::invalid(format!(
                "field '{}' of {} is set by the hosting provider (an admin key) only",
                o.field.name, obj.name
            )));
        }
    }
    Ok(())
}

/// Whether the input sets any realtime setting.
pub fn any_given(obj: &Object, input: &Input) -> Option<&'static str> {
    input
        .extras
        .iter()
        .find(|(f, _)| settable(obj).any(|o| o.field.name == f.name))
        .map(|(f, _)| f.name)
}

/// The settings of `table` after a write: what the input gives (null or empty clears one, so
/// Switchboard's default applies), else what the row held before; unset ones are left out.
pub fn values(
    obj: &Object,
    table: &str,
    input: &Input,
    before: Option<&Row>,
) -> Vec<(&'static str, Value)> {
    let mut out = Vec::new();
    for o in settable(obj).filter(|o| o.table == table) {
        let name = o.field.name;
        let text = match input.extras.iter().find(|(f, _)| f.name == name) {
            Some((_, given)) => given.clone(),
            None => before.and_then(|r| r.get(name)).map(str::to_string),
        };
        let Some(text) = text.filter(|t| !t.is_empty()) else {
            continue;
        };
        let value = match o.field.kind {
            Kind::OptInt | Kind::Int => match text.parse::<i32>() {
                Ok(i) => Value::Int(Some(i)),
                Err(_) => continue,
            },
            _ => Value::String(Some(text)),
        };
        out.push((name, value));
    }
    out
}

/// Merge defaults with settings: a setting replaces the default of the same column.
pub fn merged(
    defaults: Vec<(&'static str, Value)>,
    settings: Vec<(&'static str, Value)>,
) -> Vec<(&'static str, Value)> {
    let mut out: Vec<(&'static str, Value)> = defaults
        .into_iter()
        .filter(|(c, _)| !settings.iter().any(|(s, _)| s == c))
        .collect();
    out.extend(settings);
    out
}

/// Delete the rows of `ids` from each `(table, key column)`.
pub async fn drop_rows(
    conn: &impl ConnectionTrait,
    tables: &[(&'static str, &'static str)],
    ids: &[String],
) -> ApiResult<()> {
    if ids.is_empty() {
        return Ok(());
    }
    for (table, key) in tables {
        let mut del = Query::delete();
        del.from_table(*table)
            .and_where(Expr::col(*key).is_in(ids.iter().cloned()));
        conn.execute(&del).await?;
    }
    Ok(())
}

// Checks of the table (the message says what is wrong; the parser names the field).

fn rule(ok: bool, wrong: &str) -> Result<(), String> {
    if ok {
        Ok(())
    } else {
        Err(wrong.into())
    }
}

fn name_or_empty(v: &str) -> Result<(), String> {
    if v.is_empty() {
        Ok(())
    } else {
        super::checks::identifier(v)
    }
}
fn seconds(v: &str) -> Result<(), String> {
    support::int_in(v, 0, 86_400)
}
fn cos(v: &str) -> Result<(), String> {
    support::int_in(v, 0, 7)
}
fn contacts(v: &str) -> Result<(), String> {
    support::int_in(v, 0, 100)
}

/// Call/pickup groups: numbers 0–63 and ranges, comma-separated (`1,3-5`).
fn groups(v: &str) -> Result<(), String> {
    let ok = v.is_empty()
        || v.split(',').all(|part| {
            let mut ends = part.trim().splitn(2, '-');
            ends.all(|n| n.parse::<u8>().is_ok_and(|n| n <= 63))
        });
    rule(
        ok,
        "must be group numbers 0-63 or ranges, comma-separated (e.g. 1,3-5)",
    )
}

/// A file or directory on the node: an absolute path of plain characters.
fn node_path(v: &str) -> Result<(), String> {
    let ok = v.is_empty()
        || (v.starts_with('/')
            && !v.contains("..")
            && v.chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '/' | '_' | '.' | '-')));
    rule(
        ok,
        "must be an absolute path on the node (letters, digits, '/', '_', '.', '-')",
    )
}

/// OpenSSL cipher names, comma or colon separated.
fn word_list(v: &str) -> Result<(), String> {
    if v.chars()
        .all(|c| c.is_ascii_alphanumeric() || matches!(c, ',' | ':' | '-' | '_' | '+' | '!'))
    {
        Ok(())
    } else {
        Err("must be cipher names separated by ',' or ':'".into())
    }
}

/// An ACL: addresses or networks (`192.0.2.0/24`, `2001:db8::/32`), comma-separated.
fn acl(v: &str) -> Result<(), String> {
    let ok = v.split(',').map(str::trim).all(|n| {
        n.chars()
            .all(|c| c.is_ascii_hexdigit() || matches!(c, '.' | ':' | '/'))
    });
    rule(
        ok,
        "must be IP addresses or networks (a.b.c.d/n), comma-separated",
    )
}

/// A SIP URI (`sip:proxy.example.com\;lr`), without spaces or quotes.
fn sip_uri(v: &str) -> Result<(), String> {
    let ok = v.is_empty()
        || ((v.starts_with("sip:") || v.starts_with("sips:"))
            && v.chars()
                .all(|c| c.is_ascii_graphic() && !matches!(c, '"' | '\'' | '<' | '>')));
    rule(ok, "must be a SIP URI (sip:host[:port][;params])")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_setting_is_named_once() {
        let mut seen = std::collections::HashSet::new();
        for o in DEVICE {
            assert!(seen.insert(o.field.name), "{} twice", o.field.name);
        }
    }

    #[test]
    fn group_and_path_checks_refuse_what_asterisk_would_not_read() {
        assert!(groups("1,3-5,63").is_ok());
        assert!(groups("64").is_err());
        assert!(groups("a").is_err());
        assert!(node_path("/etc/asterisk/keys/a.pem").is_ok());
        assert!(node_path("../x").is_err());
        assert!(node_path("/a/../../etc/shadow").is_err());
        assert!(acl("192.0.2.0/24, 2001:db8::/32").is_ok());
        assert!(acl("192.0.2.0/24;x").is_err());
        assert!(sip_uri("sip:proxy.example.com;lr").is_ok());
        assert!(sip_uri("http://x").is_err());
    }
}
