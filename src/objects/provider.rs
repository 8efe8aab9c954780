//! Providers (admin, global): the trunks routes send calls to. `host` and `allow` are accepted
//! as unprefixed aliases of `pr_host` and `pr_allow`.
//!
//! A PJSIP provider is a real trunk: every write keeps its realtime rows in step in the same
//! transaction, all keyed by `pr_peername` (the endpoint routes dial, `PJSIP/<number>@<peer>`):
//! `ps_endpoints` (context `fromoutside`, the static dialplan's "from a provider"),
//! `ps_aors` (a static contact at `pr_host:pr_port`), `ps_auths` (when it has a username and a
//! `password`), `ps_endpoint_id_ips` (calls from `pr_match`, else `pr_host`, are this trunk's) and,
//! with `pr_register`, `ps_registrations`. The realtime settings of a device ([`realtime`]) apply
//! to a trunk too, except the ones the provider has columns for.

use super::realtime::{self, Options};
use super::support::{alias, codecs, host_or_empty, port, rows_where, small_count, target_row};
use super::Kind::*;
use super::{checks, opt, read_action, req, ActionCx, Behavior, Field, Object, Op, Row, WriteCx};
use crate::error::{ApiError, ApiResult};
use crate::output::Output;
use async_trait::async_trait;
use sea_orm::Value;

pub static PROVIDER: Object = Object {
    name: "provider",
    plural: "providers",
    table: "pr_providers",
    pk: "pr_id",
    tenant_col: None,
    admin_only: true,
    crud: true,
    fields: &[
        req("pr_peername", Text(40)).checked(peername),
        opt("pr_name", Text(100)),
        opt("pr_tech", Choice(&["PJSIP", "SIP", "IAX2"])),
        opt("pr_userealtime", Flag),
        opt("pr_host", Text(255)).checked(host_or_empty),
        opt("pr_port", Int).checked(port),
        opt("pr_allow", Text(200)).checked(codecs),
        opt("pr_username", Text(40)).checked(username),
        opt("pr_fromdomain", Text(40)).checked(host_or_empty),
        opt("pr_maxchannels", Int).checked(small_count),
        opt("pr_register", Flag),
        opt("pr_match", Text(255)).checked(matches),
    ],
    extras: &[
        opt("host", Text(255)).checked(host_or_empty),
        opt("allow", Text(200)).checked(codecs),
        PASSWORD,
    ],
    unique: &[&["pr_peername"]],
    limit: None,
    target_tag: None,
    source_types: &[],
    children: &[],
    actions: &[read_action("listroutes")],
    behavior: &ProviderBehavior,
};

/// The trunk's password (its `ps_auths` row): Asterisk needs it in clear.
const PASSWORD: Field = opt("password", Secret).checked(password);

/// The dialplan context of every trunk: `[fromoutside]` of `deploy/asterisk/common/extensions.conf`.
pub const TRUNK_CONTEXT: &str = "fromoutside";

/// The trunk's own columns replace these settings.
static OPTIONS: Options = Options {
    key: "pr_peername",
    list: realtime::DEVICE,
    except: &["allow", "disallow", "from_user", "from_domain"],
};

/// The realtime rows of a trunk, keyed by its peer name (`endpoint` in the identify and
/// registration rows, which are keyed by it too).
const TRUNK_ROWS: &[(&str, &str)] = &[
    ("ps_endpoints", "id"),
    ("ps_auths", "id"),
    ("ps_aors", "id"),
    ("ps_endpoint_id_ips", "id"),
    ("ps_registrations", "id"),
];

/// A peer name is an endpoint name: it must not look like a device's (`<number>-<TENANT>`),
/// which would make a trunk and a phone the same endpoint.
fn peername(v: &str) -> Result<(), String> {
    checks::identifier(v)?;
    if crate::device::DeviceName::parse(v).is_some() {
        return Err("must not have the form <number>-<TENANT> of a device name".into());
    }
    Ok(())
}

/// Asterisk's `ps_auths.username` is 40 wide.
fn username(v: &str) -> Result<(), String> {
    if v.is_empty() {
        Ok(())
    } else {
        checks::identifier(v).or_else(|_| {
            if v.chars()
                .all(|c| c.is_ascii_graphic() && !matches!(c, '"' | '\'' | '\\' | ';'))
            {
                Ok(())
            } else {
                Err("may contain only printable characters without quotes or ';'".into())
            }
        })
    }
}

fn password(v: &str) -> Result<(), String> {
    if !v.is_empty() && v.len() <= 80 && v.chars().all(|c| c.is_ascii_graphic()) {
        Ok(())
    } else {
        Err("must be 1 to 80 printable ASCII characters without spaces".into())
    }
}

