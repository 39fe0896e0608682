//! Background jobs: one instance at a time per job under a lease, taken
//! over when the lease runs out, retried with pauses and then given up,
//! run again by the system administrator; imports go through them, and
//! their first passwords wait sealed for whichever instance is asked.

use axum::body::Body;
use axum::http::{Method, Request, StatusCode, header};
use serde_json::Value;
use tongyu_domain::Error;
use tongyu_service::jobs;

use crate::common::{PW, TestApp, sql};

/// Queues a one-teacher import through the API (nothing runs it while the
/// runner is stopped) and returns the import's id.
async fn queue_import(t: &TestApp, token: &str, n: usize) -> i64 {
    let ext = t
        .unit(t.unit_id("school0").await)
        .await
        .external_id
        .expect("ext");
    let file = format!("工号,姓名,角色,单位外部编号\nJ{n},钱老师,教师,{ext}\n");
    let req = Request::builder()
        .method(Method::POST)
        .uri("/api/v1/imports?kind=teachers&filename=t.csv")
        .header(header::AUTHORIZATION, format!("Bearer {token}"))
        .header(header::CONTENT_TYPE, "application/octet-stream")
        .body(Body::from(file))
        .expect("request");
    let (s, _, body) = t.send(req).await;
    assert_eq!(s, StatusCode::ACCEPTED, "{body}");
    serde_json::from_str::<Value>(&body).expect("json")["id"]
        .as_i64()
        .expect("id")
}

async fn job_list(t: &TestApp, token: &str) -> Vec<Value> {
    let (s, v) = t.get("/api/v1/jobs", token).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    v["items"].as_array().expect("items").clone()
}

#[tokio::test]
async fn a_job_is_one_instance_s_at_a_time_and_taken_over_when_its_lease_runs_out() {
    let t = TestApp::demo().await;
    t.stop_runner();
    let admin = t.login("school-admin").await;
    let import = queue_import(&t, &admin, 1).await;

    let first = jobs::claim_next(&t.app, "instance-a")
        .await
        .expect("claim")
        .expect("a due job");
    assert_eq!((first.kind.as_str(), first.ref_id), (jobs::IMPORT, import));
    assert_eq!((first.status.as_str(), first.attempts), ("running", 1));
    // Held: another instance finds nothing to do.
    assert!(
        jobs::claim_next(&t.app, "instance-b")
            .await
            .expect("claim")
            .is_none()
    );
    // Instance a stops without a word; once its lease has run out, b takes
    // the job over, and a can no longer record an end for it.
    t.clock.advance(jobs::LEASE.as_secs() as i64 + 1);
    let again = jobs::claim_next(&t.app, "instance-b")
        .await
        .expect("claim")
        .expect("taken over");
    assert_eq!((again.id, again.attempts), (first.id, 2));
    let stale = jobs::finish(&t.app, "instance-a", &first, &Ok("a".into()))
        .await
        .expect("finish");
    assert!(stale.is_none(), "a lost its lease: its end is not recorded");
    jobs::run_one(&t.app, "instance-b", again).await;

    let (_, job) = t.get(&format!("/api/v1/imports/{import}"), &admin).await;
    assert_eq!(job["status"], "done", "{job}");
    assert_eq!(job["created"], 1, "{job}");
    let sysadmin = t.login("system-admin").await;
    let listed = job_list(&t, &sysadmin).await;
    let row = listed.iter().find(|j| j["id"] == first.id).expect("listed");
    assert_eq!(row["status"], "done", "{row}");
    assert_eq!(row["runs"], 1, "{row}");
    assert_eq!(row["label"], "批量导入");
}

