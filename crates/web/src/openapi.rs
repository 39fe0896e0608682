//! The OpenAPI document, built from one table of the API's operations.

use axum::routing::get;
use axum::{Json, Router};
use serde_json::{Value, json};

use crate::AppState;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/openapi.json", get(document))
        .route("/docs", get(docs))
        .route("/docs/swagger-ui-bundle.js", get(swagger_js))
        .route("/docs/swagger-ui.css", get(swagger_css))
        .route("/docs/init.js", get(swagger_init))
}

/// Swagger UI over the document; its assets are compiled in (see
/// `crates/web/vendor/swagger-ui/README.md`).
async fn docs() -> impl axum::response::IntoResponse {
    (
        [(
            axum::http::header::CONTENT_SECURITY_POLICY,
            "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; \
             img-src 'self' data:; object-src 'none'; base-uri 'self'; frame-ancestors 'none'",
        )],
        axum::response::Html(
            r#"<!doctype html>
<html lang="zh-CN"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>同育 API 文档</title><link rel="stylesheet" href="/api/docs/swagger-ui.css"></head>
<body><div id="swagger-ui"></div>
<script src="/api/docs/swagger-ui-bundle.js"></script><script src="/api/docs/init.js"></script></body></html>"#,
        ),
    )
}

fn asset(content_type: &'static str, body: &'static [u8]) -> axum::response::Response {
    use axum::http::header;
    use axum::response::IntoResponse;
    (
        [
            (header::CONTENT_TYPE, content_type),
            (header::CACHE_CONTROL, "public, max-age=86400"),
        ],
        body,
    )
        .into_response()
}

async fn swagger_js() -> axum::response::Response {
    asset(
        "text/javascript; charset=utf-8",
        include_bytes!("../vendor/swagger-ui/swagger-ui-bundle.js"),
    )
}

async fn swagger_css() -> axum::response::Response {
    asset(
        "text/css; charset=utf-8",
        include_bytes!("../vendor/swagger-ui/swagger-ui.css"),
    )
}

async fn swagger_init() -> axum::response::Response {
    asset(
        "text/javascript; charset=utf-8",
        b"window.ui = SwaggerUIBundle({ url: '/api/openapi.json', dom_id: '#swagger-ui', deepLinking: true });\n",
    )
}

