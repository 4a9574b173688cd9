//! 类别目录 — the category catalogue of 部件 (components) and 事件 (events).
//!
//! Codes follow CJ/T 214 / GB/T 30428.2 practice: a kind letter (`C` 部件, `E` 事件), a
//! two-digit major class (大类) and a two-digit minor class (小类), e.g. `C0101` 上水井盖 or
//! `E0102` 暴露垃圾. Each minor class carries its default handling time limit (处置时限) and
//! its dispatch rule (先属主后属地 / 先属地后属主).
//!
//! The catalogue is data: [`Catalogue::standard`] parses the bundled `data/catalogue.toml`,
//! and a city [`extends`](Catalogue::extend) it with its own file in the same format.

use std::borrow::Borrow;
use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::sync::LazyLock;

use serde::{Deserialize, Serialize};

use crate::calendar::{LimitUnit, TimeLimit};

/// 案件类型 — whether a category is a 部件 (component: a physical city asset) or an 事件
/// (event: a behaviour or situation on the street).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CaseKind {
    /// 部件 — a component (manhole cover, street lamp, bus shelter …).
    Component,
    /// 事件 — an event (exposed garbage, street vending, illegal structure …).
    Event,
}

impl CaseKind {
    /// Both kinds, 部件 first.
    pub const ALL: [CaseKind; 2] = [CaseKind::Component, CaseKind::Event];

    /// The Chinese label: 部件 / 事件.
    pub fn label_zh(&self) -> &'static str {
        match self {
            CaseKind::Component => "部件",
            CaseKind::Event => "事件",
        }
    }

    /// The English label: "component" / "event".
    pub fn label_en(&self) -> &'static str {
        match self {
            CaseKind::Component => "component",
            CaseKind::Event => "event",
        }
    }

    /// The code letter (类别编码首字母): `'C'` for 部件, `'E'` for 事件.
    pub fn letter(&self) -> char {
        match self {
            CaseKind::Component => 'C',
            CaseKind::Event => 'E',
        }
    }

    /// The kind for a code letter (`C`/`E`, either case), if any.
    pub fn from_letter(letter: char) -> Option<CaseKind> {
        match letter.to_ascii_uppercase() {
            'C' => Some(CaseKind::Component),
            'E' => Some(CaseKind::Event),
            _ => None,
        }
    }

    /// The default dispatch rule: `true` (先属主后属地, owner first) for 部件, `false`
    /// (先属地后属主, territory first) for 事件.
    pub fn default_owner_first(&self) -> bool {
        matches!(self, CaseKind::Component)
    }
}

impl fmt::Display for CaseKind {
    /// Writes the Chinese label (部件 / 事件).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.label_zh())
    }
}

/// 类别编码 — a minor-class code: kind letter + 2-digit major + 2-digit minor, e.g. `C0101`
/// (上水井盖, 部件) or `E0102` (暴露垃圾, 事件). Always stored with an upper-case letter.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String")]
pub struct CategoryCode(String);

impl CategoryCode {
    /// Parses and validates a code such as `"E0102"`; a lower-case letter is accepted and
    /// upper-cased. Major and minor `00` are rejected.
    pub fn parse(s: &str) -> Result<Self, CatalogueError> {
        let bad = |reason: String| CatalogueError::BadCode {
            code: s.to_owned(),
            reason,
        };
        let (kind, digits) = split_code(s, 4).map_err(bad)?;
        if &digits[2..] == "00" {
            return Err(bad("minor class 00 does not exist".into()));
        }
        Ok(CategoryCode(format!("{}{digits}", kind.letter())))
    }

    /// The code as text, e.g. `"C0101"`.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// 部件 or 事件, from the code letter.
    pub fn kind(&self) -> CaseKind {
        if self.0.starts_with('C') {
            CaseKind::Component
        } else {
            CaseKind::Event
        }
    }

    /// The major class (大类) code, e.g. `"C01"` for `C0101`.
    pub fn major(&self) -> &str {
        &self.0[..3]
    }

    /// The four digits (大类 + 小类) without the letter, e.g. `"0101"`, as used inside a
    /// 16-digit component id.
    pub fn digits(&self) -> &str {
        &self.0[1..]
    }
}

