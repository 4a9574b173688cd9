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

use crate::domain::calendar::{LimitUnit, TimeLimit};

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
    /// The 立案/处置/结案 criteria of the category (立结案标准, after CJ/T 315), when the
    /// catalogue gives them.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub criteria: Option<Criteria>,
    /// 巡查可见: a supervisor's patrol of public space is expected to find such problems, so
    /// one raised first by a citizen counts against 漏报率. `false` for what a patrol cannot
    /// see (noise at night, problems inside buildings, sudden accidents). Default `true`.
    #[serde(default = "patrol_default")]
    pub patrol: bool,
}

fn patrol_default() -> bool {
    true
}

/// 立结案标准 — when a problem of a category is registered, what handling must achieve and
/// when it may be closed (free text, as in a district's CJ/T 315 tables).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Criteria {
    /// 立案条件.
    #[serde(default)]
    pub register: String,
    /// 处置要求.
    #[serde(default)]
    pub handle: String,
    /// 结案条件.
    #[serde(default)]
    pub close: String,
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
    Catalogue::from_toml(include_str!("../../../data/catalogue.toml"))
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
    #[serde(default)]
    criteria: Option<Criteria>,
    #[serde(default)]
    patrol: Option<bool>,
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
                let Some(u) = LimitUnit::parse(&unit) else {
                    return Err(bad(
                        &unit,
                        "unit must be minutes, working_hours or working_days",
                    ));
                };
                (value, u)
            }
            RawLimit::Compact(text) => {
                let l = TimeLimit::parse(&text).map_err(|reason| bad(&text, reason))?;
                (l.value, l.unit)
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
        Catalogue::from_toml_over(text, None)
    }

    /// Parses a district's catalogue file over a base (the national standard): its minor
    /// classes may use the base's major classes as well as its own.
    pub fn from_toml_over(
        text: &str,
        base: Option<&Catalogue>,
    ) -> Result<Catalogue, CatalogueError> {
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
            if !cat.majors.contains_key(code.major())
                && !base.is_some_and(|b| b.majors.contains_key(code.major()))
            {
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
                    criteria: m.criteria,
                    patrol: m.patrol.unwrap_or(true),
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
mod tests;
