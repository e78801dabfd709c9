//! The tidy test: keeps `docs/ARCHITECTURE.md` honest. It reads the fenced `tidy` block of
//! layering rules, parses every file under `src/` with `syn` and reports every path that breaks
//! a rule and every file that does not open with a `//!` header.
//!
//! Rules (one per line, `#` starts a comment):
//! - `layer MOD uses A B ...`: crate paths in MOD (prefix match, most specific line wins) must
//!   start with one of the listed modules or MOD itself.
//! - `extern CRATE only A B ...`: paths starting with that external crate appear only there.
//! - `pure A B ...`: no `tokio`, `sqlx`, `axum`, `std::{fs,net,process,thread}`, and no clock
//!   reads (`Instant::now`, `SystemTime::now`, `Timestamp::now`, `Uuid::now_v7`, `...::generate`)
//!   outside test code (`#[cfg(test)]` items and files declared `#[cfg(test)] mod x;`):
//!   tests may read fixture files and clocks; layer, extern and edge lines bind them too.
//! - `src/main.rs` is module `main` for `layer`, `extern` and `pure` lines.
//! - `edge A B ...`: no module outside these names them (`main.rs` and `lib.rs` are the roots).
//!
//! The checker is a plain function of (rules text, files) so that its own tests can plant
//! violations in memory. It must not weaken a rule to make the real tree pass.

use std::collections::HashMap;
use std::path::Path as FsPath;

use syn::punctuated::Punctuated;
use syn::spanned::Spanned;
use syn::visit::Visit;

/// A module path inside the crate, as segments (`["acd", "routing"]`; empty = crate root).
type ModPath = Vec<String>;

/// One parsed rule line.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Rule {
    Layer { module: ModPath, uses: Vec<ModPath> },
    Extern { krate: String, only: Vec<ModPath> },
    Pure { modules: Vec<ModPath> },
    Edge { modules: Vec<ModPath> },
}

#[derive(Debug, Default)]
struct Rules {
    layers: Vec<(ModPath, Vec<ModPath>, String)>,
    externs: Vec<(String, Vec<ModPath>, String)>,
    pure: Vec<ModPath>,
    edges: Vec<ModPath>,
}

fn mod_path(text: &str) -> ModPath {
    text.split("::").map(str::to_owned).collect()
}

fn parse_rule(line: &str) -> Result<Rule, String> {
    let words: Vec<&str> = line.split_whitespace().collect();
    let mods = |ws: &[&str]| ws.iter().map(|w| mod_path(w)).collect::<Vec<_>>();
    match words.as_slice() {
        ["layer", module, "uses", rest @ ..] => Ok(Rule::Layer {
            module: mod_path(module),
            uses: mods(rest),
        }),
        ["extern", krate, "only", rest @ ..] => Ok(Rule::Extern {
            krate: (*krate).to_owned(),
            only: mods(rest),
        }),
        ["pure", rest @ ..] if !rest.is_empty() => Ok(Rule::Pure {
            modules: mods(rest),
        }),
        ["edge", rest @ ..] if !rest.is_empty() => Ok(Rule::Edge {
            modules: mods(rest),
        }),
        _ => Err(format!(
            "unreadable rule {line:?}: expected `layer MOD uses ...`, `extern CRATE only ...`, \
             `pure MOD ...` or `edge MOD ...`"
        )),
    }
}

fn parse_rules(text: &str) -> Result<Rules, Vec<String>> {
    let mut rules = Rules::default();
    let mut errors = Vec::new();
    for (n, raw) in text.lines().enumerate() {
        let line = raw.split('#').next().unwrap_or("").trim();
        if line.is_empty() {
            continue;
        }
        match parse_rule(line) {
            Ok(Rule::Layer { module, uses }) => rules.layers.push((module, uses, line.to_owned())),
            Ok(Rule::Extern { krate, only }) => rules.externs.push((krate, only, line.to_owned())),
            Ok(Rule::Pure { modules }) => rules.pure.extend(modules),
            Ok(Rule::Edge { modules }) => rules.edges.extend(modules),
            Err(e) => errors.push(format!("tidy rules line {}: {e}", n + 1)),
        }
    }
    if errors.is_empty() {
        Ok(rules)
    } else {
        Err(errors)
    }
}

