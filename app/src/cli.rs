//! The command line (命令行): every subcommand and its arguments.

use clap::{Args, Parser, Subcommand, ValueEnum};
use gridloop_core::domain::event::Rating;
use std::path::PathBuf;

/// gridloop — the peer-synced workstation of the three-level urban-governance loop.
#[derive(Parser, Debug)]
#[command(name = "gridloop", version, about, long_about = None)]
pub struct Cli {
    /// Data directory holding the node's store (default: the platform's data directory;
    /// env GRIDLOOP_DATA).
    #[arg(long, global = true, env = "GRIDLOOP_DATA")]
    pub data: Option<PathBuf>,
    /// The time to act at, as `YYYY-MM-DD HH:MM` Beijing time (default: now). For scripts,
    /// drills and tests.
    #[arg(long, global = true)]
    pub now: Option<String>,
    /// The language of refusals on the command line: `en` (default) or `zh` (中文); env
    /// GRIDLOOP_LANG.
    #[arg(long, global = true, env = "GRIDLOOP_LANG", default_value = "en", value_parser = ["en", "zh"])]
    pub lang: String,
    /// What to do (without a subcommand: open the workstation on this node).
    #[command(subcommand)]
    pub command: Option<Command>,
}

impl Command {
    /// Whether the command works on this node's store, and so is run by the node itself (over
    /// its control socket) while `gridloop node` holds the store.
    pub fn uses_store(&self) -> bool {
        matches!(
            self,
            Command::New(_)
                | Command::Report(_)
                | Command::Emergency { .. }
                | Command::List(_)
                | Command::Show { .. }
                | Command::Act { .. }
                | Command::Import { .. }
                | Command::ImportOrders { .. }
                | Command::RaiseOrders
                | Command::Export { .. }
                | Command::Generate { .. }
                | Command::Status
                | Command::Drill {
                    cmd: DrillCmd::Purge { .. } | DrillCmd::Report { .. }
                }
        )
    }

    /// Makes the relative file paths of a store command absolute against `cwd` (the working
    /// directory of the caller it is run for).
    pub fn rebase(&mut self, cwd: &std::path::Path) {
        let fix = |p: &mut PathBuf| {
            if p.is_relative() {
                *p = cwd.join(&*p);
            }
        };
        match self {
            Command::Import { file }
            | Command::ImportOrders { file, .. }
            | Command::Export { file } => fix(file),
            Command::Report(a) => {
                a.out.as_mut().map(fix);
                a.config.as_mut().map(fix);
            }
            Command::Emergency { plans, .. } => {
                plans.as_mut().map(fix);
            }
            Command::Drill {
                cmd: DrillCmd::Report { scenario, .. },
            } => {
                scenario.as_mut().map(fix);
            }
            _ => {}
        }
    }
}

