//! National identifiers: the schemes a deployment accepts, normalisation and validation.
//!
//! Validation agrees with python-stdnum's `md.idno` and `mu.nid` on normalised input (a test in
//! `crates/npass/tests` compares the two on generated inputs).

use serde::{Deserialize, Serialize};
use unicode_normalization::UnicodeNormalization;

use crate::clock::days_in_month;
use crate::error::Error;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Scheme {
    #[serde(rename = "md-idnp")]
    MdIdnp,
    #[serde(rename = "mu-nic")]
    MuNic,
    #[serde(rename = "passport")]
    Passport,
}

impl Scheme {
    pub fn as_str(self) -> &'static str {
        match self {
            Scheme::MdIdnp => "md-idnp",
            Scheme::MuNic => "mu-nic",
            Scheme::Passport => "passport",
        }
    }
    pub fn parse(s: &str) -> Option<Scheme> {
        match s {
            "md-idnp" => Some(Scheme::MdIdnp),
            "mu-nic" => Some(Scheme::MuNic),
            "passport" => Some(Scheme::Passport),
            _ => None,
        }
    }
}

/// A validated identifier in its one canonical spelling (`2000000000004`, `J0101900123459`,
/// `MDA:AB1234567`). Two spellings of one person's identifier give equal values.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct NationalId {
    pub scheme: Scheme,
    pub value: String,
}

impl std::fmt::Display for NationalId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.value)
    }
}

/// Why an identifier was refused; each names a locale key `err-nid-<reason>`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Problem {
    Empty,
    Characters,
    Length,
    Checksum,
    Date,
    Country,
    NotAccepted,
}

impl Problem {
    pub fn reason(self) -> &'static str {
        match self {
            Problem::Empty => "nid-empty",
            Problem::Characters => "nid-characters",
            Problem::Length => "nid-length",
            Problem::Checksum => "nid-checksum",
            Problem::Date => "nid-date",
            Problem::Country => "nid-country",
            Problem::NotAccepted => "nid-not-accepted",
        }
    }
}

impl From<Problem> for Error {
    fn from(p: Problem) -> Self {
        Error::invalid("national_id", p.reason())
    }
}

const COUNTRIES: &str = include_str!("../data/iso3166-alpha3.txt");

/// NFKC (full-width digits become ASCII), upper case, and no spaces, dashes or dots.
pub fn normalise(input: &str) -> String {
    let upper: String = input
        .nfkc()
        .filter(|c| !c.is_whitespace() && !is_separator(*c))
        .flat_map(char::to_uppercase)
        .collect();
    // Upper-casing can leave text that is no longer in normal form.
    upper
        .nfkc()
        .filter(|c| !c.is_whitespace() && !is_separator(*c))
        .collect()
}

fn is_separator(c: char) -> bool {
    matches!(
        c,
        '-' | '.' | '/' | ':' | '\u{2010}'..='\u{2015}' | '\u{2212}'
    )
}

/// Parses an identifier for a deployment that accepts `schemes` (in preference order).
pub fn parse(input: &str, schemes: &[Scheme]) -> Result<NationalId, Problem> {
    let n = normalise(input);
    if n.is_empty() {
        return Err(Problem::Empty);
    }
    let guess = guess_scheme(&n);
    let scheme = match guess {
        Some(s) if schemes.contains(&s) => s,
        // Only one scheme on: its own message is the clearest.
        _ if schemes.len() == 1 => *schemes.first().ok_or(Problem::NotAccepted)?,
        Some(_) => return Err(Problem::NotAccepted),
        None => *schemes.first().ok_or(Problem::NotAccepted)?,
    };
    let value = match scheme {
        Scheme::MdIdnp => validate_md_idnp(&n)?,
        Scheme::MuNic => validate_mu_nic(&n)?,
        Scheme::Passport => validate_passport(&n)?,
    };
    Ok(NationalId { scheme, value })
}