/// Splits a code into its kind and its `n` ASCII digits, rejecting major class `00`.
fn split_code(s: &str, n: usize) -> Result<(CaseKind, &str), String> {
    let Some(first) = s.chars().next() else {
        return Err("empty code".into());
    };
    let Some(kind) = CaseKind::from_letter(first) else {
        return Err(format!(
            "kind letter must be 'C' (部件) or 'E' (事件), found {first:?}"
        ));
    };
    let digits = &s[first.len_utf8()..];
    let len = s.chars().count();
    if len != n + 1 {
        return Err(format!(
            "expected the kind letter and {n} digits ({} characters), found {len} characters",
            n + 1
        ));
    }
    if !digits.bytes().all(|b| b.is_ascii_digit()) {
        return Err(format!(
            "expected {n} ASCII digits after the kind letter, found {digits:?}"
        ));
    }
    if &digits[..2] == "00" {
        return Err("major class 00 does not exist".into());
    }
    Ok((kind, digits))
}

impl fmt::Display for CategoryCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl FromStr for CategoryCode {
    type Err = CatalogueError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        CategoryCode::parse(s)
    }
}

impl TryFrom<String> for CategoryCode {
    type Error = CatalogueError;

    fn try_from(s: String) -> Result<Self, Self::Error> {
        CategoryCode::parse(&s)
    }
}

impl TryFrom<&str> for CategoryCode {
    type Error = CatalogueError;

    fn try_from(s: &str) -> Result<Self, Self::Error> {
        CategoryCode::parse(s)
    }
}

impl From<CategoryCode> for String {
    fn from(code: CategoryCode) -> String {
        code.0
    }
}

impl AsRef<str> for CategoryCode {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

impl Borrow<str> for CategoryCode {
    fn borrow(&self) -> &str {
        &self.0
    }
}

/// 大类 — a major class such as `C01` 公用设施 or `E04` 突发事件.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct MajorClass {
    /// The major code: kind letter + 2 digits, e.g. `"C01"`.
    pub code: String,
    /// 部件 or 事件.
    pub kind: CaseKind,
    /// The Chinese name, e.g. 公用设施.
    pub name: String,
}

/// 小类 — a minor class (the category a case is registered under), e.g. `E0102` 暴露垃圾.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct MinorClass {
    /// The category code, e.g. `E0102`.
    pub code: CategoryCode,
    /// The Chinese name, e.g. 暴露垃圾.
    pub name: String,
    /// The default handling time limit (处置时限), on the working calendar.
    pub limit: TimeLimit,
    /// Dispatch rule: `true` = 先属主后属地 (owning department first), `false` = 先属地后属主
    /// (territory first). Defaults to `true` for 部件 and `false` for 事件.
    pub owner_first: bool,
}

impl MinorClass {
    /// 部件 or 事件, from the code.
    pub fn kind(&self) -> CaseKind {
        self.code.kind()
    }

    /// The major class (大类) code, e.g. `"E01"`.
    pub fn major(&self) -> &str {
        self.code.major()
    }
}

/// What [`Catalogue::extend`] did with the minor classes (小类) of a city catalogue.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ExtendReport {
    /// Minor classes whose code was new (扩展).
    pub added: usize,
    /// Minor classes that replaced one with the same code (覆盖).
    pub overridden: usize,
}

