//! The country an address is in, from an offline database in Tor's text format (Debian's
//! `tor-geoipdb`: `/usr/share/tor/geoip` lines `LOW,HIGH,CC` with IPv4 addresses as integers,
//! `/usr/share/tor/geoip6` lines `LOW,HIGH,CC` with IPv6 addresses). Read once at start-up into
//! sorted ranges (adjacent ranges of one country merged) and searched by bisection; nothing is
//! asked of any outside service. No maintained crate reads this format, and it is three
//! comma-separated fields a line.

use std::io::BufRead;
use std::net::{IpAddr, Ipv6Addr};

/// Ranges of addresses and their country (ISO 3166 alpha-2), sorted, not overlapping. IPv6
/// ranges are kept by their /64 prefixes (no country database is finer than that), which
/// halves what they take.
#[derive(Debug, Default, Clone)]
pub struct Countries {
    v4: Vec<(u32, u32, [u8; 2])>,
    v6: Vec<(u64, u64, [u8; 2])>,
}

fn country(cc: &str) -> Option<[u8; 2]> {
    let b = cc.trim().as_bytes();
    match b {
        [a, b] if a.is_ascii_uppercase() && b.is_ascii_uppercase() => Some([*a, *b]),
        // "??" and the like: a range whose country is not known.
        _ => None,
    }
}

fn push<T: Copy + PartialEq + std::ops::Add<Output = T> + From<u8> + Ord>(
    out: &mut Vec<(T, T, [u8; 2])>,
    (low, high, cc): (T, T, [u8; 2]),
) -> Result<(), String> {
    if high < low {
        return Err("a range that ends before it starts".into());
    }
    match out.last_mut() {
        Some(last) if low <= last.1 => Err("ranges out of order or overlapping".into()),
        Some(last) if last.2 == cc && last.1 + T::from(1) == low => {
            last.1 = high;
            Ok(())
        }
        _ => {
            out.push((low, high, cc));
            Ok(())
        }
    }
}

impl Countries {
    /// Reads the IPv4 file's text and, if given, the IPv6 file's.
    pub fn parse(v4: &str, v6: Option<&str>) -> Result<Countries, String> {
        Countries::read(v4.as_bytes(), v6.map(str::as_bytes), (0, 0))
    }

    /// Reads the files line by line (the whole text is never held: Debian's two files are
    /// 25 MB), room made at once for `lines` (each file's line count, when known: growing the
    /// tables step by step would leave their outgrown copies in the allocator's keeping).
    pub fn read(
        v4: impl BufRead,
        v6: Option<impl BufRead>,
        lines: (usize, usize),
    ) -> Result<Countries, String> {
        let mut c = Countries {
            v4: Vec::with_capacity(lines.0),
            v6: Vec::with_capacity(lines.1),
        };
        for (i, line) in data_lines(v4) {
            let line = line?;
            let (low, high, cc) = fields(&line).ok_or_else(|| format!("line {i}: LOW,HIGH,CC"))?;
            let (Ok(low), Ok(high)) = (low.parse::<u32>(), high.parse::<u32>()) else {
                return Err(format!("line {i}: addresses as integers expected"));
            };
            if let Some(cc) = country(cc) {
                push(&mut c.v4, (low, high, cc)).map_err(|e| format!("line {i}: {e}"))?;
            }
        }
        for (i, line) in v6.map(data_lines).into_iter().flatten() {
            let line = line?;
            let (low, high, cc) =
                fields(&line).ok_or_else(|| format!("v6 line {i}: LOW,HIGH,CC"))?;
            let (Ok(low), Ok(high)) = (low.parse::<Ipv6Addr>(), high.parse::<Ipv6Addr>()) else {
                return Err(format!("v6 line {i}: IPv6 addresses expected"));
            };
            let (low, high) = (prefix64(low), prefix64(high));
            if let Some(cc) = country(cc) {
                // Two ranges within one /64 become one: the first's country stands.
                if c.v6.last().is_some_and(|l| l.1 >= low) {
                    continue;
                }
                push(&mut c.v6, (low, high, cc)).map_err(|e| format!("v6 line {i}: {e}"))?;
            }
        }
        if c.v4.is_empty() && c.v6.is_empty() {
            return Err("no ranges".into());
        }
        c.v4.shrink_to_fit();
        c.v6.shrink_to_fit();
        Ok(c)
    }

