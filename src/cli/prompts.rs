//! `switchyard prompts render [DIR]`: renders the prompt files the flows of a directory need
//! and do not have yet, with `espeak-ng` (Mandarin `cmn` and English `en` voices), as 8 kHz
//! mono 16-bit WAVs (resampled and trimmed with `sox`) under `DIR/prompts/`.
//!
//! Runs external tools and writes files; says clearly which tool is missing. It must not
//! change a prompt that exists (recorded prompts replace rendered ones by keeping their name).

use std::collections::BTreeMap;
use std::path::Path;

use anyhow::{Context, bail};
use tokio::process::Command;

use crate::ivr::flow::{PromptText, parse};
use crate::ivr::loader::{self, PROMPTS_DIR};
use crate::ivr::say::Language;

/// The espeak-ng voice of a language.
fn voice(lang: Language) -> &'static str {
    match lang {
        Language::Mandarin => "cmn",
        Language::English => "en",
    }
}

async fn tool_runs(tool: &str) -> bool {
    Command::new(tool)
        .arg("--version")
        .output()
        .await
        .is_ok_and(|o| o.status.success())
}

/// Every prompt file the parsable flows of `dir` need, by file stem; flows that do not parse
/// are reported and skipped (`flows check` says everything about them).
fn needed(dir: &Path) -> anyhow::Result<BTreeMap<String, PromptText>> {
    let files = loader::read_dir(dir)?;
    let mut out = BTreeMap::new();
    for (file, text) in &files.flows {
        match parse(file, text) {
            Ok(flow) => {
                for p in flow.prompts_to_render() {
                    out.insert(p.file.to_string(), p);
                }
            }
            Err(errors) => {
                eprintln!(
                    "{file}: skipped, {} problem(s); run `switchyard flows check`",
                    errors.len()
                );
            }
        }
    }
    Ok(out)
}

/// Renders the missing prompts of the flows in `dir`.
pub(super) async fn render(dir: &Path) -> anyhow::Result<()> {
    let needed = needed(dir)?;
    let prompts_dir = dir.join(PROMPTS_DIR);
    let present = if prompts_dir.is_dir() {
        loader::prompt_names(&prompts_dir)?
            .iter()
            .map(ToString::to_string)
            .collect()
    } else {
        std::collections::BTreeSet::new()
    };
    let missing: Vec<&PromptText> = needed
        .iter()
        .filter(|(name, _)| !present.contains(*name))
        .map(|(_, p)| p)
        .collect();
    if missing.is_empty() {
        println!(
            "all {} prompt file(s) of {} are present",
            needed.len(),
            dir.display()
        );
        return Ok(());
    }
    for tool in ["espeak-ng", "sox"] {
        if !tool_runs(tool).await {
            let names: Vec<String> = missing.iter().map(|p| format!("{}.wav", p.file)).collect();
            bail!(
                "{tool} is not installed, so {} missing prompt(s) cannot be rendered: {}\n\
                 install espeak-ng and sox (Debian: apt-get install espeak-ng sox) or record \
                 them as 8 kHz mono 16-bit WAVs under {}",
                missing.len(),
                names.join(" "),
                prompts_dir.display()
            );
        }
    }
    std::fs::create_dir_all(&prompts_dir)
        .with_context(|| format!("cannot create {}", prompts_dir.display()))?;
    for p in &missing {
        let out = prompts_dir.join(format!("{}.wav", p.file));
        render_one(p, &prompts_dir, &out).await?;
        println!("rendered {} ({}): {}", out.display(), p.language, p.text);
    }
    println!("{} prompt file(s) rendered", missing.len());
    Ok(())
}

async fn render_one(p: &PromptText, dir: &Path, out: &Path) -> anyhow::Result<()> {
    // espeak-ng's own rate, next to the result (a dot file, removed below).
    let raw = dir.join(format!(".{}.espeak.wav", p.file));
    let spoken = Command::new("espeak-ng")
        .args(["-v", voice(p.language), "-s", "150", "-w"])
        .arg(&raw)
        .arg(&p.text)
        .output()
        .await
        .context("cannot run espeak-ng")?;
    if !spoken.status.success() {
        bail!(
            "espeak-ng failed on {}: {}",
            p.file,
            String::from_utf8_lossy(&spoken.stderr)
        );
    }
    // 8 kHz mono 16-bit; leading and trailing silence trimmed to keep files small.
    let converted = Command::new("sox")
        .arg(&raw)
        .args(["-r", "8000", "-c", "1", "-b", "16", "-e", "signed-integer"])
        .arg(out)
        .args([
            "silence", "1", "0.02", "0.5%", "reverse", "silence", "1", "0.02", "0.5%", "reverse",
        ])
        .output()
        .await
        .context("cannot run sox");
    let _ = std::fs::remove_file(&raw);
    let converted = converted?;
    if !converted.status.success() {
        bail!(
            "sox failed on {}: {}",
            p.file,
            String::from_utf8_lossy(&converted.stderr)
        );
    }
    Ok(())
}
