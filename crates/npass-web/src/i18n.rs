//! Languages: Fluent bundles compiled into the binary (one folder per language), negotiation from
//! `?lang=`, the language cookie and `Accept-Language`.

use std::collections::HashMap;
use std::sync::Arc;

use fluent_bundle::concurrent::FluentBundle;
use fluent_bundle::{FluentArgs, FluentResource, FluentValue};
use fluent_langneg::{NegotiationStrategy, negotiate_languages};
use unic_langid::LanguageIdentifier;

/// Every language npass has text for: (code, name in itself, the Fluent source).
pub const AVAILABLE: &[(&str, &str, &str)] = &[
    ("ro", "Română", include_str!("../locales/ro/main.ftl")),
    ("ru", "Русский", include_str!("../locales/ru/main.ftl")),
    ("en", "English", include_str!("../locales/en/main.ftl")),
];

pub struct I18n {
    bundles: HashMap<&'static str, FluentBundle<FluentResource>>,
    /// Enabled languages in the deployment's order; the first is the default.
    pub enabled: Vec<&'static str>,
    /// The same, as language identifiers for negotiation.
    langids: Vec<LanguageIdentifier>,
}

/// Text in one language.
#[derive(Clone)]
pub struct Tr {
    i18n: Arc<I18n>,
    pub lang: &'static str,
}

impl I18n {
    /// Builds the bundles for `enabled` (codes from `AVAILABLE`). Unknown codes are an error.
    pub fn new(enabled: &[String]) -> Result<Self, String> {
        let mut bundles = HashMap::new();
        let mut order = Vec::new();
        let mut langids = Vec::new();
        for code in enabled {
            let Some((c, _, src)) = AVAILABLE.iter().find(|(c, _, _)| c == code) else {
                return Err(format!(
                    "language {code:?} is not available (have: ro, ru, en)"
                ));
            };
            let res = FluentResource::try_new((*src).to_owned())
                .map_err(|(_, errs)| format!("locale {c}: {errs:?}"))?;
            let langid: LanguageIdentifier = c.parse().map_err(|e| format!("locale {c}: {e:?}"))?;
            langids.push(langid.clone());
            let mut bundle = FluentBundle::new_concurrent(vec![langid]);
            bundle.set_use_isolating(false);
            bundle
                .add_resource(res)
                .map_err(|errs| format!("locale {c}: {errs:?}"))?;
            bundles.insert(*c, bundle);
            order.push(*c);
        }
        if order.is_empty() {
            return Err("no language enabled".into());
        }
        Ok(I18n {
            bundles,
            enabled: order,
            langids,
        })
    }

    pub fn default_lang(&self) -> &'static str {
        self.enabled.first().copied().unwrap_or("en")
    }

    pub fn find(&self, code: &str) -> Option<&'static str> {
        self.enabled
            .iter()
            .copied()
            .find(|c| c.eq_ignore_ascii_case(code))
    }

    /// The best enabled language for an `Accept-Language` header (or a comma-separated list
    /// of tags). The tags are ordered by their weights here (`q=0` excludes one): fluent-langneg
    /// reads the order only. It then matches them against the enabled languages (`ro-MD`
    /// finds `ro`).
    pub fn negotiate(&self, accept: &str) -> Option<&'static str> {
        let mut prefs: Vec<(f32, &str)> = accept
            .split(',')
            .filter_map(|part| {
                let mut it = part.trim().split(';');
                let tag = it.next()?.trim();
                let q = it
                    .find_map(|p| p.trim().strip_prefix("q="))
                    .and_then(|q| q.parse::<f32>().ok())
                    .unwrap_or(1.0);
                Some((q, tag))
            })
            .filter(|(q, _)| *q > 0.0)
            .collect();
        // Stable: equal weights keep the header's order.
        prefs.sort_by(|a, b| b.0.partial_cmp(&a.0).unwrap_or(std::cmp::Ordering::Equal));
        let requested: Vec<LanguageIdentifier> =
            prefs.iter().filter_map(|(_, t)| t.parse().ok()).collect();
        let best = negotiate_languages(
            &requested,
            &self.langids,
            None,
            NegotiationStrategy::Filtering,
        );
        let best = best.first()?;
        let i = self.langids.iter().position(|l| l == *best)?;
        self.enabled.get(i).copied()
    }

    pub fn message(&self, lang: &str, key: &str, args: &[(&str, &str)]) -> Option<String> {
        let bundle = self.bundles.get(lang)?;
        let pattern = bundle.get_message(key)?.value()?;
        let mut fa = FluentArgs::new();
        for (k, v) in args {
            match v.parse::<i64>() {
                Ok(n) => fa.set(*k, FluentValue::from(n)),
                Err(_) => fa.set(*k, FluentValue::from(*v)),
            }
        }
        let mut errors = Vec::new();
        let out = bundle.format_pattern(pattern, Some(&fa), &mut errors);
        Some(out.into_owned())
    }

    pub fn has(&self, lang: &str, key: &str) -> bool {
        self.bundles.get(lang).is_some_and(|b| b.has_message(key))
    }

    /// Message ids defined for a language.
    pub fn keys(lang_source: &str) -> Vec<String> {
        lang_source
            .lines()
            .filter(|l| l.chars().next().is_some_and(|c| c.is_ascii_lowercase()))
            .filter_map(|l| l.split_once('=').map(|(k, _)| k.trim().to_owned()))
            .collect()
    }
}

