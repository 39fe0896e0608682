//! The manual (task 13 of the plan): one page per role, what to do at the
//! start of term, during it and at its end, step by step, each step a link
//! to the page where it is done. Written here, beside the routes it names,
//! so a test can follow every link.

use askama::Template;
use axum::Router;
use axum::extract::Path;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use tongyu_domain::Error;

use crate::AppState;
use crate::error::{PageError, PageResult};
use crate::extract::PageUser;
use crate::page::{Nav, render};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/manual", get(index))
        .route("/manual/{role}", get(role))
}

/// A step: what to do, and where.
pub struct Step {
    pub text: &'static str,
    pub href: &'static str,
    pub link: &'static str,
}

/// A part of the term.
pub struct Part {
    pub title: &'static str,
    pub steps: &'static [Step],
}

/// A role's manual.
pub struct Manual {
    /// The role's key (`Role::as_str`), or `parent`.
    pub key: &'static str,
    /// A demo account of the role, for the tests that follow every link.
    pub demo_user: &'static str,
    pub title: &'static str,
    pub intro: &'static str,
    pub parts: &'static [Part],
}

const fn step(text: &'static str, href: &'static str, link: &'static str) -> Step {
    Step { text, href, link }
}

/// Every role's manual.
pub const MANUALS: &[Manual] = &[
    Manual {
        key: "city_admin",
        demo_user: "city-admin",
        title: "市级管理员",
        intro: "统筹全市家校社协同育人工作：确定考核数字，组织开学第一课，召开联席会议，掌握各区(市)进展。",
        parts: &[
            Part {
                title: "学期开始",
                steps: &[
                    step(
                        "核对行动计划的考核数字（必修课场次与课时、工作小组人数、工作室目标等），修改须两步确认并说明依据。",
                        "/plan",
                        "行动计划",
                    ),
                    step(
                        "建立本学期的开学第一课，选定各年级的课程。",
                        "/campaigns",
                        "开学第一课",
                    ),
                    step(
                        "填写协调小组组长与成员单位，安排本半年的联席会议。",
                        "/coordination",
                        "协调小组",
                    ),
                ],
            },
            Part {
                title: "学期中",
                steps: &[
                    step(
                        "查看各区(市)学校组织覆盖情况：总协调员、工作小组、工作计划、家委会与“双团”。",
                        "/work-group",
                        "学校组织覆盖",
                    ),
                    step(
                        "组织班主任“五步法”、家委会主任等培训，查看完成情况。",
                        "/training",
                        "培训",
                    ),
                    step("遴选名师工作室，管理专家资源库。", "/studios", "名师工作室"),
                    step(
                        "认定区(市)已审核通过的家庭教育指导师申请并发证，必要时调整各等级条件。",
                        "/certification",
                        "指导师认定",
                    ),
                    step(
                        "查看诉求办理与满意度，督促逾期事项。",
                        "/appeals",
                        "诉求办理",
                    ),
                ],
            },
            Part {
                title: "学期末",
                steps: &[
                    step(
                        "查看各单位账号激活与家长绑定情况，导出表格存档。",
                        "/activation",
                        "账号激活",
                    ),
                    step(
                        "考核名师工作室，检查联席会议决定事项的落实。",
                        "/coordination",
                        "协调小组",
                    ),
                ],
            },
        ],
    },
    Manual {
        key: "district_admin",
        demo_user: "district-admin",
        title: "区(市)管理员",
        intro: "推动本区(市)学校落实行动计划：协调小组、指导中心、学校组织、培训与必修课。",
        parts: &[
            Part {
                title: "学期开始",
                steps: &[
                    step(
                        "维护本区协调小组，记录联席会议与决定事项。",
                        "/coordination",
                        "协调小组",
                    ),
                    step(
                        "完善区协同育人指导中心档案，记录服务。",
                        "/guidance",
                        "指导中心",
                    ),
                ],
            },
            Part {
                title: "学期中",
                steps: &[
                    step(
                        "查看学校组织覆盖，督促缺总协调员、工作小组不足6人的学校。",
                        "/work-group",
                        "学校组织覆盖",
                    ),
                    step("查看各校必修课安排与达标情况。", "/delivery", "必修课"),
                    step("组织全员家访培训等区级培训。", "/training", "培训"),
                    step(
                        "审核本区教师的指导师认定申请，督促各校每个年级配备指导教师。",
                        "/certification",
                        "指导师认定",
                    ),
                    step("办理本区诉求，按时联系与答复。", "/appeals", "诉求办理"),
                ],
            },
            Part {
                title: "学期末",
                steps: &[step(
                    "查看账号激活与家长绑定，导出表格。",
                    "/activation",
                    "账号激活",
                )],
            },
        ],
    },
    Manual {
        key: "school_admin",
        demo_user: "school-admin",
        title: "学校管理员 / 总协调员",
        intro: "把行动计划落到本校：工作小组、家委会、“双团”、必修课、开学第一课与诉求。",
        parts: &[
            Part {
                title: "学期开始",
                steps: &[
                    step("导入班级、教师、学生与家长。", "/imports", "批量导入"),
                    step(
                        "明确总协调员，补齐工作小组（不少于6人），填写本学期家庭教育工作计划。",
                        "/work-group",
                        "工作小组",
                    ),
                    step(
                        "组建或调整校级、年级、班级家委会，聘请家长讲师。",
                        "/committees",
                        "家委会",
                    ),
                    step(
                        "为每个年级指定一名家庭教育指导教师。",
                        "/certification",
                        "指导师认定",
                    ),
                ],
            },
            Part {
                title: "学期中",
                steps: &[
                    step("督促各班安排与上好必修课。", "/delivery", "必修课"),
                    step("组织教师参加培训，查看学时。", "/training", "培训"),
                    step("办理本校诉求，按时联系家长。", "/appeals", "诉求办理"),
                    step("邀请专家来校讲座。", "/experts", "专家库"),
                ],
            },
            Part {
                title: "学期末",
                steps: &[step(
                    "查看本校账号激活与家长绑定。",
                    "/activation",
                    "账号激活",
                )],
            },
        ],
    },
    Manual {
        key: "head_teacher",
        demo_user: "head-teacher",
        title: "班主任",
        intro: "带领本班家长学习：开学第一课、每学年4次8课时必修课、家委会、确认家长绑定。",
        parts: &[
            Part {
                title: "学期开始",
                steps: &[
                    step(
                        "在首页待办中确认家长绑定，跟进开学第一课未完成的家庭。",
                        "/",
                        "待办",
                    ),
                    step("组建班级家委会，记录选举。", "/committees", "家委会"),
                ],
            },
            Part {
                title: "学期中",
                steps: &[
                    step(
                        "安排必修课，现场扫码签到，课后记录。",
                        "/delivery",
                        "必修课",
                    ),
                    step("参加“五步法”培训，扫码签到记入学时。", "/training", "培训"),
                    step(
                        "达到条件后申请家庭教育指导师认定，证明材料由平台自动生成。",
                        "/certification",
                        "指导师认定",
                    ),
                    step("在课程库中为家长挑选课程。", "/library", "课程库"),
                ],
            },
        ],
    },
    Manual {
        key: "teacher",
        demo_user: "teacher",
        title: "教师 / 家庭教育指导教师",
        intro: "参加培训、贡献微课与教案、参与名师工作室。",
        parts: &[Part {
            title: "全学期",
            steps: &[
                step("参加家访等培训，查看自己的学时。", "/training", "培训"),
                step("上传微课或教案，跟进审核。", "/contributions", "微课与教案"),
                step("申报或参与名师工作室。", "/studios", "名师工作室"),
                step(
                    "查看认定条件的进度，申请家庭教育指导师认定或续期。",
                    "/certification",
                    "指导师认定",
                ),
            ],
        }],
    },
    Manual {
        key: "researcher",
        demo_user: "researcher",
        title: "教研员",
        intro: "为指导中心记录服务，组织讲师培训。",
        parts: &[Part {
            title: "全学期",
            steps: &[
                step("记录咨询、讲座、培训与进校指导。", "/guidance", "指导中心"),
                step("组织或参加培训。", "/training", "培训"),
            ],
        }],
    },
    Manual {
        key: "expert",
        demo_user: "expert",
        title: "专家",
        intro: "答复学校与教育局的讲座、评审邀请，审核微课与教案。",
        parts: &[Part {
            title: "全学期",
            steps: &[
                step(
                    "在首页或专家库中答复邀请，维护档案，申报利益关系。",
                    "/experts",
                    "专家库",
                ),
                step("审核微课与教案。", "/contributions", "微课与教案"),
            ],
        }],
    },
    Manual {
        key: "parent",
        demo_user: "parent",
        title: "家长",
        intro: "学习课程、参加必修课、反映诉求。",
        parts: &[Part {
            title: "全学期",
            steps: &[
                step("查看孩子的学习任务和下一次必修课。", "/my", "我的孩子"),
                step("学习开学第一课和家长课堂。", "/learn", "家长课堂"),
                step("浏览课程库，收藏想学的课程。", "/library", "课程库"),
                step("用查询码查看诉求办理进展。", "/a", "诉求查询"),
            ],
        }],
    },
];