/// The fenced ```` ```tidy ```` block of a markdown text.
fn tidy_block(markdown: &str) -> Option<String> {
    let start = markdown.find("```tidy\n")? + "```tidy\n".len();
    let len = markdown[start..].find("```")?;
    Some(markdown[start..start + len].to_owned())
}

fn starts_with(path: &[String], prefix: &[String]) -> bool {
    path.len() >= prefix.len() && path.iter().zip(prefix).all(|(a, b)| a == b)
}

fn under_any(module: &[String], set: &[ModPath]) -> bool {
    set.iter().any(|m| starts_with(module, m))
}

/// Where a source file sits in the crate.
#[derive(Debug, Clone, PartialEq, Eq)]
enum FileRole {
    /// `src/lib.rs`: the library root.
    LibRoot,
    /// `src/main.rs` (or `src/bin/*.rs`): a binary root; `switchyard::` names the library.
    BinRoot,
    /// Any other file: a module of the library.
    Module(ModPath),
}

/// `src/acd/routing.rs` -> `acd::routing`, `src/acd.rs` -> `acd`, `src/acd/mod.rs` -> `acd`.
fn file_role(path: &str) -> FileRole {
    let rel = path.strip_prefix("src/").unwrap_or(path);
    let rel = rel.strip_suffix(".rs").unwrap_or(rel);
    match rel {
        "lib" => FileRole::LibRoot,
        "main" => FileRole::BinRoot,
        _ if rel.starts_with("bin/") => FileRole::BinRoot,
        _ => {
            let mut segs: ModPath = rel.split('/').map(str::to_owned).collect();
            if segs.last().is_some_and(|s| s == "mod") {
                segs.pop();
            }
            FileRole::Module(segs)
        }
    }
}

/// A path seen in a file, with its line and the inline module it sits in.
#[derive(Debug, Clone)]
struct Seen {
    segs: Vec<String>,
    leading_colon: bool,
    line: usize,
    /// The module the path is written in (file module plus inline `mod x { }` nesting).
    module: ModPath,
    /// Child modules declared where the path is written (`mod writer;`).
    child_mods: Vec<String>,
    /// Inside `#[cfg(test)]` code.
    in_test: bool,
    /// Written in a `use` item (as opposed to an expression, type or attribute).
    in_use: bool,
}

#[derive(Default)]
struct Collector {
    seen: Vec<Seen>,
    /// `use a::b as c` renames: c -> a::b (file-wide approximation of scope).
    renames: HashMap<String, Vec<String>>,
    module: ModPath,
    /// Child module names declared per (inline) module scope, innermost last.
    children: Vec<Vec<String>>,
    test_depth: usize,
}

fn is_cfg_test(attrs: &[syn::Attribute]) -> bool {
    attrs.iter().any(|a| {
        a.path().is_ident("cfg")
            && a.meta
                .require_list()
                .is_ok_and(|l| l.tokens.to_string().split_whitespace().any(|t| t == "test"))
    })
}

fn declared_mods(items: &[syn::Item]) -> Vec<String> {
    items
        .iter()
        .filter_map(|i| match i {
            syn::Item::Mod(m) => Some(m.ident.to_string()),
            _ => None,
        })
        .collect()
}

impl Collector {
    fn push(&mut self, segs: Vec<String>, leading_colon: bool, line: usize, in_use: bool) {
        self.seen.push(Seen {
            segs,
            leading_colon,
            line,
            module: self.module.clone(),
            child_mods: self.children.last().cloned().unwrap_or_default(),
            in_test: self.test_depth > 0,
            in_use,
        });
    }

