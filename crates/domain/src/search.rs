//! Chinese search: text is cut into words with jieba before it is indexed,
//! and a query is cut the same way, so that two-character words such as
//! 安全 or 焦虑 are found. Matched words are marked for display.

use std::sync::OnceLock;

use jieba_rs::Jieba;

pub(crate) fn jieba() -> &'static Jieba {
    static J: OnceLock<Jieba> = OnceLock::new();
    J.get_or_init(Jieba::new)
}

/// A word worth indexing: letters, digits or CJK, nothing a query language
/// would read as an operator.
fn is_word(w: &str) -> bool {
    !w.trim().is_empty() && w.chars().all(|c| c.is_alphanumeric())
}

/// The words of a text, space-separated, as the index stores them.
pub fn index_words(text: &str) -> String {
    jieba()
        .cut_for_search(text, true)
        .into_iter()
        .map(|t| t.word.to_lowercase())
        .filter(|w| is_word(w))
        .collect::<Vec<_>>()
        .join(" ")
}

/// The distinct words of a query, at most ten.
pub fn query_words(q: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for t in jieba().cut(q, true) {
        let w = t.word.to_lowercase();
        if is_word(&w) && !out.contains(&w) {
            out.push(w);
        }
        if out.len() == 10 {
            break;
        }
    }
    out
}

/// A text cut into runs, each marked when it is one of the words.
pub fn highlight(text: &str, words: &[String]) -> Vec<(String, bool)> {
    let lower = text.to_lowercase();
    if lower.len() != text.len() || words.is_empty() {
        return vec![(text.to_owned(), false)];
    }
    let mut marks = vec![false; text.len()];
    for w in words.iter().filter(|w| !w.is_empty()) {
        let mut from = 0;
        while let Some(i) = lower[from..].find(w.as_str()) {
            let start = from + i;
            for m in &mut marks[start..start + w.len()] {
                *m = true;
            }
            from = start + w.len();
        }
    }
    let mut out: Vec<(String, bool)> = Vec::new();
    for (i, ch) in text.char_indices() {
        let m = marks[i];
        match out.last_mut() {
            Some((s, last)) if *last == m => s.push(ch),
            _ => out.push((ch.to_string(), m)),
        }
    }
    out
}

/// What a reader sees of Markdown an author wrote (lesson text, lesson
/// plans), as plain text for the index and its snippets: the markup gone,
/// a link's text kept and its address dropped, raw HTML kept as the text
/// the pages show it as, and a space between blocks.
pub fn plain_text(markdown: &str) -> String {
    use pulldown_cmark::{Event, Options, Parser, TagEnd};
    let mut out = String::with_capacity(markdown.len());
    let options = Options::ENABLE_TABLES | Options::ENABLE_STRIKETHROUGH;
    for event in Parser::new_ext(markdown, options) {
        match event {
            Event::Text(t) | Event::Code(t) | Event::Html(t) | Event::InlineHtml(t) => {
                out.push_str(&t);
            }
            Event::SoftBreak
            | Event::HardBreak
            | Event::End(
                TagEnd::Paragraph
                | TagEnd::Heading(_)
                | TagEnd::Item
                | TagEnd::CodeBlock
                | TagEnd::TableCell
                | TagEnd::HtmlBlock,
            ) if !out.is_empty() && !out.ends_with(char::is_whitespace) => out.push(' '),
            _ => {}
        }
    }
    out.trim_end().to_owned()
}

/// Up to `max` characters of `text` around the first of the words.
pub fn snippet(text: &str, words: &[String], max: usize) -> String {
    let chars: Vec<char> = text.chars().collect();
    let lower = text.to_lowercase();
    let first_byte = words
        .iter()
        .filter_map(|w| lower.find(w.as_str()))
        .min()
        .unwrap_or(0);
    let first = if lower.len() == text.len() {
        text[..first_byte.min(text.len())].chars().count()
    } else {
        0
    };
    let start = first.saturating_sub(max / 4);
    let end = (start + max).min(chars.len());
    let mut s: String = chars[start..end].iter().collect();
    if start > 0 {
        s.insert(0, '…');
    }
    if end < chars.len() {
        s.push('…');
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_text_is_what_a_reader_sees() {
        assert_eq!(
            plain_text(
                "## 倾听\n\n**倾听**是亲子沟通的第一步：放下手机，[看着孩子](https://example.cn/a)。"
            ),
            "倾听 倾听是亲子沟通的第一步：放下手机，看着孩子。"
        );
        assert_eq!(
            plain_text("- 第一步\n- 第二步\n\n> 引用 `代码`"),
            "第一步 第二步 引用 代码"
        );
        assert_eq!(plain_text("<b>粗体</b>之外"), "<b>粗体</b>之外");
        assert_eq!(plain_text("没有标记的文字"), "没有标记的文字");
    }

    #[test]
    fn two_character_words_are_words() {
        let words = index_words("孩子的安全教育与考试焦虑");
        for w in ["孩子", "安全", "教育", "考试", "焦虑"] {
            assert!(words.split(' ').any(|x| x == w), "{w} in {words}");
        }
        assert_eq!(
            query_words("安全！安全 焦虑"),
            vec!["安全".to_owned(), "焦虑".to_owned()]
        );
        assert!(query_words("&|()'").is_empty(), "operators are not words");
    }

    #[test]
    fn marks_and_snippets() {
        let w = vec!["安全".to_owned()];
        let h = highlight("校园安全第一课", &w);
        assert_eq!(
            h,
            vec![
                ("校园".into(), false),
                ("安全".into(), true),
                ("第一课".into(), false)
            ]
        );
        let long = format!("{}安全{}", "前".repeat(100), "后".repeat(100));
        let s = snippet(&long, &w, 40);
        assert!(
            s.contains("安全") && s.starts_with('…') && s.ends_with('…'),
            "{s}"
        );
    }
}