/// Which scheme a normalised input looks like: all digits → IDNP; a letter then a digit → NIC;
/// three letters → passport.
fn guess_scheme(n: &str) -> Option<Scheme> {
    let mut chars = n.chars();
    let first = chars.next()?;
    let second = chars.next();
    let third = chars.next();
    if first.is_ascii_digit() {
        Some(Scheme::MdIdnp)
    } else if first.is_ascii_alphabetic() && second.is_some_and(|c| c.is_ascii_digit()) {
        Some(Scheme::MuNic)
    } else if first.is_ascii_alphabetic()
        && second.is_some_and(|c| c.is_ascii_alphabetic())
        && third.is_some_and(|c| c.is_ascii_alphabetic())
    {
        Some(Scheme::Passport)
    } else {
        None
    }
}

fn digit(c: char) -> Option<u32> {
    c.to_digit(10)
}

/// Check digit of IDNP/IDNO: weights 7, 3, 1 repeating over the first 12 digits, sum mod 10.
pub fn md_check_digit(first12: &str) -> Option<u32> {
    let mut sum = 0;
    for (i, c) in first12.chars().enumerate() {
        let w = [7, 3, 1].get(i % 3).copied()?;
        sum += w * digit(c)?;
    }
    Some(sum % 10)
}

pub fn validate_md_idnp(n: &str) -> Result<String, Problem> {
    if !n.chars().all(|c| c.is_ascii_digit()) {
        return Err(Problem::Characters);
    }
    if n.len() != 13 {
        return Err(Problem::Length);
    }
    let (body, check) = n.split_at(12);
    if Some(md_check_digit(body).ok_or(Problem::Characters)?)
        != check.chars().next().and_then(digit)
    {
        return Err(Problem::Checksum);
    }
    Ok(n.to_owned())
}

const ALPHABET: &str = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ";

fn alpha_index(c: char) -> Option<u32> {
    ALPHABET.find(c).and_then(|i| u32::try_from(i).ok())
}

/// Check character of a Mauritius NIC: weights 14..2 over the first 13 characters (alphabet
/// 0-9A-Z), then (17 - sum) mod 17 in the same alphabet.
pub fn mu_check_char(first13: &str) -> Option<char> {
    let mut sum: u32 = 0;
    for (i, c) in first13.chars().enumerate() {
        let w = 14u32.checked_sub(u32::try_from(i).ok()?)?;
        sum += w * alpha_index(c)?;
    }
    let idx = (17 - sum % 17) % 17;
    ALPHABET.chars().nth(usize::try_from(idx).ok()?)
}

pub fn validate_mu_nic(n: &str) -> Result<String, Problem> {
    if n.chars().count() != 14 {
        return Err(Problem::Length);
    }
    let chars: Vec<char> = n.chars().collect();
    let (Some(first), Some(last)) = (chars.first(), chars.last()) else {
        return Err(Problem::Length);
    };
    let middle = chars.get(1..13).unwrap_or(&[]);
    if !first.is_ascii_uppercase()
        || !middle.iter().all(char::is_ascii_digit)
        || !(last.is_ascii_digit() || last.is_ascii_uppercase())
    {
        return Err(Problem::Characters);
    }
    let body: String = chars.get(..13).unwrap_or(&[]).iter().collect();
    if mu_check_char(&body) != Some(*last) {
        return Err(Problem::Checksum);
    }
    let num = |a: usize, b: usize| -> u32 {
        chars
            .get(a..b)
            .unwrap_or(&[])
            .iter()
            .fold(0, |acc, c| acc * 10 + digit(*c).unwrap_or(0))
    };
    let (day, month, year) = (num(1, 3), num(3, 5), num(5, 7));
    let year = 2000 + i64::from(year);
    if !(1..=12).contains(&month) || day == 0 || day > days_in_month(year, month) {
        return Err(Problem::Date);
    }
    Ok(n.to_owned())
}