/// The subcommands.
#[derive(Subcommand, Debug)]
pub enum Command {
    /// Initialise this node's store for a unit and role (初始化节点).
    Init {
        /// Unit code (e.g. 110101 district, 110101001 street, 110101001001 community) or
        /// exact unit name.
        #[arg(long)]
        unit: String,
        /// Role: intake, shift_lead, dispatcher, callback, supervisor, leader, grid_worker,
        /// station_chief, handler (or the Chinese name).
        #[arg(long)]
        role: String,
        /// Node name (default: derived from the unit).
        #[arg(long)]
        node: Option<String>,
        /// A district configuration folder (区级配置包), for a standalone node that has not
        /// joined a district (a joined node keeps the district's signed configuration).
        #[arg(long)]
        config: Option<PathBuf>,
    },
    /// Report a new case (上报).
    #[command(visible_alias = "intake")]
    New(NewArgs),
    /// Assessment report (报表: 日报/周报/月报/年报) of the cases this node holds, as Markdown,
    /// HTML, XLSX or JSON; or, with --cases-of, the cases behind one figure as CSV.
    Report(ReportArgs),
    /// List cases from the projection (列表): inbox, overdue, by grid, category, time or text.
    List(ListArgs),
    /// Show one case with its trail (案卷详情).
    Show {
        /// Case id or 案卷编号.
        case: String,
        /// Print JSON instead of text.
        #[arg(long)]
        json: bool,
    },
    /// Make a move on a case (操作).
    Act {
        /// Case id or 案卷编号.
        case: String,
        /// Act as `role@unit[:person]` (经办人 after the colon; `:person` alone keeps the node's
        /// default role and unit).
        #[arg(long = "as")]
        as_: Option<String>,
        /// The move.
        #[command(subcommand)]
        mv: Move,
    },
    /// Import cases from a JSON-lines file (导入): one case record per line. The whole file
    /// is checked before anything is written.
    Import {
        /// The file.
        file: PathBuf,
    },
    /// 超时自动督办: raise a 督办单 on every overdue case below this node's unit (to the
    /// holder, or to the department a case it holds was dispatched to) that has none waiting.
    RaiseOrders,
    /// Take in 12345 work orders from the city hotline platform (工单导入): a JSON-lines
    /// file, one order per line in the fields docs/work-orders.md lists. Each becomes a
    /// hotline case numbered by its order number; an order already here is left as it is.
    /// The whole file is checked before anything is written.
    ImportOrders {
        /// The file.
        file: PathBuf,
        /// Take them in as `role@unit` (default: this node's 受理员).
        #[arg(long = "as")]
        as_: Option<String>,
    },
    /// Export cases to a JSON-lines file (导出).
    Export {
        /// The file to write.
        file: PathBuf,
    },
    /// Generate a synthetic workload for the demo district into this store (模拟数据).
    Generate {
        /// How many cases (a district-year is about 1 500 000).
        #[arg(long, default_value_t = 10_000)]
        cases: u64,
        /// Over how many days, ending at --now (default 365).
        #[arg(long, default_value_t = 365)]
        days: u32,
        /// Random seed.
        #[arg(long, default_value_t = 1)]
        seed: u64,
        /// Builder threads (default: all cores).
        #[arg(long)]
        workers: Option<usize>,
    },
    /// A guided walk-through on the demo district in a temporary store (演示).
    Walkthrough {
        /// Keep the store in this directory instead of a temporary one.
        #[arg(long)]
        keep: Option<PathBuf>,
    },
    /// Show the node's identity and store figures (节点信息).
    Status,
    /// Drills (演练): check a scenario file, or the after-action report of the drill cases this
    /// node holds.
    Drill {
        /// What to do.
        #[command(subcommand)]
        cmd: DrillCmd,
    },
    /// Emergency mode (平战一体): plans, open an incident (战时), tick its checklist, summon,
    /// put cases in its lane, stand down (平时).
    Emergency {
        /// A plan file of the city's own plans, added to (or replacing by id) the bundled
        /// ones; `plans.toml` in the data directory is read too.
        #[arg(long, global = true)]
        plans: Option<PathBuf>,
        /// What to do.
        #[command(subcommand)]
        cmd: EmergencyCmd,
    },
    /// The district root, roster and configuration (区级名册与配置): check, create, config,
    /// enrol, revoke.
    District {
        /// What to do.
        #[command(subcommand)]
        cmd: DistrictCmd,
    },
    /// Check every page of this node's store and rebuild a damaged one (修复存储): the file
    /// is moved aside, what still reads is taken back, and the rest comes from the district's
    /// peers when `gridloop node` next runs.
    Repair {
        /// Rebuild even a sound store (start over from the peers, keeping what reads).
        #[arg(long)]
        resync: bool,
    },
    /// Print this node's endpoint id, creating its key if needed (节点标识).
    Identity,
    /// Join a district with the signed roster file that enrols this node (加入).
    Join {
        /// The roster file from the district.
        roster: PathBuf,
        /// The operator's default role (default: the first role the roster grants).
        #[arg(long)]
        role: Option<String>,
        /// The district's configuration file (default: config.json beside the roster).
        #[arg(long)]
        config: Option<PathBuf>,
    },
    /// Run this node headless: sync with its peers until interrupted (同步节点).
    Node {
        /// UDP address to listen on.
        #[arg(long, default_value = "0.0.0.0:7447")]
        listen: std::net::SocketAddr,
        /// Also find peers on the LAN by mDNS.
        #[arg(long)]
        mdns: bool,
        /// Do not log peer states every second.
        #[arg(long)]
        quiet: bool,
    },
    /// Show each peer's state, last sync, backlog and the quarantine (对端状态).
    Peers,
    /// The live demo district (演示区): a district, two streets, four communities and two
    /// departments as real nodes syncing over loopback, with cases moving through all three
    /// loops.
    Demo {
        /// Print figures in the terminal instead of opening the workstation.
        #[arg(long)]
        headless: bool,
        /// Cases of history generated at the district before the nodes start.
        #[arg(long, default_value_t = 2000)]
        history: u64,
        /// Stop after this many seconds (0: run until interrupted).
        #[arg(long, default_value_t = 0)]
        seconds: u64,
        /// Keep the stores in this directory instead of a temporary one.
        #[arg(long)]
        keep: Option<PathBuf>,
    },
}

