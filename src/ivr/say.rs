//! The say-engine: numbers, digit strings, amounts of money and dates rendered as a list of
//! prompt fragment names (`say.zh.wan`, `say.en.twenty`), in Mandarin and English.
//!
//! Owns the reading rules (零 and 万 in Mandarin, "one hundred five" in English) and the
//! vocabulary of fragments with their text, so prompts can be rendered. Pure: no I/O.

use std::fmt;

use jiff::civil::Date;

use super::value::Amount;
use crate::domain::{DtmfDigit, PromptName};

/// A prompt language.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Language {
    /// Mandarin Chinese (`zh`).
    Mandarin,
    /// English (`en`).
    English,
}

impl Language {
    /// Both languages.
    pub const ALL: [Language; 2] = [Language::Mandarin, Language::English];

    /// The code used in flows and prompt file names (`zh`, `en`).
    #[must_use]
    pub const fn code(self) -> &'static str {
        match self {
            Language::Mandarin => "zh",
            Language::English => "en",
        }
    }

    /// Reads a language code.
    #[must_use]
    pub fn from_code(code: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|l| l.code() == code)
    }
}

impl fmt::Display for Language {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

/// Mandarin fragments: file key and text.
const ZH: &[(&str, &str)] = &[
    ("ling", "零"),
    ("yi", "一"),
    ("er", "二"),
    ("san", "三"),
    ("si", "四"),
    ("wu", "五"),
    ("liu", "六"),
    ("qi", "七"),
    ("ba", "八"),
    ("jiu", "九"),
    ("shi", "十"),
    ("bai", "百"),
    ("qian", "千"),
    ("wan", "万"),
    ("yi4", "亿"),
    ("yuan", "元"),
    ("jiao", "角"),
    ("fen", "分"),
    ("zheng", "整"),
    ("fu", "负"),
    ("nian", "年"),
    ("yue", "月"),
    ("ri", "日"),
    ("xing", "星"),
    ("jing", "井"),
];

const EN_ONES: [&str; 20] = [
    "zero",
    "one",
    "two",
    "three",
    "four",
    "five",
    "six",
    "seven",
    "eight",
    "nine",
    "ten",
    "eleven",
    "twelve",
    "thirteen",
    "fourteen",
    "fifteen",
    "sixteen",
    "seventeen",
    "eighteen",
    "nineteen",
];
const EN_TENS: [&str; 10] = [
    "", "", "twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety",
];
const EN_SCALES: [&str; 7] = [
    "",
    "thousand",
    "million",
    "billion",
    "trillion",
    "quadrillion",
    "quintillion",
];
const EN_ORDINALS: [&str; 20] = [
    "zeroth",
    "first",
    "second",
    "third",
    "fourth",
    "fifth",
    "sixth",
    "seventh",
    "eighth",
    "ninth",
    "tenth",
    "eleventh",
    "twelfth",
    "thirteenth",
    "fourteenth",
    "fifteenth",
    "sixteenth",
    "seventeenth",
    "eighteenth",
    "nineteenth",
];
const EN_MONTHS: [&str; 12] = [
    "january",
    "february",
    "march",
    "april",
    "may",
    "june",
    "july",
    "august",
    "september",
    "october",
    "november",
    "december",
];
const EN_WORDS: [&str; 11] = [
    "hundred",
    "yuan",
    "fen",
    "and",
    "minus",
    "star",
    "pound",
    "oh",
    "twentieth",
    "thirtieth",
    "letter",
];

/// Every fragment the say-engine can emit in a language, with the text to render it from.
#[must_use]
pub fn vocabulary(lang: Language) -> Vec<(PromptName, String)> {
    let words: Vec<(String, String)> = match lang {
        Language::Mandarin => ZH
            .iter()
            .map(|(k, t)| ((*k).to_owned(), (*t).to_owned()))
            .collect(),
        Language::English => EN_ONES
            .iter()
            .chain(EN_TENS.iter().skip(2))
            .chain(EN_SCALES.iter().skip(1))
            .chain(EN_ORDINALS.iter().skip(1))
            .chain(EN_MONTHS.iter())
            .chain(EN_WORDS.iter())
            .map(|w| ((*w).to_owned(), (*w).to_owned()))
            .collect(),
    };
    words
        .into_iter()
        .map(|(key, text)| (fragment(lang, &key), text))
        .collect()
}

/// The text a fragment stands for, if it is one of [`vocabulary`]'s.
#[must_use]
pub fn text_of(name: &PromptName) -> Option<String> {
    Language::ALL
        .into_iter()
        .flat_map(vocabulary)
        .find(|(n, _)| n == name)
        .map(|(_, t)| t)
}

fn fragment(lang: Language, key: &str) -> PromptName {
    PromptName::parse(&format!("say.{}.{key}", lang.code()))
        .expect("fragment keys are ASCII letters and digits")
}

/// A number read in full (`12345` -> 一万二千三百四十五 / twelve thousand three hundred forty five).
#[must_use]
pub fn number(lang: Language, n: i64) -> Vec<PromptName> {
    let keys = match lang {
        Language::Mandarin => zh_number(n),
        Language::English => en_number(n),
    };
    keys.into_iter().map(|k| fragment(lang, k)).collect()
}

/// A digit string read key by key (an account number, a phone number).
#[must_use]
pub fn digits(lang: Language, keys: &str) -> Vec<PromptName> {
    keys.chars()
        .filter_map(DtmfDigit::from_char)
        .flat_map(|d| digit_keys(lang, d))
        .map(|k| fragment(lang, k))
        .collect()
}

fn digit_keys(lang: Language, d: DtmfDigit) -> Vec<&'static str> {
    match (lang, d) {
        (Language::Mandarin, DtmfDigit::Digit(n)) => vec![ZH[usize::from(n)].0],
        (Language::English, DtmfDigit::Digit(n)) => vec![EN_ONES[usize::from(n)]],
        (Language::Mandarin, DtmfDigit::Star) => vec!["xing"],
        (Language::Mandarin, DtmfDigit::Pound) => vec!["jing"],
        (Language::English, DtmfDigit::Star) => vec!["star"],
        (Language::English, DtmfDigit::Pound) => vec!["pound"],
        (Language::Mandarin, DtmfDigit::Letter(_)) => vec![],
        (Language::English, DtmfDigit::Letter(_)) => vec!["letter"],
    }
}

