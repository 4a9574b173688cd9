//! Architecture test: the module structure of the workspace, enforced in `cargo test --workspace`.
//!
//! It reads the sources of the crates `core`, `sync`, `ui`, `app` and `tests` (the workspace
//! root is `CARGO_MANIFEST_DIR/..`, or the directory named by the environment variable
//! `GRIDLOOP_ARCH_ROOT`, so it can be pointed at another checkout) and fails, naming the files and
//! the offending lines, on:
//!
//! 1. **A module cycle inside a crate.** A module is the first path component under a crate's
//!    `src/` (`core/src/store/tables.rs` belongs to `store`; `lib.rs`, `main.rs` and `src/bin/`
//!    are roots, not modules). There is an edge `a -> b` when a file of `a` names `crate::b` (in a
//!    `use`, a `use crate::{b, ..}` group, or any path), or a `super::`/`self::` path that
//!    resolves to `b`. Inside each top-level folder of `core` the same holds one level down: the
//!    sub-modules of a layer (`core/src/workflow/rules/*` is `workflow::rules`; `super::x` and
//!    `crate::workflow::x` both count) must not form a cycle either, because a layer must be
//!    clean inside as well. Cycles make modules impossible to understand, test or move alone.
//! 2. **An upward import between the layers of `core`.** Every top-level module of `core` must be
//!    one of the layers in [`CORE_LAYERS`] (a new flat module fails until it is put in a layer),
//!    every layer must exist, and a layer may only name the layers below it:
//!    `domain < workflow < doc < store < engine < ingest < {analytics, drill, workload}`; the top
//!    three are independent of each other (none names another). So each layer can be read,
//!    tested and changed knowing only what is below it.
//! 3. **A view naming the shell.** No file in `ui/src/views` may name `crate::workstation` or a
//!    `Workstation*` type: the views are leaves that the workstation composes, never the reverse.
//!
//! The scan is plain string scanning, std only: a small lexer drops comments (so intra-doc links
//! do not count), string and char literals; paths are resolved against the file's module
//! (including inline `mod x { .. }` blocks, so `super::` in a test module means the file); a path
//! through a `use` re-export is counted both as written and as resolved to where the item lives;
//! and in a file that glob-imports (`use super::*`), a bare name it does not define or import by
//! name (`StoreError`, `enc(..)`) is followed through the glob to the module that defines it, so
//! sub-modules that share their parent's namespace are not exempt. At the top level of a crate
//! this is the definition of the shared `modcycles.py` tool, and finds the same edges.
//!
//! `scanner_reports_planted_violations` proves on in-memory sources that the scanner reports
//! cycles, upward imports and views naming the shell, and `scanner_sees_the_real_tree` that it
//! found a plausible number of modules and edges, so the checks cannot pass by seeing nothing.

use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::path::{Path, PathBuf};

/// The crates whose `src/` is scanned.
const CRATES: &[&str] = &["core", "sync", "ui", "app", "tests"];

/// Crates whose top-level folders are checked for cycles among their sub-modules too.
const LAYERED_CRATES: &[&str] = &["core"];

/// The layers of `core`, each with the layers directly below it; a layer may name any layer
/// reachable downward from it and nothing else.
const CORE_LAYERS: &[(&str, &[&str])] = &[
    ("domain", &[]),
    ("workflow", &["domain"]),
    ("doc", &["workflow"]),
    ("store", &["doc"]),
    ("engine", &["store"]),
    ("ingest", &["engine"]),
    ("analytics", &["ingest"]),
    ("drill", &["ingest"]),
    ("workload", &["ingest"]),
];

/// The `ui` folder of views and the shell they must not name.
const VIEWS: &str = "views";
const SHELL: &str = "workstation";
const SHELL_TYPE: &str = "Workstation";

// ---------------------------------------------------------------------------------------------
// Sources
// ---------------------------------------------------------------------------------------------

/// One `.rs` file of a crate: its path for messages, its module path from the crate root
/// (`core/src/workflow/rules/mod.rs` is `[workflow, rules]`, `lib.rs` is `[]`) and its text.
struct SourceFile {
    path: String,
    module: Vec<String>,
    text: String,
}

fn workspace_root() -> PathBuf {
    match std::env::var_os("GRIDLOOP_ARCH_ROOT") {
        Some(root) if !root.is_empty() => PathBuf::from(root),
        _ => Path::new(env!("CARGO_MANIFEST_DIR"))
            .parent()
            .expect("the tests crate lives inside the workspace")
            .to_path_buf(),
    }
}

/// The module path of a file given its path components under `src/`.
fn module_of(rel: &[String]) -> Vec<String> {
    let mut module = rel.to_vec();
    let last = module.pop().unwrap_or_default();
    let stem = last.strip_suffix(".rs").unwrap_or(&last).to_string();
    if stem != "mod" && !(module.is_empty() && (stem == "lib" || stem == "main")) {
        module.push(stem);
    }
    module
}

fn read_crate(root: &Path, name: &str) -> Vec<SourceFile> {
    fn walk(dir: &Path, rel: &mut Vec<String>, out: &mut Vec<(Vec<String>, PathBuf)>) {
        let Ok(entries) = std::fs::read_dir(dir) else {
            return;
        };
        let mut entries: Vec<_> = entries.filter_map(Result::ok).collect();
        entries.sort_by_key(|e| e.file_name());
        for entry in entries {
            let file_name = entry.file_name().to_string_lossy().into_owned();
            let path = entry.path();
            if path.is_dir() {
                // src/bin/* are separate binary crates, not modules of this one.
                if rel.is_empty() && file_name == "bin" {
                    continue;
                }
                rel.push(file_name);
                walk(&path, rel, out);
                rel.pop();
            } else if file_name.ends_with(".rs") {
                let mut r = rel.clone();
                r.push(file_name);
                out.push((r, path));
            }
        }
    }
    let mut found = Vec::new();
    walk(&root.join(name).join("src"), &mut Vec::new(), &mut found);
    found
        .into_iter()
        .map(|(rel, path)| SourceFile {
            path: format!("{name}/src/{}", rel.join("/")),
            module: module_of(&rel),
            text: std::fs::read_to_string(&path)
                .unwrap_or_else(|e| panic!("reading {}: {e}", path.display())),
        })
        .collect()
}

