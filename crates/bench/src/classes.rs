//! The query classes (issue 13 item 7): one SPL query per kind of work, each with its DuckDB
//! translation in `sql/classes/<name>.sql`, plus the shipped detection(s).

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Class {
    Count,
    CountBy,
    IamFilter,
    Bin,
    Dc,
    HighCard,
    Rex,
    Selective,
    /// The shipped detections (`--detections`), over their own inputs.
    Detection,
}

impl Class {
    pub const ALL: [Class; 9] = [
        Class::Count,
        Class::CountBy,
        Class::IamFilter,
        Class::Bin,
        Class::Dc,
        Class::HighCard,
        Class::Rex,
        Class::Selective,
        Class::Detection,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Class::Count => "count",
            Class::CountBy => "count_by",
            Class::IamFilter => "iam_filter",
            Class::Bin => "bin",
            Class::Dc => "dc",
            Class::HighCard => "high_card",
            Class::Rex => "rex",
            Class::Selective => "selective",
            Class::Detection => "detection",
        }
    }

    /// The SPL run by spelunk (`run -e`); None for the detection (a file in `queries/`).
    pub fn spl(self) -> Option<&'static str> {
        Some(match self {
            Class::Count => "* | stats count",
            Class::CountBy => "* | stats count by eventName",
            Class::IamFilter => "eventSource=iam.amazonaws.com | stats count by eventName, userIdentity.arn",
            Class::Bin => "* | bin _time span=1h | stats count by _time, awsRegion",
            Class::Dc => {
                "* | stats dc(sourceIPAddress) as ips, count by userIdentity.arn | where ips > 3 \
                 | sort - ips, userIdentity.arn | head 20"
            }
            Class::HighCard => "* | stats count by sourceIPAddress | sort - count, sourceIPAddress | head 10",
            Class::Rex => r#"* | rex field=userAgent "^(?<ua>[^/ ]+)" | stats count by ua"#,
            Class::Selective => "errorCode=AccessDenied | stats count by userIdentity.userName",
            Class::Detection => return None,
        })
    }

    /// The DuckDB query, relative to `sql/` (self-contained: it reads `{{PATHS}}` with an
    /// explicit column list of only the fields it needs). None for the detection.
    pub fn sql_file(self) -> Option<String> {
        match self {
            Class::Detection => None,
            c => Some(format!("classes/{}.sql", c.name())),
        }
    }
}

/// `--classes`: `all`, or a comma-separated list of class names, kept in the canonical order
/// and without duplicates.
pub fn parse_classes(text: &str) -> Result<Vec<Class>, String> {
    let mut want = Vec::new();
    for part in text.split(',').map(str::trim).filter(|s| !s.is_empty()) {
        if part.eq_ignore_ascii_case("all") {
            want.extend(Class::ALL);
            continue;
        }
        match Class::ALL.iter().find(|c| c.name().eq_ignore_ascii_case(part)) {
            Some(&c) => want.push(c),
            None => {
                let names: Vec<&str> = Class::ALL.iter().map(|c| c.name()).collect();
                return Err(format!("--classes: unknown class {part:?} (all, {})", names.join(", ")));
            }
        }
    }
    if want.is_empty() {
        return Err("--classes: no class given".into());
    }
    Ok(Class::ALL.iter().copied().filter(|c| want.contains(c)).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_class_lists() {
        assert_eq!(parse_classes("all").unwrap(), Class::ALL.to_vec());
        assert_eq!(
            parse_classes("detection, count,count").unwrap(),
            vec![Class::Count, Class::Detection]
        );
        assert_eq!(parse_classes("HIGH_CARD").unwrap(), vec![Class::HighCard]);
        assert!(parse_classes("cnt").unwrap_err().contains("unknown class \"cnt\""));
        assert!(parse_classes(" , ").is_err());
    }

    #[test]
    fn every_class_has_its_sql() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("sql");
        for c in Class::ALL {
            assert_eq!(c.spl().is_some(), c.sql_file().is_some(), "{c:?}");
            if let Some(f) = c.sql_file() {
                let text = std::fs::read_to_string(dir.join(&f)).unwrap_or_else(|e| panic!("{f}: {e}"));
                assert!(text.contains("{{PATHS}}") && text.contains("columns"), "{f}");
                // The SQL file quotes the SPL it translates.
                assert!(text.contains(&format!("class {}:", c.name())), "{f}");
            }
        }
    }
}