#[tokio::test]
async fn concurrent_claims_take_each_job_exactly_once() {
    let t = TestApp::demo().await;
    t.stop_runner();
    let admin = t.login("school-admin").await;
    for n in 0..6 {
        queue_import(&t, &admin, n).await;
    }
    let mut tasks = Vec::new();
    for i in 0..12 {
        let app = t.app.clone();
        tasks.push(tokio::spawn(async move {
            jobs::claim_next(&app, &format!("instance-{i}"))
                .await
                .expect("claim")
        }));
    }
    let mut claimed = Vec::new();
    for task in tasks {
        if let Some(j) = task.await.expect("task") {
            claimed.push(j.id);
        }
    }
    claimed.sort_unstable();
    let before = claimed.len();
    claimed.dedup();
    assert_eq!(claimed.len(), before, "no job claimed twice: {claimed:?}");
    assert_eq!(claimed.len(), 6, "every due job claimed once");
}

#[tokio::test]
async fn a_failing_job_waits_longer_each_time_then_is_given_up_and_run_again_by_hand() {
    let t = TestApp::demo().await;
    t.stop_runner();
    let admin = t.login("school-admin").await;
    let import = queue_import(&t, &admin, 7).await;
    let boom: tongyu_domain::Result<String> = Err(Error::internal());

    let mut pauses = Vec::new();
    let mut last = None;
    for attempt in 1..=3 {
        let job = jobs::claim_next(&t.app, "a")
            .await
            .expect("claim")
            .expect("due");
        assert_eq!(job.attempts, attempt);
        let after = jobs::finish(&t.app, "a", &job, &boom)
            .await
            .expect("finish")
            .expect("recorded");
        if after.status == "queued" {
            let pause = after.run_at - t.app.now();
            pauses.push(pause);
            // Not before its pause is over.
            assert!(
                jobs::claim_next(&t.app, "a")
                    .await
                    .expect("claim")
                    .is_none()
            );
            t.clock.advance(pause);
        }
        last = Some(after);
    }
    assert_eq!(pauses, [30, 60], "half a minute, then doubling");
    let given_up = last.expect("ran");
    assert_eq!(given_up.status, "failed");
    assert!(!given_up.last_error.is_empty());
    // The import's page says so rather than waiting for ever.
    let (_, job) = t.get(&format!("/api/v1/imports/{import}"), &admin).await;
    assert_eq!(job["status"], "failed", "{job}");
    assert!(
        job["file_error"]
            .as_str()
            .unwrap_or("")
            .contains("重新上传"),
        "{job}"
    );

    // Nobody but the system administrator runs it again.
    let (s, _) = t
        .post(
            &format!("/api/v1/jobs/{}/retry", given_up.id),
            &admin,
            Value::Null,
        )
        .await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    let sysadmin = t.login("system-admin").await;
    let (s, v) = t
        .post(
            &format!("/api/v1/jobs/{}/retry", given_up.id),
            &sysadmin,
            Value::Null,
        )
        .await;
    assert_eq!(s, StatusCode::NO_CONTENT, "{v}");
    let audited = t
        .app
        .db
        .query_i64("SELECT COUNT(*) FROM audit_log WHERE action = 'job.retry'")
        .await
        .expect("count");
    assert_eq!(audited, 1);
    // Queued again with fresh attempts; this time it runs through.
    let job = jobs::claim_next(&t.app, "b")
        .await
        .expect("claim")
        .expect("due again");
    assert_eq!(job.attempts, 1);
    jobs::run_one(&t.app, "b", job).await;
    let (_, job) = t.get(&format!("/api/v1/imports/{import}"), &admin).await;
    assert_eq!(job["status"], "done", "{job}");
    // Running a finished job again is refused.
    let (s, v) = t
        .post(
            &format!("/api/v1/jobs/{}/retry", given_up.id),
            &sysadmin,
            Value::Null,
        )
        .await;
    assert_eq!(s, StatusCode::CONFLICT, "{v}");
}

