//! The order people expect of lists of Chinese names: people by pinyin, as
//! a class list or a phone's contacts run (李 before 王 before 张), and
//! numbered names by their numbers (2班 before 10班), not by the
//! characters' code points, which look random to a reader (ADR 0017).

use pinyin::ToPinyin;

/// Surnames whose reading differs from the character's most common one.
const SURNAMES: &[(char, &str)] = &[
    ('曾', "zeng"),
    ('单', "shan"),
    ('仇', "qiu"),
    ('解', "xie"),
    ('翟', "zhai"),
    ('查', "zha"),
    ('盖', "ge"),
    ('乐', "yue"),
    ('缪', "miao"),
    ('覃', "qin"),
    ('召', "shao"),
    ('重', "chong"),
    ('种', "chong"),
    ('朴', "piao"),
    ('区', "ou"),
    ('秘', "bi"),
    ('繁', "po"),
    ('员', "yun"),
    ('薄', "bo"),
    ('都', "du"),
    ('卜', "bu"),
];

/// A key that sorts a name by its pinyin, syllable by syllable (without
/// tones), the first character read as a surname; a character without
/// pinyin (a letter, a digit) stands for itself, in lower case.
pub fn name_key(name: &str) -> String {
    let mut key = String::with_capacity(name.len() * 2);
    for (i, (ch, syllable)) in name.chars().zip(name.to_pinyin()).enumerate() {
        let surname = if i == 0 {
            SURNAMES.iter().find(|(c, _)| *c == ch).map(|(_, r)| *r)
        } else {
            None
        };
        match (surname, syllable) {
            (Some(reading), _) => key.push_str(reading),
            (None, Some(p)) => key.push_str(p.plain()),
            (None, None) => key.extend(ch.to_lowercase()),
        }
        key.push(' ');
    }
    key
}

/// Sorts items by a name of each, by pinyin; names that sound the same
/// keep one fixed order (by their characters).
pub fn sort_by_name<T>(items: &mut [T], name: impl Fn(&T) -> &str) {
    items.sort_by_cached_key(|x| {
        let n = name(x);
        (name_key(n), n.to_owned())
    });
}

/// A key that sorts names with numbers in them as people count (2班
/// before 10班): every run of digits, ASCII or full width, is compared by
/// its value.
pub fn numbered_key(name: &str) -> String {
    let mut key = String::with_capacity(name.len() + 16);
    let mut digits = String::new();
    let flush = |digits: &mut String, key: &mut String| {
        if !digits.is_empty() {
            let trimmed = digits.trim_start_matches('0');
            // Longer numbers are larger: the length first, then the digits.
            key.push_str(&format!("{:03}", trimmed.len()));
            key.push_str(trimmed);
            digits.clear();
        }
    };
    for ch in name.chars() {
        let ascii = match ch {
            '0'..='9' => Some(ch),
            '０'..='９' => char::from_u32(u32::from(ch) - u32::from('０') + u32::from('0')),
            _ => None,
        };
        match ascii {
            Some(d) => digits.push(d),
            None => {
                flush(&mut digits, &mut key);
                key.push(ch);
            }
        }
    }
    flush(&mut digits, &mut key);
    key
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_sort_by_pinyin() {
        let mut names = vec![
            "张伟", "王芳", "李娜", "刘洋", "吕强", "陈静", "Amy 周", "章程",
        ];
        sort_by_name(&mut names, |n| n);
        assert_eq!(
            names,
            vec![
                "Amy 周", "陈静", "李娜", "刘洋", "吕强", "王芳", "章程", "张伟"
            ]
        );
    }

    #[test]
    fn numbers_in_names_count() {
        let mut names = vec!["一年级10班", "一年级2班", "一年级1班", "一年级11班"];
        names.sort_by_key(|n| numbered_key(n));
        assert_eq!(
            names,
            vec!["一年级1班", "一年级2班", "一年级10班", "一年级11班"]
        );
        // Full-width digits count the same.
        let mut names = vec!["初一（１２）班", "初一（3）班", "初一（２）班"];
        names.sort_by_key(|n| numbered_key(n));
        assert_eq!(names, vec!["初一（２）班", "初一（3）班", "初一（１２）班"]);
        assert_eq!(numbered_key("3班"), numbered_key("03班"));
    }

    #[test]
    fn a_shorter_syllable_comes_first() {
        // li before liu: the space after a syllable sorts before any letter;
        // 章程 (zhang cheng) before 张伟 (zhang wei), syllable by syllable.
        assert!(name_key("李四") < name_key("刘四"));
        assert!(name_key("章程") < name_key("张伟"));
        assert_eq!(name_key("王小明"), "wang xiao ming ");
    }

    #[test]
    fn a_surname_reads_as_a_surname() {
        // 曾 is céng in 曾经 but zēng as a surname; 单 is dān but shàn.
        assert_eq!(name_key("曾一"), "zeng yi ");
        assert_eq!(name_key("单田芳"), "shan tian fang ");
        assert_eq!(name_key("吴曾"), "wu ceng ");
        // As céng, 曾四 would come between 蔡五 and 陈三.
        let mut names = vec!["曾四", "陈三", "蔡五"];
        sort_by_name(&mut names, |n| n);
        assert_eq!(names, vec!["蔡五", "陈三", "曾四"]);
    }
}
