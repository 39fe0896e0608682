//! The two codes at every school gate: posters (SVG, PNG drawn in the
//! browser, a print page, a zip of a whole subtree) and rotating a code.

use super::*;

struct Poster {
    school_id: i64,
    school_name: String,
    school_svg: String,
    bureau_svg: String,
    school_url: String,
    bureau_url: String,
}

#[derive(Template)]
#[template(path = "appeal/posters.html")]
struct PostersPage {
    nav: Nav,
    posters: Vec<Poster>,
    unit_id: i64,
    unit_name: String,
}

/// The addresses a school's two codes open: (school, bureau).
fn code_urls(state: &AppState, codes: &[tongyu_service::appeal::Code]) -> (String, String) {
    let url_of = |k: CodeKind| {
        codes
            .iter()
            .find(|c| c.kind == k)
            .map(|c| format!("{}/q/{}", state.config.public_url, c.token))
            .unwrap_or_default()
    };
    (url_of(CodeKind::School), url_of(CodeKind::Bureau))
}

pub(super) async fn posters(
    State(state): State<AppState>,
    user: PageUser,
    Path(unit_id): Path<i64>,
) -> PageResult<Response> {
    let unit = tongyu_service::access::unit(
        &state.app,
        &user.ctx,
        unit_id,
        tongyu_domain::policy::Action::ViewUnit,
    )
    .await?;
    let schools = appeal::codes_within(&state.app, &user.ctx, unit_id).await?;
    let posters = schools
        .into_iter()
        .map(|(school, codes)| {
            let (su, bu) = code_urls(&state, &codes);
            Poster {
                school_id: school.id,
                school_name: school.name,
                school_svg: crate::page::qr::qr_svg(&su),
                bureau_svg: crate::page::qr::qr_svg(&bu),
                school_url: su,
                bureau_url: bu,
            }
        })
        .collect();
    let page = PostersPage {
        nav: Nav::for_user(&user),
        posters,
        unit_id,
        unit_name: unit.name,
    };
    Ok(render(&page)?.into_response())
}

#[derive(serde::Deserialize, Default, schemars::JsonSchema)]
pub(super) struct RotateForm {
    #[serde(default)]
    kind: String,
    /// `1` once the consequences were shown (the second step).
    #[serde(default)]
    confirm: String,
    /// `grace` (the old code keeps working for a while) or `now`.
    #[serde(default)]
    mode: String,
}

pub(super) async fn rotate(
    State(state): State<AppState>,
    user: PageUser,
    Path(school_id): Path<i64>,
    CsrfForm(f): CsrfForm<RotateForm>,
) -> PageResult<Response> {
    let kind = CodeKind::parse(&f.kind)
        .ok_or_else(|| PageError(Error::invalid("kind", "请选择要更换的二维码")))?;
    if !crate::page::confirm::confirmed(&f.confirm) {
        // Step one: what stops working, and how soon.
        appeal::school_codes(&state.app, &user.ctx, school_id).await?;
        let days = state.app.settings.code_grace_secs / 86_400;
        let which = match kind {
            CodeKind::School => "学校码（向学校反映）",
            CodeKind::Bureau => "教育局码（向教育局反映）",
        };
        let mut page = crate::page::confirm::Confirm::new(
            Nav::for_user(&user),
            format!("更换{which}"),
            format!("/appeals/codes/{school_id}/rotate"),
        );
        page.consequences = vec![
            "校门口已张贴的海报、发到家长群的旧二维码都会失效，需要重新打印、张贴新海报。".into(),
            "已经提交的诉求不受影响，家长仍可凭查询码查看进度。".into(),
        ];
        page.fields = vec![("kind".into(), kind.as_str().into())];
        if days > 0 {
            page.choices.push(Opt {
                value: "grace".into(),
                label: format!(
                    "保留 {days} 天过渡期：旧码期间仍可提交，并提示家长改用新码（推荐）"
                ),
            });
        }
        page.choices.push(Opt {
            value: "now".into(),
            label: "旧码立即停用（旧码被冒用、贴到了不该贴的地方时）".into(),
        });
        page.button = "确认更换".into();
        page.cancel = format!("/appeals/posters/{school_id}");
        return page.respond();
    }
    appeal::rotate_code(&state.app, &user.ctx, school_id, kind, f.mode == "now").await?;
    Ok(Redirect::to(&format!("/appeals/posters/{school_id}")).into_response())
}