// ---------------------------------------------------------------------------------------------
// Lexer: identifiers, `::`, braces and a few punctuation marks; comments and literals dropped.
// ---------------------------------------------------------------------------------------------

#[derive(Clone, Debug, PartialEq)]
enum Tok {
    Ident(String),
    Sep,
    Open,
    Close,
    Comma,
    Semi,
    Star,
    Punct(char),
    End,
}

struct Token {
    tok: Tok,
    line: usize,
}

fn is_ident_start(c: char) -> bool {
    c == '_' || c.is_alphabetic()
}

fn is_ident_char(c: char) -> bool {
    c == '_' || c.is_alphanumeric()
}

fn lex(src: &str) -> Vec<Token> {
    let c: Vec<char> = src.chars().collect();
    let at = |i: usize| c.get(i).copied().unwrap_or('\0');
    let n = c.len();
    let mut out = Vec::new();
    let mut line = 1;
    let mut i = 0;

    // A "..." string whose opening quote is at i - 1; returns the index after the closing quote.
    let skip_string = |mut i: usize, line: &mut usize| {
        while i < n {
            match c[i] {
                '\\' => {
                    if at(i + 1) == '\n' {
                        *line += 1;
                    }
                    i += 2;
                }
                '"' => return i + 1,
                ch => {
                    if ch == '\n' {
                        *line += 1;
                    }
                    i += 1;
                }
            }
        }
        n
    };
    // A char literal or a lifetime/label whose quote is at i.
    let skip_quote = |i: usize| {
        if at(i + 1) == '\\' {
            let mut j = i + 3;
            while j < n && c[j] != '\'' && c[j] != '\n' {
                j += 1;
            }
            j + 1
        } else if at(i + 2) == '\'' {
            i + 3
        } else {
            let mut j = i + 1;
            while j < n && is_ident_char(c[j]) {
                j += 1;
            }
            j
        }
    };

    while i < n {
        let ch = c[i];
        let start_line = line;
        let mut push = |tok| {
            out.push(Token {
                tok,
                line: start_line,
            })
        };
        match ch {
            '\n' => {
                line += 1;
                i += 1;
            }
            _ if ch.is_whitespace() => i += 1,
            '/' if at(i + 1) == '/' => {
                while i < n && c[i] != '\n' {
                    i += 1;
                }
            }
            '/' if at(i + 1) == '*' => {
                let mut depth = 1;
                i += 2;
                while i < n && depth > 0 {
                    if c[i] == '/' && at(i + 1) == '*' {
                        depth += 1;
                        i += 2;
                    } else if c[i] == '*' && at(i + 1) == '/' {
                        depth -= 1;
                        i += 2;
                    } else {
                        if c[i] == '\n' {
                            line += 1;
                        }
                        i += 1;
                    }
                }
            }
            '"' => i = skip_string(i + 1, &mut line),
            '\'' => i = skip_quote(i),
            _ if ch.is_ascii_digit() => {
                while i < n && is_ident_char(c[i]) {
                    i += 1;
                }
            }
            _ if is_ident_start(ch) => {
                let start = i;
                while i < n && is_ident_char(c[i]) {
                    i += 1;
                }
                let word: String = c[start..i].iter().collect();
                let mut hashes = 0;
                while at(i + hashes) == '#' {
                    hashes += 1;
                }
                let raw_prefix = matches!(word.as_str(), "r" | "br" | "cr");
                if raw_prefix && at(i + hashes) == '"' {
                    // Raw string: ends at a quote followed by as many hashes.
                    let mut j = i + hashes + 1;
                    loop {
                        if j >= n {
                            break;
                        }
                        if c[j] == '"' && (1..=hashes).all(|k| at(j + k) == '#') {
                            j += hashes + 1;
                            break;
                        }
                        if c[j] == '\n' {
                            line += 1;
                        }
                        j += 1;
                    }
                    i = j;
                } else if matches!(word.as_str(), "b" | "c") && at(i) == '"' {
                    i = skip_string(i + 1, &mut line);
                } else if word == "b" && at(i) == '\'' {
                    i = skip_quote(i);
                } else if word == "r" && at(i) == '#' && is_ident_start(at(i + 1)) {
                    // Raw identifier r#name.
                    let s = i + 1;
                    i = s;
                    while i < n && is_ident_char(c[i]) {
                        i += 1;
                    }
                    push(Tok::Ident(c[s..i].iter().collect()));
                } else {
                    push(Tok::Ident(word));
                }
            }
            ':' if at(i + 1) == ':' => {
                push(Tok::Sep);
                i += 2;
            }
            '{' | '}' | ',' | ';' | '*' => {
                push(match ch {
                    '{' => Tok::Open,
                    '}' => Tok::Close,
                    ',' => Tok::Comma,
                    ';' => Tok::Semi,
                    _ => Tok::Star,
                });
                i += 1;
            }
            _ => {
                push(Tok::Punct(ch));
                i += 1;
            }
        }
    }
    out
}

// ---------------------------------------------------------------------------------------------
// Paths named by a file
// ---------------------------------------------------------------------------------------------

/// A path as written: its segments (`crate`, `super`, `self` included; a group expanded into one
/// path per leaf), the line of its last segment, the module scope it appears in, and for a `use`
/// leaf the name it binds.
struct Written {
    segs: Vec<String>,
    line: usize,
    scope: Vec<String>,
    is_use: bool,
    alias: Option<String>,
}

struct Leaf {
    segs: Vec<String>,
    line: usize,
    alias: Option<String>,
}