/// (method, path, summary, tag, has a JSON body, success status)
#[rustfmt::skip]
pub const OPERATIONS: &[(&str, &str, &str, &str, bool, u16)] = &[
    ("post", "/api/v1/auth/login", "登录，返回 bearer 令牌", "auth", true, 200),
    ("post", "/api/v1/auth/logout", "退出登录（令牌失效）", "auth", false, 204),
    ("post", "/api/v1/auth/codes", "向手机号发送注册验证码 {phone}（无论号码是否注册，应答相同）", "auth", true, 202),
    ("post", "/api/v1/auth/register", "家长凭短信验证码注册或激活学校导入的账号，返回令牌", "auth", true, 201),
    ("post", "/api/v1/me/codes", "向本人手机发送验证码 {purpose: bind}", "auth", true, 202),
    ("post", "/api/v1/auth/second-factor/setup", "管理员设置动态口令：返回密钥与 otpauth 地址", "auth", false, 201),
    ("post", "/api/v1/auth/second-factor", "管理员输入动态口令或恢复码，返回新令牌（设置时另返回恢复码）", "auth", true, 200),
    ("post", "/api/v1/auth/password", "修改自己的密码", "auth", true, 204),
    ("get", "/api/v1/me", "当前账号及其角色", "auth", false, 200),
    ("get", "/api/v1/integration/whoami", "接口令牌自身信息", "auth", false, 200),
    ("get", "/api/v1/units", "可查看的最上层单位", "units", false, 200),
    ("get", "/api/v1/units/{id}", "单位详情", "units", false, 200),
    ("patch", "/api/v1/units/{id}", "修改单位名称或学段", "units", true, 200),
    ("get", "/api/v1/units/{id}/children", "下级单位", "units", false, 200),
    ("post", "/api/v1/units/{id}/children", "新增下级单位", "units", true, 201),
    ("post", "/api/v1/units/{id}/move", "把学校调整到其他镇(街)", "units", true, 200),
    ("post", "/api/v1/units/{id}/deactivate", "停用单位", "units", false, 200),
    ("post", "/api/v1/units/{id}/activate", "恢复启用单位", "units", false, 200),
    ("get", "/api/v1/accounts", "范围内的账号（role、q、unit_id、limit、offset）", "accounts", false, 200),
    ("post", "/api/v1/accounts", "新建账号并授予一个角色", "accounts", true, 201),
    ("get", "/api/v1/accounts/{id}", "账号详情", "accounts", false, 200),
    ("post", "/api/v1/accounts/{id}/phone", "查看完整手机号（记入审计）", "accounts", false, 200),
    ("post", "/api/v1/accounts/{id}/grants", "增加角色", "accounts", true, 200),
    ("delete", "/api/v1/accounts/{id}/grants/{role}/{unit_id}", "撤销角色", "accounts", false, 204),
    ("post", "/api/v1/accounts/{id}/reset-password", "重置密码", "accounts", false, 200),
    ("post", "/api/v1/accounts/{id}/unlock", "解除锁定", "accounts", false, 204),
    ("post", "/api/v1/accounts/{id}/second-factor/reset", "安全管理员重置动态口令（手机丢失时）", "accounts", false, 204),
    ("post", "/api/v1/accounts/{id}/deactivate", "停用账号", "accounts", false, 204),
    ("post", "/api/v1/accounts/{id}/activate", "启用账号", "accounts", false, 204),
    ("get", "/api/v1/classes/{id}/roster", "班级学生与家长（记入审计）", "classes", false, 200),
    ("post", "/api/v1/classes/{id}/students", "添加学生", "classes", true, 201),
    ("post", "/api/v1/classes/{id}/invite", "生成班级邀请码", "classes", false, 201),
    ("post", "/api/v1/guardian-requests", "家长凭邀请码申请绑定孩子", "classes", true, 201),
    ("post", "/api/v1/classes/{id}/guardians/{student}/{account}/confirm", "确认家长绑定", "classes", false, 204),
    ("post", "/api/v1/classes/{id}/guardians/{student}/{account}/reject", "拒绝家长绑定", "classes", false, 204),
    ("get", "/api/v1/integrations", "接口令牌列表", "integrations", false, 200),
    ("post", "/api/v1/integrations", "新建接口令牌（只返回一次）", "integrations", true, 201),
    ("delete", "/api/v1/integrations/{id}", "吊销接口令牌", "integrations", false, 204),
    ("get", "/api/v1/audit", "审计日志（审计管理员）", "audit", false, 200),
    ("post", "/api/v1/imports", "导入文件（请求体为 .xlsx 或 UTF-8 CSV；参数 kind、filename）", "imports", false, 202),
    ("get", "/api/v1/imports/{id}", "导入进度与逐行错误", "imports", false, 200),
    ("get", "/api/v1/courses", "可编写或审核的课程（最新在前）", "learning", false, 200),
    ("post", "/api/v1/courses", "新建课程（草稿）", "learning", true, 201),
    ("get", "/api/v1/courses/{id}", "课程及其各节课；own 表示由本人编写（须由他人审核发布）", "learning", false, 200),
    ("post", "/api/v1/courses/{id}/lessons", "为课程增加一节课", "learning", true, 201),
    ("post", "/api/v1/courses/{id}/status", "提交、审核、发布、撤回或退回课程", "learning", true, 200),
    ("get", "/api/v1/campaigns", "家长开学第一课活动列表", "learning", false, 200),
    ("post", "/api/v1/campaigns", "市级新建家长开学第一课", "learning", true, 201),
    ("post", "/api/v1/campaigns/{id}/lessons", "加入学段衔接课（市级）或学年衔接课（学校）", "learning", true, 201),
    ("get", "/api/v1/campaigns/{id}/board", "完成情况看板（unit_id），逐级下钻", "learning", false, 200),
    ("get", "/api/v1/campaigns/{id}/classes/{class_id}", "班级各家庭完成情况（记入审计）", "learning", false, 200),
    ("get", "/api/v1/me/growth", "家长：每学年的学习记录（完成的课与时长）", "learning", false, 200),
    ("get", "/api/v1/me/lessons", "家长：每个孩子要看的课及自己的进度", "learning", false, 200),
    ("get", "/api/v1/me/recommendations", "家长：按孩子年级推荐的自修课（未看完的）", "learning", false, 200),
    ("get", "/api/v1/me/continue", "家长：看了一部分、还没看完的课（继续观看）", "learning", false, 200),
    ("post", "/api/v1/lessons/{id}", "修改一节课：草稿直接修改；已发布的生成待审核的新版本", "learning", true, 200),
    ("get", "/api/v1/lessons/{id}/revisions", "一节课的各个版本", "learning", false, 200),
    ("post", "/api/v1/lessons/{id}/attachments", "为一节课添加已上传的附件 {token, title}", "learning", true, 201),
    ("post", "/api/v1/media", "上传视频、音频、文档或图片（请求体为文件；参数 filename），按内容识别，返回地址", "learning", false, 201),
    ("post", "/api/v1/revisions/{id}/approve", "审核通过新版本（原版本保留）", "learning", false, 200),
    ("post", "/api/v1/revisions/{id}/return", "退回新版本", "learning", false, 200),
    ("get", "/api/v1/search", "课程搜索（q、category、subject、stage、grade），命中词已标注", "learning", false, 200),
    ("post", "/api/v1/progress", "播放器上报已播放片段 {lesson_id, segments}，持久化后应答", "learning", true, 200),
    ("get", "/api/v1/classes/{id}/sessions", "班级本学年必修课安排与达标情况（school_year）", "delivery", false, 200),
    ("post", "/api/v1/classes/{id}/sessions", "班主任安排一次必修课", "delivery", true, 201),
    ("get", "/api/v1/sessions/{id}", "一次课的详情：五步记录、出勤、评价（记入审计）", "delivery", false, 200),
    ("post", "/api/v1/sessions/{id}", "修改尚未上课的安排", "delivery", true, 200),
    ("post", "/api/v1/sessions/{id}/status", "标记已上课、取消或撤回（planned、held、cancelled）", "delivery", true, 200),
    ("post", "/api/v1/sessions/{id}/record", "记录五步教学环节与课程资料", "delivery", true, 204),
    ("post", "/api/v1/sessions/{id}/attendance", "登记出勤与家长参与度评分", "delivery", true, 204),
    ("post", "/api/v1/sessions/{id}/rating", "家长评价一次课（1-5 分与留言）", "delivery", true, 204),
    ("post", "/api/v1/checkin", "家长扫码签到 {token}", "delivery", true, 200),
    ("get", "/api/v1/me/sessions", "家长：孩子班级本学年的必修课", "delivery", false, 200),
    ("get", "/api/v1/me/surveys", "家长：现在可以填写的效果追踪问卷", "delivery", false, 200),
    ("post", "/api/v1/classes/{id}/survey", "家长填写问卷 {phase, answers}", "delivery", true, 204),
    ("post", "/api/v1/courses/{id}/questionnaire", "设置课程的效果追踪问卷 {questions}", "delivery", true, 204),
    ("get", "/api/v1/units/{id}/delivery", "必修课达标情况：逐级下钻，未达标的班级标出", "delivery", false, 200),
    ("get", "/api/v1/units/{id}/workload", "教师必修课课时（计入工作量）", "delivery", false, 200),
    ("get", "/api/v1/me/workload", "教师：自己每学年的必修课课时", "delivery", false, 200),
    ("get", "/api/v1/courses/{id}/effect/{unit_id}", "效果追踪：课前课后各题均值与变化", "delivery", false, 200),
    ("get", "/api/v1/contributions", "我的投稿与待我审核的投稿", "contributions", false, 200),
    ("post", "/api/v1/contributions", "投稿微课或教案（从作者单位的级别开始审核）", "contributions", true, 201),
    ("get", "/api/v1/contributions/progress", "千人微课、千章教案进度：按学段统计已发布数量", "contributions", false, 200),
    ("get", "/api/v1/contributions/{id}", "投稿详情与各级审核意见", "contributions", false, 200),
    ("post", "/api/v1/contributions/{id}", "作者修改退回的投稿并重新提交", "contributions", true, 200),
    ("post", "/api/v1/contributions/{id}/review", "审核：评分（0-100）、意见、通过或退回", "contributions", true, 200),
    ("post", "/api/v1/public/appeals", "家长扫码提交诉求（无需登录）：返回查询码", "appeals", true, 201),
    ("get", "/api/v1/public/appeals/{tracking_code}", "凭查询码查看诉求进度、时限与答复（无需登录）", "appeals", false, 200),
    ("post", "/api/v1/public/appeals/{tracking_code}/rating", "家长评价答复：满意、基本满意、不满意（不满意则上报重办）", "appeals", true, 200),
    ("post", "/api/v1/public/appeals/{tracking_code}/follow-up", "家长补充情况", "appeals", true, 204),
    ("get", "/api/v1/appeals", "诉求收件箱（本单位或辖区全部；可按状态、超时筛选）", "appeals", false, 200),
    ("post", "/api/v1/appeals", "代家长登记诉求（12345热线、家访、校长信箱、教育局电话）；同一工单只登记一次", "appeals", true, 201),
    ("get", "/api/v1/appeals/notices", "本单位未读的诉求提醒（上报、转办、家长补充）", "appeals", false, 200),
    ("post", "/api/v1/appeals/sweep", "立即运行时限检查（超时上报、未评价办结）", "appeals", false, 200),
    ("get", "/api/v1/appeals/{id}", "诉求详情与办理记录（读取记入审计）", "appeals", false, 200),
    ("post", "/api/v1/appeals/{id}/reply", "答复（三说明：政策规定、当前工作情况、下一步解决措施）", "appeals", true, 200),
    ("post", "/api/v1/appeals/{id}/assign", "指派办理人", "appeals", true, 204),
    ("post", "/api/v1/appeals/{id}/contact", "记录联系家长（首次联系时限停止）", "appeals", true, 204),
    ("post", "/api/v1/appeals/{id}/note", "内部备注（家长不可见）", "appeals", true, 204),
    ("post", "/api/v1/appeals/{id}/transfer", "转办给管辖范围内的学校或教育局", "appeals", true, 204),
    ("post", "/api/v1/appeals/{id}/sign-off", "审核答复：通过发布或退回修改", "appeals", true, 200),
    ("post", "/api/v1/appeals/{id}/spam", "申请标记为无效诉求（须上一级确认）", "appeals", true, 202),
    ("post", "/api/v1/appeals/{id}/spam/decision", "上一级确认或驳回无效标记 {confirm, comment}", "appeals", true, 204),
    ("get", "/api/v1/appeals/spam-pending", "等待本人确认的无效标记", "appeals", false, 200),
    ("get", "/api/v1/schools/{id}/appeal-codes", "学校的两个校门二维码（学校、教育局）", "appeals", false, 200),
    ("post", "/api/v1/schools/{id}/appeal-codes/{kind}/rotate", "更换二维码（旧码指向新码）", "appeals", false, 200),
    ("get", "/api/v1/calendar", "工作日历：节假日与调休上班日", "appeals", false, 200),
    ("post", "/api/v1/calendar", "设置节假日或调休上班日（市级）", "appeals", true, 204),
    ("post", "/api/v1/appeals/import", "12345工单接入（接口令牌）：同一工单编号只登记一次", "appeals", true, 200),
    ("post", "/api/v1/appeals/import/file", "上传12345工单表格（CSV或Excel）", "appeals", true, 200),
    ("get", "/api/v1/appeals/hotline-replies.xlsx", "导出12345工单答复", "appeals", false, 200),
    ("get", "/api/v1/units/{id}/appeal-board", "诉求办理情况：按时联系、按时答复、上报、满意率、重办率，逐级下钻", "appeals", false, 200),
    ("get", "/api/v1/units/{id}/appeal-board.xlsx", "导出诉求办理情况", "appeals", false, 200),
    ("get", "/api/v1/units/{id}/opinion", "舆情监测：近7天或30天热点话题、激增预警、来源", "appeals", false, 200),
    ("get", "/api/v1/units/{id}/appeal-templates", "本单位及上级单位的答复模板", "appeals", false, 200),
    ("post", "/api/v1/units/{id}/appeal-templates", "新建答复模板", "appeals", true, 201),
    ("delete", "/api/v1/appeal-templates/{id}", "删除答复模板", "appeals", false, 204),
    ("get", "/api/v1/units/{id}/appeal-callbacks", "回访抽查清单", "appeals", false, 200),
    ("post", "/api/v1/units/{id}/appeal-callbacks/draw", "随机抽取下级已办结诉求进行回访", "appeals", true, 200),
    ("post", "/api/v1/appeal-callbacks/{id}", "记录回访结果（未解决则退回重办）", "appeals", true, 204),
    ("get", "/api/v1/plan", "行动计划的考核数字与修改记录", "plan", false, 200),
    ("put", "/api/v1/plan", "修改行动计划的考核数字（市级管理员，须说明依据）", "plan", true, 200),
    ("get", "/api/v1/jobs", "后台任务：定时任务与导入，状态、次数、结果（系统管理员）", "jobs", false, 200),
    ("post", "/api/v1/jobs/{id}/retry", "重新运行失败的任务，或立即运行定时任务", "jobs", false, 204),
];