/// The manual's key for an account's roles: its first role with a page.
fn key_of(user: &PageUser) -> &'static str {
    use tongyu_domain::account::Role;
    let a = &user.session.actor;
    let order: [(Role, &str); 9] = [
        (Role::CityAdmin, "city_admin"),
        (Role::DistrictAdmin, "district_admin"),
        (Role::SchoolAdmin, "school_admin"),
        (Role::Coordinator, "school_admin"),
        (Role::HeadTeacher, "head_teacher"),
        (Role::Researcher, "researcher"),
        (Role::Expert, "expert"),
        (Role::Teacher, "teacher"),
        (Role::Instructor, "teacher"),
    ];
    order
        .iter()
        .find(|(r, _)| a.has_role(*r))
        .map_or("parent", |(_, k)| *k)
}

#[derive(Template)]
#[template(path = "manual/index.html")]
struct IndexPage {
    nav: Nav,
    mine: &'static str,
    manuals: &'static [Manual],
}

async fn index(user: PageUser) -> PageResult<Response> {
    let page = IndexPage {
        nav: Nav::for_user(&user),
        mine: key_of(&user),
        manuals: MANUALS,
    };
    Ok(render(&page)?.into_response())
}

#[derive(Template)]
#[template(path = "manual/role.html")]
struct RolePage {
    nav: Nav,
    m: &'static Manual,
}

async fn role(user: PageUser, Path(key): Path<String>) -> PageResult<Response> {
    let Some(m) = MANUALS.iter().find(|m| m.key == key) else {
        return Err(PageError(Error::not_found()));
    };
    Ok(render(&RolePage {
        nav: Nav::for_user(&user),
        m,
    })?
    .into_response())
}