    fn use_tree(&mut self, prefix: &[String], tree: &syn::UseTree, leading_colon: bool) {
        let with = |name: String| {
            let mut p = prefix.to_vec();
            p.push(name);
            p
        };
        match tree {
            syn::UseTree::Path(p) => {
                self.use_tree(&with(p.ident.to_string()), &p.tree, leading_colon)
            }
            syn::UseTree::Name(n) => {
                let line = n.ident.span().start().line;
                self.push(with(n.ident.to_string()), leading_colon, line, true);
            }
            syn::UseTree::Rename(r) => {
                let full = with(r.ident.to_string());
                self.renames.insert(r.rename.to_string(), full.clone());
                self.push(full, leading_colon, r.ident.span().start().line, true);
            }
            syn::UseTree::Glob(g) => {
                self.push(
                    with("*".to_owned()),
                    leading_colon,
                    g.span().start().line,
                    true,
                );
            }
            syn::UseTree::Group(g) => {
                for t in &g.items {
                    self.use_tree(prefix, t, leading_colon);
                }
            }
        }
    }

    /// Paths inside macro calls are only tokens to `syn`; read them as expressions when the
    /// body is a comma-separated list of expressions (`format!`, `assert_eq!`, `vec!`, ...).
    fn macro_body(&mut self, mac: &syn::Macro) {
        let parser = Punctuated::<syn::Expr, syn::Token![,]>::parse_terminated;
        if let Ok(exprs) = mac.parse_body_with(parser) {
            for e in &exprs {
                self.visit_expr(e);
            }
        }
    }
}

impl<'ast> Visit<'ast> for Collector {
    fn visit_item_use(&mut self, u: &'ast syn::ItemUse) {
        let test = is_cfg_test(&u.attrs);
        self.test_depth += usize::from(test);
        self.use_tree(&[], &u.tree, u.leading_colon.is_some());
        self.test_depth -= usize::from(test);
    }

    fn visit_item_mod(&mut self, m: &'ast syn::ItemMod) {
        let test = is_cfg_test(&m.attrs);
        self.test_depth += usize::from(test);
        for a in &m.attrs {
            self.visit_attribute(a);
        }
        if let Some((_, items)) = &m.content {
            self.module.push(m.ident.to_string());
            self.children.push(declared_mods(items));
            for item in items {
                self.visit_item(item);
            }
            self.children.pop();
            self.module.pop();
        }
        self.test_depth -= usize::from(test);
    }

    fn visit_item_fn(&mut self, f: &'ast syn::ItemFn) {
        let test = is_cfg_test(&f.attrs) || f.attrs.iter().any(|a| a.path().is_ident("test"));
        self.test_depth += usize::from(test);
        syn::visit::visit_item_fn(self, f);
        self.test_depth -= usize::from(test);
    }

    fn visit_item_impl(&mut self, i: &'ast syn::ItemImpl) {
        let test = is_cfg_test(&i.attrs);
        self.test_depth += usize::from(test);
        syn::visit::visit_item_impl(self, i);
        self.test_depth -= usize::from(test);
    }

    fn visit_attribute(&mut self, a: &'ast syn::Attribute) {
        syn::visit::visit_attribute(self, a);
        if a.path().is_ident("derive") {
            let parser = Punctuated::<syn::Path, syn::Token![,]>::parse_terminated;
            if let Ok(paths) = a.parse_args_with(parser) {
                for p in &paths {
                    self.visit_path(p);
                }
            }
        }
    }

    fn visit_path(&mut self, p: &'ast syn::Path) {
        let segs: Vec<String> = p.segments.iter().map(|s| s.ident.to_string()).collect();
        self.push(
            segs,
            p.leading_colon.is_some(),
            p.span().start().line,
            false,
        );
        syn::visit::visit_path(self, p);
    }

    fn visit_macro(&mut self, mac: &'ast syn::Macro) {
        syn::visit::visit_macro(self, mac);
        self.macro_body(mac);
    }
}

/// A path's meaning: inside this crate (resolved to module segments) or not.
fn crate_path(seen: &Seen, role: &FileRole) -> Option<Vec<String>> {
    if seen.leading_colon {
        return None;
    }
    let first = seen.segs.first()?.as_str();
    let rest = || seen.segs[1..].to_vec();
    match (role, first) {
        (FileRole::BinRoot, "switchyard") => Some(rest()),
        (FileRole::BinRoot, _) => None,
        (_, "crate") => Some(rest()),
        (_, "self") => Some([seen.module.clone(), rest()].concat()),
        (_, "super") => {
            let mut module = seen.module.clone();
            let mut segs = seen.segs.as_slice();
            while segs.first().is_some_and(|s| s == "super") {
                module.pop();
                segs = &segs[1..];
            }
            Some([module, segs.to_vec()].concat())
        }
        _ if seen.segs.len() > 1 && seen.child_mods.iter().any(|c| c == first) => {
            Some([seen.module.clone(), seen.segs.clone()].concat())
        }
        _ => None,
    }
}

