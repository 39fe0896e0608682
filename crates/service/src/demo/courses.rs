//! The demo city's courses: the first lesson of term, the required course
//! with its sessions, and the library.

use super::*;

/// The demo's first lesson of term: a published course of five
/// stage-transition lessons (for every parent, and for new K1, P1, J1 and
/// S1 parents) in a campaign open now. The lessons play a generated audio
/// track, so a demo needs nothing from outside.
pub(super) async fn first_lesson(
    c: &mut tongyu_store::Conn,
    city: &Unit,
    year: i64,
    by: i64,
    now: i64,
) -> Result<i64> {
    use tongyu_domain::course::{Category, Status, Subject};
    use tongyu_store::course::{self as courses, NewCourse, NewLesson};
    use tongyu_store::learning::{self as learning, Target};
    let title = format!("{year}学年家长开学第一课");
    let course = courses::insert_course(
        c,
        &NewCourse {
            title: &title,
            description: "学段衔接第一课：陪伴孩子迈好新学年的第一步。",
            category: Category::Keynote,
            subject: Subject::FamilyEducation,
            grades: "",
            owner_unit_id: city.id,
            created_by: by,
        },
        now,
    )
    .await?;
    courses::set_course_status(c, course, Status::Published, now).await?;
    let campaign =
        learning::insert_campaign(c, year, &title, now - 86_400, now + 60 * 86_400, by, now)
            .await?;
    let lessons = [
        ("", "全学段：新学年，和孩子一起出发"),
        ("K1", "幼一新生家长：入园第一课"),
        ("P1", "小一新生家长：幼小衔接第一课"),
        ("J1", "初一新生家长：小升初衔接第一课"),
        ("S1", "高一新生家长：初升高衔接第一课"),
    ];
    for (grade, lesson_title) in lessons {
        let body = "视频导课：请先完整观看本课音视频。\n\n现场讨论：和家人聊一聊孩子新学年的期待与担心。\n\n课堂总结：记下一条本周就能做到的陪伴方法。";
        let id = courses::insert_lesson(
            c,
            &NewLesson {
                course_id: course,
                title: lesson_title,
                duration_s: 600,
                video_url: "/media/demo-lesson.wav",
                body,
                steps: "",
            },
            now,
        )
        .await?;
        courses::set_lesson_status(c, id, Status::Published, now).await?;
        learning::add_target(
            c,
            &Target {
                campaign_id: campaign,
                lesson_id: id,
                grade: grade.to_owned(),
                school_id: 0,
            },
            by,
            now,
        )
        .await?;
    }
    crate::search::index_course(c, course, now).await?;
    Ok(campaign)
}

/// The first lesson under way a day after it opened: districts at
/// different levels (the first furthest on), in each some families
/// finished, more started, many not yet (the demo parent's child among
/// them, so the demo parent starts it fresh).
pub(super) async fn first_lesson_progress(
    c: &mut tongyu_store::Conn,
    campaign: i64,
    districts: &[Unit],
    parent: i64,
    now: i64,
) -> Result<()> {
    for (i, d) in districts.iter().enumerate() {
        let i = i as i64;
        let started = (75 - 9 * i).max(12);
        let finished = (45 - 7 * i).max(4);
        tongyu_store::learning::demo_tallies(c, campaign, &d.path, started, finished, parent, now)
            .await?;
    }
    tongyu_store::learning::recount_rollups(c, campaign).await
}

/// Teachers' contributions waiting for review: two micro-courses and a
/// lesson plan at the school, one already passed on to the district.
pub(super) async fn contributions_in_review(
    c: &mut tongyu_store::Conn,
    school: &Unit,
    author: i64,
    now: i64,
) -> Result<()> {
    use tongyu_domain::contribution::{Kind, Level, Status};
    use tongyu_domain::course::Subject;
    use tongyu_domain::org::Stage;
    use tongyu_store::contribution::{Draft, insert};
    let items = [
        (
            Kind::MicroCourse,
            "三分钟学会倾听孩子",
            "用“复述—共情—提问”三步，陪孩子把话说完。",
            Level::School,
        ),
        (
            Kind::MicroCourse,
            "入园焦虑怎么办",
            "新生入园第一周，家长可以做的五件小事。",
            Level::School,
        ),
        (
            Kind::LessonPlan,
            "家长沙龙：手机与孩子的约定",
            "一次家长沙龙的完整教案：导入、讨论、约定书和课后练习。",
            Level::District,
        ),
    ];
    for (i, (kind, title, summary, level)) in items.into_iter().enumerate() {
        insert(
            c,
            &Draft {
                kind,
                title,
                summary,
                body: "教学目标、过程与课后练习见正文。",
                media_url: if kind == Kind::MicroCourse {
                    "/media/demo-lesson.wav"
                } else {
                    ""
                },
                duration_s: if kind == Kind::MicroCourse { 180 } else { 0 },
                stage: Stage::Kindergarten,
                subject: Subject::FamilyEducation,
            },
            author,
            school.id,
            Status::InReview(level),
            now - (i as i64 + 1) * 3600,
        )
        .await?;
    }
    Ok(())
}