/// Errors reading or querying a category catalogue (类别目录).
#[derive(Debug, thiserror::Error)]
pub enum CatalogueError {
    /// A category code (类别编码) that is not a kind letter plus 4 digits.
    #[error("bad category code {code:?}: {reason}")]
    BadCode {
        /// The offending text.
        code: String,
        /// Why it was rejected.
        reason: String,
    },
    /// A major class code (大类编码) that is not a kind letter plus 2 digits.
    #[error("bad major class code {code:?}: {reason}")]
    BadMajorCode {
        /// The offending text.
        code: String,
        /// Why it was rejected.
        reason: String,
    },
    /// A well-formed code that the catalogue does not contain (未知类别).
    #[error("unknown category {0}")]
    UnknownCategory(String),
    /// A minor class (小类) whose major class (大类) is not declared in the same file.
    #[error("minor class {minor} references unknown major class {major}")]
    UnknownMajor {
        /// The minor class code.
        minor: String,
        /// The missing major class code.
        major: String,
    },
    /// The same major or minor code declared twice in one catalogue file (重复编码).
    #[error("duplicate code {0} in catalogue")]
    Duplicate(String),
    /// A major or minor class with an empty name.
    #[error("class {0} has an empty name")]
    EmptyName(String),
    /// A time limit (处置时限) that could not be read.
    #[error("category {code} has a bad time limit {limit:?}: {reason}")]
    BadLimit {
        /// The minor class code.
        code: String,
        /// The offending limit text.
        limit: String,
        /// Why it was rejected.
        reason: String,
    },
    /// A time limit (处置时限) of zero.
    #[error("category {code} has a zero time limit")]
    ZeroLimit {
        /// The minor class code.
        code: String,
    },
    /// The catalogue file is not valid TOML or does not have the expected shape.
    #[error("catalogue TOML is invalid: {0}")]
    Toml(#[from] toml::de::Error),
    /// The catalogue file could not be read.
    #[error("cannot read catalogue file {}: {source}", path.display())]
    Io {
        /// The file that failed.
        path: PathBuf,
        /// The underlying error.
        source: std::io::Error,
    },
}

/// 类别目录 — the catalogue of major (大类) and minor (小类) classes, ordered by code.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Catalogue {
    majors: BTreeMap<String, MajorClass>,
    minors: BTreeMap<CategoryCode, MinorClass>,
}

/// The bundled standard catalogue, parsed once.
static STANDARD: LazyLock<Catalogue> = LazyLock::new(|| {
    Catalogue::from_toml(include_str!("../data/catalogue.toml"))
        .expect("the bundled data/catalogue.toml is valid")
});

