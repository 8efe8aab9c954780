//! Number normalisation: `+44 20…`, `0044 20…` and the national `020…` of one number are one
//! canonical number before routes and destination classes look at it.
//!
//! A tenant's numbering plan (setting `NUMBER_PLAN`, default `NONE`) says its country code,
//! international prefix and trunk (national) prefix. With `NONE` only `+` and `00` forms are
//! recognised as international; every other number is left as dialled (a local number).

/// A numbering plan: how numbers are dialled in one country.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Plan {
    pub name: &'static str,
    /// The country calling code (`44`), empty for `NONE`.
    pub country: &'static str,
    /// The international prefix dialled before a country code (`00`, `011`).
    pub intl: &'static str,
    /// The trunk prefix of national numbers (`0`, `1`); empty where the whole national number
    /// is dialled (Italy keeps the leading 0 after +39).
    pub trunk: &'static str,
    /// Length of a national number dialled without trunk prefix (NANP: 10), 0 = any.
    pub national_len: usize,
}

/// The plans `NUMBER_PLAN` may name (the destination-class seed covers the same ones).
pub const PLANS: &[Plan] = &[
    Plan {
        name: "NONE",
        country: "",
        intl: "00",
        trunk: "",
        national_len: 0,
    },
    Plan {
        name: "NANP",
        country: "1",
        intl: "011",
        trunk: "1",
        national_len: 10,
    },
    Plan {
        name: "UK",
        country: "44",
        intl: "00",
        trunk: "0",
        national_len: 0,
    },
    Plan {
        name: "IT",
        country: "39",
        intl: "00",
        trunk: "",
        national_len: 0,
    },
    Plan {
        name: "DE",
        country: "49",
        intl: "00",
        trunk: "0",
        national_len: 0,
    },
];

impl Plan {
    /// The plan named `name` (case-insensitive); unknown names read as `NONE`.
    pub fn named(name: &str) -> Plan {
        PLANS
            .iter()
            .find(|p| p.name.eq_ignore_ascii_case(name.trim()))
            .copied()
            .unwrap_or(PLANS[0])
    }
}

/// A number after normalisation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Number {
    /// International (E.164) digits without the `+`: country code first.
    E164(String),
    /// Neither international nor national under the plan (a short or local number): as dialled.
    Local(String),
}

impl Number {
    /// The form routes match: `00` + country + national number for an E.164 number (so
    /// MiRTA-style route patterns such as `^0039` keep working), else the number as dialled.
    pub fn route_form(&self) -> String {
        match self {
            Number::E164(d) => format!("00{d}"),
            Number::Local(n) => n.clone(),
        }
    }
}

/// The canonical form of `dialled` (digits, `*`, `#`, a leading `+`) under `plan`.
pub fn normalise(dialled: &str, plan: &Plan) -> Number {
    let n = dialled.trim();
    let all_digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    if let Some(rest) = n.strip_prefix('+') {
        if all_digits(rest) {
            return Number::E164(rest.into());
        }
    }
    if !all_digits(n) {
        return Number::Local(n.into());
    }
    // `00` is recognised under every plan (and NANP's `011`): what follows is a country code.
    for intl in [plan.intl, "00"] {
        if let Some(rest) = n.strip_prefix(intl).filter(|r| all_digits(r)) {
            return Number::E164(rest.into());
        }
    }
    if plan.country.is_empty() {
        return Number::Local(n.into());
    }
    let national = if plan.trunk.is_empty() {
        Some(n)
    } else if let Some(rest) = n
        .strip_prefix(plan.trunk)
        .filter(|r| all_digits(r) && (plan.national_len == 0 || r.len() == plan.national_len))
    {
        Some(rest)
    } else if plan.national_len != 0 && n.len() == plan.national_len {
        Some(n)
    } else {
        None
    };
    match national {
        Some(rest) => Number::E164(format!("{}{rest}", plan.country)),
        None => Number::Local(n.into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plus_double_zero_and_national_forms_are_one_number() {
        let cases: &[(&str, &[&str], &str)] = &[
            (
                "UK",
                &["+442079460000", "00442079460000", "02079460000"],
                "442079460000",
            ),
            (
                "IT",
                &["+390612345678", "00390612345678", "0612345678"],
                "390612345678",
            ),
            (
                "DE",
                &["+493012345678", "00493012345678", "03012345678"],
                "493012345678",
            ),
            (
                "NANP",
                &[
                    "+12125550100",
                    "01112125550100",
                    "0012125550100",
                    "12125550100",
                    "2125550100",
                ],
                "12125550100",
            ),
            ("NONE", &["+390612345678", "00390612345678"], "390612345678"),
        ];
        for (plan, forms, want) in cases {
            let p = Plan::named(plan);
            for f in *forms {
                assert_eq!(
                    normalise(f, &p),
                    Number::E164(want.to_string()),
                    "{plan} {f}"
                );
            }
        }
    }

    #[test]
    fn short_and_unplanned_numbers_stay_as_dialled() {
        let uk = Plan::named("uk");
        assert_eq!(normalise("999", &uk), Number::Local("999".into()));
        assert_eq!(normalise("*97", &uk), Number::Local("*97".into()));
        let none = Plan::named("NONE");
        assert_eq!(
            normalise("0612345678", &none),
            Number::Local("0612345678".into())
        );
        // NANP: a 7-digit local number is no national number.
        assert_eq!(
            normalise("5550100", &Plan::named("NANP")),
            Number::Local("5550100".into())
        );
        assert_eq!(Plan::named("nonsense"), Plan::named("NONE"));
        assert_eq!(Number::E164("44207".into()).route_form(), "0044207");
        // The setting offers exactly these plans.
        let Some(crate::settings::Setting {
            ty: crate::settings::Type::Choice(names),
            ..
        }) = crate::settings::find("NUMBER_PLAN").copied()
        else {
            panic!("NUMBER_PLAN is a choice")
        };
        assert_eq!(names, PLANS.iter().map(|p| p.name).collect::<Vec<_>>());
    }
}