/// The demo's required course: four lessons in the five steps, a
/// questionnaire, and in the demo head teacher's class four sessions this
/// school year: two held (the demo parent came to both and rated them) and
/// two to come. Each lesson's micro-review opens one of the library's
/// micro-courses (`micro_courses`).
#[allow(clippy::too_many_arguments)]
pub(super) async fn required_course(
    c: &mut tongyu_store::Conn,
    city: &Unit,
    class: &Unit,
    teacher: i64,
    parent: i64,
    micro_courses: &[i64],
    now: i64,
) -> Result<()> {
    use tongyu_domain::course::{Category, Status, Subject};
    use tongyu_domain::delivery::{SessionStatus, Step};
    use tongyu_store::course::{self as courses, NewCourse, NewLesson};
    use tongyu_store::delivery::{self as delivery, NewSession};
    let course = courses::insert_course(
        c,
        &NewCourse {
            title: "家庭教育必修课：做孩子成长的同行者",
            description: "班主任每学年为本班家长讲授4次、8课时，按视频导课、现场讨论、课堂总结、拓展训练、微课巩固五步进行。",
            category: Category::Required,
            subject: Subject::FamilyEducation,
            grades: "",
            owner_unit_id: city.id,
            created_by: teacher,
        },
        now,
    )
    .await?;
    courses::set_course_status(c, course, Status::Published, now).await?;
    let titles = [
        "第一讲：读懂孩子的情绪",
        "第二讲：好习惯从家庭开始",
        "第三讲：亲子沟通的五个小方法",
        "第四讲：陪伴孩子规划成长",
    ];
    let mut lessons = Vec::new();
    for (i, t) in titles.into_iter().enumerate() {
        let body = "本讲按五步教学法进行，约两课时。";
        let micro = micro_courses
            .get(i % micro_courses.len().max(1))
            .map_or(String::new(), |id| format!("/lessons/{id}"));
        let steps = tongyu_domain::course::encode_steps(&[
            (
                Step::VideoIntro,
                format!("观看《{t}》导课短片（5分钟），请家长带着问题看。"),
            ),
            (
                Step::Discussion,
                "分组讨论：\n\n- 家里最近一次类似的情形是怎样的？\n- 孩子当时可能在想什么？"
                    .to_owned(),
            ),
            (
                Step::Summary,
                "班主任归纳本讲的三个要点，家长各写下一条本周就能做到的做法。".to_owned(),
            ),
            (
                Step::Practice,
                "本周在家完成一次练习，下次课分享。".to_owned(),
            ),
            (Step::MicroReview, micro),
        ]);
        let id = courses::insert_lesson(
            c,
            &NewLesson {
                course_id: course,
                title: t,
                duration_s: 600,
                video_url: "/media/demo-lesson.wav",
                body,
                steps: &steps,
            },
            now,
        )
        .await?;
        courses::set_lesson_status(c, id, Status::Published, now).await?;
        lessons.push(id);
    }
    crate::search::index_course(c, course, now).await?;
    delivery::put_questionnaire(
        c,
        course,
        &[
            "我能耐心倾听孩子的想法".to_owned(),
            "我知道怎样和孩子商量规则".to_owned(),
            "我每周有固定的亲子陪伴时间".to_owned(),
        ],
        teacher,
        now,
    )
    .await?;
    let child = tongyu_store::student::children_of(c, parent)
        .await?
        .first()
        .map_or(0, |s| s.id);
    let year = tongyu_domain::calendar::school_year(now);
    let day = 86_400;
    for (i, (lesson, title)) in lessons.iter().zip(titles).enumerate() {
        let starts_at = now + [-2 * day, -day, 7 * day, 14 * day][i];
        let token = crate::auth::random_token(18);
        let id = delivery::insert_session(
            c,
            &NewSession {
                class_id: class.id,
                school_year: year,
                course_id: course,
                lesson_id: *lesson,
                title,
                starts_at,
                class_hours: 2,
                place: "学校三楼多功能厅",
                online_url: "",
                checkin_token: &token,
                created_by: teacher,
            },
            now,
        )
        .await?;
        if starts_at < now {
            let steps: Vec<(Step, String)> =
                Step::ALL.iter().map(|s| (*s, String::new())).collect();
            delivery::replace_steps(c, id, &steps, now).await?;
            delivery::set_session_status(c, id, SessionStatus::Held, teacher, now, now).await?;
            delivery::add_to_tally(
                c,
                class.id,
                year,
                tongyu_domain::delivery::Tally {
                    sessions: 1,
                    hours: 2,
                    ..Default::default()
                },
            )
            .await?;
            if child != 0 {
                delivery::check_in(c, id, parent, child, "qr", starts_at).await?;
                delivery::rate(c, id, parent, 5, "讲得很实在，回家就能用。", now).await?;
            }
        }
    }
    Ok(())
}