/// The path with a `use ... as` rename at its head expanded.
fn expanded(seen: &Seen, renames: &HashMap<String, Vec<String>>) -> Vec<String> {
    match seen.segs.first().and_then(|f| renames.get(f)) {
        Some(full) if !seen.in_use && !seen.leading_colon => {
            [full.clone(), seen.segs[1..].to_vec()].concat()
        }
        _ => seen.segs.clone(),
    }
}

const IMPURE_PREFIXES: [&[&str]; 7] = [
    &["tokio"],
    &["sqlx"],
    &["axum"],
    &["std", "fs"],
    &["std", "net"],
    &["std", "process"],
    &["std", "thread"],
];
const CLOCK_SUFFIXES: [&[&str]; 5] = [
    &["Instant", "now"],
    &["SystemTime", "now"],
    &["Timestamp", "now"],
    &["Uuid", "now_v7"],
    &["generate"],
];

fn has_prefix(segs: &[String], prefix: &[&str]) -> bool {
    segs.len() >= prefix.len() && segs.iter().zip(prefix).all(|(a, b)| a == b)
}

fn has_suffix(segs: &[String], suffix: &[&str]) -> bool {
    // A bare `generate` or `now` is a local function, not a call on a type.
    segs.len() >= suffix.len().max(2)
        && segs[segs.len() - suffix.len()..]
            .iter()
            .zip(suffix)
            .all(|(a, b)| a == b)
}

fn show(mod_path: &[String]) -> String {
    if mod_path.is_empty() {
        "(crate root)".to_owned()
    } else {
        mod_path.join("::")
    }
}

/// Every problem with one path, as `rule` descriptions.
fn path_problems(rules: &Rules, role: &FileRole, seen: &Seen, full: &[String]) -> Vec<String> {
    let mut out = Vec::new();
    // The binary root counts as module `main` for layer, extern and pure lines.
    let module: Option<&ModPath> = Some(&seen.module);
    let module_name = show(&seen.module);
    let resolved = crate_path(seen, role);
    if let (Some(m), Some(target)) = (module, &resolved) {
        let layer = rules
            .layers
            .iter()
            .filter(|(l, _, _)| starts_with(m, l))
            .max_by_key(|(l, _, _)| l.len());
        if let Some((own, uses, line)) = layer
            && !target.is_empty()
            && !starts_with(target, own)
            && !under_any(target, uses)
        {
            out.push(format!("`{line}` (in module {module_name})"));
        }
        let edge = rules.edges.iter().find(|e| starts_with(target, e));
        if let (Some(edge), FileRole::Module(_)) = (edge, role)
            && !under_any(m, &rules.edges)
        {
            out.push(format!(
                "`edge {}`: nothing outside the edges names it",
                show(edge)
            ));
        }
    }
    if resolved.is_none() {
        for (krate, only, line) in &rules.externs {
            let named = full.first() == Some(krate);
            let allowed = module.is_some_and(|m| under_any(m, only));
            if named && !allowed {
                out.push(format!("`{line}` (in module {module_name})"));
            }
        }
    }
    if let Some(m) = module
        && under_any(m, &rules.pure)
        && !seen.in_test
    {
        if resolved.is_none() && IMPURE_PREFIXES.iter().any(|p| has_prefix(full, p)) {
            out.push(format!(
                "`pure`: {module_name} touches no I/O, tasks or threads"
            ));
        }
        if CLOCK_SUFFIXES.iter().any(|s| has_suffix(full, s)) {
            out.push(format!(
                "`pure`: {module_name} reads no clock (time and ids are passed in)"
            ));
        }
    }
    out
}

