//! HTTP-date parsing (RFC 9110 section 5.6.7) for `retry-after`.

const MONTHS: [&str; 12] = [
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
];

/// Parses an HTTP-date into Unix ms. Accepts the three forms recipients must accept:
/// IMF-fixdate (`Sun, 06 Nov 1994 08:49:37 GMT`), RFC 850 (`Sunday, 06-Nov-94 08:49:37
/// GMT`, two-digit years below 70 read as 20xx) and asctime (`Sun Nov  6 08:49:37 1994`).
/// The weekday is not checked. `None` for anything else, or dates before 1970.
pub fn parse_http_date(s: &str) -> Option<u64> {
    let parts: Vec<&str> = s.split_ascii_whitespace().collect();
    let (day, month, year, time) = match parts.as_slice() {
        [_, d, m, y, t, "GMT"] => (*d, *m, y.parse::<u64>().ok()?, *t),
        [_, dmy, t, "GMT"] => {
            let mut it = dmy.split('-');
            let (d, m, y) = (it.next()?, it.next()?, it.next()?);
            if it.next().is_some() || y.len() != 2 {
                return None;
            }
            let yy = y.parse::<u64>().ok()?;
            (d, m, if yy < 70 { 2000 + yy } else { 1900 + yy }, *t)
        }
        [_, m, d, t, y] => (*d, *m, y.parse::<u64>().ok()?, *t),
        _ => return None,
    };
    let day = day.parse::<u64>().ok().filter(|d| (1..=31).contains(d))?;
    let month = MONTHS.iter().position(|m| *m == month)? as u64 + 1;
    let mut hms = time.split(':').map(|p| p.parse::<u64>().ok());
    let (h, mi, sec) = (hms.next()??, hms.next()??, hms.next()??);
    if hms.next().is_some() || h > 23 || mi > 59 || sec > 60 || !(1970..=9999).contains(&year) {
        return None;
    }
    let days = days_from_civil(year, month, day);
    Some((((days * 24 + h) * 60 + mi) * 60 + sec) * 1000)
}

/// Days since 1970-01-01 of a proleptic Gregorian date (year >= 1970), after Howard
/// Hinnant's `days_from_civil`.
fn days_from_civil(year: u64, month: u64, day: u64) -> u64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y / 400;
    let yoe = y - era * 400;
    let mp = (month + 9) % 12;
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    (era * 146_097 + doe).saturating_sub(719_468)
}