/// Addresses a trunk's calls come from: hosts, IPs or networks, comma-separated.
fn matches(v: &str) -> Result<(), String> {
    for part in v.split(',').map(str::trim).filter(|p| !p.is_empty()) {
        let host = part.split_once('/').map_or(part, |(h, bits)| {
            if bits.parse::<u8>().is_ok_and(|b| b <= 128) {
                h
            } else {
                "/"
            }
        });
        if host.is_empty() || host_or_empty(host).is_err() {
            return Err("must be host names, IP addresses or networks, comma-separated".into());
        }
    }
    Ok(())
}

struct ProviderBehavior;

#[async_trait]
impl Behavior for ProviderBehavior {
    async fn before_write(&self, cx: &mut WriteCx<'_>) -> ApiResult<()> {
        alias(cx, "host", "pr_host")?;
        alias(cx, "allow", "pr_allow")?;
        if cx.op == Op::Delete {
            return Ok(());
        }
        let now = |name: &str| -> String {
            match cx.input.text(name) {
                Some(v) => v.to_string(),
                None => cx
                    .before
                    .as_ref()
                    .and_then(|r| r.get(name))
                    .unwrap_or_default()
                    .to_string(),
            }
        };
        let tech = match now("pr_tech").as_str() {
            "" => "PJSIP".to_string(),
            t => t.to_string(),
        };
        if tech != "PJSIP" {
            let given = realtime::any_given(cx.obj, &cx.input)
                .or(cx.input.extra("password").map(|_| "password"));
            if let Some(name) = given {
                return Err(ApiError::invalid(format!(
                    "field '{name}' applies to PJSIP providers only (this one is {tech})"
                )));
            }
        }
        if now("pr_register") == "on" {
            if tech != "PJSIP" {
                return Err(ApiError::invalid(format!(
                    "field 'pr_register' applies to PJSIP providers only (this one is {tech})"
                )));
            }
            if now("pr_host").is_empty() || now("pr_username").is_empty() {
                return Err(ApiError::invalid(
                    "field 'pr_register' needs 'pr_host' and 'pr_username'",
                ));
            }
            let has_password = cx.input.extra("password").is_some()
                || match &cx.before {
                    Some(b) => {
                        let peer = b.get("pr_peername").unwrap_or_default();
                        super::extension::read_secret(cx.txn, peer).await?.is_some()
                    }
                    None => false,
                };
            if !has_password {
                return Err(ApiError::invalid(
                    "field 'pr_register' needs a 'password' for the registration",
                ));
            }
        }
        Ok(())
    }

    async fn after_write(&self, cx: &mut WriteCx<'_>) -> ApiResult<()> {
        let mut old_password = None;
        if let Some(before) = &cx.before {
            let peer = before.get("pr_peername").unwrap_or_default().to_string();
            old_password = super::extension::read_secret(cx.txn, &peer).await?;
            realtime::drop_rows(cx.txn, TRUNK_ROWS, &[peer]).await?;
        }
        let Some(after) = &cx.after else {
            return Ok(());
        };
        if !is_trunk(after) {
            return Ok(());
        }
        let password = cx
            .input
            .extra("password")
            .map(str::to_string)
            .or(old_password);
        let settings = |table| realtime::values(cx.obj, table, &cx.input, cx.before.as_ref());
        let trunk = Trunk::of(after, password.as_deref());
        for (table, cols) in trunk.rows(settings(realtime::ENDPOINTS), settings(realtime::AORS)) {
            super::support::insert_row(cx.txn, table, cols).await?;
        }
        Ok(())
    }

    async fn action(&self, cx: &ActionCx<'_>, _name: &str) -> ApiResult<Output> {
        let row = target_row(&cx.db.conn, cx.caller, cx.obj, cx.args).await?;
        let id = row.id(cx.obj.pk).unwrap_or_default();
        rows_where(&cx.db.conn, &super::route::ROUTE, "dl_pr_id", id, "dl_ord").await
    }

    fn options(&self) -> Option<&'static Options> {
        Some(&OPTIONS)
    }
}

/// Whether a provider row is a PJSIP trunk (an empty technology is PJSIP, as routes dial it).
pub fn is_trunk(row: &Row) -> bool {
    matches!(row.get("pr_tech"), Some("PJSIP" | "") | None)
}

/// A provider row as the trunk Asterisk sees.
struct Trunk<'a> {
    peer: &'a str,
    host: &'a str,
    port: Option<&'a str>,
    allow: &'a str,
    username: &'a str,
    fromdomain: &'a str,
    register: bool,
    matches: &'a str,
    password: Option<&'a str>,
}

