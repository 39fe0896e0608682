//! Spreadsheets in and out: reading a CSV or .xlsx upload into rows of text,
//! checked to be what it claims, and writing any list to .xlsx.

use std::io::Cursor;

use calamine::Reader;
use tongyu_domain::{Error, ErrorCode, Result};

/// The most rows one file may carry; larger files are to be split.
pub const MAX_ROWS: usize = 50_000;
/// The largest file accepted, in bytes.
pub const MAX_BYTES: usize = 20 * 1024 * 1024;

/// A table of text: the header row and the data rows (1-based row numbers
/// as the user sees them in their spreadsheet, the header being row 1).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Table {
    pub headers: Vec<String>,
    pub rows: Vec<(usize, Vec<String>)>,
}

fn bad_file(msg: &str) -> Error {
    Error::with_message(ErrorCode::ValidationFailed, msg)
}

/// Reads an upload by its content, not its name: a ZIP container must be an
/// .xlsx workbook, anything else must be UTF-8 CSV text.
pub fn read_table(bytes: &[u8]) -> Result<Table> {
    if bytes.len() > MAX_BYTES {
        return Err(Error::with_message(
            ErrorCode::PayloadTooLarge,
            "文件超过 20 MB，请拆分后再导入",
        ));
    }
    if bytes.is_empty() {
        return Err(bad_file("文件是空的"));
    }
    let raw = if bytes.starts_with(b"PK\x03\x04") {
        read_xlsx(bytes)?
    } else {
        read_csv(bytes)?
    };
    let mut it = raw
        .into_iter()
        .filter(|(_, r)| r.iter().any(|c| !c.trim().is_empty()));
    let Some((_, headers)) = it.next() else {
        return Err(bad_file("文件中没有表头"));
    };
    let headers: Vec<String> = headers
        .iter()
        .map(|h| h.trim().trim_start_matches('\u{feff}').to_owned())
        .collect();
    let rows: Vec<(usize, Vec<String>)> = it.collect();
    if rows.len() > MAX_ROWS {
        return Err(bad_file(&format!(
            "文件有 {} 行数据，超过每次 {MAX_ROWS} 行的上限，请拆分后再导入",
            rows.len()
        )));
    }
    Ok(Table { headers, rows })
}

/// Rows with their numbers as the spreadsheet shows them (from 1).
fn read_xlsx(bytes: &[u8]) -> Result<Vec<(usize, Vec<String>)>> {
    let mut wb: calamine::Xlsx<_> = calamine::open_workbook_from_rs(Cursor::new(bytes))
        .map_err(|_| bad_file("文件不是有效的 Excel（.xlsx）工作簿"))?;
    let range = wb
        .worksheet_range_at(0)
        .ok_or_else(|| bad_file("工作簿中没有工作表"))?
        .map_err(|_| bad_file("无法读取第一个工作表"))?;
    if range.height() > MAX_ROWS + 1 {
        return Err(bad_file(&format!(
            "文件超过每次 {MAX_ROWS} 行的上限，请拆分后再导入"
        )));
    }
    let first = range.start().map_or(0, |(r, _)| r as usize);
    Ok(range
        .rows()
        .enumerate()
        .map(|(i, r)| (first + i + 1, r.iter().map(cell_text).collect()))
        .collect())
}

fn cell_text(c: &calamine::Data) -> String {
    match c {
        calamine::Data::Empty => String::new(),
        calamine::Data::Float(f) if f.fract() == 0.0 && f.abs() < 1e15 => format!("{}", *f as i64),
        other => other.to_string(),
    }
}

/// Rows with their line numbers (from 1).
fn read_csv(bytes: &[u8]) -> Result<Vec<(usize, Vec<String>)>> {
    if bytes.contains(&0) {
        return Err(bad_file("文件不是 CSV 文本，也不是 Excel（.xlsx）工作簿"));
    }
    let text = std::str::from_utf8(bytes).map_err(|_| {
        bad_file("CSV 文件不是 UTF-8 编码：请在 Excel 中另存为“CSV UTF-8”或直接上传 .xlsx")
    })?;
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(text.as_bytes());
    let mut out = Vec::new();
    let (mut line, mut counted_to) = (1usize, 0usize);
    for rec in reader.records() {
        let rec = rec.map_err(|e| bad_file(&format!("CSV 格式有误：{e}")))?;
        // The line a record starts on, counted from its byte offset.
        // (the reader's offset may point at blank lines it skipped).
        let mut start = rec
            .position()
            .map_or(counted_to, |p| p.byte() as usize)
            .min(text.len());
        while start < text.len() && matches!(text.as_bytes()[start], b'\n' | b'\r') {
            start += 1;
        }
        line += text.as_bytes()[counted_to.min(start)..start]
            .iter()
            .filter(|b| **b == b'\n')
            .count();
        counted_to = start;
        out.push((line, rec.iter().map(str::to_owned).collect()));
        if out.len() > MAX_ROWS + 1 {
            return Err(bad_file(&format!(
                "文件超过每次 {MAX_ROWS} 行的上限，请拆分后再导入"
            )));
        }
    }
    Ok(out)
}

