//! 12345 hotline intake: tickets arrive through the API with an integration
//! token or as a spreadsheet a member of staff uploads; each becomes an
//! appeal routed to the school or district it names, once per ticket number
//! however often it is sent. Replies go back as a spreadsheet.

use tongyu_domain::appeal::{Category, Source};
use tongyu_domain::org::{Unit, UnitKind, path_within};
use tongyu_domain::policy::Action;
use tongyu_domain::{Error, Result};
use tongyu_store::audit::AuditEntry;
use tongyu_store::org as units;

use super::{OnBehalfInput, raise_checked};
use crate::{App, Ctx, Origin, audit};

/// One hotline ticket.
#[derive(Debug, Clone, Default, serde::Deserialize, schemars::JsonSchema)]
pub struct Ticket {
    pub ticket_no: String,
    /// The school or district: its code (external id) or its exact name.
    pub unit: String,
    /// A category code or its Chinese name; anything else is "other" (a
    /// ticket is never refused for the hotline's own categories).
    #[serde(default)]
    pub category: String,
    pub text: String,
    #[serde(default)]
    pub contact_name: String,
    #[serde(default)]
    pub contact_phone: String,
}

/// What became of one ticket.
#[derive(Debug, Clone, serde::Serialize, schemars::JsonSchema)]
pub struct TicketResult {
    /// The ticket's row in the file (1 = the header), or its place in the
    /// request (from 1).
    pub row: usize,
    pub ticket_no: String,
    /// `created`, `existing` or `error`.
    pub outcome: &'static str,
    pub appeal_id: i64,
    /// The appeal's number (empty for an error).
    pub number: String,
    pub message: String,
}

/// The most tickets one call or file may carry.
pub const MAX_TICKETS: usize = 2000;

fn category_of(raw: &str) -> Category {
    let t = raw.trim();
    Category::parse(t)
        .or_else(|| Category::ALL.into_iter().find(|c| c.label() == t))
        .unwrap_or(Category::Other)
}

/// Finds the school or district a ticket names, within `root`.
async fn find_unit(app: &App, root: &str, name: &str) -> Result<Unit> {
    let name = name.trim();
    let missing = || {
        Error::invalid(
            "unit",
            format!("找不到单位“{name}”（请填写学校或区(市)的编码或全称）"),
        )
    };
    if name.is_empty() {
        return Err(Error::invalid("unit", "请填写承办的学校或区(市)"));
    }
    let mut c = app.db.read().await?;
    if let Some(u) = units::get_by_external_id(&mut c, name).await?
        && u.active
        && path_within(&u.path, root)
        && matches!(u.kind, UnitKind::School | UnitKind::District)
    {
        return Ok(u);
    }
    for kind in [UnitKind::School, UnitKind::District] {
        let found = units::search(&mut c, &[root.to_owned()], Some(kind), name, 20).await?;
        let exact: Vec<&Unit> = found.iter().filter(|u| u.name == name).collect();
        match exact.as_slice() {
            [one] => return Ok((*one).clone()),
            [] => {}
            _ => {
                return Err(Error::invalid(
                    "unit",
                    format!("有多个名为“{name}”的单位，请改填单位编码"),
                ));
            }
        }
    }
    Err(missing())
}

async fn take(app: &App, root: &str, entry: &AuditEntry, row: usize, t: &Ticket) -> TicketResult {
    let ticket_no = t.ticket_no.trim().to_owned();
    let result = async {
        let unit = find_unit(app, root, &t.unit).await?;
        let input = OnBehalfInput {
            source: Source::Hotline.as_str().into(),
            external_ref: ticket_no.clone(),
            unit_id: unit.id,
            category: category_of(&t.category).as_str().into(),
            text: t.text.clone(),
            contact_name: t.contact_name.clone(),
            contact_phone: t.contact_phone.clone(),
        };
        raise_checked(
            app,
            entry,
            Source::Hotline,
            &unit,
            &input,
            std::slice::from_ref(&root.to_owned()),
        )
        .await
    }
    .await;
    match result {
        Ok(r) => TicketResult {
            row,
            ticket_no,
            outcome: if r.existing { "existing" } else { "created" },
            appeal_id: r.id,
            number: r.number,
            message: String::new(),
        },
        Err(e) => TicketResult {
            row,
            ticket_no,
            outcome: "error",
            appeal_id: 0,
            number: String::new(),
            message: e.message,
        },
    }
}

/// Takes tickets sent by the hotline's system with an integration token
/// issued for `root` (a district's token routes only within it). Every
/// ticket is answered on its own: one bad ticket does not hold back the rest.
pub async fn import_by_token(
    app: &App,
    origin: &Origin,
    token_name: &str,
    root: &str,
    tickets: &[Ticket],
) -> Result<Vec<TicketResult>> {
    if tickets.len() > MAX_TICKETS {
        return Err(Error::invalid(
            "tickets",
            format!("一次最多导入{MAX_TICKETS}张工单"),
        ));
    }
    let entry = AuditEntry {
        at: app.now(),
        actor_id: None,
        actor: format!("integration:{token_name}"),
        action: "appeal.hotline_imported".into(),
        object_type: "appeal".into(),
        object_id: String::new(),
        unit_id: None,
        result: "ok".into(),
        ip: origin.ip.clone(),
        request_id: origin.request_id.clone(),
        detail: Source::Hotline.as_str().into(),
    };
    let mut out = Vec::with_capacity(tickets.len());
    for (i, t) in tickets.iter().enumerate() {
        out.push(take(app, root, &entry, i + 1, t).await);
    }
    Ok(out)
}