/// `gridloop district` subcommands.
#[derive(Subcommand, Debug)]
pub enum DistrictCmd {
    /// Check a district configuration folder (检查配置) and say what it holds.
    Check {
        /// The configuration folder (see docs/config.md).
        #[arg(long)]
        config: PathBuf,
    },
    /// Create the district's root key, an empty signed roster and the configuration signed
    /// as version 1 in DIR.
    Create {
        /// The district directory (keep root.key secret).
        #[arg(long)]
        dir: PathBuf,
        /// The district's configuration folder (区级配置包, see docs/config.md).
        #[arg(long)]
        config: PathBuf,
        /// A self-hosted relay URL for nodes that cannot reach each other directly.
        #[arg(long)]
        relay: Option<String>,
    },
    /// Enrol (or update) a node: its endpoint id, unit, roles, addresses and links.
    Enrol {
        /// The district directory.
        #[arg(long)]
        dir: PathBuf,
        /// Node id, e.g. n110101001.
        #[arg(long)]
        node: String,
        /// The node's endpoint id (`gridloop identity` on that node).
        #[arg(long)]
        key: String,
        /// Unit code.
        #[arg(long)]
        unit: String,
        /// Roles its operators may take (repeat; default: any the rules allow).
        #[arg(long)]
        role: Vec<String>,
        /// Static address ip:port where it listens (repeat).
        #[arg(long)]
        addr: Vec<std::net::SocketAddr>,
        /// Node ids it dials (repeat), e.g. its street and the district.
        #[arg(long)]
        link: Vec<String>,
        /// May sign bulk imports (`gridloop import`, `generate`): their changes carry other
        /// nodes' events and skip the checks that tie a move to its author. Grant it to the
        /// one node that loads the district's history, and to no other.
        #[arg(long)]
        import: bool,
    },
    /// Sign a new configuration version (配置更新) from a folder, in force from a time.
    Config {
        /// The district directory.
        #[arg(long)]
        dir: PathBuf,
        /// The configuration folder.
        #[arg(long)]
        config: PathBuf,
        /// When it takes effect, "YYYY-MM-DD HH:MM" in the district's time (default: now).
        #[arg(long)]
        effective: Option<String>,
    },
    /// Revoke a node by node id or endpoint id.
    Revoke {
        /// The district directory.
        #[arg(long)]
        dir: PathBuf,
        /// Node id or endpoint id.
        node: String,
        /// When the revocation takes effect, "YYYY-MM-DD HH:MM" in the district's time
        /// (default: now). Changes the node made before stay valid history.
        #[arg(long)]
        from: Option<String>,
    },
}