    /// The country of `ip` (ISO 3166 alpha-2), when the database knows it.
    pub fn of(&self, ip: IpAddr) -> Option<String> {
        let cc = match ip {
            IpAddr::V4(a) => find(&self.v4, u32::from(a)),
            IpAddr::V6(a) => match a.to_ipv4_mapped() {
                Some(v4) => find(&self.v4, u32::from(v4)),
                None => find(&self.v6, prefix64(a)),
            },
        }?;
        Some(String::from_utf8_lossy(&cc).into_owned())
    }

    /// How many ranges it holds (after merging), for the start-up log.
    pub fn len(&self) -> usize {
        self.v4.len() + self.v6.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

fn prefix64(a: Ipv6Addr) -> u64 {
    (u128::from(a) >> 64) as u64
}

/// The data lines (numbered from 1), or the read error.
fn data_lines(r: impl BufRead) -> impl Iterator<Item = (usize, Result<String, String>)> {
    r.lines()
        .enumerate()
        .map(|(i, l)| {
            (
                i + 1,
                l.map(|l| l.trim().to_owned()).map_err(|e| e.to_string()),
            )
        })
        .filter(|(_, l)| {
            l.as_ref()
                .map_or(true, |l| !l.is_empty() && !l.starts_with('#'))
        })
}

fn fields(line: &str) -> Option<(&str, &str, &str)> {
    let mut it = line.split(',');
    let r = (it.next()?, it.next()?, it.next()?);
    it.next().is_none().then_some(r)
}

fn find<T: Copy + Ord>(ranges: &[(T, T, [u8; 2])], a: T) -> Option<[u8; 2]> {
    let i = ranges.partition_point(|r| r.0 <= a);
    let r = ranges.get(i.checked_sub(1)?)?;
    (a <= r.1).then_some(r.2)
}

/// A country code as its flag (two regional indicator symbols), which phones draw as the flag.
pub fn flag(cc: &str) -> String {
    cc.chars()
        .filter(char::is_ascii_uppercase)
        .filter_map(|c| char::from_u32(0x1F1E6 + (c as u32 - 'A' as u32)))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges_are_found_merged_and_bad_files_refused() {
        let v4 = "# comment\n16777216,16777471,AU\n16777472,16778239,CN\n16778240,16779263,CN\n\
                  16779264,16781311,??\n";
        let v6 = "2001:2::,2001:2:0:ffff:ffff:ffff:ffff:ffff,JP\n";
        let c = Countries::parse(v4, Some(v6)).unwrap();
        assert_eq!(c.len(), 3, "the two CN ranges are one");
        assert_eq!(c.of("1.0.0.1".parse().unwrap()).as_deref(), Some("AU"));
        assert_eq!(c.of("1.0.4.1".parse().unwrap()).as_deref(), Some("CN"));
        assert_eq!(c.of("1.0.16.1".parse().unwrap()), None, "?? is unknown");
        assert_eq!(c.of("9.9.9.9".parse().unwrap()), None);
        assert_eq!(
            c.of("::ffff:1.0.0.1".parse().unwrap()).as_deref(),
            Some("AU")
        );
        assert_eq!(c.of("2001:2::5".parse().unwrap()).as_deref(), Some("JP"));
        assert_eq!(c.of("2001:3::5".parse().unwrap()), None);
        assert!(Countries::parse("5,1,AU\n", None).is_err());
        assert!(Countries::parse("1,5,AU\n3,9,FR\n", None).is_err());
        assert!(Countries::parse("a,b,AU\n", None).is_err());
        assert!(Countries::parse("# nothing\n", None).is_err());
        assert_eq!(flag("MD"), "\u{1F1F2}\u{1F1E9}");
    }
}