/// The demo's library: self-study courses in each of its sections (family
/// education for every grade, which parents' homes recommend; mental
/// health; career education for middle and high school). Returns the
/// lessons of the first, the micro-courses required lessons link to.
pub(super) async fn library(
    c: &mut tongyu_store::Conn,
    city: &Unit,
    by: i64,
    now: i64,
) -> Result<Vec<i64>> {
    use tongyu_domain::course::{Category, Status, Subject};
    use tongyu_store::course::{self as courses, NewCourse, NewLesson};
    type Lessons = &'static [(&'static str, &'static str)];
    let shelves: [(&str, &str, Subject, &str, Lessons); 3] = [
        (
            "家长微课堂：每天十分钟",
            "短小实用的家庭教育微课，随时随地学习。",
            Subject::FamilyEducation,
            "",
            &[
                (
                    "三分钟学会倾听",
                    "**倾听**是亲子沟通的第一步：放下手机，看着孩子，听完再说。",
                ),
                (
                    "和孩子一起做家务",
                    "家务是最好的劳动教育：从整理书包、摆放碗筷开始。",
                ),
                (
                    "睡前十分钟的亲子阅读",
                    "固定时间、固定地点、孩子选书，读完聊一聊。",
                ),
            ],
        ),
        (
            "读懂孩子的情绪",
            "识别孩子的焦虑、低落与压力信号，学会陪伴与求助。",
            Subject::MentalHealth,
            "",
            &[
                (
                    "孩子发脾气时，先接住情绪",
                    "先共情、再讲理：“你很生气，因为……”",
                ),
                (
                    "考试前后的压力与睡眠",
                    "规律作息比临时加练更重要；留意持续两周以上的失眠与低落。",
                ),
            ],
        ),
        (
            "和孩子一起规划未来",
            "从兴趣出发认识职业，陪孩子做选科与升学规划。",
            Subject::CareerEducation,
            "J1,J2,J3,S1,S2,S3",
            &[
                (
                    "从兴趣到职业：家庭里的生涯对话",
                    "每周聊一次：你最近做什么事最投入？",
                ),
                (
                    "新高考选科，家长怎么帮",
                    "看兴趣、看优势、看专业要求，三者一起权衡。",
                ),
            ],
        ),
    ];
    let mut first = Vec::new();
    for (title, description, subject, grades, items) in shelves {
        let course = courses::insert_course(
            c,
            &NewCourse {
                title,
                description,
                category: Category::SelfStudy,
                subject,
                grades,
                owner_unit_id: city.id,
                created_by: by,
            },
            now,
        )
        .await?;
        let mut lessons = Vec::new();
        for (title, body) in items {
            let id = courses::insert_lesson(
                c,
                &NewLesson {
                    course_id: course,
                    title,
                    duration_s: 600,
                    video_url: "/media/demo-lesson.wav",
                    body,
                    steps: "",
                },
                now,
            )
            .await?;
            courses::set_lesson_status(c, id, Status::Published, now).await?;
            lessons.push(id);
        }
        courses::set_course_status(c, course, Status::Published, now).await?;
        crate::search::index_course(c, course, now).await?;
        if first.is_empty() {
            first = lessons;
        }
    }
    Ok(first)
}
