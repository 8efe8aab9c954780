//! Whose a device, a channel or a CDR party is: the one parser of device and channel names and
//! the one lookup that turns them into a tenant.
//!
//! A device (an extension's SIP/PJSIP endpoint) is named `<ex_number>-<TENANT CODE>`, always by
//! the server (`src/objects/extension.rs` refuses any other `ex_username`). The stored device →
//! tenant mapping decides whose a device is; the name's code counts only for a device that no
//! row holds (an extension deleted since its call), and only where every device was loaded.

use crate::error::ApiResult;
use entity::{ex_extensions, te_tenants};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QuerySelect};
use std::collections::HashMap;

/// A device name as the server writes it: `103-ACME` (digits, `-`, a tenant code).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DeviceName<'a> {
    number: &'a str,
    code: &'a str,
}

impl<'a> DeviceName<'a> {
    /// The name of extension `number` of tenant `code`.
    pub fn of(number: &str, code: &str) -> String {
        format!("{number}-{code}")
    }

    /// Numbers are digits and codes `[A-Z0-9_]`, so the first `-` is the separator.
    pub fn parse(name: &'a str) -> Option<DeviceName<'a>> {
        let (number, code) = name.split_once('-')?;
        let ok = !number.is_empty()
            && number.bytes().all(|b| b.is_ascii_digit())
            && !code.is_empty()
            && code.len() <= 20
            && code.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_');
        ok.then_some(DeviceName { number, code })
    }

    pub fn number(&self) -> &'a str {
        self.number
    }

    pub fn code(&self) -> &'a str {
        self.code
    }
}

/// What a channel or account name points at.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Endpoint<'a> {
    /// A device: `PJSIP/103-ACME-00000001` and the account code `103-ACME` give `103-ACME`.
    Device(&'a str),
    /// A dialplan extension: `Local/104@from-internal-ACME-00000002;1`.
    Local { exten: &'a str, context: &'a str },
}

/// `-0000001a`: the sequence Asterisk appends to a channel name.
fn strip_sequence(s: &str) -> &str {
    match s.rsplit_once('-') {
        Some((head, tail)) if tail.len() == 8 && tail.bytes().all(|b| b.is_ascii_hexdigit()) => {
            head
        }
        _ => s,
    }
}

/// The one parser of channel (`TECH/resource-sequence`) and account (`number-TENANT`) names.
pub fn endpoint(name: &str) -> Option<Endpoint<'_>> {
    let name = name.trim();
    let device = match name.split_once('/') {
        Some((_tech, resource)) => {
            if let Some((exten, rest)) = resource.split_once('@') {
                let context = strip_sequence(rest.split(';').next().unwrap_or(rest));
                return (!exten.is_empty() && !context.is_empty())
                    .then_some(Endpoint::Local { exten, context });
            }
            strip_sequence(resource)
        }
        None => name,
    };
    (!device.is_empty()).then_some(Endpoint::Device(device))
}

/// A tenant's extension seen in a channel or account name.
#[derive(Debug, Clone, PartialEq)]
pub struct Party {
    pub te_id: i32,
    pub number: String,
}

/// Tenant codes, dialplan contexts and stored devices: what tells whose a name is.
#[derive(Debug, Clone, Default)]
pub struct Tenants {
    by_code: HashMap<String, i32>,
    by_context: HashMap<String, i32>,
    /// `ex_username` → (tenant, number).
    devices: HashMap<String, (i32, String)>,
    /// Every tenant's devices are in `devices`, so a name no row holds may fall back to its
    /// code (it was written by the server for that tenant).
    complete: bool,
}

impl Tenants {
    /// Tenants without stored devices (names are then judged by their code).
    pub fn new(rows: impl IntoIterator<Item = (i32, String, Option<String>)>) -> Tenants {
        let mut t = Tenants {
            complete: true,
            ..Tenants::default()
        };
        for (id, code, context) in rows {
            t.by_context.insert(format!("from-internal-{code}"), id);
            if let Some(ctx) = context.filter(|c| !c.is_empty()) {
                t.by_context.insert(ctx, id);
            }
            t.by_code.insert(code, id);
        }
        t
    }

    /// Add stored devices: (`ex_username`, tenant, number).
    pub fn with_devices(mut self, rows: impl IntoIterator<Item = (String, i32, String)>) -> Self {
        self.devices.extend(
            rows.into_iter()
                .map(|(name, te, number)| (name, (te, number))),
        );
        self
    }

    /// Every tenant and every device.
    pub async fn load(conn: &impl ConnectionTrait) -> ApiResult<Tenants> {
        Self::load_some(conn, None).await
    }

    /// One tenant and its devices only: names of other tenants' devices are nobody's here.
    pub async fn load_tenant(conn: &impl ConnectionTrait, te_id: i32) -> ApiResult<Tenants> {
        Self::load_some(conn, Some(te_id)).await
    }

