//! The text of a refusal: the English message (as the command line and the walkthrough have
//! always printed it) and the Chinese one for the workstation (中文提示).

use std::fmt;

use crate::domain::emergency::{EmergencyLimits, INCIDENT_CLASS};
use crate::domain::role::Role;

use super::Reason;

impl Reason {
    /// The Chinese message for the workstation (中文提示): short, naming units by name.
    pub fn zh(&self) -> String {
        use Reason::*;
        match self {
            WrongRole {
                act,
                allowed,
                holder,
                or_above,
                role,
                unit,
            } => format!(
                "只有{}{}的{}可以{}；您是{}的{}",
                holder.zh(),
                if *or_above { "及其上级" } else { "" },
                roles_zh(allowed),
                act_zh(act),
                unit.zh(),
                role.label_zh()
            ),
            NotForHandler {
                act,
                handler,
                holder,
                role,
                unit,
            } => format!(
                "{}须由{}的处置人员办理，或由责任单位{}的值班长/派遣员代办；您是{}的{}",
                act_zh(act),
                handler.zh(),
                holder.zh(),
                unit.zh(),
                role.label_zh()
            ),
            NotAbove {
                act,
                holder,
                role,
                unit,
            } => format!(
                "{}须由{}及其上级的领导或上级的值班长发起；您是{}的{}",
                act_zh(act),
                holder.zh(),
                unit.zh(),
                role.label_zh()
            ),
            NotCommand {
                act,
                allowed,
                holder,
                role,
                unit,
            } => format!(
                "{}须由{}及其上级的{}发起；您是{}的{}",
                act_zh(act),
                holder.zh(),
                roles_zh(allowed),
                unit.zh(),
                role.label_zh()
            ),
            NotInEmergency { role, unit } => format!(
                "预案清单由应急范围内单位的指挥人员落实；您是{}的{}",
                unit.zh(),
                role.label_zh()
            ),
            NotCommandAbove { holder, role, unit } => format!(
                "纳入应急须由{}及其上级的指挥人员办理；您是{}的{}",
                holder.zh(),
                unit.zh(),
                role.label_zh()
            ),
            WrongState {
                act,
                allowed,
                state,
            } => {
                let names: Vec<String> = allowed
                    .iter()
                    .map(|s| format!("「{}」", s.label_zh()))
                    .collect();
                format!(
                    "只有在{}状态才能{}；本案当前为「{}」",
                    names.join("或"),
                    act_zh(act),
                    state.label_zh()
                )
            }
            NotOpen { act, state } => {
                format!("本案已是「{}」，无需{}", state.label_zh(), act_zh(act))
            }
            RequestPending { kind, .. } => format!("已有{}申请等待审批", kind.label_zh()),
            MissingText { act, field } => {
                format!("{}须填写{}", act_zh(act), field.label_zh())
            }
            NotReportFirst => "案件的第一条记录必须是上报".into(),
            ReportedTwice => "一个案件只能上报一次".into(),
            NoReport => "流转记录中没有上报".into(),
            UnknownUnit { unit } => format!("未知单位 {unit}"),
            UnknownGrid { grid } => format!("未知网格编码 {grid}"),
            UnknownCategory { category } => format!("未知类别编码 {}", category.as_str()),
            OutsideTerritory {
                unit,
                grid,
                community,
            } => format!(
                "{}只能上报辖区内的问题；网格 {grid} 属于{}",
                unit.zh(),
                community.zh()
            ),
            CommunityDoesNotRegister => "社区不立案：请自处置或上报上级".into(),
            GridOutside { grid, holder } => {
                format!("网格 {grid} 不在{}辖区内", holder.zh())
            }
            NotCommunity => "只有社区可以自处置（微循环）".into(),
            NotSelfHandling => "只有社区自处置的案件才能自结案".into(),
            NoEvidence => "自结案须附证据（照片或说明）".into(),
            NotDepartment { unit } if unit.name.is_none() => unit.zh(),
            NotDepartment { unit } => format!("{}不是职能部门", unit.zh()),
            NamedTwice { unit } => format!("{}被重复指定", unit.zh()),
            NotBelow { unit, holder } => {
                format!("{}不是{}下辖的街道或社区", unit.zh(), holder.zh())
            }
            GridNotInTerritory { grid, unit } => {
                format!("网格 {grid} 不在{}的属地范围内", unit.zh())
            }
            SelfHandledFeedback => "自处置案件以自结案办结，不做处置反馈".into(),
            NotLead { unit } => format!("{}不是本案的主办单位", unit.zh()),
            NotHandling { unit } => format!("{}未承办本案", unit.zh()),
            ExtensionNotLater => "延期须申请晚于当前时限的新时限".into(),
            SelfHandledSendBack => "自处置案件不能回退，请上报上级".into(),
            NoPendingRequest => "没有待审批的申请".into(),
            OtherRequest { waiting, named } => {
                format!("待审批的申请是 {waiting}，不是 {named}")
            }
            NoCallback { source } => {
                format!(
                    "只有热线和公众上报的案件需要回访；本案来源为{}",
                    source.label_zh()
                )
            }
            CallbackDone => "本案已回访".into(),
            CallbackDisagrees => "满意度与是否结束不一致：不满意须重办，满意或基本满意结束".into(),
            NoConflict => "此分支没有需要处理的冲突".into(),
            NoLevelAbove { holder } => format!("{}没有可上报的上级", holder.zh()),
            NotStreet => "只有街道可以吹哨（街道吹哨、部门报到）".into(),
            NoDepartments => "请至少指定一个部门".into(),
            AlreadyReportedIn { unit } => format!("{}已经报到", unit.zh()),
            NotSummoned { unit } => format!("{}未被召集", unit.zh()),
            AlreadySigned { unit } => format!("{}已经签收", unit.zh()),
            AlreadyContacted { unit } => format!("{}已经先行联系诉求人", unit.zh()),
            NoCaller { source } => format!(
                "只有热线和公众上报的案件有诉求人可联系；本案来源为{}",
                source.label_zh()
            ),
            NotConsult => "只有12345咨询类诉求可以直接答复".into(),
            AlreadyFedBack { unit } => format!("{}已经反馈，等待核查", unit.zh()),
            JointUnits => "一案双派须派给两个以上不同单位：属主部门，或本级以下辖区含本案网格的街道、社区（属地）".into(),
            NotOrderable { unit } => format!("督办单只能发给责任单位或处置单位；{}不在办本案", unit.zh()),
            OrderDueBefore => "督办单的回复期限须晚于发出时间".into(),
            NoOrder { order } => format!("没有发给本单位、尚未回复的督办单 {order}"),
            NothingToAppeal { against } => format!(
                "{against} 不是针对本单位的核查不通过、不满意回访或驳回的退单，无可申诉"
            ),
            MergeTarget => "不能并入本案自身，也不能并入已被并案的案件".into(),
            NotMerged => "只有已并案的案件随主案办结".into(),
            NotReportedIn { unit } => format!("{}未报到，不能评价", unit.zh()),
            AlreadyRated { unit } => format!("已评价过{}", unit.zh()),
            AlreadyActivated => "本案已启动应急预案".into(),
            NotIncidentClass { category } => format!(
                "只有突发事件（{INCIDENT_CLASS}xx）案件可以启动预案；本案类别为 {}",
                category.as_str()
            ),
            BadLevel { level } => format!("响应级别 {level} 无效，应为Ⅰ级至Ⅳ级"),
            EmptyArea => "请指定应急范围".into(),
            NotAreaUnit { unit } => format!("{}不是区、街道或社区", unit.zh()),
            AreaOutside { by, unit } => {
                format!("{}只能将本辖区转入战时，不能包括{}", by.zh(), unit.zh())
            }
            BadChecklist => "预案清单不能为空，也不能有空项".into(),
            ZeroLimit { limits } => match zero_limit_zh(limits) {
                Some(name) => format!("应急时限「{name}」至少为 1 分钟"),
                None => "应急时限至少为 1 分钟".into(),
            },
            IncidentEnded => "应急事件已解除".into(),
            NoIncident => "本案不是应急事件（请先启动预案）".into(),
            NoSuchItem { items, item } => {
                format!("预案共 {items} 项，没有第 {} 项", u64::from(*item) + 1)
            }
            ItemDone { item, text } => {
                format!("第 {} 项（“{text}”）已落实", u64::from(*item) + 1)
            }
            NothingSummoned => "请至少指定一个单位或资源".into(),
            CannotSummon { unit } => format!(
                "{}不能调度：只能调度部门，或应急范围内的街道、社区",
                unit.zh()
            ),
            AlreadySummoned { unit } => format!("{}已被调度", unit.zh()),
            IncidentIsLane => "应急事件本身就是应急通道，不能再纳入".into(),
            AlreadyInLane { incident } => format!("本案已纳入应急事件 {incident} 的通道"),
            ResolveBranches => "冲突处理须在所合并的分支中指明保留哪一支".into(),
            KeptInvalid { keep } => format!("保留的分支 {keep} 无效"),
            NotConflictTip { keep } => format!("{keep} 不是冲突分支的末端"),
            NotSingleAfter => "普通操作只能接在一条记录之后".into(),
            AfterMissing => "所接续的记录不在流转记录中".into(),
            InConflict => "本案存在冲突，请先处理冲突".into(),
        }
    }
}

