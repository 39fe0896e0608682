//! The demo school's gate codes and appeals in every state.

use super::*;

/// The demo school's gate codes and appeals at every stage: one just
/// received, one the school has called the parent about, one answered and
/// waiting for the parent's rating, one closed with the parent satisfied,
/// and one to the district bureau.
pub(super) async fn appeals(
    app: &App,
    c: &mut tongyu_store::Conn,
    school: &Unit,
    admin: i64,
    now: i64,
) -> Result<((String, String), Vec<String>)> {
    use tongyu_domain::appeal::{Category, CodeKind, Level, Source, dedupe_key};
    use tongyu_domain::calendar::Calendar;
    use tongyu_store::appeal as store;
    let mut tokens = Vec::new();
    for kind in CodeKind::ALL {
        let token = crate::auth::random_token(18);
        store::insert_code(c, &token, school.id, kind, admin, now).await?;
        tokens.push(token);
    }
    let district = school
        .ancestor_ids()
        .get(1)
        .copied()
        .ok_or_else(Error::internal)?;
    let samples = [
        (
            Level::School,
            Category::Safety,
            "放学时学校东门车辆乱停乱放，孩子过马路很危险，希望学校协调交警设置护学岗。",
            2 * 3600,
        ),
        (
            Level::School,
            Category::Food,
            "食堂午饭菜量偏少，孩子下午经常喊饿，希望学校了解一下并改进。",
            3 * 86_400,
        ),
        (
            Level::District,
            Category::Fees,
            "学校要求家长统一购买课外辅导资料，费用没有公示，想请教育局核实是否合规。",
            3600,
        ),
        (
            Level::School,
            Category::Teaching,
            "孩子班上的课后作业太多，每天写到晚上十点，希望老师适当减少。",
            26 * 3600,
        ),
        (
            Level::School,
            Category::Safety,
            "学校操场跑道有几处破损，孩子跑步时容易绊倒，希望尽快修补。",
            9 * 86_400,
        ),
    ];
    let cal = Calendar::default();
    let mut codes = Vec::new();
    for (i, (level, category, text, ago)) in samples.into_iter().enumerate() {
        let at = now - ago;
        let d = app.settings.appeals.deadlines(level, category);
        let code = crate::appeal::new_tracking_code();
        let unit = if level == Level::School {
            school.id
        } else {
            district
        };
        let key = dedupe_key(text, &format!("demo:{i}"));
        let id = store::insert(
            c,
            &store::NewAppeal {
                tracking_code: &code,
                source: Source::Qr,
                external_ref: None,
                school_id: school.id,
                unit_id: unit,
                level,
                category,
                text,
                contact_name: &app.seal(crate::crypto::field::APPEAL_CONTACT_NAME, "演示家长"),
                contact_phone: &app.seal(crate::crypto::field::APPEAL_CONTACT_PHONE, "13900000001"),
                dedupe_key: &key,
                sender_device: "",
                urgent: false,
                contact_due: cal.add(at, d.first_contact),
                reply_due: cal.add(at, d.reply),
            },
            at,
        )
        .await?;
        store::add_event(
            c,
            &store::NewEvent {
                appeal_id: id,
                kind: "received",
                public: true,
                actor_id: 0,
                unit_id: unit,
                text: "已收到您的诉求",
            },
            at,
        )
        .await?;
        crate::opinion::index_appeal(c, id, text, school.id, district, at).await?;
        if i == 1 {
            let Some(mut a) = store::get(c, id).await? else {
                return Err(Error::internal());
            };
            a.status = tongyu_domain::appeal::Status::Replied;
            a.handler_id = admin;
            a.contacted_at = at + 3600;
            a.replied_at = now - 86_400;
            a.replied_by = admin;
            a.reply_policy =
                "根据《学生餐营养指南》，小学生午餐应保证主食、蛋白质和蔬菜的分量。".into();
            a.reply_status =
                "学校已抽查三天的午餐，确有部分班级分餐不足的情况，已约谈配餐公司。".into();
            a.reply_next_steps =
                "下周起每班增加一份机动餐，家委会每月陪餐一次并公布陪餐记录。".into();
            a.rating_due = cal.add(a.replied_at, app.settings.appeals.rating_window);
            store::save(c, &a, now).await?;
            store::add_event(
                c,
                &store::NewEvent {
                    appeal_id: id,
                    kind: "replied",
                    public: true,
                    actor_id: admin,
                    unit_id: unit,
                    text: "已答复，请查看答复内容并评价",
                },
                a.replied_at,
            )
            .await?;
        }
        if i == 3 || i == 4 {
            let Some(mut a) = store::get(c, id).await? else {
                return Err(Error::internal());
            };
            a.handler_id = admin;
            a.contacted_at = at + 2 * 3600;
            a.status = tongyu_domain::appeal::Status::InProgress;
            store::add_event(
                c,
                &store::NewEvent {
                    appeal_id: id,
                    kind: "contacted",
                    public: true,
                    actor_id: admin,
                    unit_id: unit,
                    text: "学校已电话联系您，了解情况",
                },
                a.contacted_at,
            )
            .await?;
            if i == 4 {
                a.status = tongyu_domain::appeal::Status::Closed;
                a.replied_at = at + 2 * 86_400;
                a.replied_by = admin;
                a.reply_policy = "根据学校设施安全管理制度，运动场地破损应及时维修。".into();
                a.reply_status = "总务处已查看跑道，三处破损已用安全材料临时修补。".into();
                a.reply_next_steps = "寒假期间整体翻新跑道，开学前验收并在家长群公示。".into();
                a.rating = Some(tongyu_domain::appeal::Rating::Satisfied);
                a.rated_at = at + 3 * 86_400;
                a.closed_at = a.rated_at;
                store::add_event(
                    c,
                    &store::NewEvent {
                        appeal_id: id,
                        kind: "rated",
                        public: true,
                        actor_id: 0,
                        unit_id: unit,
                        text: "家长评价：满意",
                    },
                    a.rated_at,
                )
                .await?;
            }
            store::save(c, &a, now).await?;
        }
        codes.push(code);
    }
    let mut it = tokens.into_iter();
    let school_token = it.next().unwrap_or_default();
    let bureau_token = it.next().unwrap_or_default();
    Ok(((school_token, bureau_token), codes))
}
