//! What every benchmark binary shares: the results table, the machine line, and replacing its
//! own section of BENCHMARKS.md (the notes sections that follow it are kept).

/// A markdown table of (what, measured, target) rows.
pub fn table(rows: &[(String, String, String)]) -> String {
    let mut t = String::from("| what | measured | target |\n|---|---|---|\n");
    for (a, b, c) in rows {
        t.push_str(&format!("| {a} | {b} | {c} |\n"));
    }
    t
}

/// `2 cores, AMD EPYC …`: the cores and CPU model this run had.
pub fn machine() -> String {
    let cpu = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|c| {
            c.lines()
                .find(|l| l.starts_with("model name"))
                .map(|l| l.split(':').nth(1).unwrap_or("").trim().to_string())
        })
        .unwrap_or_default();
    let cores = std::thread::available_parallelism().map_or(0, |n| n.get());
    format!("{cores} cores, {cpu}")
}

/// Replaces the section headed `## {heading}` of BENCHMARKS.md (up to the next `## `) with
/// `## {heading}` and `body`, or appends it.
pub fn write_section(heading: &str, body: &str) {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../BENCHMARKS.md");
    let old = std::fs::read_to_string(path).unwrap_or_else(|_| "# Benchmarks\n".into());
    let section = format!("## {heading}\n\n{body}");
    let new = match old.find(&format!("## {heading}\n")) {
        Some(start) => {
            let end = old[start + 3..]
                .find("\n## ")
                .map(|e| start + 3 + e + 1)
                .unwrap_or(old.len());
            format!("{}{}{}", &old[..start], section, &old[end..])
        }
        None => format!("{}\n\n{section}", old.trim_end()),
    };
    std::fs::write(path, new).expect("BENCHMARKS.md is writable");
    eprintln!("wrote {path}");
}
