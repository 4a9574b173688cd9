//! 考核配置 — posts, grades and the weights of each post's score, from TOML.

use super::*;

/// 考核等级 A–E.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum Grade {
    /// 优秀.
    A,
    /// 良好.
    B,
    /// 合格.
    C,
    /// 基本合格.
    D,
    /// 不合格.
    E,
}

impl Grade {
    /// The letter.
    pub fn letter(self) -> &'static str {
        match self {
            Grade::A => "A",
            Grade::B => "B",
            Grade::C => "C",
            Grade::D => "D",
            Grade::E => "E",
        }
    }
}

/// A post assessed by a composite (岗位): 监督员, 受理员, 值班长, 派遣员 or 处置人员.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum Post {
    /// 监督员.
    Supervisor,
    /// 受理员.
    Intake,
    /// 值班长.
    ShiftLead,
    /// 派遣员.
    Dispatcher,
    /// 处置人员 (a department's or a unit's handling staff).
    Handler,
}

impl Post {
    /// Every assessed post.
    pub const ALL: [Post; 5] = [
        Post::Supervisor,
        Post::Intake,
        Post::ShiftLead,
        Post::Dispatcher,
        Post::Handler,
    ];

    /// The role whose acts the post's figures count.
    pub fn role(self) -> Role {
        match self {
            Post::Supervisor => Role::Supervisor,
            Post::Intake => Role::Intake,
            Post::ShiftLead => Role::ShiftLead,
            Post::Dispatcher => Role::Dispatcher,
            Post::Handler => Role::Handler,
        }
    }

    /// Chinese name.
    pub fn label_zh(self) -> &'static str {
        self.role().label_zh()
    }
}

pub use crate::domain::assessment::AssessConfig;

impl AssessConfig {
    /// The grade of a score in 0..=100.
    pub fn grade(&self, score: f64) -> Grade {
        let [a, b, c, d] = self.grade_floors;
        if score >= a {
            Grade::A
        } else if score >= b {
            Grade::B
        } else if score >= c {
            Grade::C
        } else if score >= d {
            Grade::D
        } else {
            Grade::E
        }
    }

    /// The hotline 三率 score (0..=100) of some figures; `None` without hotline cases.
    pub fn hotline_score(&self, f: &Figures) -> Option<f64> {
        weighted(&[
            (self.hotline_weights[0], f.value(Metric::HotlineResponse)),
            (self.hotline_weights[1], f.value(Metric::HotlineResolution)),
            (
                self.hotline_weights[2],
                f.value(Metric::HotlineSatisfaction),
            ),
        ])
    }
}

/// One part of a composite score (得分项): its name as shown, weight (%) and value in 0..=1
/// (a lower-is-better rate already turned into 1 − rate), `None` when nothing was counted.
pub type Part = (String, f64, Option<f64>);

impl AssessConfig {
    /// The parts of a ranking score over `f` by the weight table `table`
    /// ([`AssessConfig::street_score`] or [`AssessConfig::department_score`]), heaviest first.
    pub fn score_parts(&self, table: &BTreeMap<String, f64>, f: &Figures) -> Vec<Part> {
        let mut parts: Vec<Part> = table
            .iter()
            .filter(|(_, w)| **w > 0.0)
            .map(|(key, w)| {
                if key == "hotline" {
                    let v = self.hotline_score(f).map(|s| s / 100.0);
                    return ("热线三率得分".to_string(), *w, v);
                }
                match Metric::from_key(key) {
                    Some(m) if m.lower_is_better() => (
                        format!("(1−{})", m.label_zh()),
                        *w,
                        f.value(m).map(|v| 1.0 - v),
                    ),
                    Some(m) => (m.label_zh().to_string(), *w, f.value(m)),
                    None => (key.clone(), *w, None),
                }
            })
            .collect();
        parts.sort_by(|a, b| b.1.total_cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
        parts
    }

    /// The score (0..=100) of some parts: their weighted mean, a part with nothing counted left
    /// out and the other weights rescaled; `None` when none was counted.
    pub fn score_of(parts: &[Part]) -> Option<f64> {
        weighted(&parts.iter().map(|(_, w, v)| (*w, *v)).collect::<Vec<_>>())
    }

    /// A unit's ranking score by the weight table `table`: [`AssessConfig::score_of`] its
    /// parts, but only when a part that measures done work counted (a closure, an on-time or
    /// 三率 figure): a unit whose only counted parts are lower-is-better rates at zero (it had
    /// nothing due yet) is not scored 100 for it — it has no score this period.
    pub fn ranking_score(&self, table: &BTreeMap<String, f64>, f: &Figures) -> Option<f64> {
        let merit = table.iter().any(|(key, w)| {
            *w > 0.0
                && match key.as_str() {
                    "hotline" => self.hotline_score(f).is_some(),
                    k => Metric::from_key(k)
                        .is_some_and(|m| !m.lower_is_better() && f.value(m).is_some()),
                }
        });
        merit
            .then(|| Self::score_of(&self.score_parts(table, f)))
            .flatten()
    }

    /// The formula of a weight table, as shown beside a ranking: `按期结案率×40% + …`.
    pub fn formula(&self, table: &BTreeMap<String, f64>) -> String {
        let total: f64 = table.values().filter(|w| **w > 0.0).sum();
        self.score_parts(table, &Figures::default())
            .iter()
            .map(|(name, w, _)| format!("{name}×{}%", round1(100.0 * w / total)))
            .collect::<Vec<_>>()
            .join(" + ")
    }
}

/// A weight shown without a needless decimal: 40, 12.5.
fn round1(x: f64) -> String {
    let r = (x * 10.0).round() / 10.0;
    if r.fract() == 0.0 {
        format!("{r:.0}")
    } else {
        format!("{r:.1}")
    }
}

/// Weighted mean ×100 of the parts that have a value, weights rescaled; `None` if none has.
pub(super) fn weighted(parts: &[(f64, Option<f64>)]) -> Option<f64> {
    let (sum, w) = parts
        .iter()
        .filter_map(|(w, v)| v.map(|v| (w * v, *w)))
        .fold((0.0, 0.0), |(s, t), (x, w)| (s + x, t + w));
    (w > 0.0).then(|| 100.0 * sum / w)
}

/// Errors of an assessment (考核错误).
#[derive(Debug, thiserror::Error)]
pub enum AssessError {
    /// Reading the projection failed.
    #[error("reading the projection for the assessment: {0}")]
    Store(#[from] StoreError),
    /// The settings file is not valid.
    #[error("bad assessment settings: {0}")]
    Config(String),
}

/// Reads assessment settings from TOML (missing keys keep their defaults).
pub fn config_from_toml(text: &str) -> Result<AssessConfig, AssessError> {
    AssessConfig::from_toml(text).map_err(AssessError::Config)
}