/// `gridloop emergency` subcommands.
#[derive(Subcommand, Debug)]
pub enum EmergencyCmd {
    /// The plans (预案) this node knows.
    Plans,
    /// 平时 or 战时: the open incidents covering this node's unit, their checklists and
    /// summons.
    Status {
        /// Print JSON instead of text.
        #[arg(long)]
        json: bool,
    },
    /// Open an emergency incident under a plan (启动预案): 战时 for the area.
    Start {
        /// The plan's id (see `gridloop emergency plans`).
        #[arg(long)]
        plan: String,
        /// Response level 1 (Ⅰ级, most severe) to 4 (default: the plan's).
        #[arg(long)]
        level: Option<u8>,
        /// Units put in 战时, each with everything under it (default: the operator's unit).
        #[arg(long)]
        area: Vec<String>,
        /// Grid where it happens (default: the first grid of the area).
        #[arg(long)]
        grid: Option<String>,
        /// Address.
        #[arg(long, default_value = "辖区")]
        address: String,
        /// What is happening.
        #[arg(long)]
        description: String,
        /// A drill incident (演练): never counts in real figures.
        #[arg(long)]
        drill: bool,
        /// Act as `role@unit` instead of the node's default.
        #[arg(long = "as")]
        as_: Option<String>,
    },
    /// Tick off checklist item N (1-based) of an incident (预案落实).
    Tick {
        /// The incident (case id or 案卷编号).
        incident: String,
        /// The item's number, as `status` lists it.
        item: u32,
        /// What was done.
        #[arg(long, default_value = "")]
        note: String,
        /// Act as `role@unit`.
        #[arg(long = "as")]
        as_: Option<String>,
    },
    /// Summon units and resources to an incident (应急调度); each unit must 报到.
    Summon {
        /// The incident.
        incident: String,
        /// A unit to summon (code or name); repeat for more.
        #[arg(long)]
        unit: Vec<String>,
        /// A resource to summon; repeat for more.
        #[arg(long)]
        resource: Vec<String>,
        /// Summon what the plan names (its departments and resources) not yet summoned.
        #[arg(long)]
        plan_defaults: bool,
        /// Act as `role@unit`.
        #[arg(long = "as")]
        as_: Option<String>,
    },
    /// Put an open case in an incident's priority lane (纳入应急), on its short limits.
    Link {
        /// The case.
        case: String,
        /// The incident (default: the most severe open one covering this node).
        #[arg(long)]
        incident: Option<String>,
        /// Act as `role@unit`.
        #[arg(long = "as")]
        as_: Option<String>,
    },
    /// Stand an incident down (解除): back to 平时.
    End {
        /// The incident.
        incident: String,
        /// Why it is over.
        #[arg(long)]
        note: String,
        /// Act as `role@unit`.
        #[arg(long = "as")]
        as_: Option<String>,
    },
}

/// `gridloop drill` subcommands.
#[derive(Subcommand, Debug)]
pub enum DrillCmd {
    /// Check a scenario (TOML): prints its timeline, or what is wrong with it.
    Check {
        /// The scenario file.
        scenario: PathBuf,
    },
    /// Play a scenario on the live demo district (its nodes, links and operators, on
    /// loopback), then print the after-action report.
    Run {
        /// The scenario file.
        scenario: PathBuf,
        /// How much faster than the scenario's clock to run (60: a minute a second).
        #[arg(long, default_value_t = 60.0)]
        speed: f64,
        /// Keep the demo's stores in this directory.
        #[arg(long)]
        keep: Option<PathBuf>,
        /// Print JSON instead of Markdown.
        #[arg(long)]
        json: bool,
    },
    /// Purge drill cases (演练清除) from the whole district: the district's 值班长 or 领导 signs
    /// an order that removes every drill case reported before `--before` here and, as it
    /// syncs, on every node. Run the after-action report first: purged cases are gone.
    Purge {
        /// Purge drill cases reported before this time (Beijing time); default: every drill
        /// case held now (drills played fast report at scenario times past the clock).
        #[arg(long)]
        before: Option<String>,
        /// Why, kept in the order (e.g. the drill it closes).
        #[arg(long, default_value = "")]
        note: String,
        /// Act as `role@unit` (值班长 or 领导 at the district).
        #[arg(long = "as")]
        as_: Option<String>,
        /// Only list what would be purged here.
        #[arg(long)]
        dry_run: bool,
    },
    /// The after-action report (演练评估) of the drill cases in this node's store, as Markdown
    /// (or JSON), judged against the scenario's expectations when one is given.
    Report {
        /// The scenario whose expectations apply.
        #[arg(long)]
        scenario: Option<PathBuf>,
        /// Print JSON instead of Markdown.
        #[arg(long)]
        json: bool,
    },
}