fn tok(toks: &[Token], i: usize) -> &Tok {
    toks.get(i).map(|t| &t.tok).unwrap_or(&Tok::End)
}

fn line_at(toks: &[Token], i: usize) -> usize {
    toks.get(i).or(toks.last()).map(|t| t.line).unwrap_or(1)
}

/// Parses a path or use tree starting at `i` under `prefix`; pushes its leaves, returns the index
/// after it. Always consumes at least one token.
fn parse_tree(toks: &[Token], mut i: usize, prefix: &[String], out: &mut Vec<Leaf>) -> usize {
    let start = i;
    let mut segs = prefix.to_vec();
    let mut line = line_at(toks, i);
    loop {
        match tok(toks, i) {
            Tok::Sep => i += 1,
            Tok::Ident(s) => {
                segs.push(s.clone());
                line = line_at(toks, i);
                i += 1;
                if *tok(toks, i) == Tok::Sep {
                    i += 1;
                    continue;
                }
                let mut alias = None;
                if *tok(toks, i) == Tok::Ident("as".into()) {
                    if let Tok::Ident(a) = tok(toks, i + 1) {
                        alias = Some(a.clone());
                    }
                    i += 2;
                }
                out.push(Leaf { segs, line, alias });
                return i;
            }
            Tok::Star => {
                segs.push("*".into());
                out.push(Leaf {
                    segs,
                    line: line_at(toks, i),
                    alias: None,
                });
                return i + 1;
            }
            Tok::Open => {
                i += 1;
                loop {
                    match tok(toks, i) {
                        Tok::Close => {
                            i += 1;
                            break;
                        }
                        Tok::End => break,
                        Tok::Comma => i += 1,
                        Tok::Ident(_) | Tok::Star | Tok::Open | Tok::Sep => {
                            i = parse_tree(toks, i, &segs, out);
                        }
                        _ => i += 1,
                    }
                }
                return i;
            }
            _ => {
                // A path cut short (`super::f::<T>()`): keep what was named so far.
                if segs.len() > prefix.len() {
                    out.push(Leaf {
                        segs,
                        line,
                        alias: None,
                    });
                }
                return i.max(start + 1);
            }
        }
    }
}

/// What one file names: every `crate`/`super`/`self` path and every `use` leaf, the modules it
/// declares, the items it defines at module level, the bare names it uses, and its identifiers.
struct FileScan {
    /// The braces balanced: the lexer read the file's literals and comments right.
    balanced: bool,
    written: Vec<Written>,
    declared: Vec<Vec<String>>,
    defined: Vec<Vec<String>>,
    bare: Vec<Bare>,
    idents: Vec<(usize, String)>,
}

/// A name used without a path (`Envelope`, `enc(..)`, `feed::f`), which a glob import such as
/// `use super::*` may bring into scope.
struct Bare {
    name: String,
    line: usize,
    scope: Vec<String>,
}

const KEYWORDS: &[&str] = &[
    "as", "async", "await", "break", "const", "continue", "crate", "dyn", "else", "enum", "extern",
    "false", "fn", "for", "if", "impl", "in", "let", "loop", "match", "mod", "move", "mut", "pub",
    "ref", "return", "self", "Self", "static", "struct", "super", "trait", "true", "type", "union",
    "unsafe", "use", "where", "while", "_",
];

/// Keywords after which a name is being defined or bound, not used.
const BINDERS: &[&str] = &[
    "fn",
    "struct",
    "enum",
    "trait",
    "type",
    "union",
    "const",
    "static",
    "mod",
    "let",
    "mut",
    "macro_rules",
];

fn scan_file(file: &SourceFile) -> FileScan {
    let toks = lex(&file.text);
    let mut scan = FileScan {
        balanced: true,
        written: Vec::new(),
        declared: Vec::new(),
        defined: Vec::new(),
        bare: Vec::new(),
        idents: toks
            .iter()
            .filter_map(|t| match &t.tok {
                Tok::Ident(w) => Some((t.line, w.clone())),
                _ => None,
            })
            .collect(),
    };
    // The open blocks: Some(name) for an inline `mod name { .. }`, None for any other block.
    let mut blocks: Vec<Option<String>> = Vec::new();
    let mut pending_mod: Option<String> = None;
    let scope = |blocks: &[Option<String>], name: Option<&String>| {
        let mut s = file.module.clone();
        s.extend(blocks.iter().flatten().cloned());
        s.extend(name.cloned());
        s
    };
    let mut i = 0;
    while i < toks.len() {
        let prev = if i == 0 { &Tok::End } else { tok(&toks, i - 1) };
        match tok(&toks, i) {
            Tok::Open => {
                blocks.push(pending_mod.take());
                i += 1;
            }
            Tok::Close => {
                scan.balanced &= blocks.pop().is_some();
                i += 1;
            }
            Tok::Ident(w) if w == "mod" => {
                if let Tok::Ident(name) = tok(&toks, i + 1) {
                    scan.declared.push(scope(&blocks, Some(name)));
                    if *tok(&toks, i + 2) == Tok::Open {
                        pending_mod = Some(name.clone());
                    }
                    i += 2;
                } else {
                    i += 1;
                }
            }
            Tok::Ident(w) if w == "use" => {
                let mut leaves = Vec::new();
                let mut j = i + 1;
                while !matches!(tok(&toks, j), Tok::Semi | Tok::End) {
                    j = parse_tree(&toks, j, &[], &mut leaves);
                }
                let s = scope(&blocks, None);
                scan.written.extend(leaves.into_iter().map(|l| Written {
                    segs: l.segs,
                    line: l.line,
                    scope: s.clone(),
                    is_use: true,
                    alias: l.alias,
                }));
                i = j;
            }
            Tok::Ident(w)
                if matches!(w.as_str(), "crate" | "super" | "self")
                    && *tok(&toks, i + 1) == Tok::Sep
                    && *prev != Tok::Sep =>
            {
                let mut leaves = Vec::new();
                let j = parse_tree(&toks, i, &[], &mut leaves);
                let s = scope(&blocks, None);
                scan.written.extend(leaves.into_iter().map(|l| Written {
                    segs: l.segs,
                    line: l.line,
                    scope: s.clone(),
                    is_use: false,
                    alias: None,
                }));
                i = j;
            }
            Tok::Ident(w) => {
                let next = tok(&toks, i + 1);
                if let Tok::Ident(p) = prev {
                    let p = p.as_str();
                    let item = matches!(
                        p,
                        "fn" | "struct" | "enum" | "trait" | "type" | "union" | "const" | "static"
                    ) || (p == "mut"
                        && *tok(&toks, i.saturating_sub(2)) == Tok::Ident("static".into()));
                    if item && blocks.iter().all(Option::is_some) && !KEYWORDS.contains(&w.as_str())
                    {
                        scan.defined.push(scope(&blocks, Some(w)));
                    }
                }
                let bound = matches!(prev, Tok::Ident(p) if BINDERS.contains(&p.as_str()));
                let used =
                    w.starts_with(char::is_uppercase) || matches!(next, Tok::Sep | Tok::Punct('('));
                if used
                    && !bound
                    && !KEYWORDS.contains(&w.as_str())
                    && !matches!(prev, Tok::Sep | Tok::Punct('.'))
                {
                    scan.bare.push(Bare {
                        name: w.clone(),
                        line: toks[i].line,
                        scope: scope(&blocks, None),
                    });
                }
                i += 1;
            }
            _ => i += 1,
        }
    }
    scan.balanced &= blocks.is_empty();
    scan
}