/// One school's poster as an SVG file: its name, both codes, and what to do.
pub(super) async fn poster_svg(
    State(state): State<AppState>,
    user: PageUser,
    Path(school_id): Path<i64>,
) -> PageResult<Response> {
    let codes = appeal::school_codes(&state.app, &user.ctx, school_id).await?;
    let school = tongyu_service::access::unit(
        &state.app,
        &user.ctx,
        school_id,
        tongyu_domain::policy::Action::ViewUnit,
    )
    .await?;
    let (su, bu) = code_urls(&state, &codes);
    let svg = poster(&school.name, &su, &bu);
    Ok((
        [
            (
                header::CONTENT_TYPE,
                "image/svg+xml; charset=utf-8".to_owned(),
            ),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"poster-{school_id}.svg\""),
            ),
        ],
        svg,
    )
        .into_response())
}

fn xml_escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// An A4-proportioned poster (210 × 297 units).
pub fn poster(school_name: &str, school_url: &str, bureau_url: &str) -> String {
    let inner = |url: &str| -> String {
        let svg = crate::page::qr::qr_svg(url);
        // Nest the code's own <svg> without its XML declaration.
        match svg.find("<svg") {
            Some(i) => svg[i..].to_owned(),
            None => String::new(),
        }
    };
    let place = |svg: String, x: u32| -> String {
        let svg = without_size(&svg);
        svg.replacen(
            "<svg",
            &format!("<svg x=\"{x}\" y=\"95\" width=\"80\" height=\"80\""),
            1,
        )
    };
    format!(
        r##"<?xml version="1.0" encoding="UTF-8"?>
<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 210 297" width="210mm" height="297mm" font-family="WenQuanYi Micro Hei, Noto Sans CJK SC, sans-serif">
<rect width="210" height="297" fill="#fff"/>
<text x="105" y="40" font-size="12" text-anchor="middle" font-weight="bold">{name}</text>
<text x="105" y="62" font-size="10" text-anchor="middle">家长诉求 扫码反映</text>
<text x="105" y="78" font-size="5" text-anchor="middle">有意见、建议或困难，请扫码填写，我们会在规定时间内联系您并答复</text>
{school}
{bureau}
<text x="55" y="185" font-size="7" text-anchor="middle">向学校反映</text>
<text x="155" y="185" font-size="7" text-anchor="middle">向教育局反映</text>
<text x="105" y="215" font-size="4.5" text-anchor="middle">可匿名反映；提交后请保存查询码，凭查询码查看办理进度和答复</text>
<text x="105" y="225" font-size="4.5" text-anchor="middle">答复包括：政策规定、当前工作情况、下一步解决措施</text>
</svg>
"##,
        name = xml_escape(school_name),
        school = place(inner(school_url), 15),
        bureau = place(inner(bureau_url), 115),
    )
}

/// The SVG with the `width` and `height` of its root element taken out (its
/// `viewBox` stays), so that a nesting element can set its own: an element
/// with an attribute twice is not XML, and no viewer draws it.
fn without_size(svg: &str) -> String {
    let Some(start) = svg.find("<svg") else {
        return svg.to_owned();
    };
    let Some(len) = svg[start..].find('>') else {
        return svg.to_owned();
    };
    let mut tag = svg[start..start + len].to_owned();
    for name in [" width=\"", " height=\""] {
        if let Some(i) = tag.find(name) {
            let value = i + name.len();
            if let Some(end) = tag[value..].find('"') {
                tag.replace_range(i..value + end + 1, "");
            }
        }
    }
    format!("{}{tag}{}", &svg[..start], &svg[start + len..])
}

/// Every school's poster in the subtree as SVG files in one zip archive.
pub(super) async fn posters_zip(
    State(state): State<AppState>,
    user: PageUser,
    Path(unit_id): Path<i64>,
) -> PageResult<Response> {
    use std::io::Write;
    let unit = tongyu_service::access::unit(
        &state.app,
        &user.ctx,
        unit_id,
        tongyu_domain::policy::Action::ViewUnit,
    )
    .await?;
    let schools = appeal::codes_within(&state.app, &user.ctx, unit_id).await?;
    let failed = |_| PageError(Error::internal());
    let mut zip = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let options =
        zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Stored);
    for (school, codes) in &schools {
        let (su, bu) = code_urls(&state, codes);
        let svg = poster(&school.name, &su, &bu);
        let name = format!(
            "{}-{}.svg",
            school.id,
            school.name.replace(['/', '\\'], "-")
        );
        zip.start_file(name, options).map_err(failed)?;
        zip.write_all(svg.as_bytes())
            .map_err(|_| PageError(Error::internal()))?;
    }
    let bytes = zip.finish().map_err(failed)?.into_inner();
    let filename = format!("校门二维码海报-{}.zip", unit.name);
    Ok((
        [
            (header::CONTENT_TYPE, "application/zip".to_owned()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{filename}\""),
            ),
        ],
        bytes,
    )
        .into_response())
}