/// Checks source files against the rules; returns one line per problem, sorted.
fn check(rules_text: &str, files: &[(String, String)]) -> Vec<String> {
    let rules = match parse_rules(rules_text) {
        Ok(r) => r,
        Err(errors) => return errors,
    };
    let mut problems = Vec::new();
    let mut parsed = Vec::new();
    for (path, source) in files {
        let first_line = source.lines().map(str::trim).find(|l| !l.is_empty());
        if !first_line.is_some_and(|l| l.starts_with("//!")) {
            problems.push(format!("{path}:1: file does not open with a `//!` header"));
        }
        match syn::parse_file(source) {
            Ok(f) => parsed.push((path, file_role(path), f)),
            Err(e) => {
                let line = e.span().start().line;
                problems.push(format!("{path}:{line}: does not parse: {e}"));
            }
        }
    }
    let test_only = test_only_modules(&parsed);
    for (path, role, file) in &parsed {
        let module = match role {
            FileRole::Module(m) => m.clone(),
            FileRole::LibRoot => Vec::new(),
            FileRole::BinRoot => vec!["main".to_owned()],
        };
        let mut c = Collector {
            test_depth: usize::from(test_only.iter().any(|t| starts_with(&module, t))),
            module,
            children: vec![declared_mods(&file.items)],
            ..Collector::default()
        };
        c.visit_file(file);
        for seen in &c.seen {
            let full = expanded(seen, &c.renames);
            for rule in path_problems(&rules, role, seen, &full) {
                problems.push(format!(
                    "{path}:{}: {} breaks rule {rule}",
                    seen.line,
                    seen.segs.join("::")
                ));
            }
        }
    }
    problems.sort();
    problems.dedup();
    problems
}

/// Modules whose whole file is test code: declared `#[cfg(test)] mod x;` in their parent.
fn test_only_modules(parsed: &[(&String, FileRole, syn::File)]) -> Vec<ModPath> {
    let mut out = Vec::new();
    for (_, role, file) in parsed {
        let parent = match role {
            FileRole::Module(m) => m.clone(),
            FileRole::LibRoot | FileRole::BinRoot => Vec::new(),
        };
        for item in &file.items {
            if let syn::Item::Mod(m) = item
                && m.content.is_none()
                && is_cfg_test(&m.attrs)
            {
                out.push([parent.clone(), vec![m.ident.to_string()]].concat());
            }
        }
    }
    out
}

