//! Appeals: a parent scans a gate code and writes; the school or the
//! district bureau contacts them and replies in three parts within the
//! deadlines; an overdue appeal escalates; the parent rates the reply and
//! an unsatisfied rating reopens it one level up.

mod board;
mod files;
mod handling;
mod hotline;
mod public;
mod revise;

use axum::http::{Method, StatusCode};
use serde_json::{Value, json};
use tongyu_domain::appeal::Level;

use crate::common::{PW, START, TestApp, peek};

const TEXT: &str = "放学时学校门口车辆乱停，孩子过马路很危险，希望学校和交警协调。";

pub(crate) fn good_reply() -> Value {
    json!({
        "policy": "根据《青岛市中小学校园周边交通安全管理办法》，学校应会同公安交警设置护学岗。",
        "status": "学校已与辖区交警中队联系，本周起放学时段在东门设置临时停车区和护学岗。",
        "next_steps": "下周一起家委会志愿者轮值护学，两周后学校回访家长并公布调整效果。"
    })
}

/// The school of the demo's `school-admin`, and another school's admin.
pub(crate) async fn schools(t: &TestApp) -> (i64, String, i64) {
    let token = t.login("school-admin").await;
    let school = t.login_unit(&token).await;
    let city = peek::city(&t.app).await;
    let all = peek::schools_under(&t.app, &city.path, 100).await;
    let other = all.iter().find(|s| s.id != school).expect("another school");
    (school, format!("school{}-admin", other.id), other.id)
}

pub(crate) async fn codes(t: &TestApp, admin: &str, school: i64) -> (String, String) {
    let (s, v) = t
        .get(&format!("/api/v1/schools/{school}/appeal-codes"), admin)
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let find = |k: &str| {
        v["codes"]
            .as_array()
            .expect("codes")
            .iter()
            .find(|c| c["kind"] == k)
            .expect("code of kind")["token"]
            .as_str()
            .expect("token")
            .to_owned()
    };
    (find("school"), find("bureau"))
}

async fn public_post(t: &TestApp, path: &str, body: Value) -> (StatusCode, Value) {
    t.api(Method::POST, path, None, Some(body)).await
}

async fn public_get(t: &TestApp, path: &str) -> (StatusCode, Value) {
    t.api(Method::GET, path, None, None).await
}

pub(crate) async fn submit(t: &TestApp, qr: &str, phone: &str) -> String {
    let (s, v) = public_post(
        t,
        "/api/v1/public/appeals",
        json!({"qr_token": qr, "category": "safety", "text": TEXT, "contact_name": "王女士", "contact_phone": phone}),
    )
    .await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    v["tracking_code"].as_str().expect("code").to_owned()
}

/// The parent's rating of a reply, by tracking code.
async fn rate(t: &TestApp, code: &str, body: Value) -> (StatusCode, Value) {
    public_post(t, &format!("/api/v1/public/appeals/{code}/rating"), body).await
}

pub(crate) async fn inbox_ids(t: &TestApp, token: &str, query: &str) -> Vec<i64> {
    let (s, v) = t.get(&format!("/api/v1/appeals{query}"), token).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    v["appeals"]
        .as_array()
        .expect("appeals")
        .iter()
        .map(|a| a["id"].as_i64().expect("id"))
        .collect()
}

/// The board's rollups equal a count of the appeals themselves.
async fn rollups_match(t: &TestApp) {
    let check = tongyu_service::appeal::board::check(&t.app)
        .await
        .expect("check");
    assert!(!check.recounted.is_empty());
    assert_eq!(check.kept, check.recounted);
}

pub(crate) async fn id_of(t: &TestApp, code: &str) -> i64 {
    peek::appeal_id(&t.app, code).await
}

/// A PNG of about `size` bytes that the photo check accepts.
fn png_of(size: usize) -> Vec<u8> {
    let chunk = |kind: &[u8], data: &[u8]| {
        let mut c = (data.len() as u32).to_be_bytes().to_vec();
        c.extend_from_slice(kind);
        c.extend_from_slice(data);
        c.extend([0, 0, 0, 0]);
        c
    };
    let mut png = vec![0x89, b'P', b'N', b'G', 0x0D, 0x0A, 0x1A, 0x0A];
    png.extend(chunk(b"IHDR", &[0; 13]));
    let pixels: Vec<u8> = (0..size as u32).map(|i| (i % 251) as u8).collect();
    png.extend(chunk(b"IDAT", &pixels));
    png.extend(chunk(b"IEND", b""));
    png
}

/// The reference a receipt page shows (in groups of five), as the parent
/// would type it back.
fn receipt_code(html: &str) -> String {
    let start = html
        .find("id=\"tracking-code\">")
        .expect("the reference shown")
        + 19;
    let shown: String = html[start..].chars().take_while(|c| *c != '<').collect();
    assert_eq!(shown.len(), 17, "{shown}: three groups of five");
    tongyu_domain::appeal::normalize_tracking_code(&shown)
}