/// An amount of money in yuan, jiao and fen (一万二千三百四十五元六角七分).
#[must_use]
pub fn amount(lang: Language, a: Amount) -> Vec<PromptName> {
    let neg = a.fen < 0;
    let abs = a.fen.unsigned_abs();
    let yuan = i64::try_from(abs / 100).unwrap_or(i64::MAX);
    let cents = abs % 100;
    let (jiao, fen) = (cents / 10, cents % 10);
    let mut keys: Vec<&'static str> = Vec::new();
    match lang {
        Language::Mandarin => {
            if neg {
                keys.push("fu");
            }
            if yuan > 0 || cents == 0 {
                keys.extend(zh_number(yuan));
                keys.push("yuan");
            }
            if cents == 0 {
                keys.push("zheng");
            }
            if jiao > 0 {
                keys.push(ZH[usize::from(u8::try_from(jiao).unwrap_or(0))].0);
                keys.push("jiao");
            }
            if fen > 0 {
                if jiao == 0 && yuan > 0 {
                    keys.push("ling");
                }
                keys.push(ZH[usize::from(u8::try_from(fen).unwrap_or(0))].0);
                keys.push("fen");
            }
        }
        Language::English => {
            if neg {
                keys.push("minus");
            }
            if yuan > 0 || cents == 0 {
                keys.extend(en_number(yuan));
                keys.push("yuan");
            }
            if cents > 0 {
                if yuan > 0 {
                    keys.push("and");
                }
                keys.extend(en_number(i64::try_from(cents).unwrap_or(0)));
                keys.push("fen");
            }
        }
    }
    keys.into_iter().map(|k| fragment(lang, k)).collect()
}

/// A calendar date (二零二六年十一月二十三日 / november twenty third twenty twenty six).
#[must_use]
pub fn date(lang: Language, d: Date) -> Vec<PromptName> {
    let mut keys: Vec<&'static str> = Vec::new();
    match lang {
        Language::Mandarin => {
            for c in d.year().to_string().chars() {
                if let Some(n) = c.to_digit(10) {
                    keys.push(ZH[n as usize].0);
                }
            }
            keys.push("nian");
            keys.extend(zh_number(i64::from(d.month())));
            keys.push("yue");
            keys.extend(zh_number(i64::from(d.day())));
            keys.push("ri");
        }
        Language::English => {
            let month = usize::try_from(d.month() - 1).unwrap_or(0);
            keys.push(EN_MONTHS[month]);
            keys.extend(en_ordinal(usize::try_from(d.day()).unwrap_or(0)));
            keys.extend(en_year(i64::from(d.year())));
        }
    }
    keys.into_iter().map(|k| fragment(lang, k)).collect()
}

