//! The bundled Chinese font (内置字体): a subset of Noto Sans CJK SC (SIL OFL 1.1, see
//! `assets/OFL.txt`, rebuilt by `assets/make-font.sh`), so Chinese renders on a machine with
//! no CJK font installed. eframe's system-font provider still covers rare characters.

use egui::{FontData, FontDefinitions, FontFamily};
use std::sync::Arc;

/// The subset font file: GB2312 and every character the sources use.
pub static NOTO_SANS_SC: &[u8] = include_bytes!("../assets/NotoSansSC-gridloop.otf");

/// The name the font is registered under.
pub const NAME: &str = "noto-sans-sc-gridloop";

/// egui's default fonts with the bundled Chinese font right after the Latin primary font
/// of both families, so Latin text keeps egui's look and every CJK glyph is found.
pub fn definitions() -> FontDefinitions {
    let mut defs = FontDefinitions::default();
    defs.font_data.insert(
        NAME.to_string(),
        Arc::new(FontData::from_static(NOTO_SANS_SC)),
    );
    for family in [FontFamily::Proportional, FontFamily::Monospace] {
        let list = defs.families.entry(family).or_default();
        let at = 1.min(list.len());
        list.insert(at, NAME.to_string());
    }
    defs
}

/// Installs [`definitions`] into a context.
pub fn install(ctx: &egui::Context) {
    ctx.set_fonts(definitions());
}
