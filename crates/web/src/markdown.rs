//! Markdown that authors write (lesson text, steps, lesson plans), turned
//! into HTML that is safe to show: raw HTML in the source is shown as text,
//! and links and images may only point to http(s) addresses or to pages of
//! the platform. Everything else pulldown-cmark escapes.

use std::hash::{Hash, Hasher};
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use pulldown_cmark::{CowStr, Event, Options, Parser, Tag, html};

/// The source rendered as sanitised HTML.
pub fn render(source: &str) -> String {
    let events = Parser::new_ext(
        source,
        Options::ENABLE_TABLES | Options::ENABLE_STRIKETHROUGH,
    )
    .map(|event| match event {
        Event::Html(raw) | Event::InlineHtml(raw) => Event::Text(raw),
        Event::Start(Tag::Link {
            link_type,
            dest_url,
            title,
            id,
        }) => Event::Start(Tag::Link {
            link_type,
            dest_url: safe_url(dest_url),
            title,
            id,
        }),
        Event::Start(Tag::Image {
            link_type,
            dest_url,
            title,
            id,
        }) => Event::Start(Tag::Image {
            link_type,
            dest_url: safe_url(dest_url),
            title,
            id,
        }),
        other => other,
    });
    let mut out = String::with_capacity(source.len() * 3 / 2);
    html::push_html(&mut out, events);
    out
}

/// [`render`], kept by source text: the same lesson body is drawn for every
/// parent who opens it, and a text's rendering never changes, so nothing
/// needs forgetting (entries go after an hour, or when the room is full).
/// Kept under the text's hash, with the text to compare, so a look-up
/// copies nothing.
pub fn render_cached(source: &str) -> Arc<str> {
    type Rendered = tongyu_service::cache::Ttl<u64, (Arc<str>, Arc<str>)>;
    static RENDERED: OnceLock<Rendered> = OnceLock::new();
    let cache = RENDERED.get_or_init(|| {
        tongyu_service::cache::Ttl::new("markdown", Duration::from_secs(3600), 2_000)
    });
    let key = {
        let mut h = std::hash::DefaultHasher::new();
        source.hash(&mut h);
        h.finish()
    };
    if let Some((text, html)) = cache.get(&key)
        && &*text == source
    {
        return html;
    }
    let html: Arc<str> = render(source).into();
    cache.put(key, (source.into(), html.clone()));
    html
}

/// http(s) addresses and paths of this site pass; anything else
/// (`javascript:`, `data:`, protocol-relative `//host`) becomes `#`.
fn safe_url(url: CowStr<'_>) -> CowStr<'_> {
    let u = url.trim();
    let ok = u.starts_with("https://")
        || u.starts_with("http://")
        || (u.starts_with('/') && !u.starts_with("//"))
        || u.starts_with('#');
    if ok { url } else { CowStr::Borrowed("#") }
}

#[cfg(test)]
mod tests {
    use super::{render, render_cached};

    #[test]
    fn a_kept_rendering_is_the_rendering_of_that_text() {
        for text in ["**甲**", "**乙**", "**甲**"] {
            assert_eq!(&*render_cached(text), render(text));
        }
    }

    #[test]
    fn formatting_passes_and_script_does_not() {
        let html = render("**要点**\n\n- 倾听\n- 共情\n\n<script>alert(1)</script>");
        assert!(html.contains("<strong>要点</strong>"));
        assert!(html.contains("<li>倾听</li>"));
        assert!(!html.contains("<script>"));
        assert!(html.contains("&lt;script&gt;"));
    }

    #[test]
    fn only_safe_links() {
        assert!(render("[微课](/lessons/3)").contains("href=\"/lessons/3\""));
        assert!(render("[站外](https://example.cn/a)").contains("href=\"https://example.cn/a\""));
        let bad = render(
            "[点我](javascript:alert(1)) ![x](data:image/png;base64,AAAA) [y](//evil.example)",
        );
        assert!(!bad.contains("javascript:"));
        assert!(!bad.contains("data:"));
        assert!(!bad.contains("//evil"));
        let attr = render("<img src=x onerror=alert(1)>");
        assert!(!attr.contains("<img"));
    }
}
