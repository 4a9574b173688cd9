//! The eframe shell around the workstation (窗口): the native window and its exit hook.

use super::Workstation;

/// The eframe shell around the workstation (which installs the bundled font itself).
pub struct App {
    /// The workstation.
    pub workstation: Workstation,
    /// Called once when the window closes (stops demo nodes).
    pub on_exit: Option<Box<dyn FnOnce()>>,
}

impl eframe::App for App {
    fn ui(&mut self, ui: &mut egui::Ui, _frame: &mut eframe::Frame) {
        self.workstation.ui(ui);
    }

    fn on_exit(&mut self, _gl: Option<&eframe::glow::Context>) {
        if let Some(f) = self.on_exit.take() {
            f();
        }
    }
}

/// Opens the workstation window and runs it until it is closed.
pub fn run(workstation: Workstation, on_exit: Option<Box<dyn FnOnce()>>) -> Result<(), String> {
    if cfg!(target_os = "linux")
        && std::env::var_os("DISPLAY").is_none()
        && std::env::var_os("WAYLAND_DISPLAY").is_none()
    {
        return Err(
            "no display to open the window on (neither DISPLAY nor WAYLAND_DISPLAY is set); \
             run it on a desktop, under Xvfb, or use `gridloop demo --headless`"
                .into(),
        );
    }
    let options = eframe::NativeOptions {
        viewport: egui::ViewportBuilder::default()
            .with_title("gridloop")
            .with_inner_size([1440.0, 900.0])
            .with_min_inner_size([960.0, 600.0]),
        ..Default::default()
    };
    eframe::run_native(
        "gridloop",
        options,
        Box::new(move |_cc| {
            Ok(Box::new(App {
                workstation,
                on_exit,
            }))
        }),
    )
    .map_err(|e| format!("could not open the window: {e}"))
}