/// The file format: two arrays of inline tables.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawCatalogue {
    #[serde(default)]
    majors: Vec<RawMajor>,
    #[serde(default)]
    minors: Vec<RawMinor>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawMajor {
    code: String,
    name: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawMinor {
    code: String,
    name: String,
    limit: RawLimit,
    #[serde(default)]
    owner_first: Option<bool>,
}

/// `"4h"` / `"4 工作时"` or `{ value = 4, unit = "working_hours" }`.
#[derive(Deserialize)]
#[serde(untagged)]
enum RawLimit {
    Compact(String),
    Table { value: u32, unit: String },
}

impl RawLimit {
    fn resolve(self, code: &str) -> Result<TimeLimit, CatalogueError> {
        let bad = |limit: &str, reason: &str| CatalogueError::BadLimit {
            code: code.to_owned(),
            limit: limit.to_owned(),
            reason: reason.to_owned(),
        };
        let (value, unit) = match self {
            RawLimit::Table { value, unit } => {
                let Some(u) = parse_unit(&unit) else {
                    return Err(bad(
                        &unit,
                        "unit must be minutes, working_hours or working_days",
                    ));
                };
                (value, u)
            }
            RawLimit::Compact(text) => {
                let t = text.trim();
                let split = t.find(|c: char| !c.is_ascii_digit()).unwrap_or(t.len());
                let (num, unit) = (&t[..split], t[split..].trim());
                if num.is_empty() {
                    return Err(bad(
                        &text,
                        "expected a number followed by a unit, e.g. \"4h\"",
                    ));
                }
                let Ok(value) = num.parse::<u32>() else {
                    return Err(bad(&text, "number too large"));
                };
                let Some(u) = parse_unit(unit) else {
                    return Err(bad(
                        &text,
                        "unit must be h (工作时), d (工作日) or min (分钟)",
                    ));
                };
                (value, u)
            }
        };
        if value == 0 {
            return Err(CatalogueError::ZeroLimit {
                code: code.to_owned(),
            });
        }
        Ok(TimeLimit { value, unit })
    }
}

/// A limit unit by its compact, Chinese or snake_case name.
fn parse_unit(s: &str) -> Option<LimitUnit> {
    match s {
        "h" | "工作时" | "工作小时" | "working_hours" => Some(LimitUnit::WorkingHours),
        "d" | "工作日" | "working_days" => Some(LimitUnit::WorkingDays),
        "min" | "分钟" | "minutes" => Some(LimitUnit::Minutes),
        _ => None,
    }
}

/// Validates a major class code such as `"C01"` (either letter case), returning it upper-cased.
fn parse_major_code(s: &str) -> Result<(CaseKind, String), CatalogueError> {
    let (kind, digits) = split_code(s, 2).map_err(|reason| CatalogueError::BadMajorCode {
        code: s.to_owned(),
        reason,
    })?;
    Ok((kind, format!("{}{digits}", kind.letter())))
}

/// Upper-cases the kind letter of a user-typed major code, for lookups.
fn normalise_major(s: &str) -> String {
    s.trim().to_ascii_uppercase()
}

impl Catalogue {
    /// The standard catalogue (标准类别目录) bundled as `data/catalogue.toml`: 7 部件 and 6
    /// 事件 major classes.
    pub fn standard() -> Catalogue {
        STANDARD.clone()
    }

    /// Parses a catalogue file (see `data/catalogue.toml` for the format), checking codes,
    /// names, limits, duplicates and that every minor class's major class is declared.
    pub fn from_toml(text: &str) -> Result<Catalogue, CatalogueError> {
        let raw: RawCatalogue = toml::from_str(text)?;
        let mut cat = Catalogue::default();
        for m in raw.majors {
            let (kind, code) = parse_major_code(&m.code)?;
            if m.name.trim().is_empty() {
                return Err(CatalogueError::EmptyName(code));
            }
            if cat.majors.contains_key(&code) {
                return Err(CatalogueError::Duplicate(code));
            }
            let name = m.name.trim().to_owned();
            cat.majors
                .insert(code.clone(), MajorClass { code, kind, name });
        }
        for m in raw.minors {
            let code = CategoryCode::parse(&m.code)?;
            if m.name.trim().is_empty() {
                return Err(CatalogueError::EmptyName(code.0));
            }
            if !cat.majors.contains_key(code.major()) {
                return Err(CatalogueError::UnknownMajor {
                    major: code.major().to_owned(),
                    minor: code.0,
                });
            }
            if cat.minors.contains_key(&code) {
                return Err(CatalogueError::Duplicate(code.0));
            }
            let limit = m.limit.resolve(code.as_str())?;
            let owner_first = m
                .owner_first
                .unwrap_or_else(|| code.kind().default_owner_first());
            let name = m.name.trim().to_owned();
            cat.minors.insert(
                code.clone(),
                MinorClass {
                    code,
                    name,
                    limit,
                    owner_first,
                },
            );
        }
        Ok(cat)
    }

    /// Reads and parses a catalogue file, e.g. a city's extension.
    pub fn load(path: &Path) -> Result<Catalogue, CatalogueError> {
        let text = std::fs::read_to_string(path).map_err(|source| CatalogueError::Io {
            path: path.to_owned(),
            source,
        })?;
        let cat = Catalogue::from_toml(&text)?;
        tracing::debug!(path = %path.display(), majors = cat.majors.len(), minors = cat.len(), "catalogue loaded");
        Ok(cat)
    }

    /// Merges a city's catalogue into this one: new codes are added (扩展), a minor class with
    /// an existing code replaces it entirely (覆盖: name, limit and dispatch rule). Major
    /// classes are merged the same way (a same-code major's name is replaced) but not counted.
    pub fn extend(&mut self, other: Catalogue) -> ExtendReport {
        let mut report = ExtendReport::default();
        self.majors.extend(other.majors);
        for (code, minor) in other.minors {
            if self.minors.insert(code, minor).is_some() {
                report.overridden += 1;
            } else {
                report.added += 1;
            }
        }
        tracing::debug!(
            added = report.added,
            overridden = report.overridden,
            "catalogue extended"
        );
        report
    }

    /// The minor class (小类) with this code, if any.
    pub fn get(&self, code: &CategoryCode) -> Option<&MinorClass> {
        self.minors.get(code)
    }

    /// Parses `code` and looks it up: [`CatalogueError::BadCode`] if malformed,
    /// [`CatalogueError::UnknownCategory`] if absent.
    pub fn require(&self, code: &str) -> Result<&MinorClass, CatalogueError> {
        let parsed = CategoryCode::parse(code)?;
        self.minors
            .get(&parsed)
            .ok_or(CatalogueError::UnknownCategory(parsed.0))
    }

    /// The major class (大类) with this code, e.g. `"C01"` (letter case ignored).
    pub fn major(&self, code: &str) -> Option<&MajorClass> {
        self.majors.get(&normalise_major(code))
    }

    /// The major classes (大类) of one kind, ordered by code.
    pub fn majors(&self, kind: CaseKind) -> Vec<&MajorClass> {
        self.majors.values().filter(|m| m.kind == kind).collect()
    }

    /// All minor classes (小类), ordered by code (部件 before 事件).
    pub fn minors(&self) -> impl Iterator<Item = &MinorClass> {
        self.minors.values()
    }

    /// The minor classes (小类) of one major class, e.g. `"E01"`, ordered by code.
    pub fn minors_of(&self, major: &str) -> Vec<&MinorClass> {
        let major = normalise_major(major);
        self.minors
            .values()
            .filter(|m| m.code.major() == major)
            .collect()
    }

    /// 类别检索: minor classes whose code, name or major-class name contains `query`
    /// (case-insensitive, trimmed). An exact code match comes first, then the rest by code;
    /// an empty query returns everything.
    pub fn search(&self, query: &str) -> Vec<&MinorClass> {
        let q = query.trim().to_lowercase();
        let mut exact = None;
        let mut hits = Vec::new();
        for m in self.minors.values() {
            let code = m.code.as_str().to_lowercase();
            if code == q {
                exact = Some(m);
                continue;
            }
            let major_name = self
                .majors
                .get(m.code.major())
                .map_or("", |c| c.name.as_str());
            if code.contains(&q)
                || m.name.to_lowercase().contains(&q)
                || major_name.to_lowercase().contains(&q)
            {
                hits.push(m);
            }
        }
        if let Some(m) = exact {
            hits.insert(0, m);
        }
        hits
    }

    /// The number of minor classes (小类).
    pub fn len(&self) -> usize {
        self.minors.len()
    }

    /// Whether there are no minor classes (小类).
    pub fn is_empty(&self) -> bool {
        self.minors.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const CITY: &str = r#"
majors = [
  { code = "E01", name = "市容环境" },
  { code = "E07", name = "城市特色事件" },
]
minors = [
  { code = "E0102", name = "暴露垃圾", limit = { value = 2, unit = "working_hours" } },
  { code = "E0701", name = "违规遛犬", limit = "3 工作日" },
  { code = "E0702", name = "占道晾晒农作物", limit = "30min", owner_first = true },
]
"#;

    fn err(text: &str) -> CatalogueError {
        Catalogue::from_toml(text).expect_err("should be rejected")
    }

    #[test]
    fn standard_has_all_majors_and_enough_minors() {
        let cat = Catalogue::standard();
        let components: Vec<_> = cat
            .majors(CaseKind::Component)
            .iter()
            .map(|m| m.code.as_str())
            .collect();
        assert_eq!(
            components,
            ["C01", "C02", "C03", "C04", "C05", "C06", "C07"]
        );
        let events: Vec<_> = cat
            .majors(CaseKind::Event)
            .iter()
            .map(|m| m.code.as_str())
            .collect();
        assert_eq!(events, ["E01", "E02", "E03", "E04", "E05", "E06"]);
        assert!(cat.len() >= 75, "only {} minor classes", cat.len());
        assert!(!cat.is_empty());
        assert_eq!(cat.major("c01").map(|m| m.name.as_str()), Some("公用设施"));
        assert_eq!(cat.major("E04").map(|m| m.name.as_str()), Some("突发事件"));
        assert!(cat.major("E09").is_none());
        for major in cat
            .majors(CaseKind::Component)
            .into_iter()
            .chain(cat.majors(CaseKind::Event))
        {
            assert!(
                !cat.minors_of(&major.code).is_empty(),
                "{} has no minor classes",
                major.code
            );
        }
    }

    #[test]
    fn every_minor_has_its_major_and_sane_defaults() {
        let cat = Catalogue::standard();
        let mut prev: Option<&CategoryCode> = None;
        for m in cat.minors() {
            let major = cat
                .major(m.major())
                .unwrap_or_else(|| panic!("{} has no major", m.code));
            assert_eq!(major.kind, m.kind());
            assert!(m.limit.value > 0);
            assert!(
                prev.is_none_or(|p| p < &m.code),
                "minors out of order at {}",
                m.code
            );
            prev = Some(&m.code);
        }
        // Owner first for components, territory first for events unless overridden.
        assert!(cat.require("C0101").unwrap().owner_first);
        assert!(!cat.require("E0102").unwrap().owner_first);
        assert!(cat.require("E0404").unwrap().owner_first);
    }

    #[test]
    fn specific_limits() {
        let cat = Catalogue::standard();
        let limit = |c: &str| cat.require(c).unwrap().limit;
        assert_eq!(limit("E0102"), TimeLimit::working_hours(4));
        assert_eq!(limit("E0104"), TimeLimit::working_hours(2));
        assert_eq!(limit("E0101"), TimeLimit::working_days(20));
        assert_eq!(limit("C0403"), TimeLimit::working_days(5));
        assert_eq!(limit("E0404"), TimeLimit::minutes(30));
        assert_eq!(cat.require("E0102").unwrap().name, "暴露垃圾");
        assert_eq!(cat.require("C0101").unwrap().name, "上水井盖");
    }

    #[test]
    fn code_parts_and_serde() {
        let code = CategoryCode::parse("c0104").unwrap();
        assert_eq!(code.as_str(), "C0104");
        assert_eq!(code.to_string(), "C0104");
        assert_eq!(code.kind(), CaseKind::Component);
        assert_eq!(code.major(), "C01");
        assert_eq!(code.digits(), "0104");
        let e: CategoryCode = "E0503".parse().unwrap();
        assert_eq!(e.kind(), CaseKind::Event);
        assert_eq!(e.kind().letter(), 'E');
        assert_eq!(e.kind().label_zh(), "事件");
        assert_eq!(CaseKind::Component.label_en(), "component");

        assert_eq!(serde_json::to_string(&e).unwrap(), "\"E0503\"");
        let back: CategoryCode = serde_json::from_str("\"E0503\"").unwrap();
        assert_eq!(back, e);
        let bad = serde_json::from_str::<CategoryCode>("\"X0503\"").unwrap_err();
        assert!(bad.to_string().contains("X0503"), "{bad}");
        assert_eq!(
            serde_json::to_string(&CaseKind::Event).unwrap(),
            "\"event\""
        );

        let minor = Catalogue::standard().require("E0102").unwrap().clone();
        let json = serde_json::to_string(&minor).unwrap();
        assert_eq!(serde_json::from_str::<MinorClass>(&json).unwrap(), minor);
    }

    #[test]
    fn search_by_name_code_and_major() {
        let cat = Catalogue::standard();
        let hits = cat.search("暴露垃圾");
        assert_eq!(hits.len(), 1);
        assert_eq!(hits[0].code.as_str(), "E0102");

        let hits = cat.search("e0102");
        assert_eq!(hits[0].code.as_str(), "E0102");

        // An exact code match comes first, then the others in code order.
        let hits: Vec<_> = cat.search("E010").iter().map(|m| m.code.as_str()).collect();
        assert!(hits.len() >= 9);
        assert!(hits.windows(2).all(|w| w[0] < w[1]));

        let covers = cat.search("井盖");
        assert!(covers.iter().any(|m| m.code.as_str() == "C0101"));
        assert!(covers.iter().any(|m| m.code.as_str() == "E0401"));
        assert!(covers.windows(2).all(|w| w[0].code < w[1].code));

        // By major class name: every 公用设施 minor class.
        let utilities = cat.search("公用设施");
        assert_eq!(utilities.len(), cat.minors_of("C01").len());

        // Exact code hit first even when other codes contain it as a substring ordering-wise.
        let mut two = Catalogue::from_toml(
            r#"majors = [{ code = "C01", name = "公用设施" }]
minors = [
  { code = "C0101", name = "甲 C0102 附注", limit = "1d" },
  { code = "C0102", name = "乙", limit = "1d" },
]"#,
        )
        .unwrap();
        let hits: Vec<_> = two
            .search("c0102")
            .iter()
            .map(|m| m.code.as_str())
            .collect();
        assert_eq!(hits, ["C0102", "C0101"]);
        assert!(two.search("不存在").is_empty());
        assert_eq!(two.search("  ").len(), 2);
        two.extend(Catalogue::default());
        assert_eq!(two.len(), 2);
    }

    #[test]
    fn extend_adds_and_overrides() {
        let mut cat = Catalogue::standard();
        let before = cat.len();
        let city = Catalogue::from_toml(CITY).unwrap();
        let report = cat.extend(city);
        assert_eq!(
            report,
            ExtendReport {
                added: 2,
                overridden: 1
            }
        );
        assert_eq!(cat.len(), before + 2);
        assert_eq!(
            cat.require("E0102").unwrap().limit,
            TimeLimit::working_hours(2)
        );
        let dog = cat.require("E0701").unwrap();
        assert_eq!(dog.limit, TimeLimit::working_days(3));
        assert!(!dog.owner_first);
        assert!(cat.require("E0702").unwrap().owner_first);
        assert_eq!(cat.major("E07").unwrap().name, "城市特色事件");
        assert_eq!(cat.majors(CaseKind::Event).len(), 7);
        assert_eq!(cat.minors_of("E07").len(), 2);
        assert_eq!(cat.search("遛犬")[0].code.as_str(), "E0701");
    }

    #[test]
    fn load_from_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("city.toml");
        std::fs::write(&path, CITY).unwrap();
        assert_eq!(Catalogue::load(&path).unwrap().len(), 3);

        let missing = dir.path().join("missing.toml");
        let e = Catalogue::load(&missing).unwrap_err();
        assert!(matches!(e, CatalogueError::Io { .. }), "{e:?}");
        assert!(e.to_string().contains("missing.toml"), "{e}");
    }

    #[test]
    fn bad_codes_name_the_value() {
        for (code, why) in [
            ("X0101", "kind letter"),
            ("C011", "found 4 characters"),
            ("C01011", "found 6 characters"),
            ("C01a1", "digits"),
            ("C0100", "minor class 00"),
            ("E0001", "major class 00"),
            ("C０101", "digits"),
            ("", "empty"),
        ] {
            let e = CategoryCode::parse(code).unwrap_err();
            assert!(matches!(e, CatalogueError::BadCode { .. }), "{e:?}");
            let msg = e.to_string();
            assert!(
                msg.contains(&format!("{code:?}")) && msg.contains(why),
                "{code}: {msg}"
            );
        }

        let e = err(r#"minors = [{ code = "Q0101", name = "x", limit = "1d" }]"#);
        assert!(
            matches!(e, CatalogueError::BadCode { .. }) && e.to_string().contains("Q0101"),
            "{e}"
        );

        let e = err(r#"majors = [{ code = "C1", name = "x" }]"#);
        assert!(
            matches!(e, CatalogueError::BadMajorCode { .. }) && e.to_string().contains("\"C1\""),
            "{e}"
        );
    }

    #[test]
    fn unknown_major_and_category() {
        let e = err(r#"
majors = [{ code = "C01", name = "公用设施" }]
minors = [{ code = "C0901", name = "x", limit = "1d" }]"#);
        assert!(matches!(e, CatalogueError::UnknownMajor { .. }), "{e:?}");
        let msg = e.to_string();
        assert!(msg.contains("C0901") && msg.contains("C09"), "{msg}");

        let cat = Catalogue::standard();
        let e = cat.require("E0999").unwrap_err();
        assert!(matches!(e, CatalogueError::UnknownCategory(_)), "{e:?}");
        assert!(e.to_string().contains("E0999"), "{e}");
        let e = cat.require("E09").unwrap_err();
        assert!(
            matches!(e, CatalogueError::BadCode { .. }) && e.to_string().contains("E09"),
            "{e}"
        );
        assert!(cat.get(&CategoryCode::parse("C0799").unwrap()).is_none());
    }

    #[test]
    fn duplicates() {
        let e = err(r#"
majors = [{ code = "E01", name = "a" }]
minors = [
  { code = "E0101", name = "x", limit = "1d" },
  { code = "e0101", name = "y", limit = "1d" },
]"#);
        assert!(matches!(e, CatalogueError::Duplicate(_)), "{e:?}");
        assert!(e.to_string().contains("E0101"), "{e}");

        let e = err(r#"majors = [{ code = "E01", name = "a" }, { code = "E01", name = "b" }]"#);
        assert!(
            matches!(e, CatalogueError::Duplicate(_)) && e.to_string().contains("E01"),
            "{e}"
        );
    }

    #[test]
    fn limits() {
        let one = |limit: &str| {
            Catalogue::from_toml(&format!(
                "majors = [{{ code = \"E01\", name = \"a\" }}]\nminors = [{{ code = \"E0105\", name = \"x\", limit = {limit} }}]"
            ))
            .map(|c| c.require("E0105").unwrap().limit)
        };
        assert_eq!(one("\"4h\"").unwrap(), TimeLimit::working_hours(4));
        assert_eq!(one("\" 4 工作时 \"").unwrap(), TimeLimit::working_hours(4));
        assert_eq!(one("\"5d\"").unwrap(), TimeLimit::working_days(5));
        assert_eq!(one("\"5工作日\"").unwrap(), TimeLimit::working_days(5));
        assert_eq!(one("\"45min\"").unwrap(), TimeLimit::minutes(45));
        assert_eq!(
            one("{ value = 30, unit = \"minutes\" }").unwrap(),
            TimeLimit::minutes(30)
        );
        assert_eq!(
            one("{ value = 2, unit = \"working_days\" }").unwrap(),
            TimeLimit::working_days(2)
        );

        for zero in ["\"0h\"", "{ value = 0, unit = \"working_days\" }"] {
            let e = one(zero).unwrap_err();
            assert!(matches!(e, CatalogueError::ZeroLimit { .. }), "{e:?}");
            assert!(e.to_string().contains("E0105"), "{e}");
        }
        for bad in [
            "\"4y\"",
            "\"h\"",
            "\"99999999999h\"",
            "{ value = 2, unit = \"weeks\" }",
        ] {
            let e = one(bad).unwrap_err();
            assert!(matches!(e, CatalogueError::BadLimit { .. }), "{bad}: {e:?}");
            assert!(e.to_string().contains("E0105"), "{e}");
        }
    }

    #[test]
    fn toml_errors_and_empty_names() {
        let e = err("majors = [ { code = ");
        assert!(matches!(e, CatalogueError::Toml(_)), "{e:?}");
        assert!(
            e.to_string().starts_with("catalogue TOML is invalid"),
            "{e}"
        );

        let e = err(r#"majors = [{ code = "C01", name = "x", colour = "red" }]"#);
        assert!(
            matches!(e, CatalogueError::Toml(_)) && e.to_string().contains("colour"),
            "{e}"
        );

        let e = err(r#"majors = [{ code = "C01", name = " " }]"#);
        assert!(
            matches!(e, CatalogueError::EmptyName(_)) && e.to_string().contains("C01"),
            "{e}"
        );

        assert!(Catalogue::from_toml("").unwrap().is_empty());
    }

    proptest::proptest! {
        #[test]
        fn parse_never_panics_and_round_trips(s in "\\PC{0,8}") {
            if let Ok(code) = CategoryCode::parse(&s) {
                proptest::prop_assert_eq!(CategoryCode::parse(code.as_str()).unwrap(), code.clone());
                proptest::prop_assert_eq!(code.as_str().to_lowercase(), s.to_lowercase());
            }
        }

        #[test]
        fn valid_codes_parse(kind in 0..2usize, major in 1..100u32, minor in 1..100u32) {
            let text = format!("{}{major:02}{minor:02}", CaseKind::ALL[kind].letter());
            let code = CategoryCode::parse(&text).unwrap();
            proptest::prop_assert_eq!(code.kind(), CaseKind::ALL[kind]);
            proptest::prop_assert_eq!(code.major(), &text[..3]);
        }
    }
}
