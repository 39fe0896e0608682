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

/// The most columns an import sheet may use.
pub const MAX_COLUMNS: u32 = 200;
/// The most parts a workbook's ZIP container may hold.
const MAX_PARTS: usize = 1_000;
/// The largest one part may be once uncompressed, and all parts together.
const MAX_PART_BYTES: u64 = 64 * 1024 * 1024;
const MAX_UNPACKED_BYTES: u64 = 160 * 1024 * 1024;
/// The most distinct strings a workbook may declare (every cell of the
/// largest sheet accepted, each different).
const MAX_SHARED_STRINGS: u64 = MAX_ROWS as u64 * 20;

fn too_many_rows() -> Error {
    bad_file(&format!("文件超过每次 {MAX_ROWS} 行的上限，请拆分后再导入"))
}

fn too_many_columns() -> Error {
    bad_file(&format!(
        "工作表超过 {MAX_COLUMNS} 列，请只保留需要导入的列"
    ))
}

/// Checks a workbook's container before any reader allocates by what it
/// declares: the number of parts, each part's real uncompressed size
/// (inflated into nothing, counting, so a deflate bomb stops at the cap
/// whatever its header claims), and the shared-string count that a reader
/// would reserve room for.
fn check_container(bytes: &[u8]) -> Result<()> {
    use std::io::Read;
    let not_xlsx = || bad_file("文件不是有效的 Excel（.xlsx）工作簿");
    let mut zip = zip::ZipArchive::new(Cursor::new(bytes)).map_err(|_| not_xlsx())?;
    if zip.len() > MAX_PARTS {
        return Err(not_xlsx());
    }
    let unpacked_too_big = || bad_file("工作簿解压后过大，请删去多余的内容后再导入");
    let mut total = 0u64;
    for i in 0..zip.len() {
        let mut part = zip.by_index(i).map_err(|_| not_xlsx())?;
        let is_strings = part
            .name()
            .map_err(|_| not_xlsx())?
            .ends_with("sharedStrings.xml");
        let mut head = Vec::new();
        let mut limited = (&mut part).take(MAX_PART_BYTES + 1);
        if is_strings {
            (&mut limited)
                .take(4096)
                .read_to_end(&mut head)
                .map_err(|_| not_xlsx())?;
        }
        let rest = std::io::copy(&mut limited, &mut std::io::sink()).map_err(|_| not_xlsx())?;
        let size = head.len() as u64 + rest;
        total += size;
        if size > MAX_PART_BYTES || total > MAX_UNPACKED_BYTES {
            return Err(unpacked_too_big());
        }
        if is_strings && declared_count(&head).is_some_and(|n| n > MAX_SHARED_STRINGS) {
            return Err(too_many_rows());
        }
    }
    Ok(())
}

/// The `uniqueCount` a shared-strings part declares in its opening bytes;
/// more digits than a u64 holds count as the largest number.
fn declared_count(head: &[u8]) -> Option<u64> {
    let text = String::from_utf8_lossy(head);
    let key = "uniqueCount=\"";
    let rest = &text[text.find(key)? + key.len()..];
    let digits: String = rest.chars().take_while(char::is_ascii_digit).collect();
    Some(digits.parse::<u64>().unwrap_or(u64::MAX))
}