/// Arguments of `new`.
#[derive(Args, Debug)]
pub struct NewArgs {
    /// Source: hotline, supervisor, video, public, superior, grid_patrol, drill.
    #[arg(long)]
    pub source: String,
    /// Category code, e.g. E0102 (暴露垃圾).
    #[arg(long)]
    pub category: String,
    /// 15-digit grid code.
    #[arg(long)]
    pub grid: String,
    /// Address.
    #[arg(long)]
    pub address: String,
    /// Description.
    #[arg(long)]
    pub description: String,
    /// Reporter name (personal data).
    #[arg(long)]
    pub reporter_name: Option<String>,
    /// Reporter phone (personal data).
    #[arg(long)]
    pub reporter_phone: Option<String>,
    /// Photo references (处置前).
    #[arg(long)]
    pub photo: Vec<String>,
    /// 诉求类型 of a 12345 case: consult, help, complaint, report or suggestion (咨询, 求助,
    /// 投诉, 举报, 建议; default complaint).
    #[arg(long)]
    pub demand: Option<String>,
    /// Mark as a drill case.
    #[arg(long)]
    pub drill: bool,
    /// Report into the priority lane (应急通道) of the most severe open emergency incident
    /// covering this node.
    #[arg(long)]
    pub emergency: bool,
    /// Report as `role@unit[:person]` instead of the node's default.
    #[arg(long = "as")]
    pub as_: Option<String>,
}

/// Which report when no --period is given.
#[derive(Clone, Copy, Debug, ValueEnum)]
pub enum KindArg {
    /// 日报: today.
    Day,
    /// 周报: this week (Monday to Sunday).
    Week,
    /// 月报: this month.
    Month,
    /// 年报: this year.
    Year,
}

/// Report file formats.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum FormatArg {
    /// Markdown.
    Md,
    /// One self-contained HTML page.
    Html,
    /// An Excel workbook, one sheet per table (needs --out).
    Xlsx,
    /// The whole assessment as JSON.
    Json,
}

/// Arguments of `report` (报表).
#[derive(Args, Debug)]
pub struct ReportArgs {
    /// The period: 2026-11-23 (day), 2026-W48 (week), 2026-11 (month), 2026 (year) or
    /// 2026-11-01..2026-11-15 (custom). Default: the --kind period holding --now.
    #[arg(long)]
    pub period: Option<String>,
    /// Which report when --period is not given.
    #[arg(long, value_enum, default_value = "month")]
    pub kind: KindArg,
    /// Output format (default: from --out's extension, else Markdown).
    #[arg(long, value_enum)]
    pub format: Option<FormatArg>,
    /// Write to this file instead of standard output.
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Assessment settings (TOML: hotline_weights, dispatch_target_per_day, grade_floors, top).
    #[arg(long)]
    pub config: Option<PathBuf>,
    /// Write the cases behind this figure as CSV instead (its Chinese or English name, e.g.
    /// 按期结案率 or "on-time close rate").
    #[arg(long)]
    pub cases_of: Option<String>,
    /// With --cases-of: the unit (default: this node's unit), units below it included.
    #[arg(long)]
    pub unit: Option<String>,
    /// With --cases-of: only the cases that missed (e.g. not closed on time, or reworked).
    #[arg(long)]
    pub missed: bool,
}

/// Light filter on the command line.
#[derive(Clone, Copy, Debug, ValueEnum)]
pub enum LightArg {
    /// 绿灯.
    Green,
    /// 黄灯.
    Yellow,
    /// 红灯.
    Red,
}