/// Every `.rs` file under `dir`, as (path relative to the crate root, source).
fn rust_files(root: &FsPath, dir: &FsPath, out: &mut Vec<(String, String)>) {
    let entries = std::fs::read_dir(dir).expect("src/ is readable");
    for entry in entries {
        let path = entry.expect("directory entry is readable").path();
        if path.is_dir() {
            rust_files(root, &path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            let rel = path.strip_prefix(root).expect("file is under the root");
            let source = std::fs::read_to_string(&path).expect("source file is UTF-8");
            out.push((rel.to_string_lossy().replace('\\', "/"), source));
        }
    }
}

#[test]
fn the_source_tree_follows_the_architecture_rules() {
    let root = FsPath::new(env!("CARGO_MANIFEST_DIR"));
    let arch = std::fs::read_to_string(root.join("docs/ARCHITECTURE.md")).expect("ARCHITECTURE.md");
    let rules = tidy_block(&arch).expect("docs/ARCHITECTURE.md has a ```tidy block");
    let mut files = Vec::new();
    rust_files(root, &root.join("src"), &mut files);
    assert!(files.len() > 10, "found the source files ({})", files.len());
    let problems = check(&rules, &files);
    assert!(
        problems.is_empty(),
        "architecture rules broken:\n{}",
        problems.join("\n")
    );
}

mod checker {
    use super::*;

    const RULES: &str = "
        layer domain uses
        layer acd uses domain acd
        layer acd::service uses domain acd interaction_log   # more specific wins
        layer store uses domain store
        extern sqlx only store
        extern clap only cli main
        pure domain acd::routing
        edge http app
    ";

    fn files(list: &[(&str, &str)]) -> Vec<(String, String)> {
        list.iter()
            .map(|(p, s)| ((*p).to_owned(), (*s).to_owned()))
            .collect()
    }

    fn check_case(list: &[(&str, &str)], expected: &[&str]) {
        let got = check(RULES, &files(list));
        assert_eq!(got, expected, "files: {list:?}");
    }

    #[test]
    fn a_planted_forbidden_import_and_a_missing_header_are_reported() {
        check_case(
            &[
                (
                    "src/domain/ids.rs",
                    "//! Ids.\nuse std::fmt;\nuse crate::store::Db;\npub struct X;\n",
                ),
                ("src/store/pool.rs", "use sqlx::AnyPool;\npub struct Db;\n"),
            ],
            &[
                "src/domain/ids.rs:3: crate::store::Db breaks rule `layer domain uses` (in module domain::ids)",
                "src/store/pool.rs:1: file does not open with a `//!` header",
            ],
        );
    }

    #[test]
    fn the_real_rules_catch_a_planted_import() {
        let root = FsPath::new(env!("CARGO_MANIFEST_DIR"));
        let arch = std::fs::read_to_string(root.join("docs/ARCHITECTURE.md")).expect("read");
        let rules = tidy_block(&arch).expect("tidy block");
        let planted = files(&[(
            "src/domain/ids.rs",
            "//! Ids.\n\nuse crate::store::Db;\nfn f() { let _ = sqlx::query(\"\"); }\n",
        )]);
        let got = check(&rules, &planted);
        assert!(
            got.iter().any(|p| p.starts_with(
                "src/domain/ids.rs:3: crate::store::Db breaks rule `layer domain uses"
            )),
            "{got:#?}"
        );
        assert!(
            got.iter().any(|p| p.starts_with(
                "src/domain/ids.rs:4: sqlx::query breaks rule `extern sqlx only store`"
            )),
            "{got:#?}"
        );
    }

    #[test]
    fn layers_resolve_super_self_and_child_modules() {
        let ok = |path: &str, src: &str| check_case(&[(path, src)], &[]);
        ok(
            "src/store.rs",
            "//! S.\nmod pool;\npub use pool::Db;\n#[cfg(test)]\nmod tests { use super::*; }\n",
        );
        ok(
            "src/store/pool.rs",
            "//! P.\nuse super::StoreError;\nuse self::inner::X;\nmod inner { use super::super::Db; }\n",
        );
        ok(
            "src/acd/service.rs",
            "//! S.\nuse crate::interaction_log::NewEvent;\nuse crate::acd::queue::Q;\n",
        );
        check_case(
            &[(
                "src/acd/routing.rs",
                "//! R.\nuse crate::interaction_log::NewEvent;\nuse super::super::store::Db;\n",
            )],
            &[
                "src/acd/routing.rs:2: crate::interaction_log::NewEvent breaks rule `layer acd uses domain acd` (in module acd::routing)",
                "src/acd/routing.rs:3: super::super::store::Db breaks rule `layer acd uses domain acd` (in module acd::routing)",
            ],
        );
    }

    #[test]
    fn externs_are_confined_to_their_modules() {
        check_case(
            &[
                ("src/store/events.rs", "//! E.\nuse sqlx::{Any, Row};\n"),
                (
                    "src/config.rs",
                    "//! C.\nfn f() { let q = ::sqlx::query(\"x\"); assert!(sqlx::any::is(q)); }\n#[derive(sqlx::FromRow)]\nstruct R;\n",
                ),
            ],
            &[
                "src/config.rs:2: sqlx::any::is breaks rule `extern sqlx only store` (in module config)",
                "src/config.rs:2: sqlx::query breaks rule `extern sqlx only store` (in module config)",
                "src/config.rs:3: sqlx::FromRow breaks rule `extern sqlx only store` (in module config)",
            ],
        );
    }

    #[test]
    fn pure_modules_touch_no_io_and_read_no_clock() {
        check_case(
            &[(
                "src/acd/routing.rs",
                "//! R.\nuse std::time::{Instant, SystemTime as Wall};\nuse std::{fs, thread::spawn};\n\
                 fn f() { let _ = Instant::now(); let _ = Wall::now(); let _ = crate::domain::AgentId::generate(); }\n\
                 async fn g() { tokio::task::yield_now().await; }\n\
                 #[cfg(test)]\nmod tests { fn t() { let _ = crate::domain::AgentId::generate(); } }\n",
            )],
            &[
                "src/acd/routing.rs:3: std::fs breaks rule `pure`: acd::routing touches no I/O, tasks or threads",
                "src/acd/routing.rs:3: std::thread::spawn breaks rule `pure`: acd::routing touches no I/O, tasks or threads",
                "src/acd/routing.rs:4: Instant::now breaks rule `pure`: acd::routing reads no clock (time and ids are passed in)",
                "src/acd/routing.rs:4: Wall::now breaks rule `pure`: acd::routing reads no clock (time and ids are passed in)",
                "src/acd/routing.rs:4: crate::domain::AgentId::generate breaks rule `pure`: acd::routing reads no clock (time and ids are passed in)",
                "src/acd/routing.rs:5: tokio::task::yield_now breaks rule `pure`: acd::routing touches no I/O, tasks or threads",
            ],
        );
    }

    #[test]
    fn test_only_files_may_use_io_and_main_is_a_module() {
        check_case(
            &[
                (
                    "src/acd/routing.rs",
                    "//! R.\n#[cfg(test)]\nmod corpus;\nmod table;\n",
                ),
                (
                    "src/acd/routing/corpus.rs",
                    "//! C.\nfn f() { let _ = std::fs::read(\"x\"); let _ = std::time::Instant::now(); }\n",
                ),
                (
                    "src/acd/routing/table.rs",
                    "//! T.\nfn f() { let _ = std::fs::read(\"x\"); }\n",
                ),
                (
                    "src/main.rs",
                    "//! Main.\nuse clap::Parser;\nfn main() { let _ = sqlx::query(\"\"); }\n",
                ),
            ],
            &[
                "src/acd/routing/table.rs:2: std::fs::read breaks rule `pure`: acd::routing::table touches no I/O, tasks or threads",
                "src/main.rs:3: sqlx::query breaks rule `extern sqlx only store` (in module main)",
            ],
        );
    }

    #[test]
    fn nothing_outside_the_edges_names_them() {
        check_case(
            &[
                (
                    "src/config.rs",
                    "//! X.\nfn f() { crate::http::router(); }\n",
                ),
                ("src/app.rs", "//! App.\nuse crate::http::router;\n"),
                (
                    "src/main.rs",
                    "//! Main.\nfn main() { switchyard::app::run(); }\n",
                ),
                (
                    "src/lib.rs",
                    "//! Lib.\npub mod http;\npub use http::router;\n",
                ),
            ],
            &[
                "src/config.rs:2: crate::http::router breaks rule `edge http`: nothing outside the edges names it",
            ],
        );
    }

    #[test]
    fn unreadable_rules_and_sources_are_reported() {
        assert_eq!(
            check("layer domain", &[]),
            vec![
                "tidy rules line 1: unreadable rule \"layer domain\": expected `layer MOD uses ...`, \
                  `extern CRATE only ...`, `pure MOD ...` or `edge MOD ...`"
            ]
        );
        let got = check(RULES, &files(&[("src/domain/x.rs", "//! X.\nfn (\n")]));
        assert_eq!(got.len(), 1, "{got:?}");
        assert!(
            got[0].starts_with("src/domain/x.rs:2: does not parse"),
            "{got:?}"
        );
    }

    #[test]
    fn file_paths_map_to_modules() {
        for (path, role) in [
            ("src/lib.rs", FileRole::LibRoot),
            ("src/main.rs", FileRole::BinRoot),
            ("src/acd.rs", FileRole::Module(mod_path("acd"))),
            (
                "src/acd/routing.rs",
                FileRole::Module(mod_path("acd::routing")),
            ),
            (
                "src/sip/transaction/key.rs",
                FileRole::Module(mod_path("sip::transaction::key")),
            ),
            ("src/media/mod.rs", FileRole::Module(mod_path("media"))),
        ] {
            assert_eq!(file_role(path), role, "{path}");
        }
    }
}