/// Rows with their numbers as the spreadsheet shows them (from 1), read
/// cell by cell: only cells that exist take memory, and a cell beyond the
/// row or column limit stops the read. A sheet's declared dimensions, and
/// the distance between two far-apart cells, allocate nothing.
fn read_xlsx(bytes: &[u8]) -> Result<Vec<(usize, Vec<String>)>> {
    check_container(bytes)?;
    let mut wb: calamine::Xlsx<_> = calamine::open_workbook_from_rs(Cursor::new(bytes))
        .map_err(|_| bad_file("文件不是有效的 Excel（.xlsx）工作簿"))?;
    let name = wb
        .sheet_names()
        .into_iter()
        .next()
        .ok_or_else(|| bad_file("工作簿中没有工作表"))?;
    let mut cells = wb
        .worksheet_cells_reader(&name)
        .map_err(|_| bad_file("无法读取第一个工作表"))?;
    let declared = cells.dimensions();
    if declared.end.0 > declared.start.0.saturating_add(MAX_ROWS as u32 + 1) {
        return Err(too_many_rows());
    }
    if declared.end.1 >= MAX_COLUMNS {
        return Err(too_many_columns());
    }
    let mut rows: std::collections::BTreeMap<u32, Vec<(u32, String)>> = Default::default();
    let mut first_col = u32::MAX;
    let mut last_col = 0u32;
    while let Some(cell) = cells
        .next_cell()
        .map_err(|_| bad_file("无法读取第一个工作表"))?
    {
        let (row, col) = cell.get_position();
        if col >= MAX_COLUMNS {
            return Err(too_many_columns());
        }
        let text = cell_text(&calamine::Data::from(cell.get_value().clone()));
        if text.is_empty() {
            continue;
        }
        if !rows.contains_key(&row) && rows.len() > MAX_ROWS {
            return Err(too_many_rows());
        }
        first_col = first_col.min(col);
        last_col = last_col.max(col);
        rows.entry(row).or_default().push((col, text));
    }
    let width = if rows.is_empty() {
        0
    } else {
        (last_col - first_col + 1) as usize
    };
    Ok(rows
        .into_iter()
        .map(|(row, cells)| {
            let mut line = vec![String::new(); width];
            for (col, text) in cells {
                line[(col - first_col) as usize] = text;
            }
            (row as usize + 1, line)
        })
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

    /// A workbook written by the writer, with one part replaced by `content`
    /// (stored deflated, as a spreadsheet program would).
    fn with_part(name: &str, content: &mut dyn std::io::Read) -> Vec<u8> {
        use std::io::Write;
        let base = write_xlsx(
            "学生",
            &["外部编号", "姓名"],
            &[vec!["S1".into(), "张三".into()]],
        )
        .expect("xlsx");
        let mut src = zip::ZipArchive::new(Cursor::new(base)).expect("zip");
        let mut out = zip::ZipWriter::new(Cursor::new(Vec::new()));
        let opts = zip::write::SimpleFileOptions::default()
            .compression_method(zip::CompressionMethod::Deflated);
        for i in 0..src.len() {
            let part = src.by_index(i).expect("part");
            if part.name().expect("name") == name {
                continue;
            }
            out.raw_copy_file(part).expect("copy");
        }
        out.start_file(name, opts).expect("start");
        let mut buf = vec![0u8; 1 << 20];
        loop {
            let n = content.read(&mut buf).expect("read");
            if n == 0 {
                break;
            }
            out.write_all(&buf[..n]).expect("write");
        }
        out.finish().expect("finish").into_inner()
    }

    fn sheet(body: &str) -> String {
        format!(
            r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">{body}</worksheet>"#
        )
    }

    const SHEET: &str = "xl/worksheets/sheet1.xml";

    #[test]
    fn declared_giant_sheets_are_refused_before_anything_is_allocated() {
        // The whole grid declared, and two cells at opposite corners.
        let giant = sheet(
            r#"<dimension ref="A1:XFD1048576"/><sheetData><row r="1"><c r="A1" t="inlineStr"><is><t>a</t></is></c></row><row r="1048576"><c r="XFD1048576" t="inlineStr"><is><t>b</t></is></c></row></sheetData>"#,
        );
        let e = read_table(&with_part(SHEET, &mut giant.as_bytes())).expect_err("giant");
        assert!(e.message.contains("上限"), "{}", e.message);
        // No declaration, the same two corners.
        let corners = sheet(
            r#"<sheetData><row r="1"><c r="A1" t="inlineStr"><is><t>a</t></is></c></row><row r="1048576"><c r="XFD1048576" t="inlineStr"><is><t>b</t></is></c></row></sheetData>"#,
        );
        let e = read_table(&with_part(SHEET, &mut corners.as_bytes())).expect_err("corners");
        assert!(e.message.contains("列"), "{}", e.message);
        // Far down one column.
        let tall = sheet(
            r#"<sheetData><row r="1"><c r="A1" t="inlineStr"><is><t>a</t></is></c></row><row r="1048576"><c r="A1048576" t="inlineStr"><is><t>b</t></is></c></row></sheetData>"#,
        );
        let t = read_table(&with_part(SHEET, &mut tall.as_bytes())).expect("two rows are fine");
        assert_eq!(t.rows, vec![(1_048_576, vec!["b".to_owned()])]);
        // A shared-string table that claims a trillion entries.
        let strings = r#"<?xml version="1.0" encoding="UTF-8"?><sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" count="1" uniqueCount="1000000000000"><si><t>x</t></si></sst>"#;
        let e = read_table(&with_part("xl/sharedStrings.xml", &mut strings.as_bytes()))
            .expect_err("strings");
        assert!(e.message.contains("上限"), "{}", e.message);
    }

    #[test]
    fn a_deflate_bomb_stops_at_the_cap() {
        // 80 MB of spaces inside the sheet, under half a megabyte packed.
        let head = sheet("<sheetData>");
        let head = head.trim_end_matches("</worksheet>");
        let mut body = std::io::Read::chain(
            head.as_bytes(),
            std::io::Read::take(std::io::repeat(b' '), 80 << 20),
        );
        let bomb = with_part(SHEET, &mut body);
        assert!(bomb.len() < 512 * 1024, "{}", bomb.len());
        let e = read_table(&bomb).expect_err("bomb");
        assert!(e.message.contains("解压后过大"), "{}", e.message);
    }

    #[test]
    fn a_hundred_thousand_rows_get_a_clear_message() {
        let rows: Vec<Vec<String>> = (0..100_000).map(|i| vec![i.to_string()]).collect();
        let xlsx = write_xlsx("学生", &["外部编号"], &rows).expect("xlsx");
        let e = read_table(&xlsx).expect_err("too many");
        assert!(e.message.contains("50000 行的上限"), "{}", e.message);
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(64))]

        /// Any bytes at all: an answer, never a panic.
        #[test]
        fn any_bytes_get_an_answer(bytes in proptest::collection::vec(proptest::num::u8::ANY, 0..2048)) {
            let _ = read_table(&bytes);
        }

        /// Any bytes after a ZIP signature: the same.
        #[test]
        fn any_zip_like_bytes_get_an_answer(tail in proptest::collection::vec(proptest::num::u8::ANY, 0..2048)) {
            let mut bytes = b"PK\x03\x04".to_vec();
            bytes.extend(tail);
            let _ = read_table(&bytes);
        }

        /// A table written as .xlsx reads back cell for cell.
        #[test]
        fn written_tables_read_back(cells in proptest::collection::vec(
            proptest::collection::vec("[a-z0-9张李王]{1,8}", 3), 1..40)) {
            let rows: Vec<Vec<String>> = cells;
            let xlsx = write_xlsx("表", &["甲", "乙", "丙"], &rows).expect("xlsx");
            let t = read_table(&xlsx).expect("reads");
            proptest::prop_assert_eq!(t.headers, vec!["甲", "乙", "丙"]);
            let back: Vec<Vec<String>> = t.rows.into_iter().map(|(_, r)| r).collect();
            proptest::prop_assert_eq!(back, rows);
        }
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
