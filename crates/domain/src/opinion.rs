//! Opinion watch (舆情监测): the keywords of what parents write, a lexicon
//! of negative and urgent terms read with their negations, and the rule
//! that calls a topic's rise a surge.

use std::sync::OnceLock;

use jieba_rs::{KeywordExtract, TfIdf};

fn tfidf() -> &'static TfIdf {
    static T: OnceLock<TfIdf> = OnceLock::new();
    T.get_or_init(TfIdf::default)
}

/// Words that say nothing about a topic in an appeal: who writes and to
/// whom, when, and the verbs of asking.
const STOP: &[&str] = &[
    "学校",
    "孩子",
    "家长",
    "老师",
    "希望",
    "问题",
    "情况",
    "反映",
    "我们",
    "现在",
    "没有",
    "一下",
    "这个",
    "那个",
    "什么",
    "可以",
    "因为",
    "所以",
    "但是",
    "还是",
    "已经",
    "经常",
    "一些",
    "如果",
    "谢谢",
    "请问",
    "相关",
    "处理",
    "解决",
    "时候",
    "非常",
    "觉得",
    "就是",
    "学生",
    "教育局",
    "教育",
    "班主任",
    "校长",
    "领导",
    "部门",
    "有关",
    "单位",
    "上午",
    "下午",
    "中午",
    "早上",
    "晚上",
    "今天",
    "昨天",
    "明天",
    "每天",
    "最近",
    "目前",
    "本周",
    "上周",
    "这周",
    "周末",
    "检查",
    "检查一下",
    "了解",
    "了解一下",
    "看看",
    "需要",
    "应该",
    "能否",
    "是否",
    "怎么",
    "为什么",
    "一直",
    "多次",
    "到底",
    "真的",
    "大家",
    "其他",
    "自己",
    "他们",
    "要求",
    "关注",
    "重视",
    "工作",
    "同学",
    "班级",
    "年级",
    "小孩",
    "女儿",
    "儿子",
    "家里",
    "一个",
    "这样",
    "还有",
    "然后",
    "而且",
    "不过",
    "确认",
    "再确认",
    "协调",
    "落实",
    "回复",
    "答复",
    "联系",
];

/// Places of the city and the province, which say where, not what.
const PLACES: &[&str] = &[
    "山东",
    "山东省",
    "青岛",
    "青岛市",
    "市南",
    "市南区",
    "市北",
    "市北区",
    "李沧",
    "李沧区",
    "崂山",
    "崂山区",
    "黄岛",
    "黄岛区",
    "西海岸",
    "西海岸新区",
    "城阳",
    "城阳区",
    "即墨",
    "即墨区",
    "胶州",
    "胶州市",
    "平度",
    "平度市",
    "莱西",
    "莱西市",
];

/// A grade or class as parents write it: 一年级, 初二, 高三, 大班, 三班.
pub fn is_grade_name(word: &str) -> bool {
    const NUM: &str = "一二三四五六七八九十0123456789";
    let mut chars = word.chars();
    let Some(first) = chars.next() else {
        return false;
    };
    let rest: String = chars.collect();
    matches!(word, "小班" | "中班" | "大班" | "托班" | "学前班")
        || (matches!(first, '初' | '高')
            && rest.chars().count() == 1
            && rest.chars().all(|c| NUM.contains(c)))
        || ((rest.ends_with("年级") || rest.ends_with('班') || rest.ends_with("年级组"))
            && NUM.contains(first)
            && rest
                .trim_end_matches("年级组")
                .trim_end_matches("年级")
                .trim_end_matches('班')
                .chars()
                .all(|c| NUM.contains(c)))
}

/// A word that can stand for a topic: not a stop word, a grade or a place
/// of the city (the names of the city's own units are left out where a
/// report is read, knowing the place).
pub fn is_topic_word(word: &str) -> bool {
    word.chars().count() >= 2
        && !word.chars().all(|c| c.is_ascii_digit())
        && !STOP.contains(&word)
        && !PLACES.contains(&word)
        && !is_grade_name(word)
}

/// The `k` words that best say what a text is about (TF-IDF over jieba's
/// dictionary), each a [topic word](is_topic_word).
pub fn keywords(text: &str, k: usize) -> Vec<String> {
    let found = tfidf().extract_keywords(crate::search::jieba(), text, k + 20, Vec::new());
    let mut out: Vec<String> = Vec::with_capacity(k);
    for w in found {
        let word = w.keyword.trim().to_owned();
        if !is_topic_word(&word) || out.contains(&word) {
            continue;
        }
        out.push(word);
        if out.len() == k {
            break;
        }
    }
    out
}

/// Terms of discontent, counted for the report.
pub const NEGATIVE: &[&str] = &[
    "乱收费",
    "收费",
    "不满",
    "投诉",
    "辱骂",
    "歧视",
    "欺负",
    "霸凌",
    "变质",
    "拖欠",
    "敷衍",
    "推诿",
    "不作为",
    "危险",
    "隐患",
    "索要",
    "补课",
    "强制",
    "威胁",
    "恐吓",
];

/// Words that, just before a term, deny it: "没有打人" is not violence.
const NEGATIONS: &[&str] = &[
    "没有",
    "没",
    "不是",
    "并非",
    "并未",
    "未",
    "无",
    "不会",
    "不存在",
];

/// How many characters before a term a negation may stand.
const NEGATION_REACH: usize = 4;

/// The lexicon's terms found in a text, those denied by a negation left out.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, schemars::JsonSchema)]
pub struct Signals {
    pub urgent: Vec<String>,
    pub negative: Vec<&'static str>,
}

