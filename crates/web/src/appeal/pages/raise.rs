//! Staff take down an appeal a parent brought by telephone, to the
//! principal's mailbox or on a home visit; it enters the same loop as one
//! sent from a gate code.

use super::*;
use tongyu_domain::appeal::Source;
use tongyu_service::appeal::OnBehalfInput;

/// Schools listed in the form before a name must be searched for.
const SCHOOLS_LISTED: i64 = 400;

#[derive(Template)]
#[template(path = "appeal/raise.html")]
struct RaisePage {
    nav: Nav,
    sources: Vec<Opt>,
    categories: Vec<Opt>,
    districts: Vec<(i64, String)>,
    schools: Vec<(i64, String)>,
    /// More schools than listed: the form asks for a part of the name.
    more: bool,
    q: String,
    form: OnBehalfInput,
    error: Option<String>,
}

#[derive(serde::Deserialize, Default, schemars::JsonSchema)]
pub(super) struct RaiseParams {
    /// A part of a school's name, to narrow the list.
    #[serde(default)]
    q: String,
}

fn sources() -> Vec<Opt> {
    Source::ALL
        .iter()
        .filter(|s| **s != Source::Qr)
        .map(|s| Opt {
            value: s.as_str().into(),
            label: s.label().into(),
        })
        .collect()
}

async fn raise_view(
    state: &AppState,
    user: &PageUser,
    q: &str,
    form: OnBehalfInput,
    error: Option<Error>,
) -> PageResult<Response> {
    let (districts, mut schools) =
        appeal::raise_targets(&state.app, &user.ctx, q, SCHOOLS_LISTED + 1).await?;
    let more = schools.len() as i64 > SCHOOLS_LISTED;
    schools.truncate(SCHOOLS_LISTED as usize);
    let page = RaisePage {
        nav: Nav::for_user(user),
        sources: sources(),
        categories: categories(),
        districts,
        schools,
        more,
        q: q.to_owned(),
        form,
        error: error.as_ref().map(|e| e.message.clone()),
    };
    Ok((status_of(error.as_ref()), render(&page)?).into_response())
}

pub(super) async fn raise_form(
    State(state): State<AppState>,
    user: PageUser,
    Query(p): Query<RaiseParams>,
) -> PageResult<Response> {
    let form = OnBehalfInput {
        source: Source::BureauPhone.as_str().into(),
        ..OnBehalfInput::default()
    };
    raise_view(&state, &user, &p.q, form, None).await
}

pub(super) async fn raise_submit(
    State(state): State<AppState>,
    user: PageUser,
    CsrfForm(f): CsrfForm<OnBehalfInput>,
) -> PageResult<Response> {
    match appeal::raise(&state.app, &user.ctx, &f).await {
        Ok(r) => {
            let msg = if r.existing { "existing" } else { "raised" };
            Ok(Redirect::to(&format!("/appeals/{}?msg={msg}", r.id)).into_response())
        }
        Err(e) if is_user_error(&e) => raise_view(&state, &user, "", f, Some(e)).await,
        Err(e) => Err(PageError(e)),
    }
}