impl Tr {
    pub fn new(i18n: Arc<I18n>, lang: &'static str) -> Self {
        Tr { i18n, lang }
    }

    /// The text for `key`; a missing key shows itself (the locale tests keep that from shipping).
    pub fn t(&self, key: &str) -> String {
        self.i18n
            .message(self.lang, key, &[])
            .unwrap_or_else(|| key.to_owned())
    }

    pub fn t1(&self, key: &str, name: &str, value: &str) -> String {
        self.i18n
            .message(self.lang, key, &[(name, value)])
            .unwrap_or_else(|| key.to_owned())
    }

    pub fn args(&self, key: &str, args: &[(&str, &str)]) -> String {
        self.i18n
            .message(self.lang, key, args)
            .unwrap_or_else(|| key.to_owned())
    }

    pub fn i18n(&self) -> &Arc<I18n> {
        &self.i18n
    }
}

/// Renders an email of `kind` (`mail-<kind>-subject`, `mail-<kind>-body`) in `lang`, falling back
/// to the default language.
pub fn render_mail(
    i18n: &I18n,
    lang: &str,
    kind: &str,
    params: &[(String, String)],
) -> (String, String) {
    let lang = i18n.find(lang).unwrap_or(i18n.default_lang());
    let args: Vec<(&str, &str)> = params
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    let subject = i18n
        .message(lang, &format!("mail-{kind}-subject"), &args)
        .unwrap_or_else(|| kind.to_owned());
    let body = i18n
        .message(lang, &format!("mail-{kind}-body"), &args)
        .unwrap_or_default();
    let footer = i18n.message(lang, "mail-footer", &args).unwrap_or_default();
    (subject, format!("{body}\n\n{footer}\n"))
}

#[cfg(test)]
mod negotiation {
    use super::*;

    #[test]
    fn accept_language_by_weight_and_subtag() {
        let i = I18n::new(&["ro".into(), "ru".into(), "en".into()]).unwrap();
        let n = |h: &str| i.negotiate(h);
        assert_eq!(n("ru-RU,ru;q=0.9,en;q=0.8"), Some("ru"));
        assert_eq!(n("ro-MD"), Some("ro"));
        assert_eq!(n("de-DE, en;q=0.5"), Some("en"));
        assert_eq!(n("en;q=0.1, ro;q=0.9"), Some("ro"), "weights, not order");
        assert_eq!(n("ru;q=0, fr"), None, "q=0 means not this one");
        assert_eq!(n("EN-gb"), Some("en"));
        assert_eq!(n("***, ;;"), None);
        let ro_only = I18n::new(&["ro".into()]).unwrap();
        assert_eq!(ro_only.negotiate("ru, en"), None);
    }
}

#[cfg(test)]
mod plurals {
    use super::*;

    /// The messages that show a count say it in the language's plural form (CLDR: one / few /
    /// other in Romanian, one / few / many in Russian), for the numbers where the forms differ.
    #[test]
    fn counts_take_the_plural_form_of_their_number() {
        let i18n = I18n::new(&["ro".into(), "ru".into(), "en".into()]).unwrap_or_else(|e| {
            panic!("locales: {e}");
        });
        let cases: &[(&str, &str, &str, &str, &str)] = &[
            ("en", "err-rate-limited", "seconds", "1", "in 1 second."),
            ("en", "err-rate-limited", "seconds", "5", "in 5 seconds."),
            ("ro", "err-rate-limited", "seconds", "1", "peste 1 secundă."),
            ("ro", "err-rate-limited", "seconds", "5", "peste 5 secunde."),
            (
                "ro",
                "err-rate-limited",
                "seconds",
                "21",
                "peste 21 de secunde.",
            ),
            ("ru", "err-rate-limited", "seconds", "1", "через 1 секунду."),
            ("ru", "err-rate-limited", "seconds", "3", "через 3 секунды."),
            ("ru", "err-rate-limited", "seconds", "5", "через 5 секунд."),
            (
                "ru",
                "err-rate-limited",
                "seconds",
                "21",
                "через 21 секунду.",
            ),
            ("ru", "forgot-sent", "minutes", "30", "30 минут"),
            ("ru", "forgot-sent", "minutes", "1", "1 минуту"),
            ("ro", "resend-note", "days", "7", "în 7 zile"),
            ("ro", "resend-note", "days", "30", "în 30 de zile"),
            ("en", "resend-note", "days", "1", "within 1 day is"),
            ("ru", "resend-note", "days", "7", "7 дней"),
        ];
        for (lang, key, name, n, want) in cases {
            let got = i18n.message(lang, key, &[(name, n)]).unwrap_or_default();
            assert!(got.contains(want), "{lang} {key} {n}: {got}");
        }
    }
}