/// A path named by a file of the crate, resolved from the crate root: `raw` as written,
/// `resolved` through `use` re-exports to where the item lives; `glob` when the file named only
/// the item and a glob import (`use super::*`) brought it.
struct Reference {
    file: usize,
    line: usize,
    raw: Vec<String>,
    resolved: Vec<String>,
    glob: bool,
}

struct CrateScan {
    name: String,
    files: Vec<SourceFile>,
    /// Files whose braces did not balance (a lexer bug: their paths may be misread).
    unbalanced: Vec<String>,
    refs: Vec<Reference>,
    idents: Vec<Vec<(usize, String)>>,
}

/// The path `segs` written in module `scope`, from the crate root; `None` for an extern path.
fn absolute(w: &Written, known: &BTreeSet<Vec<String>>) -> Option<Vec<String>> {
    let segs = &w.segs;
    let first = segs.first()?;
    let (mut base, mut k) = match first.as_str() {
        "crate" => (Vec::new(), 1),
        "self" => (w.scope.clone(), 1),
        "super" => (w.scope.clone(), 0),
        _ if w.is_use => {
            // 2018 uniform paths: `use child::Item` names a child module of the current one.
            let mut child = w.scope.clone();
            child.push(first.clone());
            if !known.contains(&child) {
                return None;
            }
            (w.scope.clone(), 0)
        }
        _ => return None,
    };
    while segs.get(k).map(String::as_str) == Some("super") {
        base.pop()?;
        k += 1;
    }
    base.extend(segs[k..].iter().cloned());
    if base.last().map(String::as_str) == Some("self") {
        base.pop();
    }
    Some(base)
}

fn through_reexports(path: &[String], aliases: &BTreeMap<Vec<String>, Vec<String>>) -> Vec<String> {
    let mut p = path.to_vec();
    for _ in 0..16 {
        let Some(k) = (1..=p.len()).rev().find(|&k| aliases.contains_key(&p[..k])) else {
            break;
        };
        let mut next = aliases[&p[..k]].clone();
        next.extend(p[k..].iter().cloned());
        if next == p {
            break;
        }
        p = next;
    }
    p
}

/// The names of the crate's modules: what each defines, imports and glob-imports.
struct Names {
    known: BTreeSet<Vec<String>>,
    defined: BTreeSet<Vec<String>>,
    /// `scope::name` -> the path a `use` in `scope` binds to `name`.
    aliases: BTreeMap<Vec<String>, Vec<String>>,
    /// `scope::name` bound by a `use` of another crate.
    external: BTreeSet<Vec<String>>,
    /// scope -> the modules it glob-imports.
    globs: BTreeMap<Vec<String>, Vec<Vec<String>>>,
}

impl Names {
    /// `scope::name` names something of this scope itself (an item, a module or an import).
    fn is_own(&self, path: &[String]) -> bool {
        self.defined.contains(path)
            || self.known.contains(path)
            || self.aliases.contains_key(path)
            || self.external.contains(path)
    }

    /// Where `name` as seen in `scope` lives, following imports and glob imports.
    fn lookup(
        &self,
        scope: &[String],
        name: &str,
        seen: &mut BTreeSet<Vec<String>>,
    ) -> Option<Vec<String>> {
        if !seen.insert(scope.to_vec()) {
            return None;
        }
        let mut p = scope.to_vec();
        p.push(name.to_string());
        if self.defined.contains(&p) || self.known.contains(&p) {
            return Some(p);
        }
        if let Some(t) = self.aliases.get(&p) {
            return Some(through_reexports(t, &self.aliases));
        }
        if self.external.contains(&p) {
            return None;
        }
        self.globs
            .get(scope)
            .into_iter()
            .flatten()
            .find_map(|g| self.lookup(g, name, seen))
    }
}