impl fmt::Display for Reason {
    /// The English message (unchanged from the untyped refusals).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        use Reason::*;
        match self {
            WrongRole {
                act,
                allowed,
                holder,
                or_above,
                role,
                unit,
            } => write!(
                f,
                "{act} may be made only by {} {} {holder} (the holder); you are {} at {unit}",
                roles_slash(allowed),
                if *or_above { "at or above" } else { "at" },
                role.label_zh()
            ),
            NotForHandler {
                act,
                handler,
                holder,
                role,
                unit,
            } => write!(
                f,
                "{act} for {handler} may be made only by that unit's handler or by the holder {holder}'s 值班长/派遣员 on its behalf; you are {} at {unit}",
                role.label_zh()
            ),
            NotAbove {
                act,
                holder,
                role,
                unit,
            } => write!(
                f,
                "{act} is made by a 领导 at or above, or a 值班长 above, the holder {holder}; you are {} at {unit}",
                role.label_zh()
            ),
            NotCommand {
                act,
                allowed,
                holder,
                role,
                unit,
            } => write!(
                f,
                "{act} is made by {} at or above the holder {holder}; you are {} at {unit}",
                roles_slash(allowed),
                role.label_zh()
            ),
            NotInEmergency { role, unit } => write!(
                f,
                "the checklist is ticked off by command staff of the units in the emergency; you are {} at {unit}",
                role.label_zh()
            ),
            NotCommandAbove { holder, role, unit } => write!(
                f,
                "a case is put in an emergency lane by command staff at or above its holder {holder}; you are {} at {unit}",
                role.label_zh()
            ),
            WrongState {
                act,
                allowed,
                state,
            } => {
                let names: Vec<&str> = allowed.iter().map(|x| x.label_zh()).collect();
                write!(
                    f,
                    "{act} is allowed only in state {}; the case is {}",
                    names.join("/"),
                    state.label_zh()
                )
            }
            NotOpen { state, .. } => {
                write!(f, "the case is {}; nothing to supervise", state.label_zh())
            }
            RequestPending { kind, request } => write!(
                f,
                "a {} request ({request}) is waiting for approval",
                kind.label_zh()
            ),
            MissingText { act, field } => write!(f, "{act} needs a {}", field.code()),
            NotReportFirst => f.write_str("the first event of a case must be the report"),
            ReportedTwice => f.write_str("a case is reported only once"),
            NoReport => f.write_str("the trail has no report event"),
            UnknownUnit { unit } => write!(f, "unknown unit {unit}"),
            UnknownGrid { grid } => write!(f, "unknown grid code {grid}"),
            UnknownCategory { category } => write!(f, "unknown category code {category}"),
            OutsideTerritory {
                unit,
                grid,
                community,
            } => write!(
                f,
                "{unit} may report only in its own territory; grid {grid} belongs to {community}"
            ),
            CommunityDoesNotRegister => f.write_str(
                "a community handles its cases itself (自处置) or escalates them; it does not register",
            ),
            GridOutside { grid, holder } => {
                write!(f, "grid {grid} is outside {holder}'s territory")
            }
            NotCommunity => f.write_str("only a community self-handles (微循环)"),
            NotSelfHandling => f.write_str(
                "only a case the community handles itself (自处置) is self-closed",
            ),
            NoEvidence => f.write_str("self-closing needs evidence (a photo or note reference)"),
            NotDepartment { unit } if unit.name.is_none() => write!(f, "{unit}"),
            NotDepartment { unit } => write!(f, "{unit} is not a department"),
            NamedTwice { unit } => write!(f, "{unit} is named twice"),
            NotBelow { unit, holder } => {
                write!(f, "{unit} is not a street or community under {holder}")
            }
            GridNotInTerritory { grid, unit } => {
                write!(f, "grid {grid} is not in {unit}'s territory (属地)")
            }
            SelfHandledFeedback => {
                f.write_str("a self-handled case (自处置) is closed with 自结案, not fed back")
            }
            NotLead { unit } => write!(f, "{unit} is not the lead handler of this case"),
            NotHandling { unit } => write!(f, "{unit} is not handling this case"),
            ExtensionNotLater => {
                f.write_str("an extension needs a new due time later than the current one")
            }
            SelfHandledSendBack => {
                f.write_str("a self-handled case cannot be sent back; escalate it instead")
            }
            NoPendingRequest => f.write_str("no request is waiting for approval"),
            OtherRequest { waiting, named } => {
                write!(f, "the waiting request is {waiting}, not {named}")
            }
            NoCallback { source } => write!(
                f,
                "only hotline and public cases are called back; this one came from {}",
                source.label_zh()
            ),
            CallbackDone => f.write_str("the callback was already made"),
            CallbackDisagrees => f.write_str(
                "the satisfaction answer disagrees with whether the case ends: dissatisfied reopens it, satisfied or fairly satisfied ends it",
            ),
            NoConflict => f.write_str("there is no conflict to resolve on this branch"),
            NoLevelAbove { holder } => {
                write!(f, "{holder} has no level above it to escalate to")
            }
            NotStreet => f.write_str("only a street blows the whistle (街道吹哨、部门报到)"),
            NoDepartments => f.write_str("name at least one department"),
            AlreadyReportedIn { unit } => write!(f, "{unit} has already reported in"),
            NotSummoned { unit } => write!(f, "{unit} was not summoned"),
            AlreadySigned { unit } => write!(f, "{unit} has already signed for the case"),
            AlreadyContacted { unit } => write!(f, "{unit} has already contacted the caller"),
            NoCaller { source } => write!(
                f,
                "only hotline and public cases have a caller to contact; this one came from {}",
                source.label_zh()
            ),
            NotConsult => f.write_str("only a 12345 consultation (咨询) is answered directly"),
            AlreadyFedBack { unit } => {
                write!(f, "{unit} has already fed back; the case waits for 核查")
            }
            JointUnits => f.write_str(
                "一案双派 goes to two or more different units: departments (属主), or a street or \
                 community under the holder whose territory holds the case (属地)",
            ),
            NotOrderable { unit } => write!(
                f,
                "a 督办单 goes to the holder or a unit handling the case; {unit} is neither"
            ),
            OrderDueBefore => f.write_str("a 督办单's reply must be due after it is issued"),
            NoOrder { order } => write!(f, "no unanswered 督办单 {order} to this unit"),
            NothingToAppeal { against } => write!(
                f,
                "{against} is not a failed 核查, a 不满意 回访 or a refused 退单 of this unit: \
                 nothing to appeal"
            ),
            MergeTarget => f.write_str(
                "a case is not merged into itself, nor into a case that was merged elsewhere",
            ),
            NotMerged => f.write_str("only a merged case closes with the case it was merged into"),
            NotReportedIn { unit } => {
                write!(f, "{unit} has not reported in: there is nothing to rate")
            }
            AlreadyRated { unit } => write!(f, "{unit} has been rated on this case already"),
            AlreadyActivated => f.write_str("this case has already opened an emergency incident"),
            NotIncidentClass { category } => write!(
                f,
                "only a 突发事件 ({INCIDENT_CLASS}xx) case opens an emergency; this one is {}",
                category.as_str()
            ),
            BadLevel { level } => {
                write!(f, "response level {level} is not 1 (Ⅰ级) to 4 (Ⅳ级)")
            }
            EmptyArea => f.write_str("name the area the emergency covers"),
            NotAreaUnit { unit } => {
                write!(f, "{unit} is not a district, street or community")
            }
            AreaOutside { by, unit } => {
                write!(f, "{by} may put only its own territory in 战时, not {unit}")
            }
            BadChecklist => f.write_str("a plan needs a checklist with no empty item"),
            ZeroLimit { limits } => f.write_str(&limits.check().err().unwrap_or_default()),
            IncidentEnded => f.write_str("the emergency incident has been stood down (解除)"),
            NoIncident => {
                f.write_str("this case is not an emergency incident (启动预案 first)")
            }
            NoSuchItem { items, item } => write!(
                f,
                "the plan has {items} items; there is no item {}",
                u64::from(*item) + 1
            ),
            ItemDone { item, text } => {
                write!(f, "item {} (“{text}”) is already done", item + 1)
            }
            NothingSummoned => f.write_str("name at least one unit or resource to summon"),
            CannotSummon { unit } => write!(
                f,
                "{unit} cannot be summoned: a department, or a street or community in the emergency's area"
            ),
            AlreadySummoned { unit } => write!(f, "{unit} is already summoned"),
            IncidentIsLane => {
                f.write_str("an emergency incident is not put in a lane; it is the lane")
            }
            AlreadyInLane { incident } => {
                write!(f, "the case is already in the lane of incident {incident}")
            }
            ResolveBranches => f.write_str(
                "a resolution names the branch it keeps among the tips it joins",
            ),
            KeptInvalid { keep } => write!(f, "kept branch {keep} is not valid"),
            NotConflictTip { keep } => {
                write!(f, "{keep} is not the tip of a conflicting branch")
            }
            NotSingleAfter => f.write_str("an ordinary move is made after exactly one event"),
            AfterMissing => f.write_str("the event it was made after is not in the trail"),
            InConflict => f.write_str(
                "the case is in conflict (冲突): resolve it before any other move",
            ),
        }
    }
}