/// Writes one sheet: a bold header row, then the rows as text. A cell that
/// starts like a formula is written as plain text.
pub fn write_xlsx(sheet: &str, headers: &[&str], rows: &[Vec<String>]) -> Result<Vec<u8>> {
    let fail = |_| Error::internal();
    let mut wb = rust_xlsxwriter::Workbook::new();
    let bold = rust_xlsxwriter::Format::new().set_bold();
    let ws = wb.add_worksheet();
    ws.set_name(sheet).map_err(fail)?;
    for (c, h) in headers.iter().enumerate() {
        ws.write_string_with_format(0, c as u16, *h, &bold)
            .map_err(fail)?;
        ws.set_column_width(c as u16, 16).map_err(fail)?;
    }
    for (r, row) in rows.iter().enumerate() {
        for (c, v) in row.iter().enumerate() {
            ws.write_string((r + 1) as u32, c as u16, v).map_err(fail)?;
        }
    }
    ws.set_freeze_panes(1, 0).map_err(fail)?;
    wb.save_to_buffer().map_err(fail)
}

/// The whole tree as a spreadsheet (units in path order with their counts).
pub async fn export_units(app: &crate::App) -> Result<Vec<u8>> {
    let mut c = app.db.read().await?;
    let mut rows = Vec::new();
    let mut after = String::new();
    loop {
        let page = tongyu_store::org::page_by_path(&mut c, &after, 5000).await?;
        let Some(last) = page.last() else { break };
        after = last.path.clone();
        for u in &page {
            rows.push(vec![
                u.id.to_string(),
                u.parent_id.map(|p| p.to_string()).unwrap_or_default(),
                u.kind.label().to_owned(),
                u.name.clone(),
                u.external_id.clone().unwrap_or_default(),
                u.stage_labels(),
                u.grade.clone(),
                if u.school_year > 0 {
                    u.school_year.to_string()
                } else {
                    String::new()
                },
                if u.active {
                    "启用".into()
                } else {
                    "已停用".into()
                },
                u.counts.schools.to_string(),
                u.counts.classes.to_string(),
                u.counts.students.to_string(),
                u.counts.guardians.to_string(),
            ]);
        }
        if rows.len() > 1_000_000 {
            return Err(Error::with_message(
                ErrorCode::PayloadTooLarge,
                "单位超过一百万个，超出表格的行数上限",
            ));
        }
    }
    let headers = [
        "编号",
        "上级编号",
        "类型",
        "名称",
        "外部编号",
        "学段",
        "年级",
        "学年",
        "状态",
        "学校",
        "班级",
        "学生",
        "家长",
    ];
    write_xlsx("单位", &headers, &rows)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_and_xlsx_read_the_same() {
        let csv = "\u{feff}外部编号,姓名\nS1,张三\n\n S2 ,李四\n";
        let t = read_table(csv.as_bytes()).expect("csv");
        assert_eq!(t.headers, vec!["外部编号", "姓名"]);
        assert_eq!(
            t.rows,
            vec![
                (2, vec!["S1".into(), "张三".into()]),
                (4, vec![" S2 ".into(), "李四".into()])
            ]
        );
        let xlsx = write_xlsx(
            "学生",
            &["外部编号", "姓名"],
            &[vec!["S1".into(), "张三".into()]],
        )
        .expect("xlsx");
        let t = read_table(&xlsx).expect("xlsx reads back");
        assert_eq!(t.headers, vec!["外部编号", "姓名"]);
        assert_eq!(t.rows, vec![(2, vec!["S1".into(), "张三".into()])]);
    }

    #[test]
    fn files_that_are_not_what_they_claim() {
        let png = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR";
        assert!(
            read_table(png)
                .expect_err("binary")
                .message
                .contains("不是 CSV")
        );
        let gbk = [0xd5u8, 0xc5, 0xc8, 0xfd, b',', b'1', b'\n'];
        assert!(read_table(&gbk).expect_err("gbk").message.contains("UTF-8"));
        let fake_zip = b"PK\x03\x04not really a zip";
        assert!(
            read_table(fake_zip)
                .expect_err("zip")
                .message
                .contains("Excel")
        );
        assert!(read_table(b"").is_err());
        let mut big = String::from("a,b\n");
        for i in 0..(MAX_ROWS + 1) {
            big.push_str(&format!("{i},x\n"));
        }
        assert!(
            read_table(big.as_bytes())
                .expect_err("too many")
                .message
                .contains("上限")
        );
    }
}
