//! Unit tests of the formats.

use super::*;

fn table() -> Table {
    let mut t = Table::new(vec!["a".into(), "b".into()]);
    t.rows.push(vec![Some("1".into()), None]);
    t.rows
        .push(vec![Some("x,\"y\"".into()), Some("<&>".into())]);
    t
}

#[test]
fn json_scalars_are_strings_and_null_is_null() {
    let r = Rendering {
        format: Format::Json,
        callback: None,
    }
    .render(&Output::Table(table()));
    assert_eq!(
        String::from_utf8(r.body).unwrap(),
        r#"[{"a":"1","b":null},{"a":"x,\"y\"","b":"<&>"}]"#
    );
}

#[test]
fn keyed_and_empty_outputs_are_valid_json() {
    let json = Rendering {
        format: Format::Json,
        callback: None,
    };
    let keyed = json.render(&Output::Keyed {
        key: 0,
        table: table(),
    });
    assert!(String::from_utf8(keyed.body)
        .unwrap()
        .starts_with(r#"{"1":{"a":"1""#));
    let empty = json.render(&Output::Table(Table::new(vec!["a".into()])));
    assert_eq!(empty.body, b"[]");
    let miss = json.render(&Output::Record {
        columns: vec![],
        row: None,
    });
    assert_eq!(miss.body, b"{}");
}

#[test]
fn csv_quotes_and_xml_escapes() {
    let csv = Rendering {
        format: Format::Csv,
        callback: None,
    }
    .render(&Output::Table(table()));
    assert_eq!(
        String::from_utf8(csv.body).unwrap(),
        "a,b\n1,\n\"x,\"\"y\"\"\",<&>\n"
    );
    let xml = Rendering {
        format: Format::Xml,
        callback: None,
    }
    .render(&Output::Table(table()));
    let body = String::from_utf8(xml.body).unwrap();
    assert!(body.contains("<b>&lt;&amp;&gt;</b>"), "{body}");
}

#[test]
fn csv_cells_that_a_spreadsheet_would_evaluate_get_a_quote() {
    for (cell, out) in [
        ("=1+1", "'=1+1"),
        ("+cmd|' /C calc'!A0", "'+cmd|' /C calc'!A0"),
        ("-2+3", "'-2+3"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\t=x", "'\t=x"),
        ("\r=x", "'\r=x"),
        ("-", "'-"),
        ("+", "'+"),
        ("+390612345", "+390612345"),
        ("-5", "-5"),
        ("-0.25", "-0.25"),
        ("12", "12"),
        ("a=b", "a=b"),
        ("", ""),
    ] {
        assert_eq!(csv_cell(cell), out, "{cell:?}");
    }
}

#[test]
fn plain_cells_stay_on_one_line_and_xml_stays_well_formed() {
    assert_eq!(plain_cell("a\r\nb\u{1b}c"), "a  b c");
    assert_eq!(
        xml_text("a\u{1}\u{b}]]><\r\n\t\u{FFFF}é"),
        "a\u{FFFD}\u{FFFD}]]&gt;&lt;&#13;\n\t\u{FFFD}é"
    );
    assert_eq!(xml_safe("<a>\u{1}</a>"), "<a>\u{FFFD}</a>");
}

#[test]
fn callback_is_validated() {
    assert!(Callback::parse("jQuery123_cb.done").is_ok());
    for bad in ["", "1abc", "alert(1)", "a b", "x;y", &"a".repeat(65)] {
        assert!(Callback::parse(bad).is_err(), "{bad}");
    }
}