fn scan_crate(name: &str, files: Vec<SourceFile>) -> CrateScan {
    let scans: Vec<FileScan> = files.iter().map(scan_file).collect();
    let mut names = Names {
        known: files.iter().map(|f| f.module.clone()).collect(),
        defined: scans
            .iter()
            .flat_map(|s| s.defined.iter().cloned())
            .collect(),
        aliases: BTreeMap::new(),
        external: BTreeSet::new(),
        globs: BTreeMap::new(),
    };
    for s in &scans {
        names.known.extend(s.declared.iter().cloned());
    }
    // Every `use` binds a name in its scope: remember where that name points.
    for s in &scans {
        for w in s.written.iter().filter(|w| w.is_use) {
            let target = absolute(w, &names.known);
            let bound = match (&w.alias, w.segs.last().map(String::as_str)) {
                (Some(a), _) => a.clone(),
                (None, Some("self")) if w.segs.len() >= 2 => w.segs[w.segs.len() - 2].clone(),
                (None, Some(last)) => last.to_string(),
                (None, None) => continue,
            };
            if bound == "*" {
                if let Some(mut t) = target {
                    t.pop();
                    names.globs.entry(w.scope.clone()).or_default().push(t);
                }
                continue;
            }
            if bound == "_" || bound == "self" {
                continue;
            }
            let mut key = w.scope.clone();
            key.push(bound);
            match target {
                Some(t) if t != key => {
                    names.aliases.entry(key).or_insert(t);
                }
                Some(_) => {}
                None => {
                    names.external.insert(key);
                }
            }
        }
    }
    let mut refs = Vec::new();
    for (file, s) in scans.iter().enumerate() {
        for w in &s.written {
            if let Some(raw) = absolute(w, &names.known) {
                let resolved = through_reexports(&raw, &names.aliases);
                refs.push(Reference {
                    file,
                    line: w.line,
                    raw,
                    resolved,
                    glob: false,
                });
            }
        }
        for b in &s.bare {
            let mut own = b.scope.clone();
            own.push(b.name.clone());
            if names.is_own(&own) {
                continue; // an item of the file, or imported by name (counted as written)
            }
            let mut seen = BTreeSet::from([b.scope.clone()]);
            let found = names
                .globs
                .get(&b.scope)
                .into_iter()
                .flatten()
                .find_map(|g| names.lookup(g, &b.name, &mut seen));
            if let Some(target) = found {
                let resolved = through_reexports(&target, &names.aliases);
                refs.push(Reference {
                    file,
                    line: b.line,
                    raw: resolved.clone(),
                    resolved,
                    glob: true,
                });
            }
        }
    }
    CrateScan {
        name: name.to_string(),
        unbalanced: files
            .iter()
            .zip(&scans)
            .filter(|(_, s)| !s.balanced)
            .map(|(f, _)| f.path.clone())
            .collect(),
        idents: scans.into_iter().map(|s| s.idents).collect(),
        files,
        refs,
    }
}

fn scan_tree(root: &Path) -> Vec<CrateScan> {
    CRATES
        .iter()
        .map(|name| scan_crate(name, read_crate(root, name)))
        .collect()
}

impl CrateScan {
    /// `path:line: code` for a reference, noting where a re-export leads.
    fn evidence(&self, r: &Reference, via_reexport: bool) -> String {
        let file = &self.files[r.file];
        let code = file.text.lines().nth(r.line - 1).unwrap_or("").trim();
        let mut e = format!("{}:{}: {code}", file.path, r.line);
        if r.glob {
            e.push_str(&format!(
                "   [through a glob import: crate::{}]",
                r.resolved.join("::")
            ));
        } else if via_reexport {
            e.push_str(&format!(
                "   [re-exported from crate::{}]",
                r.resolved.join("::")
            ));
        }
        e
    }

    /// The module graph at the crate's top level (`folder` = None) or among the sub-modules of one
    /// top-level folder.
    fn graph(&self, folder: Option<&str>) -> Graph {
        let depth = usize::from(folder.is_some());
        let inside = |m: &[String]| match folder {
            None => true,
            Some(f) => m.first().map(String::as_str) == Some(f),
        };
        let node_of = |m: &[String]| {
            if inside(m) {
                m.get(depth).cloned()
            } else {
                None
            }
        };
        let mut g = Graph::default();
        for f in &self.files {
            g.nodes.extend(node_of(&f.module));
        }
        for r in &self.refs {
            let Some(from) = node_of(&self.files[r.file].module) else {
                continue;
            };
            for (target, via) in [(&r.raw, false), (&r.resolved, true)] {
                let Some(to) = node_of(target) else {
                    continue;
                };
                if to == from || !g.nodes.contains(&to) {
                    continue;
                }
                // Count a resolved edge only when it differs from the written one.
                if via && node_of(&r.raw).as_ref() == Some(&to) {
                    continue;
                }
                g.edges
                    .entry((from.clone(), to))
                    .or_default()
                    .push(self.evidence(r, via));
            }
        }
        for ev in g.edges.values_mut() {
            ev.dedup();
        }
        g
    }

    fn top_modules(&self) -> BTreeSet<String> {
        self.files
            .iter()
            .filter_map(|f| f.module.first().cloned())
            .collect()
    }

    /// Top-level modules with sub-modules of their own (folders).
    fn folders(&self) -> BTreeSet<String> {
        self.files
            .iter()
            .filter(|f| f.module.len() >= 2)
            .map(|f| f.module[0].clone())
            .collect()
    }
}

// ---------------------------------------------------------------------------------------------
// Graphs and cycles
// ---------------------------------------------------------------------------------------------

#[derive(Default)]
struct Graph {
    nodes: BTreeSet<String>,
    /// (from, to) -> where `from` names `to`.
    edges: BTreeMap<(String, String), Vec<String>>,
}

impl Graph {
    fn successors(&self, v: &str) -> impl Iterator<Item = &String> {
        self.edges
            .keys()
            .filter(move |(a, _)| a == v)
            .map(|(_, b)| b)
    }