/// Arguments of `list`.
#[derive(Args, Debug)]
pub struct ListArgs {
    /// Holder unit (default: this node's unit) for the inbox.
    #[arg(long)]
    pub holder: Option<String>,
    /// States to list (codes like to_dispatch or Chinese names); default: all open states.
    #[arg(long)]
    pub state: Vec<String>,
    /// Only this light.
    #[arg(long, value_enum)]
    pub light: Option<LightArg>,
    /// Overdue cases in this node's scope, most overdue first.
    #[arg(long)]
    pub overdue: bool,
    /// Cases on this grid cell.
    #[arg(long)]
    pub grid: Option<String>,
    /// Cases of this category.
    #[arg(long)]
    pub category: Option<String>,
    /// Cases reported on or after this day (YYYY-MM-DD).
    #[arg(long)]
    pub since: Option<String>,
    /// Cases whose address or number contains this text.
    #[arg(long)]
    pub search: Option<String>,
    /// At most this many rows.
    #[arg(long, default_value_t = 50)]
    pub limit: usize,
    /// Print JSON lines instead of a table.
    #[arg(long)]
    pub json: bool,
    /// Print CSV (UTF-8 with BOM, for spreadsheets) instead of a table.
    #[arg(long, conflicts_with = "json")]
    pub csv: bool,
}

