//! Client values on their way into AMI headers: the one check every such value passes.

use std::fmt;

/// A client value refused for an AMI header; the message names the parameter.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct BadValue(pub String);

/// What separates variables inside one `Variable:` header: Asterisk's Originate splits
/// `Variable: A=1,B=2` on commas, and `|` is the older separator (and DIAL's `var` list).
pub const VARIABLE_SEPARATORS: &[char] = &[',', '|'];

/// A value checked for an AMI header: no control characters (a CR/LF would start another
/// header or action), at most `max` characters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HeaderValue(String);

impl HeaderValue {
    pub fn new(param: &str, v: &str, max: usize) -> Result<HeaderValue, BadValue> {
        if v.chars().count() > max || v.chars().any(char::is_control) {
            return Err(BadValue(format!(
                "parameter '{param}' must be at most {max} characters without control characters"
            )));
        }
        Ok(HeaderValue(v.to_string()))
    }

    /// A value that goes inside `Variable: NAME=value`: also without a separator, which would
    /// let it set further variables (`x=1,TENANT=OTHER`).
    pub fn in_variable(param: &str, v: &str, max: usize) -> Result<HeaderValue, BadValue> {
        let value = HeaderValue::new(param, v, max)?;
        if value.0.contains(VARIABLE_SEPARATORS) {
            return Err(BadValue(format!(
                "parameter '{param}' must not contain ',' or '|' (they separate channel variables)"
            )));
        }
        Ok(value)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl From<HeaderValue> for String {
    fn from(v: HeaderValue) -> String {
        v.0
    }
}

impl fmt::Display for HeaderValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// One channel variable of an Originate, `NAME=value`: a name without `=`, separators, spaces
/// or control characters, and a value checked by [`HeaderValue::in_variable`]. The only way to
/// add a `Variable:` to an Originate ([`super::Action::variable`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Variable(pub(super) String);

impl Variable {
    /// `param` is the request parameter the value came from (named in the error).
    pub fn new(param: &str, name: &str, value: &str, max: usize) -> Result<Variable, BadValue> {
        let name_ok = !name.is_empty()
            && name.len() <= 80
            && name
                .chars()
                .all(|c| c.is_ascii_graphic() && c != '=' && !VARIABLE_SEPARATORS.contains(&c));
        if !name_ok {
            return Err(BadValue(format!(
                "parameter '{param}': '{name}' is not a variable name"
            )));
        }
        let value = HeaderValue::in_variable(param, value, max)?;
        Ok(Variable(format!("{name}={}", value.0)))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_values_and_variables() {
        assert!(HeaderValue::new("p", "Doe, John", 80).is_ok());
        for bad in ["a\r\nAction: Hangup", "a\nb", "a\u{1b}b", "a\u{85}b"] {
            let e = HeaderValue::new("sourceclid", bad, 80).unwrap_err();
            assert!(e.0.contains("'sourceclid'"), "{e}");
        }
        assert!(HeaderValue::new("p", &"x".repeat(81), 80).is_err());
        assert!(HeaderValue::new("p", &"é".repeat(80), 80).is_ok());
        for bad in ["1,TENANT=BETA", "a|b"] {
            let e = HeaderValue::in_variable("destclid", bad, 80).unwrap_err();
            assert!(e.0.contains("'destclid'"), "{e}");
        }
        assert_eq!(
            Variable::new("var", "ACME-x", "1", 200).unwrap().as_str(),
            "ACME-x=1"
        );
        assert!(Variable::new("var", "TIMEOUT(absolute)", "5", 10).is_ok());
        assert!(Variable::new("var", "ACME-x", "1,TENANT=BETA", 200).is_err());
        for bad in ["", "A=B", "A,B", "A B", "A|B"] {
            assert!(Variable::new("var", bad, "1", 200).is_err(), "{bad}");
        }
    }
}
