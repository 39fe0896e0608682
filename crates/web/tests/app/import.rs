//! Imports: each kind, idempotency, every bad input, the browser flow, and
//! exports that read back.

use axum::body::Body;
use axum::http::{Method, Request, StatusCode, header};
use serde_json::{Value, json};
use tongyu_service::sheet::{read_table, write_xlsx};

use crate::common::{PW, TestApp};

impl TestApp {
    /// Uploads a file through the API and waits for the job to finish.
    pub async fn import(&self, token: &str, kind: &str, bytes: Vec<u8>) -> Value {
        let req = Request::builder()
            .method(Method::POST)
            .uri(format!("/api/v1/imports?kind={kind}&filename=test.{kind}"))
            .header(header::AUTHORIZATION, format!("Bearer {token}"))
            .header(header::CONTENT_TYPE, "application/octet-stream")
            .body(Body::from(bytes))
            .expect("request");
        let (s, _, body) = self.send(req).await;
        assert_eq!(s, StatusCode::ACCEPTED, "{body}");
        let id = serde_json::from_str::<Value>(&body).expect("json")["id"]
            .as_i64()
            .expect("id");
        for _ in 0..1000 {
            let (_, job) = self.get(&format!("/api/v1/imports/{id}"), token).await;
            if job["status"] != "running" {
                return job;
            }
            tokio::time::sleep(std::time::Duration::from_millis(10)).await;
        }
        panic!("import {id} did not finish");
    }
}

fn csv(lines: &[&str]) -> Vec<u8> {
    (lines.join("\n") + "\n").into_bytes()
}

async fn count(t: &TestApp, sql: &str) -> i64 {
    t.app.db.query_i64(sql).await.expect("count")
}

#[tokio::test]
async fn units_import_and_a_second_import_changes_nothing() {
    let t = TestApp::demo().await;
    let token = t.login("district-admin").await;
    let file = csv(&[
        "外部编号,名称,类型,上级外部编号,学段",
        "sub-new,湛山街道,镇(街),d0,",
        "sch-a,湛山小学,学校,sub-new,小学",
        "sch-b,湛山中学,学校,sub-new,\"初中,高中\"",
        "sch-c,八大关二幼,学校,d0s0,幼儿园",
    ]);
    let job = t.import(&token, "units", file.clone()).await;
    assert_eq!(job["status"], "done", "{job}");
    assert_eq!(
        (
            job["created"].as_i64(),
            job["updated"].as_i64(),
            job["unchanged"].as_i64()
        ),
        (Some(4), Some(0), Some(0))
    );
    let d0 = t.unit(t.unit_id("d0").await).await;
    let job = t.import(&token, "units", file).await;
    assert_eq!(
        (job["created"].as_i64(), job["unchanged"].as_i64()),
        (Some(0), Some(4)),
        "{job}"
    );
    assert_eq!(t.unit(t.unit_id("d0").await).await.counts, d0.counts);
    let school = t.unit(t.unit_id("sch-b").await).await;
    assert_eq!(school.stages.len(), 2);
    // A changed name updates the unit in place.
    let job = t
        .import(
            &token,
            "units",
            csv(&[
                "外部编号,名称,类型,上级外部编号,学段",
                "sch-a,湛山实验小学,学校,sub-new,小学",
            ]),
        )
        .await;
    assert_eq!(job["updated"], 1);
    assert_eq!(t.unit(t.unit_id("sch-a").await).await.name, "湛山实验小学");
}

#[tokio::test]
async fn every_bad_row_is_reported_and_nothing_is_imported() {
    let t = TestApp::demo().await;
    let token = t.login("district-admin").await;
    let before = count(&t, "SELECT COUNT(*) FROM units").await;
    let file = csv(&[
        "外部编号,名称,类型,上级外部编号,学段",
        "ok-1,好学校,学校,d0s0,小学",
        "ok-1,重复学校,学校,d0s0,小学",
        "bad-kind,某校,大学,d0s0,小学",
        "bad-parent,某校,学校,d1s0,小学",
        "school0,改名,学校,d0s0,幼儿园",
        "school1,抢编号,学校,d0s0,小学",
        ",缺编号,学校,d0s0,小学",
        "no-stage,某校,学校,d0s0,",
        "wrong-level,某街道,镇(街),d0s0,",
    ]);
    let job = t.import(&token, "units", file).await;
    assert_eq!(job["status"], "failed");
    let errors = job["errors"].as_array().expect("errors");
    let rows: Vec<i64> = errors.iter().filter_map(|e| e["row"].as_i64()).collect();
    assert_eq!(rows, vec![3, 4, 5, 7, 8, 9, 10], "{errors:#?}");
    let msg = |row: i64| {
        errors
            .iter()
            .find(|e| e["row"] == row)
            .and_then(|e| e["message"].as_str())
            .unwrap_or("")
            .to_owned()
    };
    assert!(msg(3).contains("重复") && msg(3).contains("第 2 行"));
    assert!(msg(4).contains("类型"));
    assert!(msg(5).contains("找不到"), "{}", msg(5));
    assert!(
        msg(7).contains("管理范围以外"),
        "another district's key: {}",
        msg(7)
    );
    assert!(msg(8).contains("不能为空"));
    assert!(msg(9).contains("学段"));
    assert!(msg(10).contains("应填区(市)"), "{}", msg(10));
    assert_eq!(
        count(&t, "SELECT COUNT(*) FROM units").await,
        before,
        "nothing imported"
    );
}