fn error_response(description: &str) -> Value {
    json!({ "description": description, "content": { "application/json": { "schema": { "$ref": "#/components/schemas/Error" } } } })
}

/// The document.
pub fn build() -> Value {
    let mut paths = serde_json::Map::new();
    for (method, path, summary, tag, body, status) in OPERATIONS {
        let params: Vec<Value> = path
            .split('/')
            .filter_map(|seg| seg.strip_prefix('{').and_then(|s| s.strip_suffix('}')))
            .map(|name| {
                let ty = if matches!(name, "role" | "tracking_code" | "kind") {
                    "string"
                } else {
                    "integer"
                };
                json!({ "name": name, "in": "path", "required": true, "schema": { "type": ty } })
            })
            .collect();
        let mut op = json!({
            "summary": summary,
            "tags": [tag],
            "parameters": params,
            "responses": {
                status.to_string(): { "description": "成功" },
                "400": error_response("请求格式不正确 (bad_request)"),
                "401": error_response("未登录或令牌无效 (unauthenticated, invalid_credentials, session_expired)"),
                "403": error_response("没有权限 (forbidden, csrf_failed, password_change_required)"),
                "404": error_response("不存在或不在权限范围内 (not_found)"),
                "409": error_response("冲突 (conflict)"),
                "413": error_response("内容过大 (payload_too_large)"),
                "422": error_response("内容校验失败 (validation_failed)"),
                "423": error_response("账号已锁定 (account_locked)"),
                "429": error_response("过于频繁 (rate_limited)"),
            },
        });
        if *path != "/api/v1/auth/login" {
            op["security"] = json!([{ "bearer": [] }]);
        }
        if *body {
            op["requestBody"] = json!({ "required": true, "content": { "application/json": { "schema": { "type": "object" } } } });
        }
        let entry = paths.entry(path.to_string()).or_insert_with(|| json!({}));
        entry[*method] = op;
    }
    json!({
        "openapi": "3.0.3",
        "info": { "title": "同育 tongyu API", "version": env!("CARGO_PKG_VERSION"),
                  "description": "家校社协同育人平台接口。错误均为 {\"code\", \"message\"}，code 稳定不变。" },
        "paths": paths,
        "components": {
            "securitySchemes": { "bearer": { "type": "http", "scheme": "bearer" } },
            "schemas": { "Error": { "type": "object", "required": ["code", "message"], "properties": {
                "code": { "type": "string", "enum": [
                    "bad_request", "validation_failed", "unauthenticated", "invalid_credentials", "session_expired",
                    "password_change_required", "csrf_failed", "forbidden", "not_found", "conflict",
                    "payload_too_large", "account_locked", "rate_limited", "internal"] },
                "message": { "type": "string" },
                "field": { "type": "string" } } } },
        },
    })
}

async fn document() -> Json<Value> {
    Json(build())
}