impl<'a> Trunk<'a> {
    fn of(row: &'a Row, password: Option<&'a str>) -> Trunk<'a> {
        let get = |n| row.get(n).unwrap_or_default();
        Trunk {
            peer: get("pr_peername"),
            host: get("pr_host"),
            port: row.get("pr_port").filter(|p| !p.is_empty() && *p != "0"),
            allow: get("pr_allow"),
            username: get("pr_username"),
            fromdomain: get("pr_fromdomain"),
            register: get("pr_register") == "on",
            matches: get("pr_match"),
            password,
        }
    }

    /// `sip:host[:port]`; an IPv6 address goes in brackets.
    fn uri(&self, user: Option<&str>) -> String {
        let host = if self.host.contains(':') && !self.host.starts_with('[') {
            format!("[{}]", self.host)
        } else {
            self.host.to_string()
        };
        let user = user.map(|u| format!("{u}@")).unwrap_or_default();
        match self.port {
            Some(p) => format!("sip:{user}{host}:{p}"),
            None => format!("sip:{user}{host}"),
        }
    }

    fn rows(
        &self,
        endpoint: Vec<(&'static str, Value)>,
        aor: Vec<(&'static str, Value)>,
    ) -> Vec<(&'static str, Vec<(&'static str, Value)>)> {
        let s = |v: &str| Value::String(Some(v.to_string()));
        let opt = |v: &str| Value::String((!v.is_empty()).then(|| v.to_string()));
        let auth = self.password.is_some() && !self.username.is_empty();
        let transport = endpoint
            .iter()
            .find(|(c, _)| *c == "transport")
            .map_or_else(|| s("transport-udp"), |(_, v)| v.clone());
        let allow = if self.allow.is_empty() {
            "ulaw,alaw"
        } else {
            self.allow
        };
        let mut out = vec![(
            "ps_endpoints",
            realtime::merged(
                vec![
                    ("transport", s("transport-udp")),
                    ("direct_media", s("no")),
                    ("dtmf_mode", s("rfc4733")),
                    ("rtp_symmetric", s("yes")),
                    ("force_rport", s("yes")),
                    ("rewrite_contact", s("yes")),
                ],
                endpoint,
            )
            .into_iter()
            .chain([
                ("id", s(self.peer)),
                ("aors", s(self.peer)),
                ("context", s(TRUNK_CONTEXT)),
                ("disallow", s("all")),
                ("allow", s(allow)),
                ("identify_by", s("ip")),
                ("outbound_auth", if auth { s(self.peer) } else { opt("") }),
                ("from_user", opt(self.username)),
                ("from_domain", opt(self.fromdomain)),
                // A provider serves every tenant: the DID decides whose call it is.
                ("tenantid", opt("")),
            ])
            .collect(),
        )];
        out.push((
            "ps_aors",
            realtime::merged(vec![("qualify_frequency", Value::Int(Some(60)))], aor)
                .into_iter()
                .chain([
                    ("id", s(self.peer)),
                    (
                        "contact",
                        if self.host.is_empty() {
                            opt("")
                        } else {
                            s(&self.uri(None))
                        },
                    ),
                ])
                .collect(),
        ));
        if let (true, Some(password)) = (auth, self.password) {
            out.push((
                "ps_auths",
                vec![
                    ("id", s(self.peer)),
                    ("auth_type", s("userpass")),
                    ("username", s(self.username)),
                    ("password", s(password)),
                ],
            ));
        }
        let matches = if self.matches.is_empty() {
            self.host
        } else {
            self.matches
        };
        if !matches.is_empty() {
            out.push((
                "ps_endpoint_id_ips",
                vec![
                    ("id", s(self.peer)),
                    ("endpoint", s(self.peer)),
                    ("match", s(matches)),
                ],
            ));
        }
        if self.register && auth {
            let domain = if self.fromdomain.is_empty() {
                self.host
            } else {
                self.fromdomain
            };
            out.push((
                "ps_registrations",
                vec![
                    ("id", s(self.peer)),
                    ("server_uri", s(&self.uri(None))),
                    ("client_uri", s(&format!("sip:{}@{domain}", self.username))),
                    ("contact_user", s(self.username)),
                    ("outbound_auth", s(self.peer)),
                    ("endpoint", s(self.peer)),
                    ("line", s("yes")),
                    ("transport", transport),
                    ("expiration", Value::Int(Some(3600))),
                    ("retry_interval", Value::Int(Some(60))),
                    ("forbidden_retry_interval", Value::Int(Some(600))),
                    ("max_retries", Value::Int(Some(10_000))),
                ],
            ));
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn peer_names_cannot_be_device_names() {
        assert!(peername("carrier1").is_ok());
        assert!(peername("100-ACME").is_err());
        assert!(peername("a b").is_err());
    }

    #[test]
    fn match_lists_take_hosts_and_networks() {
        assert!(matches("192.0.2.10, 198.51.100.0/24,sip.example.com").is_ok());
        assert!(matches("192.0.2.0/999").is_err());
        assert!(matches("a;b").is_err());
    }
}