    /// Strongly connected components of more than one node.
    fn cycles(&self) -> Vec<Vec<String>> {
        struct Tarjan<'g> {
            g: &'g Graph,
            index: BTreeMap<&'g str, usize>,
            low: BTreeMap<&'g str, usize>,
            stack: Vec<&'g str>,
            on: BTreeSet<&'g str>,
            out: Vec<Vec<String>>,
        }
        impl<'g> Tarjan<'g> {
            fn visit(&mut self, v: &'g str) {
                let n = self.index.len();
                self.index.insert(v, n);
                self.low.insert(v, n);
                self.stack.push(v);
                self.on.insert(v);
                let g = self.g;
                for w in g.successors(v) {
                    let w = w.as_str();
                    if !self.index.contains_key(w) {
                        self.visit(w);
                        let lw = self.low[w];
                        let lv = self.low.get_mut(v).expect("visited");
                        *lv = (*lv).min(lw);
                    } else if self.on.contains(w) {
                        let iw = self.index[w];
                        let lv = self.low.get_mut(v).expect("visited");
                        *lv = (*lv).min(iw);
                    }
                }
                if self.low[v] == self.index[v] {
                    let mut comp = Vec::new();
                    while let Some(w) = self.stack.pop() {
                        self.on.remove(w);
                        comp.push(w.to_string());
                        if w == v {
                            break;
                        }
                    }
                    if comp.len() > 1 {
                        comp.sort();
                        self.out.push(comp);
                    }
                }
            }
        }
        let mut t = Tarjan {
            g: self,
            index: BTreeMap::new(),
            low: BTreeMap::new(),
            stack: Vec::new(),
            on: BTreeSet::new(),
            out: Vec::new(),
        };
        for v in &self.nodes {
            if !t.index.contains_key(v.as_str()) {
                t.visit(v);
            }
        }
        t.out.sort();
        t.out
    }

    /// A shortest cycle through the first member of a component, as `a -> b -> a`.
    fn example_cycle(&self, comp: &[String]) -> String {
        let start = &comp[0];
        let members: BTreeSet<&String> = comp.iter().collect();
        let mut prev: BTreeMap<&String, &String> = BTreeMap::new();
        let mut queue = VecDeque::from([start]);
        let mut closing = None;
        while let Some(v) = queue.pop_front() {
            for w in self.successors(v).filter(|w| members.contains(w)) {
                if w == start {
                    closing = Some(v);
                    break;
                }
                if !prev.contains_key(w) {
                    prev.insert(w, v);
                    queue.push_back(w);
                }
            }
            if closing.is_some() {
                break;
            }
        }
        let mut path = vec![start.clone()];
        let mut v = closing.unwrap_or(start);
        while v != start {
            path.push(v.clone());
            v = prev[v];
        }
        path[1..].reverse();
        path.push(start.clone());
        path.join(" -> ")
    }

    fn describe_cycles(&self, what: &str) -> Vec<String> {
        self.cycles()
            .into_iter()
            .map(|comp| {
                let mut msg = format!(
                    "{what}: cycle among {} (e.g. {})",
                    comp.join(", "),
                    self.example_cycle(&comp)
                );
                for ((a, b), ev) in &self.edges {
                    if comp.contains(a) && comp.contains(b) {
                        msg.push_str(&format!("\n    {a} -> {b}:"));
                        push_evidence(&mut msg, ev);
                    }
                }
                msg
            })
            .collect()
    }
}

fn push_evidence(msg: &mut String, ev: &[String]) {
    const SHOWN: usize = 4;
    for e in ev.iter().take(SHOWN) {
        msg.push_str(&format!("\n        {e}"));
    }
    if ev.len() > SHOWN {
        msg.push_str(&format!("\n        ... and {} more", ev.len() - SHOWN));
    }
}

// ---------------------------------------------------------------------------------------------
// The checks
// ---------------------------------------------------------------------------------------------

fn cycle_violations(scans: &[CrateScan], layered: &[&str]) -> Vec<String> {
    let mut out = Vec::new();
    for s in scans {
        out.extend(
            s.graph(None)
                .describe_cycles(&format!("{} (top-level modules)", s.name)),
        );
        if layered.contains(&s.name.as_str()) {
            for folder in s.folders() {
                out.extend(
                    s.graph(Some(&folder))
                        .describe_cycles(&format!("{}/src/{folder} (sub-modules)", s.name)),
                );
            }
        }
    }
    out
}

/// The layers each layer may name: everything reachable downward from it.
fn allowed_below(layers: &[(&str, &[&str])]) -> BTreeMap<String, BTreeSet<String>> {
    let direct: BTreeMap<&str, &[&str]> = layers.iter().copied().collect();
    layers
        .iter()
        .map(|(layer, _)| {
            let mut seen = BTreeSet::new();
            let mut todo: Vec<&str> = direct[layer].to_vec();
            while let Some(l) = todo.pop() {
                if seen.insert(l.to_string()) {
                    todo.extend(direct.get(l).copied().unwrap_or_default());
                }
            }
            (layer.to_string(), seen)
        })
        .collect()
}

fn layer_violations(core: &CrateScan, layers: &[(&str, &[&str])]) -> Vec<String> {
    let allowed = allowed_below(layers);
    let names: Vec<&str> = layers.iter().map(|(l, _)| *l).collect();
    let top = core.top_modules();
    let mut out = Vec::new();

    let outside: Vec<&String> = top
        .iter()
        .filter(|m| !allowed.contains_key(m.as_str()))
        .collect();
    if !outside.is_empty() {
        let mut msg = format!(
            "{}: {} top-level module(s) outside any known layer (every module of {} must live \
             in one of the layer folders {}; a new module goes into a layer, or the layer is \
             added to CORE_LAYERS in this test):",
            core.name,
            outside.len(),
            core.name,
            names.join(", ")
        );
        for m in outside {
            let files: Vec<&str> = core
                .files
                .iter()
                .filter(|f| f.module.first() == Some(m))
                .map(|f| f.path.as_str())
                .collect();
            msg.push_str(&format!("\n    {m}: {}", files.join(", ")));
        }
        out.push(msg);
    }
    let missing: Vec<&str> = names
        .iter()
        .copied()
        .filter(|l| !top.contains(*l))
        .collect();
    if !missing.is_empty() {
        out.push(format!(
            "{}: known layer(s) with no module in {}/src: {}",
            core.name,
            core.name,
            missing.join(", ")
        ));
    }

    let g = core.graph(None);
    for ((from, to), ev) in &g.edges {
        let (Some(ok), true) = (allowed.get(from), allowed.contains_key(to)) else {
            continue; // modules outside the layers are reported above
        };
        if !ok.contains(to) {
            let mut msg = format!(
                "{}: upward import {from} -> {to} (layer {from} may only name {}):",
                core.name,
                if ok.is_empty() {
                    "nothing".to_string()
                } else {
                    ok.iter().cloned().collect::<Vec<_>>().join(", ")
                }
            );
            push_evidence(&mut msg, ev);
            out.push(msg);
        }
    }
    out
}

