//! The workstation opening on a district that is not the demo (egui_kittest): 高邑县 from
//! its configuration folder (tests/fixtures/county), over a real redb store. Its own level
//! names (镇, 村) label its units, and the status bar warns of a year the working calendar
//! does not cover — for the demo district in 2027, not for the county, whose package has a
//! 2027 file.

use std::sync::Arc;

use egui_kittest::Harness;
use egui_kittest::kittest::Queryable;
use gridloop_core::domain::calendar::Millis;
use gridloop_core::domain::config::{ConfigBook, DistrictConfig};
use gridloop_core::domain::role::{NodeId, Role};
use gridloop_core::domain::unit::UnitId;
use gridloop_core::engine::Engine;
use gridloop_core::store::Store;
use gridloop_ui::{NodeHandle, Workstation};

/// Monday 2027-01-04 09:30 Beijing time.
const T: Millis = 1_799_026_200_000;

const COUNTY: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../tests/fixtures/county");

fn open(engine: Engine) -> Harness<'static, Workstation> {
    let node = NodeHandle::from_engine(Arc::new(engine)).expect("node");
    let ws = Workstation::new(vec![node], None).with_clock(|| T);
    let mut h = Harness::builder()
        .with_size([1600.0, 1000.0])
        .build_ui_state(|ui, ws: &mut Workstation| ws.ui(ui), ws);
    gridloop_ui::fonts::install(&h.ctx);
    h.run_steps(4);
    h
}

fn store(dir: &std::path::Path, unit: &str) -> Store {
    let store = Store::open(&dir.join("gridloop.redb")).expect("store");
    store
        .set_node(&NodeId("town".into()), &UnitId::from(unit), Role::ShiftLead)
        .expect("node");
    store
}

#[test]
fn the_workstation_speaks_the_countys_levels_and_trusts_its_2027_calendar() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (files, config) =
        DistrictConfig::load_dir(std::path::Path::new(COUNTY)).expect("the county fixture");
    let engine = Engine::with_book(
        store(dir.path(), "130127100"),
        ConfigBook::single(config, files.hash()),
        T,
    );
    let mut h = open(engine);
    assert!(
        h.get_all_by_label_contains("高邑镇").count() > 0,
        "the town names itself"
    );
    assert!(
        h.query_by_label_contains("工作日历未含").is_none(),
        "the county's package covers 2027"
    );
    h.get_by_label("设置").click();
    h.run_steps(4);
    assert!(
        !h.get_all_by_label("镇").collect::<Vec<_>>().is_empty(),
        "towns are 镇"
    );
    assert!(
        !h.get_all_by_label("村").collect::<Vec<_>>().is_empty(),
        "villages are 村"
    );
    assert!(h.query_by_label("街道").is_none(), "no 街道 in a county");
    assert!(h.query_by_label("社区").is_none(), "no 社区 in a county");
}

#[test]
fn a_year_the_calendar_does_not_cover_is_flagged_in_the_status_bar() {
    let dir = tempfile::tempdir().expect("tempdir");
    let engine = Engine::demo(store(dir.path(), "110101001"));
    let h = open(engine);
    h.get_by_label_contains("工作日历未含2027年节假日");
}

/// A network whose node has taken configuration version 2 since the window opened.
struct Waiting;

impl gridloop_ui::network::Network for Waiting {
    fn peers(&self, _: &str) -> Vec<gridloop_ui::network::PeerRow> {
        Vec::new()
    }
    fn refused(&self, _: &str) -> Vec<gridloop_ui::network::RefusedPeer> {
        Vec::new()
    }
    fn links(&self) -> Vec<gridloop_ui::network::LinkRow> {
        Vec::new()
    }
    fn set_link(&self, _: &str, _: &str, _: bool) {}
    fn changed(&self, _: &str) {}
    fn config_waiting(&self, _: &str) -> Option<u64> {
        Some(2)
    }
}

#[test]
fn a_configuration_version_taken_while_the_window_is_open_says_it_applies_at_restart() {
    let dir = tempfile::tempdir().expect("tempdir");
    let engine = Engine::demo(store(dir.path(), "110101001"));
    let node = NodeHandle::from_engine(Arc::new(engine)).expect("node");
    let net: Arc<dyn gridloop_ui::network::Network> = Arc::new(Waiting);
    let ws = Workstation::new(vec![node], Some(net)).with_clock(|| T);
    let mut h = Harness::builder()
        .with_size([1600.0, 1000.0])
        .build_ui_state(|ui, ws: &mut Workstation| ws.ui(ui), ws);
    gridloop_ui::fonts::install(&h.ctx);
    h.run_steps(4);
    h.get_by_label_contains("已收到配置第2版：重启工作台后生效");
}