/// Reads one group of four digits (0-9999). `leading_ten` drops the 一 of 一十 at the very
/// start of the whole number (十五, not 一十五).
fn zh_group(n: u64, leading_ten: bool, out: &mut Vec<&'static str>) {
    const UNITS: [&str; 4] = ["", "shi", "bai", "qian"];
    let digits = [n / 1000 % 10, n / 100 % 10, n / 10 % 10, n % 10];
    let mut started = false;
    let mut zero_pending = false;
    for (i, d) in digits.into_iter().enumerate() {
        let pos = 3 - i;
        if d == 0 {
            zero_pending |= started;
            continue;
        }
        if zero_pending {
            out.push("ling");
            zero_pending = false;
        }
        if !(pos == 1 && d == 1 && !started && leading_ten) {
            out.push(ZH[usize::try_from(d).unwrap_or(0)].0);
        }
        if pos > 0 {
            out.push(UNITS[pos]);
        }
        started = true;
    }
}

fn zh_number(n: i64) -> Vec<&'static str> {
    const GROUP_UNITS: [&[&str]; 5] = [&[], &["wan"], &["yi4"], &["wan", "yi4"], &["yi4", "yi4"]];
    if n == 0 {
        return vec!["ling"];
    }
    let mut out = Vec::new();
    if n < 0 {
        out.push("fu");
    }
    let mut abs = n.unsigned_abs();
    let mut groups = Vec::new();
    while abs > 0 {
        groups.push(abs % 10_000);
        abs /= 10_000;
    }
    let mut gap = false;
    for (idx, group) in groups.iter().enumerate().rev() {
        let spoken = out.iter().any(|k| *k != "fu");
        if *group == 0 {
            gap |= spoken;
            continue;
        }
        if spoken && (gap || *group < 1000) {
            out.push("ling");
        }
        zh_group(*group, !spoken, &mut out);
        out.extend_from_slice(GROUP_UNITS[idx]);
        gap = false;
    }
    out
}

fn en_below_thousand(n: u64, out: &mut Vec<&'static str>) {
    let (h, rest) = (n / 100, n % 100);
    if h > 0 {
        out.push(EN_ONES[usize::try_from(h).unwrap_or(0)]);
        out.push("hundred");
    }
    if rest >= 20 {
        out.push(EN_TENS[usize::try_from(rest / 10).unwrap_or(0)]);
        if rest % 10 > 0 {
            out.push(EN_ONES[usize::try_from(rest % 10).unwrap_or(0)]);
        }
    } else if rest > 0 {
        out.push(EN_ONES[usize::try_from(rest).unwrap_or(0)]);
    }
}

fn en_number(n: i64) -> Vec<&'static str> {
    if n == 0 {
        return vec!["zero"];
    }
    let mut out = Vec::new();
    if n < 0 {
        out.push("minus");
    }
    let mut abs = n.unsigned_abs();
    let mut groups = Vec::new();
    while abs > 0 {
        groups.push(abs % 1000);
        abs /= 1000;
    }
    for (idx, group) in groups.iter().enumerate().rev() {
        if *group > 0 {
            en_below_thousand(*group, &mut out);
            if idx > 0 {
                out.push(EN_SCALES[idx]);
            }
        }
    }
    out
}

fn en_ordinal(day: usize) -> Vec<&'static str> {
    match day {
        0..=19 => vec![EN_ORDINALS[day]],
        20 => vec!["twentieth"],
        30 => vec!["thirtieth"],
        _ => vec![EN_TENS[day / 10], EN_ORDINALS[day % 10]],
    }
}