    async fn load_some(conn: &impl ConnectionTrait, te_id: Option<i32>) -> ApiResult<Tenants> {
        let mut tq = te_tenants::Entity::find();
        let mut dq = ex_extensions::Entity::find().select_only().columns([
            ex_extensions::Column::ExUsername,
            ex_extensions::Column::ExTeId,
            ex_extensions::Column::ExNumber,
        ]);
        if let Some(id) = te_id {
            tq = tq.filter(te_tenants::Column::TeId.eq(id));
            dq = dq.filter(ex_extensions::Column::ExTeId.eq(id));
        }
        let tenants = tq.all(conn).await?;
        let devices = dq.into_tuple::<(String, i32, String)>().all(conn).await?;
        let mut t = Tenants::new(
            tenants
                .into_iter()
                .map(|t| (t.te_id, t.te_code, t.te_context)),
        )
        .with_devices(devices);
        t.complete = te_id.is_none();
        Ok(t)
    }

    pub fn code(&self, code: &str) -> Option<i32> {
        self.by_code.get(code).copied()
    }

    pub fn context(&self, context: &str) -> Option<i32> {
        self.by_context.get(context).copied()
    }

    /// The tenant extension a channel, device or account name belongs to, if any.
    pub fn party(&self, name: &str) -> Option<Party> {
        match endpoint(name)? {
            Endpoint::Local { exten, context } => Some(Party {
                te_id: self.context(context)?,
                number: exten.to_string(),
            }),
            Endpoint::Device(device) => {
                if let Some((te_id, number)) = self.devices.get(device) {
                    return Some(Party {
                        te_id: *te_id,
                        number: number.clone(),
                    });
                }
                if !self.complete {
                    return None;
                }
                let d = DeviceName::parse(device)?;
                Some(Party {
                    te_id: self.code(d.code())?,
                    number: d.number().to_string(),
                })
            }
        }
    }

    /// Whether a channel, device or account name is tenant `te_id`'s.
    pub fn owns(&self, te_id: i32, name: &str) -> bool {
        self.party(name).is_some_and(|p| p.te_id == te_id)
    }
}

/// What one key may see of the live devices and channels: every one (admin) or one tenant's.
pub struct Visible(Option<(i32, Tenants)>);

impl Visible {
    pub async fn load(conn: &impl ConnectionTrait, te_id: Option<i32>) -> ApiResult<Visible> {
        Ok(Visible(match te_id {
            Some(id) => Some((id, Tenants::load_tenant(conn, id).await?)),
            None => None,
        }))
    }

    pub fn all() -> Visible {
        Visible(None)
    }

    /// Whether the key may see the channel or device `name`.
    pub fn allows(&self, name: &str) -> bool {
        self.0.as_ref().is_none_or(|(id, t)| t.owns(*id, name))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tenants() -> Tenants {
        Tenants::new([
            (1, "DEVEL".to_string(), None),
            (2, "ACME".to_string(), Some("acme-phones".to_string())),
            (3, "BETA".to_string(), None),
        ])
    }

    #[test]
    fn device_names() {
        let d = DeviceName::parse("103-ACME_X").unwrap();
        assert_eq!((d.number(), d.code()), ("103", "ACME_X"));
        for bad in ["acme.front", "103", "-ACME", "103-", "x1-ACME", "103-AC.ME"] {
            assert_eq!(DeviceName::parse(bad), None, "{bad}");
        }
        assert_eq!(DeviceName::of("7", "ACME"), "7-ACME");
    }

    #[test]
    fn parties_from_channels_and_accounts() {
        let t = tenants();
        let p = |n: &str| t.party(n).map(|p| (p.te_id, p.number));
        assert_eq!(p("PJSIP/103-DEVEL-00000001"), Some((1, "103".into())));
        assert_eq!(p("SIP/7-ACME-0000abcd"), Some((2, "7".into())));
        assert_eq!(p("103-DEVEL"), Some((1, "103".into())));
        assert_eq!(
            p("Local/104@from-internal-DEVEL-00000002;1"),
            Some((1, "104".into()))
        );
        assert_eq!(p("Local/5@acme-phones-0000000a;2"), Some((2, "5".into())));
        assert_eq!(p("Local/100@from-internal-00000000;1"), None);
        assert_eq!(p("PJSIP/trunk-0000000f"), None);
        assert_eq!(p("103-OTHER"), None);
        assert_eq!(p(""), None);
    }

    /// A stored device decides over its name (a row named before names were the server's).
    #[test]
    fn stored_devices_decide() {
        let t = tenants().with_devices([
            ("300-BETA".to_string(), 2, "301".to_string()),
            ("acme.front".to_string(), 2, "302".to_string()),
        ]);
        assert_eq!(t.party("PJSIP/300-BETA-00000001").unwrap().te_id, 2);
        assert_eq!(t.party("PJSIP/acme.front-00000001").unwrap().te_id, 2);
        assert!(t.owns(2, "acme.front"));
        assert!(!t.owns(3, "PJSIP/300-BETA-00000001"));
        // One tenant's view: a name it holds no row for is nobody's.
        let mut scoped = Tenants::new([(3, "BETA".to_string(), None)]);
        scoped.complete = false;
        assert!(!scoped.owns(3, "PJSIP/300-BETA-00000001"));
        assert!(scoped.owns(3, "Local/300@from-internal-BETA-00000000;1"));
        assert!(!Visible(Some((3, scoped))).allows("300-BETA"));
        assert!(Visible::all().allows("anything"));
    }
}