#[tokio::test]
async fn periodic_jobs_run_and_come_back_and_only_the_system_administrator_sees_them() {
    let t = TestApp::demo().await;
    jobs::schedule(
        &t.app,
        &jobs::standard_schedule(std::time::Duration::from_secs(60)),
    )
    .await
    .expect("schedule");
    // Scheduling again (another instance starting) adds nothing.
    jobs::schedule(
        &t.app,
        &jobs::standard_schedule(std::time::Duration::from_secs(60)),
    )
    .await
    .expect("schedule");
    let sysadmin = t.login("system-admin").await;
    let mut sweep = Value::Null;
    for _ in 0..400 {
        let list = job_list(&t, &sysadmin).await;
        assert_eq!(list.iter().filter(|j| j["every_s"] != 0).count(), 4);
        sweep = list
            .iter()
            .find(|j| j["kind"] == jobs::APPEAL_SWEEP)
            .cloned()
            .expect("the sweep is listed");
        if sweep["runs"] == 1 && sweep["status"] == "queued" {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
    assert_eq!(sweep["runs"], 1, "{sweep}");
    assert_eq!(sweep["status"], "queued", "back in the queue: {sweep}");
    assert_eq!(
        sweep["run_at"].as_i64().expect("run_at"),
        sweep["finished_at"].as_i64().expect("finished_at") + 60,
        "next run a period after the last"
    );
    assert!(
        sweep["last_result"].as_str().unwrap_or("").contains("升级"),
        "{sweep}"
    );

    // The page, and who may open it.
    let mut b = t.browser();
    b.sign_in("system-admin", PW).await;
    let page = b.get("/jobs").await;
    assert_eq!(page.status, StatusCode::OK);
    for text in [
        "诉求时限检查",
        "过期数据清理",
        "无主文件清理",
        "账号激活统计",
        "每1分钟",
    ] {
        assert!(page.body.contains(text), "{text}: {}", page.body);
    }
    assert!(page.body.contains("href=\"/jobs\""), "in the menu");
    let mut head = t.browser();
    head.sign_in("school-admin", PW).await;
    assert_eq!(head.get("/jobs").await.status, StatusCode::FORBIDDEN);
    assert!(!head.get("/org").await.body.contains("href=\"/jobs\""));
    let admin = t.login("school-admin").await;
    let (s, _) = t.get("/api/v1/jobs", &admin).await;
    assert_eq!(s, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn first_passwords_wait_sealed_and_any_instance_hands_them_over_once() {
    let t = TestApp::demo().await;
    let admin = t.login("school-admin").await;
    let ext = t
        .unit(t.unit_id("school0").await)
        .await
        .external_id
        .expect("ext");
    let file = format!("工号,姓名,角色,单位外部编号\nK1,孙老师,教师,{ext}\n");
    let job = t.import(&admin, "teachers", file.into_bytes()).await;
    assert_eq!(job["status"], "done", "{job}");
    let id = job["id"].as_i64().expect("id");

    // Kept sealed under the data keys, never as the password itself.
    let sealed = sql::text(
        &t.app,
        "SELECT sealed FROM import_credentials WHERE import_id = $1",
        &[id.into()],
    )
    .await;
    assert!(sealed.starts_with("v1."), "{sealed}");
    assert!(!sealed.contains("tk1"), "no username in the clear");

    // The importer asks another instance for them: it has them, once.
    let other = t.reopen(|_| {});
    let mut b = other.browser();
    b.sign_in("school-admin", PW).await;
    let page = b.get(&format!("/imports/{id}")).await;
    assert!(page.body.contains("credentials.xlsx"), "{}", page.body);
    let first = b.get(&format!("/imports/{id}/credentials.xlsx")).await;
    assert_eq!(first.status, StatusCode::OK);
    let again = b.get(&format!("/imports/{id}/credentials.xlsx")).await;
    assert_eq!(again.status, StatusCode::NOT_FOUND);
    let left = t
        .app
        .db
        .query_i64("SELECT COUNT(*) FROM import_credentials")
        .await
        .expect("count");
    assert_eq!(left, 0, "gone from the database once handed over");
}