fn view_violations(ui: &CrateScan) -> Vec<String> {
    let mut lines = BTreeSet::new();
    for r in &ui.refs {
        let file = &ui.files[r.file];
        if file.module.first().map(String::as_str) != Some(VIEWS) {
            continue;
        }
        let names_shell = |p: &[String]| p.first().map(String::as_str) == Some(SHELL);
        if names_shell(&r.raw) || names_shell(&r.resolved) {
            let via = !names_shell(&r.raw);
            lines.insert((r.file, r.line, ui.evidence(r, via)));
        }
    }
    for (i, idents) in ui.idents.iter().enumerate() {
        let file = &ui.files[i];
        if file.module.first().map(String::as_str) != Some(VIEWS) {
            continue;
        }
        for (line, ident) in idents {
            if ident.starts_with(SHELL_TYPE) {
                let code = file.text.lines().nth(line - 1).unwrap_or("").trim();
                lines.insert((i, *line, format!("{}:{line}: {code}", file.path)));
            }
        }
    }
    let mut by_file: BTreeMap<usize, Vec<String>> = BTreeMap::new();
    for (file, _, e) in lines {
        by_file.entry(file).or_default().push(e);
    }
    by_file
        .into_iter()
        .map(|(file, ev)| {
            let mut msg = format!(
                "{} names the shell `{SHELL}` (views must not import the workstation):",
                ui.files[file].path
            );
            push_evidence(&mut msg, &ev);
            msg
        })
        .collect()
}

fn find<'a>(scans: &'a [CrateScan], name: &str) -> &'a CrateScan {
    scans
        .iter()
        .find(|s| s.name == name)
        .unwrap_or_else(|| panic!("crate {name} not scanned"))
}

fn assert_clean(what: &str, root: &Path, violations: Vec<String>) {
    assert!(
        violations.is_empty(),
        "architecture: {} {what} in {}:\n\n{}\n",
        violations.len(),
        root.display(),
        violations.join("\n\n")
    );
}

// ---------------------------------------------------------------------------------------------
// Tests
// ---------------------------------------------------------------------------------------------

#[test]
fn no_module_cycles() {
    let root = workspace_root();
    let scans = scan_tree(&root);
    assert_clean(
        "module cycle(s)",
        &root,
        cycle_violations(&scans, LAYERED_CRATES),
    );
}

#[test]
fn core_layers_import_only_downward() {
    let root = workspace_root();
    let scans = scan_tree(&root);
    assert_clean(
        "layering violation(s)",
        &root,
        layer_violations(find(&scans, "core"), CORE_LAYERS),
    );
}

#[test]
fn ui_views_do_not_import_the_workstation() {
    let root = workspace_root();
    let scans = scan_tree(&root);
    assert_clean(
        "view(s) naming the workstation",
        &root,
        view_violations(find(&scans, "ui")),
    );
}

#[test]
fn scanner_sees_the_real_tree() {
    let root = workspace_root();
    let scans = scan_tree(&root);
    for s in &scans {
        assert!(
            !s.files.is_empty(),
            "no sources found for crate {} under {}",
            s.name,
            root.display()
        );
    }
    let unbalanced: Vec<&String> = scans.iter().flat_map(|s| &s.unbalanced).collect();
    assert!(
        unbalanced.is_empty(),
        "the scanner lost track of braces in {unbalanced:?}"
    );
    let core = find(&scans, "core");
    let core_modules = core.top_modules();
    assert!(
        core_modules.len() >= CORE_LAYERS.len(),
        "only {} top-level modules found in core ({:?}); expected at least the {} layers",
        core_modules.len(),
        core_modules,
        CORE_LAYERS.len()
    );
    let core_edges = core.graph(None).edges.len();
    assert!(
        core_edges >= 15,
        "only {core_edges} edges between core's top-level modules: the scanner is not seeing \
         the imports"
    );
    for name in ["sync", "ui", "app"] {
        let s = find(&scans, name);
        let g = s.graph(None);
        assert!(
            g.nodes.len() >= 3 && !g.edges.is_empty(),
            "{name}: {} modules and {} edges found; the scanner is not seeing the crate",
            g.nodes.len(),
            g.edges.len()
        );
    }
    // Inside the layer folders (a flat layout has none to speak of; the layer test fails on it).
    let folders = core.folders();
    if folders.len() >= CORE_LAYERS.len() / 2 {
        let inner_edges: usize = folders
            .iter()
            .map(|f| core.graph(Some(f)).edges.len())
            .sum();
        assert!(
            inner_edges >= 10,
            "only {inner_edges} edges among the sub-modules of core's folders {folders:?}"
        );
    }
    let refs: usize = scans.iter().map(|s| s.refs.len()).sum();
    assert!(refs >= 300, "only {refs} crate/super/self paths found");
}