impl Signals {
    pub fn is_urgent(&self) -> bool {
        !self.urgent.is_empty()
    }
}

/// Whether `term` stands in `text` at least once without a negation in the
/// few characters before it (within its clause: up to the last
/// punctuation mark). Every occurrence counts, overlapping ones included.
fn affirmed(text: &str, term: &str) -> bool {
    let Some(first) = term.chars().next() else {
        return false;
    };
    let mut from = 0;
    while let Some(at) = text[from..].find(term) {
        let i = from + at;
        // The clause before the term, at most NEGATION_REACH characters.
        let start = text[..i]
            .char_indices()
            .rev()
            .take(NEGATION_REACH)
            .take_while(|(_, c)| !CLAUSE_ENDS.contains(*c))
            .last()
            .map_or(i, |(k, _)| k);
        let clause = &text[start..i];
        if !NEGATIONS.iter().any(|n| clause.contains(n)) {
            return true;
        }
        from = i + first.len_utf8();
    }
    false
}

/// Punctuation that ends a clause.
const CLAUSE_ENDS: &str = "，。！？；、,.!?;";

/// The urgent words (the plan's) and terms of discontent in a text.
pub fn signals(text: &str, urgent: &[String]) -> Signals {
    Signals {
        urgent: urgent
            .iter()
            .filter(|t| affirmed(text, t))
            .cloned()
            .collect(),
        negative: NEGATIVE
            .iter()
            .copied()
            .filter(|t| affirmed(text, t))
            .collect(),
    }
}

/// A topic surges when this period's count is at least five and at least
/// three times the average of the periods before (taken as at least one).
pub fn is_surge(count: i64, baseline_avg: f64) -> bool {
    count >= 5 && count as f64 >= 3.0 * baseline_avg.max(1.0)
}

/// The periods a report compares: a week or a month (30 days), and the
/// four periods before as the baseline.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Period {
    Week,
    Month,
}

impl Period {
    pub const BASELINE_PERIODS: i64 = 4;
    pub fn parse(s: &str) -> Period {
        if s == "month" {
            Period::Month
        } else {
            Period::Week
        }
    }
    pub fn as_str(self) -> &'static str {
        match self {
            Period::Week => "week",
            Period::Month => "month",
        }
    }
    pub fn days(self) -> i64 {
        match self {
            Period::Week => 7,
            Period::Month => 30,
        }
    }
    pub fn label(self) -> &'static str {
        match self {
            Period::Week => "近7天",
            Period::Month => "近30天",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn urgent() -> Vec<String> {
        crate::plan::Plan::default().urgent_words
    }

    #[test]
    fn keywords_say_what_the_appeal_is_about() {
        let k = keywords(
            "学校食堂的饭菜经常变质，孩子吃了以后肚子疼，食堂卫生问题希望尽快整改。",
            5,
        );
        assert!(k.iter().any(|w| w == "食堂"), "{k:?}");
        assert!(!k.iter().any(|w| w == "孩子" || w == "学校"), "{k:?}");
        assert!(k.len() <= 5);
    }

    #[test]
    fn grades_places_and_times_are_not_topics() {
        for w in [
            "一年级",
            "三年级",
            "初一",
            "高三",
            "大班",
            "三班",
            "12班",
            "下午",
            "教育局",
            "检查一下",
            "平度",
            "青岛市",
        ] {
            assert!(!is_topic_word(w), "{w}");
        }
        for w in ["食堂", "校车", "收费", "高度", "初中", "一中", "班车"] {
            assert!(is_topic_word(w), "{w}");
        }
        let k = keywords(
            "一年级的孩子下午放学时在平度东门口，教育局检查一下校车超载的情况。",
            5,
        );
        assert!(k.iter().any(|w| w == "校车" || w == "超载"), "{k:?}");
        for w in ["一年级", "下午", "教育局", "平度", "检查一下"] {
            assert!(!k.iter().any(|x| x == w), "{w} in {k:?}");
        }
    }

    #[test]
    fn urgent_terms_count_unless_denied() {
        let s = signals("孩子说同学在厕所里殴打他，还威胁不许告诉老师。", &urgent());
        assert_eq!(s.urgent, vec!["殴打"]);
        assert!(s.negative.contains(&"威胁"));
        assert!(!signals("老师并没有殴打学生，只是批评了几句。", &urgent()).is_urgent());
        assert!(!signals("孩子没有自残倾向，请放心。", &urgent()).is_urgent());
        // A negation in an earlier clause does not deny a later term.
        assert!(signals("没有人管，孩子昨天被殴打了", &urgent()).is_urgent());
        assert!(signals("他说不想活了", &urgent()).is_urgent());
        // Each occurrence is read on its own: a denied one does not hide a
        // later affirmed one.
        assert!(signals("起初没有殴打，后来又殴打了", &urgent()).is_urgent());
        assert!(!signals("没有殴打，也没有殴打过别人", &urgent()).is_urgent());
        // A negation further than four characters before does not deny.
        assert!(signals("没有人在那天殴打他", &urgent()).is_urgent());
        assert!(!signals("没殴打", &urgent()).is_urgent());
        assert!(
            signals("殴打", &urgent()).is_urgent(),
            "a term at the very start"
        );
    }

    #[test]
    fn a_surge_is_large_and_well_above_its_baseline() {
        assert!(!is_surge(4, 0.0), "too few to call");
        assert!(is_surge(5, 0.0));
        assert!(is_surge(9, 3.0));
        assert!(!is_surge(8, 3.0));
    }
}