/// The columns of a hotline spreadsheet, by their Chinese headers.
pub const HEADERS: [&str; 6] = [
    "工单编号",
    "承办单位",
    "类别",
    "诉求内容",
    "联系人",
    "联系电话",
];

/// Takes a spreadsheet of tickets (CSV or .xlsx with the [`HEADERS`])
/// uploaded by staff who handle appeals; tickets route within the
/// uploader's scope.
pub async fn import_file(app: &App, ctx: &Ctx, bytes: &[u8]) -> Result<Vec<TicketResult>> {
    let roots = ctx.actor.scope(Action::HandleAppeals);
    if roots.is_empty() {
        return Err(Error::forbidden());
    }
    let table = crate::sheet::read_table(bytes)?;
    let col = |h: &str| table.headers.iter().position(|x| x.trim() == h);
    let (Some(no), Some(unit), Some(text)) = (col(HEADERS[0]), col(HEADERS[1]), col(HEADERS[3]))
    else {
        return Err(Error::invalid(
            "file",
            format!("表头应包括：{}", HEADERS.join("、")),
        ));
    };
    let (cat, name, phone) = (col(HEADERS[2]), col(HEADERS[4]), col(HEADERS[5]));
    if table.rows.len() > MAX_TICKETS {
        return Err(Error::invalid(
            "file",
            format!("一个文件最多{MAX_TICKETS}张工单，请拆分后再导入"),
        ));
    }
    let cell =
        |r: &Vec<String>, i: Option<usize>| i.and_then(|i| r.get(i)).cloned().unwrap_or_default();
    let entry = audit::entry(
        app,
        ctx,
        "appeal.hotline_imported",
        "appeal",
        "",
        None,
        "file",
    );
    let mut out = Vec::with_capacity(table.rows.len());
    for (row, cells) in &table.rows {
        let t = Ticket {
            ticket_no: cell(cells, Some(no)),
            unit: cell(cells, Some(unit)),
            category: cell(cells, cat),
            text: cell(cells, Some(text)),
            contact_name: cell(cells, name),
            contact_phone: cell(cells, phone),
        };
        // The first root that holds the named unit decides.
        let mut result = None;
        for root in &roots {
            let r = take(app, root, &entry, *row, &t).await;
            let miss = r.outcome == "error" && r.message.starts_with("找不到单位");
            result = Some(r);
            if !miss {
                break;
            }
        }
        if let Some(r) = result {
            out.push(r);
        }
    }
    Ok(out)
}

/// The replies to hotline tickets in the actor's scope, for the hotline to
/// close its tickets: ticket number, status, the three parts, the rating.
pub async fn export_replies(app: &App, ctx: &Ctx) -> Result<Vec<u8>> {
    let roots = ctx.actor.scope(Action::HandleAppeals);
    if roots.is_empty() {
        return Err(Error::forbidden());
    }
    let mut rows = Vec::new();
    let mut c = app.db.read().await?;
    for root in &roots {
        for a in
            tongyu_store::appeal::by_source_within(&mut c, Source::Hotline, root, 50_000).await?
        {
            let published = a.replied_at > 0;
            rows.push(vec![
                a.external_ref.clone(),
                tongyu_domain::appeal::number(a.id),
                a.status.label().to_owned(),
                if published {
                    a.reply_policy.clone()
                } else {
                    String::new()
                },
                if published {
                    a.reply_status.clone()
                } else {
                    String::new()
                },
                if published {
                    a.reply_next_steps.clone()
                } else {
                    String::new()
                },
                if published {
                    tongyu_domain::calendar::format_local_minute(a.replied_at)
                } else {
                    String::new()
                },
                a.rating.map_or("", |r| r.label()).to_owned(),
            ]);
        }
    }
    drop(c);
    audit::append_alone(
        app,
        &audit::entry(
            app,
            ctx,
            "appeal.hotline_exported",
            "appeal",
            "",
            None,
            rows.len().to_string(),
        ),
    )
    .await?;
    crate::sheet::write_xlsx(
        "12345工单答复",
        &[
            "工单编号",
            "诉求编号",
            "办理状态",
            "政策规定",
            "当前工作情况",
            "下一步解决措施",
            "答复时间",
            "家长评价",
        ],
        &rows,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hotline_categories_map_to_ours_or_other() {
        assert_eq!(category_of("fees"), Category::Fees);
        assert_eq!(category_of("收费问题"), Category::Fees);
        assert_eq!(category_of("城市管理"), Category::Other);
        assert_eq!(category_of(""), Category::Other);
    }
}
