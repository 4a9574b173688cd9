//! The views of the workstation, one module each — each a struct with a `ui` method over a
//! [`ViewCx`](crate::context::ViewCx) that returns [`Intent`](crate::intent::Intent)s — and
//! the small helpers they share.

pub mod assess;
pub mod detail;
pub mod dialog;
pub mod drill;
pub mod emergency;
pub mod inbox;
pub mod intake;
pub mod map;
pub mod network;
pub mod settings;

use egui::Color32;
use gridloop_core::domain::calendar::{Light, Millis};
use gridloop_core::domain::unit::{District, UnitId};

/// The colour of 战时 (emergency mode): the banner, the 应急 queue, lane markers.
pub const EMERGENCY_RED: Color32 = Color32::from_rgb(190, 30, 45);

/// Beijing time of `ms`, as `MM-DD HH:MM`.
pub fn fmt_time(ms: Millis) -> String {
    let tz = chrono::FixedOffset::east_opt(8 * 3600).expect("valid offset");
    chrono::DateTime::from_timestamp_millis(ms)
        .map(|t| t.with_timezone(&tz).format("%m-%d %H:%M").to_string())
        .unwrap_or_else(|| "—".into())
}

/// A span of time in words: `2天3小时`, `45分钟` (negative: overdue).
pub fn fmt_span(ms: i64) -> String {
    let m = ms.abs() / 60_000;
    let (d, h, mi) = (m / 1440, (m % 1440) / 60, m % 60);
    let s = if d > 0 {
        format!("{d}天{h}小时")
    } else if h > 0 {
        format!("{h}小时{mi}分")
    } else {
        format!("{mi}分钟")
    };
    if ms < 0 { format!("超{s}") } else { s }
}

/// The colour of a light (绿/黄/红).
pub fn light_color(l: Light) -> Color32 {
    match l {
        Light::Green => Color32::from_rgb(46, 160, 67),
        Light::Yellow => Color32::from_rgb(222, 170, 20),
        Light::Red => Color32::from_rgb(214, 52, 52),
    }
}

/// A unit's name (or its id when unknown).
pub fn unit_name(d: &District, u: &UnitId) -> String {
    d.unit(u)
        .map(|x| x.name.clone())
        .unwrap_or_else(|| u.0.clone())
}

/// Draws a light as a filled dot.
pub fn light_dot(ui: &mut egui::Ui, l: Light) -> egui::Response {
    let (rect, resp) = ui.allocate_exact_size(egui::vec2(12.0, 12.0), egui::Sense::hover());
    ui.painter()
        .circle_filled(rect.center(), 5.0, light_color(l));
    resp.on_hover_text(l.label_zh())
}

/// A refusal (拒绝原因) in the operator's language.
pub fn refusal_text(lang: crate::i18n::Lang, r: &gridloop_core::workflow::Refusal) -> String {
    match lang {
        crate::i18n::Lang::Zh => r.message_zh(),
        crate::i18n::Lang::En => r.message_en(),
    }
}

/// An engine error in the operator's language: a refusal rendered by [`refusal_text`] with
/// its rule id, anything else as the engine said it.
pub fn engine_error_text(
    lang: crate::i18n::Lang,
    e: &gridloop_core::engine::EngineError,
) -> String {
    match e {
        gridloop_core::engine::EngineError::Refused(r) => {
            format!("{} ({})", refusal_text(lang, r), r.rule_id())
        }
        other => other.to_string(),
    }
}
