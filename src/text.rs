//! What a client may store as text. One rule for every text field: no control character
//! (they break XML exports, split plain rows and forge lines). Multi-line text (CDR templates,
//! message bodies) may hold `\n` and `\t`, nothing else. The renderers escape on output too
//! (the renderers), for rows that reached the database another way.

use std::borrow::Cow;

/// Whether `c` may appear in one-line text.
pub fn line_char(c: char) -> bool {
    !c.is_control()
}

/// Whether `c` may appear in multi-line text.
pub fn multiline_char(c: char) -> bool {
    line_char(c) || matches!(c, '\n' | '\t')
}

/// Whether `v` holds only characters allowed in text of this kind.
pub fn clean(v: &str, multiline: bool) -> bool {
    if multiline {
        v.chars().all(multiline_char)
    } else {
        v.chars().all(line_char)
    }
}

/// One-line text of at most `max` characters; `Err` says what is wrong (without the name).
pub fn check_line(v: &str, max: usize) -> Result<(), String> {
    if v.chars().count() > max || !clean(v, false) {
        return Err(format!(
            "must be at most {max} characters without control characters"
        ));
    }
    Ok(())
}

/// Multi-line text of at most `max` characters (`\n` and `\t` allowed).
pub fn check_lines(v: &str, max: usize) -> Result<(), String> {
    if v.chars().count() > max || !clean(v, true) {
        return Err(format!(
            "must be at most {max} characters without control characters other than newline and tab"
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn control_characters_are_refused_newline_and_tab_only_in_multiline_text() {
        assert!(check_line("Ufficio àè €", 20).is_ok());
        for bad in [
            "a\nb", "a\tb", "a\rb", "\u{1}", "\u{b}", "\u{1b}]", "\u{7f}", "\u{85}",
        ] {
            assert!(check_line(bad, 20).is_err(), "{bad:?}");
        }
        assert!(check_lines("a\n\tb", 20).is_ok());
        for bad in ["a\r\nb", "\u{1}", "\u{b}", "\u{1b}"] {
            assert!(check_lines(bad, 20).is_err(), "{bad:?}");
        }
        assert!(check_line("abc", 2).is_err());
    }
}

/// Whether XML 1.0 allows `c` at all (not even a character reference may carry the others).
pub fn xml_char(c: char) -> bool {
    matches!(c, '\t' | '\n' | '\r' | '\u{20}'..='\u{D7FF}' | '\u{E000}'..='\u{FFFD}' | '\u{10000}'..)
}

/// Text that may end up in an XML document written by a template: characters XML 1.0 forbids
/// become U+FFFD (the template decides the markup, so nothing else is escaped).
pub fn xml_safe(v: &str) -> Cow<'_, str> {
    if v.chars().all(xml_char) {
        Cow::Borrowed(v)
    } else {
        Cow::Owned(
            v.chars()
                .map(|c| if xml_char(c) { c } else { '\u{FFFD}' })
                .collect(),
        )
    }
}