/// Roles joined by `/` with their Chinese names (`值班长/领导`), as the English text has them.
fn roles_slash(roles: &[Role]) -> String {
    let names: Vec<&str> = roles.iter().map(|r| r.label_zh()).collect();
    names.join("/")
}

/// Roles joined by `或` (`值班长或领导`), for Chinese text.
fn roles_zh(roles: &[Role]) -> String {
    let names: Vec<&str> = roles.iter().map(|r| r.label_zh()).collect();
    names.join("或")
}

/// The first zero limit's Chinese name, in the order [`EmergencyLimits::check`] looks.
fn zero_limit_zh(l: &EmergencyLimits) -> Option<&'static str> {
    [
        ("受理", l.accept),
        ("立案", l.register),
        ("派遣", l.dispatch),
        ("处置", l.handle),
        ("核查", l.check),
        ("结案", l.close),
        ("报到", l.report_in),
    ]
    .into_iter()
    .find(|(_, v)| *v == 0)
    .map(|(n, _)| n)
}

/// The Chinese name of a move or approval tier, for Chinese text (`dispatch` → 派遣).
fn act_zh(act: &str) -> &str {
    match act {
        "report" => "上报",
        "accept" => "受理",
        "send_to_verify" => "派核实",
        "reject" => "不予受理",
        "verify" => "核实反馈",
        "register" => "立案",
        "void" => "作废",
        "dispatch" => "派遣",
        "dispatch_down" => "属地派遣",
        "feedback" => "处置反馈",
        "request" => "提出申请",
        "decide" => "审批",
        "decide.回退" => "审批回退",
        "decide.first 延期" => "审批首次延期",
        "decide.further 延期 (tiered)" => "审批再次延期",
        "decide.挂账" => "审批挂账",
        "reactivate" => "重启",
        "check" => "核查",
        "close" => "结案",
        "callback" => "回访",
        "escalate" => "上报上级",
        "whistle" => "吹哨",
        "report_in" => "报到",
        "sign_for" => "签收",
        "contact" => "先行联系",
        "answer" => "直接答复",
        "supervise" => "督办",
        "urge" => "催办",
        "self_handle" => "自处置",
        "self_close" => "自结案",
        "resolve" => "处理冲突",
        "activate" => "启动预案",
        "tick" => "落实预案",
        "summon" => "应急调度",
        "stand_down" => "解除应急",
        "link" => "纳入应急",
        other => other,
    }
}