fn in_memory(name: &str, files: &[(&str, &str)]) -> CrateScan {
    let files = files
        .iter()
        .map(|(rel, text)| {
            let rel: Vec<String> = rel.split('/').map(String::from).collect();
            SourceFile {
                path: format!("{name}/src/{}", rel.join("/")),
                module: module_of(&rel),
                text: text.to_string(),
            }
        })
        .collect();
    scan_crate(name, files)
}

#[test]
fn scanner_reports_planted_violations() {
    let core = in_memory(
        "core",
        &[
            (
                "lib.rs",
                "pub mod domain;\npub mod store;\npub mod engine;\n",
            ),
            (
                "domain/mod.rs",
                "pub mod a;\npub mod b;\npub mod c;\npub mod d;\npub use c::C;\nuse a::*;\n",
            ),
            (
                "domain/a.rs",
                concat!(
                    "use super::b::B; // crate::store::Store in a comment\n",
                    "/* crate::engine in a block comment */\n",
                    "pub fn f<'x>(s: &'x str) -> char { let _ = \"crate::store\"; '{' }\n",
                    "pub fn g() -> &'static str { r#\"crate::engine\"# }\n",
                    "pub struct A;\n",
                    "#[cfg(test)]\nmod tests {\n    use super::A;\n    use super::super::b;\n}\n",
                ),
            ),
            (
                "domain/b.rs",
                concat!(
                    "use crate::domain::{a::A, c};\n",
                    "use crate::{\n    store::Store,\n};\n",
                    "pub struct B;\n",
                ),
            ),
            ("domain/c.rs", "pub struct C;\n"),
            (
                "domain/d.rs",
                "use super::*;\npub struct B;\npub fn d(_: A, _: B) -> C {\n    C\n}\n",
            ),
            (
                "store/mod.rs",
                "use crate::domain::a::A;\nuse crate::domain::C;\npub struct Store;\n",
            ),
            ("engine.rs", "use super::store::Store;\n"),
            ("flat.rs", "use crate::domain::C;\n"),
        ],
    );
    let layers: &[(&str, &[&str])] = &[
        ("domain", &[]),
        ("store", &["domain"]),
        ("engine", &["store"]),
    ];

    let cycles = cycle_violations(std::slice::from_ref(&core), &["core"]);
    assert_eq!(cycles.len(), 2, "{cycles:#?}");
    let inner = cycles
        .iter()
        .find(|c| c.starts_with("core/src/domain (sub-modules): cycle among a, b"))
        .unwrap_or_else(|| panic!("the a <-> b cycle inside domain: {cycles:#?}"));
    assert!(inner.contains("core/src/domain/a.rs:1: use super::b::B;"));
    assert!(inner.contains("core/src/domain/b.rs:1: use crate::domain::{a::A, c};"));
    // `mod tests { use super::super::b; }` in a.rs means domain::b, the same edge as line 1.
    assert!(
        inner.contains("core/src/domain/a.rs:9: use super::super::b;"),
        "{inner}"
    );
    let top = cycles
        .iter()
        .find(|c| c.starts_with("core (top-level modules): cycle among domain, store"))
        .unwrap_or_else(|| panic!("the domain <-> store cycle: {cycles:#?}"));
    assert!(
        top.contains("core/src/domain/b.rs:3: store::Store,"),
        "{top}"
    );
    // Comments and string literals name nothing.
    assert!(!top.contains("a.rs"), "{top}");
    assert!(!cycles.iter().any(|c| c.contains("engine")), "{cycles:#?}");

    let layering = layer_violations(&core, layers);
    assert!(
        layering
            .iter()
            .any(|v| v.contains("outside any known layer") && v.contains("flat: core/src/flat.rs")),
        "{layering:#?}"
    );
    let up = layering
        .iter()
        .find(|v| v.contains("upward import domain -> store"))
        .unwrap_or_else(|| panic!("the upward import: {layering:#?}"));
    assert!(up.contains("core/src/domain/b.rs:3:"), "{up}");
    assert!(
        !layering.iter().any(|v| v.contains("-> engine")
            || v.contains("store -> domain")
            || v.contains("engine -> store")),
        "{layering:#?}"
    );
    assert_eq!(layering.len(), 2, "{layering:#?}");

    // A re-export is followed to where the item lives: `crate::domain::C` is domain::c; a name
    // brought by `use super::*` is followed through the parent's imports and glob imports; a
    // name the file defines itself is its own.
    let domain = core.graph(Some("domain"));
    let edge = |a: &str, b: &str| domain.edges.contains_key(&(a.to_string(), b.to_string()));
    assert!(edge("b", "c"), "{:?}", domain.edges);
    assert!(edge("d", "a") && edge("d", "c"), "{:?}", domain.edges);
    assert!(!edge("d", "b"), "{:?}", domain.edges);
    assert!(core.unbalanced.is_empty(), "{:?}", core.unbalanced);

    let ui = in_memory(
        "ui",
        &[
            ("lib.rs", "pub mod views;\npub mod workstation;\n"),
            ("views/mod.rs", "pub mod inbox;\n"),
            (
                "views/inbox.rs",
                "use super::super::workstation;\nfn f(_: &Workstation) {}\n// Workstation\n",
            ),
            ("workstation/mod.rs", "use crate::views::inbox;\n"),
        ],
    );
    let cycles = cycle_violations(std::slice::from_ref(&ui), &[]);
    assert_eq!(cycles.len(), 1, "{cycles:#?}");
    assert!(
        cycles[0].starts_with("ui (top-level modules): cycle among views, workstation"),
        "{cycles:#?}"
    );
    let views = view_violations(&ui);
    assert_eq!(views.len(), 1, "{views:#?}");
    assert!(views[0].starts_with("ui/src/views/inbox.rs names the shell"));
    assert!(views[0].contains("ui/src/views/inbox.rs:1: use super::super::workstation;"));
    assert!(views[0].contains("ui/src/views/inbox.rs:2: fn f(_: &Workstation) {}"));
    assert!(!views[0].contains(":3:"), "{views:#?}");
}