fn en_year(year: i64) -> Vec<&'static str> {
    let (hi, lo) = (year / 100, year % 100);
    if !(1000..=9999).contains(&year) || (year % 1000 < 10 && hi % 10 == 0) {
        return en_number(year);
    }
    let mut out = en_number(hi);
    match lo {
        0 => out.push("hundred"),
        1..=9 => {
            out.push("oh");
            out.extend(en_number(lo));
        }
        _ => out.extend(en_number(lo)),
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Joins fragment texts: Mandarin without spaces, English with.
    fn spoken(lang: Language, names: &[PromptName]) -> String {
        let texts: Vec<String> = names
            .iter()
            .map(|n| text_of(n).unwrap_or_else(|| format!("<{n}>")))
            .collect();
        match lang {
            Language::Mandarin => texts.concat(),
            Language::English => texts.join(" "),
        }
    }

    fn check_number(n: i64, zh: &str, en: &str) {
        assert_eq!(
            spoken(Language::Mandarin, &number(Language::Mandarin, n)),
            zh,
            "{n}"
        );
        assert_eq!(
            spoken(Language::English, &number(Language::English, n)),
            en,
            "{n}"
        );
    }

    #[test]
    fn numbers_put_ling_and_wan_where_they_belong() {
        check_number(0, "零", "zero");
        check_number(105, "一百零五", "one hundred five");
        check_number(10_010, "一万零一十", "ten thousand ten");
        check_number(
            12_345,
            "一万二千三百四十五",
            "twelve thousand three hundred forty five",
        );
        check_number(15, "十五", "fifteen");
        check_number(1_001, "一千零一", "one thousand one");
        check_number(1_010, "一千零一十", "one thousand ten");
        check_number(100_000, "十万", "one hundred thousand");
        check_number(10_000_100, "一千万零一百", "ten million one hundred");
        check_number(
            100_010_000,
            "一亿零一万",
            "one hundred million ten thousand",
        );
        check_number(100_000_001, "一亿零一", "one hundred million one");
        check_number(-20, "负二十", "minus twenty");
    }

    fn check_amount(yuan: &str, zh: &str, en: &str) {
        let a = Amount::parse(yuan).expect("test amount");
        assert_eq!(
            spoken(Language::Mandarin, &amount(Language::Mandarin, a)),
            zh
        );
        assert_eq!(spoken(Language::English, &amount(Language::English, a)), en);
    }

    #[test]
    fn amounts_read_yuan_jiao_fen() {
        check_amount(
            "12345.67",
            "一万二千三百四十五元六角七分",
            "twelve thousand three hundred forty five yuan and sixty seven fen",
        );
        check_amount("105", "一百零五元整", "one hundred five yuan");
        check_amount("10010", "一万零一十元整", "ten thousand ten yuan");
        check_amount("3.05", "三元零五分", "three yuan and five fen");
        check_amount("0.5", "五角", "fifty fen");
        check_amount("-1", "负一元整", "minus one yuan");
    }

    #[test]
    fn dates_and_digits() {
        let d: Date = "2026-11-23".parse().expect("test date");
        assert_eq!(
            spoken(Language::Mandarin, &date(Language::Mandarin, d)),
            "二零二六年十一月二十三日"
        );
        assert_eq!(
            spoken(Language::English, &date(Language::English, d)),
            "november twenty third twenty twenty six"
        );
        let d: Date = "2005-01-01".parse().expect("test date");
        assert_eq!(
            spoken(Language::English, &date(Language::English, d)),
            "january first two thousand five"
        );
        assert_eq!(
            spoken(Language::Mandarin, &digits(Language::Mandarin, "10#")),
            "一零井"
        );
        assert_eq!(
            spoken(Language::English, &digits(Language::English, "10*")),
            "one zero star"
        );
    }

    #[test]
    fn every_fragment_emitted_is_in_the_vocabulary() {
        for lang in Language::ALL {
            for n in [0, 7, 19, 105, 10_010, 99_999_999, i64::MAX, i64::MIN] {
                for name in number(lang, n) {
                    assert!(text_of(&name).is_some(), "{name} missing");
                }
            }
        }
    }

    proptest::proptest! {
        #[test]
        fn mandarin_never_doubles_ling_nor_ends_with_it(n in 1i64..1_000_000_000_000) {
            let keys = zh_number(n);
            proptest::prop_assert!(keys.last() != Some(&"ling"));
            proptest::prop_assert!(!keys.windows(2).any(|w| w[0] == "ling" && w[1] == "ling"));
        }
    }
}