/// Moves (操作), one per row of the workflow table.
#[derive(Subcommand, Debug)]
pub enum Move {
    /// 受理.
    Accept,
    /// 派核实: send a supervisor to verify first.
    SendToVerify,
    /// 不予受理.
    Reject {
        /// Why.
        #[arg(long)]
        reason: String,
    },
    /// 核实反馈.
    Verify {
        /// The report was not confirmed on site.
        #[arg(long)]
        not_found: bool,
        /// Note.
        #[arg(long, default_value = "")]
        note: String,
    },
    /// 立案 (category and grid default to the reported ones).
    Register {
        /// Category code.
        #[arg(long)]
        category: Option<String>,
        /// Grid code.
        #[arg(long)]
        grid: Option<String>,
    },
    /// 作废.
    Void {
        /// Why.
        #[arg(long)]
        reason: String,
    },
    /// 一案双派: to the territory (属地: a street or community) and the owning department
    /// (属主), or to several departments; each feeds back on its own.
    JointDispatch {
        /// The units (code or name), two or more.
        #[arg(long, required = true, num_args = 1..)]
        unit: Vec<String>,
    },
    /// 督办单: order the holder or a handling unit to report, with a deadline for its reply.
    Order {
        /// The unit ordered (code or name; default: the lead handler, else the holder).
        #[arg(long)]
        unit: Option<String>,
        /// What is ordered.
        #[arg(long)]
        note: String,
        /// The reply is due in this much working time (`1d`, `4h`).
        #[arg(long, default_value = "1d")]
        within: String,
    },
    /// 督办回复: answer the 督办单 sent to this unit.
    Reply {
        /// The answer.
        #[arg(long)]
        note: String,
    },
    /// 申诉: dispute the latest failed 核查, 不满意 回访 or refused 退单 against this unit.
    Appeal {
        /// Why.
        #[arg(long)]
        reason: String,
    },
    /// 并案: merge this case, a duplicate, into another that answers for it.
    Merge {
        /// The case it duplicates (id or 案卷编号).
        #[arg(long)]
        into: String,
        /// Why.
        #[arg(long)]
        note: String,
    },
    /// 双向考核: the street rates a department that reported in.
    Rate {
        /// The department (code or name).
        #[arg(long)]
        department: String,
        /// `satisfied`, `fair` or `dissatisfied` (满意/基本满意/不满意).
        #[arg(long, value_parser = parse_rating)]
        rating: Rating,
        /// Note.
        #[arg(long, default_value = "")]
        note: String,
    },
    /// 派遣 to a department, with assisting departments (协办) that do not feed back.
    Dispatch {
        /// Lead department (code or name); default: the suggested one (派遣建议, from the
        /// departments' duties), when the suggestion is a department.
        #[arg(long)]
        lead: Option<String>,
        /// Assisting departments.
        #[arg(long)]
        assist: Vec<String>,
    },
    /// 属地派遣: hand down to a street or community.
    DispatchDown {
        /// The street or community (code or name).
        #[arg(long)]
        unit: String,
    },
    /// 处置反馈 (lead handler, or on its behalf).
    Feedback {
        /// Note.
        #[arg(long, default_value = "已处置")]
        note: String,
        /// After-photos.
        #[arg(long)]
        photo: Vec<String>,
    },
    /// 申请回退/延期/挂账.
    Request {
        /// send_back, extension or park.
        #[arg(long)]
        kind: String,
        /// Why.
        #[arg(long)]
        reason: String,
        /// For an extension: how much more time, in working time as the calendar counts it
        /// (`2d` working days, `4h` working hours), added to the current due time.
        #[arg(long, conflicts_with = "until")]
        extend: Option<String>,
        /// For an extension: the new due time itself (`YYYY-MM-DD HH:MM`).
        #[arg(long)]
        until: Option<String>,
    },
    /// 批准 the waiting request.
    Approve {
        /// Note.
        #[arg(long, default_value = "同意")]
        note: String,
    },
    /// 驳回 the waiting request.
    Deny {
        /// Note.
        #[arg(long)]
        note: String,
    },
    /// 重启 a parked case.
    Reactivate,
    /// 核查通过.
    Pass {
        /// Note.
        #[arg(long, default_value = "核查通过")]
        note: String,
    },
    /// 核查不通过 (返工).
    Fail {
        /// Note.
        #[arg(long)]
        note: String,
    },
    /// 结案.
    Close,
    /// 回访: the citizen's two answers.
    Callback {
        /// 是否解决: does the citizen say it was solved (`yes`/`no`, 解决/未解决).
        #[arg(long, value_parser = parse_resolved, action = clap::ArgAction::Set)]
        resolved: bool,
        /// 满意度: `satisfied`, `fair` or `dissatisfied` (满意/基本满意/不满意; 不满意
        /// reopens the case).
        #[arg(long, value_parser = parse_rating)]
        rating: Rating,
        /// Note.
        #[arg(long, default_value = "")]
        note: String,
    },
    /// 上报上级: escalate to the level above.
    Escalate {
        /// Why.
        #[arg(long)]
        reason: String,
    },
    /// 吹哨: summon departments.
    Whistle {
        /// Departments (code or name), one or more.
        #[arg(long, required = true)]
        department: Vec<String>,
    },
    /// 先行联系: the unit handling a 12345 case has called the citizen.
    Contact {
        /// What was said.
        #[arg(long)]
        note: String,
        /// The unit (code or name; default: this node's own unit).
        #[arg(long)]
        unit: Option<String>,
    },
    /// 直接答复: answer a 12345 咨询 on the call, which ends it.
    Answer {
        /// The answer given.
        #[arg(long)]
        note: String,
    },
    /// 签收: a unit the case was dispatched to signs for it.
    SignFor {
        /// The unit signing (code or name; default: this node's own unit).
        #[arg(long)]
        unit: Option<String>,
    },
    /// 报到: a summoned department reports in.
    ReportIn {
        /// The department (code or name).
        #[arg(long)]
        department: String,
    },
    /// 督办.
    Supervise {
        /// Note.
        #[arg(long)]
        note: String,
    },
    /// 催办.
    Urge {
        /// Note.
        #[arg(long)]
        note: String,
    },
    /// 自处置 (community).
    SelfHandle,
    /// 自结案 with evidence (community).
    SelfClose {
        /// Evidence references (photos); at least one.
        #[arg(long, required = true)]
        evidence: Vec<String>,
        /// Note.
        #[arg(long, default_value = "已自行处置")]
        note: String,
    },
    /// 冲突处理: keep one branch.
    Resolve {
        /// The tip event of the branch to keep.
        #[arg(long)]
        keep: String,
        /// Why.
        #[arg(long)]
        note: String,
    },
}

/// `--resolved`: yes/no, 解决/未解决.
fn parse_resolved(s: &str) -> Result<bool, String> {
    match s {
        "yes" | "y" | "true" | "解决" | "已解决" => Ok(true),
        "no" | "n" | "false" | "未解决" => Ok(false),
        other => Err(format!(
            "`{other}` is not an answer: expected yes or no (解决/未解决)"
        )),
    }
}

/// `--rating`: satisfied/fair/dissatisfied or the Chinese answer.
fn parse_rating(s: &str) -> Result<Rating, String> {
    Rating::parse(s).ok_or_else(|| {
        format!(
            "`{s}` is not a rating: expected satisfied, fair or dissatisfied (满意/基本满意/不满意)"
        )
    })
}