/// ICAO 9303 issuing state (three letters) and document number (1 to 9 letters or digits).
pub fn validate_passport(n: &str) -> Result<String, Problem> {
    if !n.chars().all(|c| c.is_ascii_alphanumeric()) {
        return Err(Problem::Characters);
    }
    if n.len() < 4 || n.len() > 12 {
        return Err(Problem::Length);
    }
    let (country, number) = n.split_at(3);
    if !COUNTRIES.lines().any(|c| c == country) {
        return Err(Problem::Country);
    }
    Ok(format!("{country}:{number}"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const ALL: &[Scheme] = &[Scheme::MdIdnp, Scheme::MuNic, Scheme::Passport];

    #[test]
    fn md_examples() {
        assert_eq!(
            parse("1008600038413", ALL).map(|n| n.value),
            Ok("1008600038413".into())
        );
        assert_eq!(parse("1008600038412", ALL), Err(Problem::Checksum));
        assert_eq!(
            parse("2000000000004", ALL).map(|n| n.scheme),
            Ok(Scheme::MdIdnp)
        );
        assert_eq!(parse("200000000000", ALL), Err(Problem::Length));
        assert_eq!(
            parse(" 2000-000 000 004 ", ALL).map(|n| n.value),
            Ok("2000000000004".into())
        );
        // full-width digits
        assert_eq!(
            parse("２０００００００００００４", ALL).map(|n| n.value),
            Ok("2000000000004".into())
        );
        assert_eq!(
            parse("20000000x0004", &[Scheme::MdIdnp]),
            Err(Problem::Characters)
        );
        assert_eq!(parse("", ALL), Err(Problem::Empty));
    }

    #[test]
    fn mu_examples() {
        let body = "J010190012345";
        let check = mu_check_char(body).unwrap_or('?');
        let good = format!("{body}{check}");
        assert_eq!(
            parse(&good.to_lowercase(), ALL).map(|n| n.value),
            Ok(good.clone())
        );
        let wrong = if check == '0' { '1' } else { '0' };
        assert_eq!(
            parse(&format!("{body}{wrong}"), ALL),
            Err(Problem::Checksum)
        );
        // 31 February
        let body = "J310290012345";
        let check = mu_check_char(body).unwrap_or('?');
        assert_eq!(parse(&format!("{body}{check}"), ALL), Err(Problem::Date));
        assert_eq!(parse("J0101", &[Scheme::MuNic]), Err(Problem::Length));
    }

    #[test]
    fn passport_examples() {
        assert_eq!(
            parse("MDA AB1234567", ALL).map(|n| n.value),
            Ok("MDA:AB1234567".into())
        );
        assert_eq!(
            parse("mda-ab1234567", ALL).map(|n| n.value),
            Ok("MDA:AB1234567".into())
        );
        assert_eq!(parse("QQQ123", ALL), Err(Problem::Country));
        assert_eq!(parse("MDA1234567890", ALL), Err(Problem::Length));
        assert_eq!(
            parse("MDA_12", &[Scheme::Passport]),
            Err(Problem::Characters)
        );
        assert_eq!(parse("MDA12", &[Scheme::MdIdnp]), Err(Problem::Characters));
        assert_eq!(
            parse("MDA12", &[Scheme::MdIdnp, Scheme::MuNic]),
            Err(Problem::NotAccepted)
        );
    }

    proptest! {
        #[test]
        fn normalise_is_idempotent(s in "\\PC{0,30}") {
            let once = normalise(&s);
            prop_assert_eq!(normalise(&once), once);
        }

        #[test]
        fn any_valid_idnp_survives_spacing(body in "[0-9]{12}", sep in "[ -]{0,2}") {
            let check = md_check_digit(&body).unwrap_or(0);
            let id = format!("{body}{check}");
            let (a, b) = id.split_at(4);
            let spaced = format!("{a}{sep}{b}");
            prop_assert_eq!(parse(&spaced, ALL).map(|n| n.value), Ok(id));
        }

        #[test]
        fn one_changed_digit_is_caught(body in "[0-9]{12}", pos in 0usize..12, delta in 1u32..10) {
            let check = md_check_digit(&body).unwrap_or(0);
            let mut chars: Vec<char> = body.chars().collect();
            let d = chars[pos].to_digit(10).unwrap_or(0);
            chars[pos] = char::from_digit((d + delta) % 10, 10).unwrap_or('0');
            let changed: String = chars.into_iter().collect();
            // weight 1 positions and weight 7/3 differences never vanish mod 10 for one digit
            // except when w*delta ≡ 0 (mod 10), which cannot happen for w in {1,3,7}.
            prop_assert_eq!(parse(&format!("{changed}{check}"), ALL), Err(Problem::Checksum));
        }

        #[test]
        fn parse_never_panics(s in "\\PC{0,40}") {
            let _ = parse(&s, ALL);
        }
    }
}