#[tokio::test]
async fn files_that_are_not_what_they_claim() {
    let t = TestApp::demo().await;
    let token = t.login("city-admin").await;
    let job = t
        .import(&token, "students", b"\x89PNG\r\n\x1a\n\0\0binary".to_vec())
        .await;
    assert!(
        job["file_error"]
            .as_str()
            .expect("file error")
            .contains("不是 CSV"),
        "{job}"
    );
    let job = t
        .import(&token, "students", csv(&["学号,名字", "1,张三"]))
        .await;
    assert!(
        job["file_error"]
            .as_str()
            .expect("file error")
            .contains("不是学生导入的列"),
        "{job}"
    );
    let job = t
        .import(&token, "students", csv(&["学籍号,姓名,班级外部编号"]))
        .await;
    assert!(
        job["file_error"]
            .as_str()
            .expect("file error")
            .contains("没有数据行")
    );
    let mut big = String::from("学籍号,姓名,班级外部编号\n");
    for i in 0..100_000 {
        big.push_str(&format!("X{i},张三,c\n"));
    }
    let job = t.import(&token, "students", big.into_bytes()).await;
    assert!(
        job["file_error"]
            .as_str()
            .expect("file error")
            .contains("上限"),
        "{job}"
    );
    assert_eq!(job["created"], 0);
}

#[tokio::test]
async fn students_and_guardians_from_a_workbook_then_a_parent_claims_the_account() {
    let t = TestApp::demo().await;
    let token = t.login("school-admin").await;
    let teacher = t.login("head-teacher").await;
    let class = t.unit(t.login_unit(&teacher).await).await;
    let class_ext = class
        .external_id
        .clone()
        .expect("demo classes have external ids");
    let students = write_xlsx(
        "学生",
        &["学籍号", "姓名", "性别", "班级外部编号"],
        &[
            vec![
                "NEW-1".into(),
                "林小雨".into(),
                "女".into(),
                class_ext.clone(),
            ],
            vec![
                "NEW-2".into(),
                "林小川".into(),
                "男".into(),
                class_ext.clone(),
            ],
        ],
    )
    .expect("xlsx");
    let job = t.import(&token, "students", students.clone()).await;
    assert_eq!(job["created"], 2, "{job}");
    assert_eq!(
        t.unit(class.id).await.counts.students,
        class.counts.students + 2
    );
    assert_eq!(t.import(&token, "students", students).await["unchanged"], 2);

    let guardians = write_xlsx(
        "家长",
        &["学生学籍号", "家长姓名", "手机号", "关系"],
        &[
            vec![
                "NEW-1".into(),
                "林海".into(),
                "13612345678".into(),
                "父亲".into(),
            ],
            vec![
                "NEW-2".into(),
                "林海".into(),
                "136-1234-5678".into(),
                "父亲".into(),
            ],
            vec![
                "NEW-2".into(),
                "陈静".into(),
                "13687654321".into(),
                "母亲".into(),
            ],
        ],
    )
    .expect("xlsx");
    let job = t.import(&token, "guardians", guardians.clone()).await;
    assert_eq!(job["created"], 3, "{job}");
    assert_eq!(
        t.unit(class.id).await.counts.guardians,
        class.counts.guardians + 3
    );
    assert_eq!(
        t.import(&token, "guardians", guardians).await["unchanged"],
        3
    );
    // Bad phones and unknown students are reported by row.
    let bad = csv(&[
        "学生学籍号,家长姓名,手机号,关系",
        "NEW-1,王五,1361234,父亲",
        "NOPE,王五,13611112222,父亲",
        "NEW-1,赵六,13699990000,舅舅",
        "NEW-2,赵六六,13699990000,舅舅",
    ]);
    let job = t.import(&token, "guardians", bad).await;
    let rows: Vec<i64> = job["errors"]
        .as_array()
        .expect("errors")
        .iter()
        .filter_map(|e| e["row"].as_i64())
        .collect();
    assert_eq!(rows, vec![2, 3, 5], "{job}");

    // The imported father cannot log in until he signs up with his phone.
    let (s, _) = t
        .api(
            Method::POST,
            "/api/v1/auth/login",
            None,
            Some(json!({"username": "13612345678", "password": "anything-at-all"})),
        )
        .await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);
    let mut b = t.browser();
    let p = b
        .register("", "13612345678", "林海", "Lin-Hai-Family-1")
        .await;
    assert_eq!(p.status, StatusCode::SEE_OTHER, "{}", p.body);
    let p = b.get("/my").await;
    assert!(
        p.body.contains("林小雨") && p.body.contains("林小川"),
        "{}",
        p.body
    );
    // Claiming works once; the second time the number is taken.
    t.clock.advance(61);
    let mut b2 = t.browser();
    let p = b2
        .register("", "13612345678", "林海", "Someone-Else-22")
        .await;
    assert_eq!(p.status, StatusCode::UNPROCESSABLE_ENTITY);
}

#[tokio::test]
async fn teachers_get_first_passwords_once_through_the_browser() {
    let t = TestApp::demo().await;
    let admin = t.login("school-admin").await;
    let school = t.unit(t.login_unit(&admin).await).await;
    let ext = school.external_id.clone().expect("ext");
    let file = format!(
        "工号,姓名,手机号,用户名,角色,单位外部编号\nT9001,周老师,13700009001,,教师,{ext}\nT9002,吴老师,,wu-teacher,家庭教育指导教师,{ext}\nT9003,郑老师,,,学校管理员,{ext}\n"
    );
    let mut b = t.browser();
    b.sign_in("school-admin", PW).await;
    b.get("/imports").await;
    let boundary = "XyZboundary";
    let mut body = Vec::new();
    for (name, value) in [("_csrf", b.csrf.clone()), ("kind", "teachers".to_owned())] {
        body.extend(
            format!(
                "--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n"
            )
            .as_bytes(),
        );
    }
    body.extend(format!("--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"teachers.csv\"\r\nContent-Type: text/csv\r\n\r\n").as_bytes());
    body.extend(file.as_bytes());
    body.extend(format!("\r\n--{boundary}--\r\n").as_bytes());
    let cookie = b
        .cookies
        .iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect::<Vec<_>>()
        .join("; ");
    let req = Request::builder()
        .method(Method::POST)
        .uri("/imports")
        .header(header::COOKIE, cookie)
        .header(
            header::CONTENT_TYPE,
            format!("multipart/form-data; boundary={boundary}"),
        )
        .body(Body::from(body))
        .expect("request");
    let (s, headers, page) = t.send(req).await;
    assert_eq!(s, StatusCode::SEE_OTHER, "{page}");
    let job_page = headers
        .get(header::LOCATION)
        .expect("to the job")
        .to_str()
        .expect("ascii")
        .to_owned();
    let mut body = String::new();
    for _ in 0..500 {
        body = b.get(&job_page).await.body;
        if !body.contains("正在检查") {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
    assert!(body.contains("导入完成：新增 3"), "{body}");
    let download = format!("{job_page}/credentials.xlsx");
    let p = b.get(&download).await;
    assert_eq!(p.status, StatusCode::OK);
    let p2 = b.get(&download).await;
    assert_eq!(p2.status, StatusCode::NOT_FOUND, "only once");
    // The list of first passwords reads back; each works once and must be changed.
    let req = Request::builder()
        .uri(&download)
        .header(
            header::COOKIE,
            b.cookies
                .iter()
                .map(|(k, v)| format!("{k}={v}"))
                .collect::<Vec<_>>()
                .join("; "),
        )
        .body(Body::empty())
        .expect("req");
    let (s, _, _) = t.send(req).await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    let (_, list) = t.get("/api/v1/accounts?q=wu-teacher", &admin).await;
    assert_eq!(list["items"][0]["must_change_password"], true);
    assert_eq!(list["items"][0]["grants"][0]["role"], "instructor");
}

#[tokio::test]
async fn the_credentials_workbook_reads_back() {
    let t = TestApp::demo().await;
    let ctx = tongyu_service::import::operator_ctx(&t.app)
        .await
        .expect("ctx");
    let ext = t
        .unit(t.unit_id("school0").await)
        .await
        .external_id
        .expect("ext");
    let file = format!("工号,姓名,角色,单位外部编号\nT1,甲老师,教师,{ext}\n");
    let out = tongyu_service::import::run(
        &t.app,
        &ctx,
        tongyu_domain::import::ImportKind::Teachers,
        file.as_bytes(),
        &|_, _| {},
    )
    .await
    .expect("runs");
    assert_eq!(out.created, 1);
    let password = out.credentials[0].password.clone();
    let token = t.login_with("tt1", &password).await;
    let (_, me) = t.get("/api/v1/me", &token).await;
    assert_eq!(me["must_change_password"], true);
}

#[tokio::test]
async fn lists_export_to_spreadsheets_that_read_back() {
    let t = TestApp::demo().await;
    let mut b = t.browser();
    b.sign_in("school-admin", PW).await;
    let school = t.unit_id("school0").await;
    let req = |path: String, cookies: String| {
        Request::builder()
            .uri(path)
            .header(header::COOKIE, cookies)
            .body(Body::empty())
            .expect("req")
    };
    let cookies = b
        .cookies
        .iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect::<Vec<_>>()
        .join("; ");
    let (s, h, _) = t
        .send(req(
            format!("/org/{school}/people.xlsx?role=parent"),
            cookies.clone(),
        ))
        .await;
    assert_eq!(s, StatusCode::OK);
    assert!(
        h.get(header::CONTENT_TYPE)
            .expect("type")
            .to_str()
            .expect("ascii")
            .contains("spreadsheetml")
    );
    // Read the bytes through the router again to parse them.
    let bytes = {
        use http_body_util::BodyExt;
        use tower::ServiceExt;
        let r = t
            .router
            .clone()
            .oneshot(req(
                format!("/org/{school}/people.xlsx?role=parent"),
                cookies.clone(),
            ))
            .await
            .expect("resp");
        r.into_body()
            .collect()
            .await
            .expect("body")
            .to_bytes()
            .to_vec()
    };
    let table = read_table(&bytes).expect("a workbook");
    assert_eq!(
        table.headers,
        vec!["姓名", "用户名", "手机号", "角色", "状态"]
    );
    assert!(!table.rows.is_empty());
    assert!(
        table.rows.iter().any(|(_, r)| !r[2].is_empty()),
        "parents' phones are listed"
    );
    assert!(
        table
            .rows
            .iter()
            .all(|(_, r)| r[2].is_empty() || r[2].contains("****")),
        "phones masked in exports"
    );
    // No username carries a phone number beside its masked form.
    let has_phone = |s: &str| {
        let digits: Vec<char> = s.chars().collect();
        digits
            .windows(11)
            .any(|w| w[0] == '1' && w.iter().all(char::is_ascii_digit))
    };
    assert!(
        table.rows.iter().all(|(_, r)| !has_phone(&r.concat())),
        "{:?}",
        table.rows
    );
    let (s, _, _) = t
        .send(req(format!("/org/{school}/children.xlsx"), cookies.clone()))
        .await;
    assert_eq!(s, StatusCode::OK);
    // Each export of people is in the audit log, with its size.
    let auditor = t.login("audit-admin").await;
    let (_, log) = t.get("/api/v1/audit?action=account.export", &auditor).await;
    assert_eq!(log["items"].as_array().map(Vec::len), Some(2), "{log}");
    assert!(
        log["items"][0]["detail"]
            .as_str()
            .unwrap_or("")
            .ends_with("条"),
        "{log}"
    );
}

#[tokio::test]
async fn classes_take_grade_names_as_schools_write_them_and_an_unknown_one_lists_the_valid() {
    let t = TestApp::demo().await;
    let token = t.login("district-admin").await;
    // A primary school of the administrator's district, imported first.
    let job = t
        .import(
            &token,
            "units",
            csv(&[
                "外部编号,名称,类型,上级外部编号,学段",
                "p-1,实验小学,学校,d0s0,小学",
            ]),
        )
        .await;
    assert_eq!(job["status"], "done", "{job}");
    let key = "p-1";
    let bad = csv(&[
        "外部编号,学校外部编号,年级,班级名称",
        &format!("x-1,{key},十年级,十年级1班"),
    ]);
    let job = t.import(&token, "classes", bad).await;
    assert_eq!(job["status"], "failed");
    let msg = job["errors"][0]["message"]
        .as_str()
        .unwrap_or("")
        .to_owned();
    assert!(
        msg.contains("P1 一年级") && msg.contains("J1 初一"),
        "{msg}"
    );
    let good = csv(&[
        "外部编号,学校外部编号,年级,班级名称",
        &format!("x-1,{key},一年级,一年级9班"),
        &format!("x-2,{key},3年级,三年级9班"),
    ]);
    let job = t.import(&token, "classes", good).await;
    assert_eq!(job["status"], "done", "{job}");
    let grades = crate::common::sql::texts(
        &t.app,
        "SELECT g.grade FROM units c JOIN units g ON g.id = c.parent_id WHERE c.external_id IN ('x-1', 'x-2') ORDER BY c.external_id",
        &[],
    )
    .await;
    assert_eq!(grades, ["P1", "P3"]);
}
