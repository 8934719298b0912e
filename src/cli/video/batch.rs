//! `dinstyle video --manifest FILE [--shard K/N]`: paint one shard of a manifest, exactly once
//! across reruns. Each file is written through a locked part file and renamed into place, then
//! a sidecar records what it was made from; a rerun skips outputs whose sidecar matches and
//! paints the rest again from the start.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};

use clap::Args;
use dinstyle::DinModel;

use super::manifest::{self, Entry};
use super::pipeline::{self, Failure, OnInterrupt};
use super::report::{fps, Record, ReportWriter, Status};
use super::shard::{self, Shard};
use super::sidecar::{self, Fingerprint};
use super::VideoArgs;
use crate::{exit, exit_code, report};

#[derive(Args, Debug)]
pub struct BatchArgs {
    /// Paint the videos a manifest lists: TSV lines INPUT<TAB>OUTPUT[<TAB>STYLE[<TAB>OPTION]...],
    /// paths relative to the manifest; STYLE and OPTIONs (--alpha=0.7, one per column)
    /// override the command line's for that line. Finished outputs are skipped on a rerun.
    #[arg(long, value_name = "FILE")]
    pub manifest: Option<PathBuf>,
    /// Paint shard K of N (K from 0): each shard takes a fixed share of the manifest, balanced
    /// by frame count. Without it: K from $JOB_COMPLETION_INDEX (Kubernetes Indexed Jobs) and
    /// N from --shards or $DINSTYLE_SHARDS, else the whole manifest.
    #[arg(
        long,
        value_name = "K/N",
        requires = "manifest",
        conflicts_with = "shards"
    )]
    pub shard: Option<Shard>,
    /// Number of shards, for a K from $JOB_COMPLETION_INDEX.
    #[arg(long, value_name = "N", requires = "manifest", value_parser = clap::value_parser!(u32).range(1..))]
    pub shards: Option<u32>,
    /// Folder for this shard's report (shard-K-of-N.jsonl: one JSON line per video).
    #[arg(long, value_name = "DIR", default_value = ".")]
    pub report_dir: PathBuf,
    /// Merge the shard reports in DIR and print the totals and every failure (with --manifest,
    /// also the videos no shard has finished).
    #[arg(long, value_name = "DIR", conflicts_with_all = ["shard", "shards"])]
    pub summarize: Option<PathBuf>,
    /// With --summarize: print the summary as JSON.
    #[arg(long, requires = "summarize")]
    pub json: bool,
}

/// Exit code: 0 when every video of the shard is finished, the worst failure's code when some
/// failed (listed on stderr and in the report), 75 when interrupted or another process holds a
/// file (running the shard again finishes it).
pub fn run(args: &VideoArgs, path: &Path) -> u8 {
    let b = &args.batch;
    // Before the probing, which takes a while on a large manifest: a SIGTERM then still ends
    // the shard with its exit code.
    let interrupted = super::interrupt_flag();
    let prepared = Shard::resolve(b.shard, b.shards.map(|n| n as usize)).and_then(|shard| {
        let base = args.paint().unwrap_or_else(|| stand_in(args));
        let entries = manifest::read(path, &base, args.style.as_ref())?;
        let model = args.engine.load_model()?;
        // A bad style on the command line would fail every line that uses it: refuse it now.
        if let Some(paint) = args.paint() {
            super::preflight(&paint, &args.engine.style_loader(&model))?;
        }
        Ok((shard, entries, model))
    });
    let (shard, entries, model) = match prepared {
        Ok(p) => p,
        Err(e) => return report(&e),
    };
    if let Err(e) = pipeline::start_gstreamer() {
        eprintln!("dinstyle: error: GStreamer could not start: {e}");
        return exit::UNAVAILABLE;
    }
    let (mine, share, total) = shard_entries(entries, shard);
    let mut writer = match ReportWriter::create(&b.report_dir, &shard.file_stem()) {
        Ok(w) => w,
        Err(e) => {
            let dir = b.report_dir.display();
            eprintln!("dinstyle: error: cannot write the report in {dir}: {e}");
            return exit::CANT_CREATE;
        }
    };
    if !args.quiet {
        let (n, report) = (mine.len(), writer.path().display());
        let frames = match shard.count {
            1 => String::new(),
            _ => format!(" ({share} of the manifest's {total} frames)"),
        };
        eprintln!("dinstyle: shard {shard}: {n} videos{frames}; report {report}");
    }
    let mut failures: Vec<Record> = Vec::new();
    let mut retry = false;
    for entry in &mine {
        if interrupted.load(Ordering::SeqCst) {
            break;
        }
        let record = paint_entry(args, &model, shard, entry, &interrupted);
        if !args.quiet {
            let (i, o) = (entry.input.display(), entry.output.display());
            let status = format!("{:?}", record.status).to_lowercase();
            eprintln!("{i} -> {o}: {status} ({} frames)", record.frames);
        }
        if let Err(e) = writer.append(&record) {
            eprintln!("dinstyle: error: cannot write the report: {e}");
            return exit::CANT_CREATE;
        }
        match record.status {
            Status::Failed => failures.push(record),
            Status::Interrupted | Status::Busy => retry = true,
            Status::Done | Status::Skipped => (),
        }
    }
    finish(
        &failures,
        retry || interrupted.load(Ordering::SeqCst),
        mine.len(),
    )
}

/// Settings for a manifest whose every line names its style (the command line gives none).
fn stand_in(args: &VideoArgs) -> super::Paint {
    super::Paint {
        style: manifest::stand_in_style(),
        controls: args.controls.clone(),
        stability: args.stability,
        size: args.size,
        detail: args.detail,
        texture: args.texture,
        style_size: args.engine.style_size,
    }
}

/// This shard's lines, in manifest order, with the frames they hold and the manifest's total.
/// With one shard nothing needs probing.
fn shard_entries(entries: Vec<Entry>, shard: Shard) -> (Vec<Entry>, u64, u64) {
    if shard.count == 1 {
        return (entries, 0, 0);
    }
    let frames: Vec<u64> = entries
        .iter()
        .map(|e| shard::probe_frames(&e.input))
        .collect();
    let shard_of = shard::split(&frames, shard.count);
    let mut share = 0;
    let mut mine = Vec::new();
    for ((entry, s), f) in entries.into_iter().zip(shard_of).zip(&frames) {
        if s == shard.index {
            share += f;
            mine.push(entry);
        }
    }
    (mine, share, frames.iter().sum())
}

fn paint_entry(
    args: &VideoArgs,
    model: &DinModel,
    shard: Shard,
    entry: &Entry,
    interrupted: &AtomicBool,
) -> Record {
    let record = |status, frames: u64, seconds: f64, error: Option<(u8, String)>| Record {
        shard: shard.to_string(),
        line: entry.line,
        input: entry.input.clone(),
        output: entry.output.clone(),
        status,
        frames,
        seconds,
        fps: fps(frames, seconds),
        exit_code: error.as_ref().map(|(code, _)| *code),
        error: error.map(|(_, msg)| msg),
    };
    let failed = |code: u8, msg: String| record(Status::Failed, 0, 0.0, Some((code, msg)));
    let fingerprint =
        match Fingerprint::of(&entry.input, &entry.output, &entry.paint, model.identity()) {
            Ok(f) => f,
            Err(e) => return failed(exit::NO_INPUT, e),
        };
    if let Some(done) = sidecar::complete(&entry.output, &fingerprint) {
        return record(Status::Skipped, done.frames, done.seconds, None);
    }
    let loader = args.engine.style_loader(model);
    if let Err(e) = super::preflight(&entry.paint, &loader) {
        return failed(exit_code(&e), e.to_string());
    }
    if let Some(dir) = entry.output.parent().filter(|d| !d.as_os_str().is_empty()) {
        if let Err(e) = std::fs::create_dir_all(dir) {
            return failed(
                exit::CANT_CREATE,
                format!("cannot create {}: {e}", dir.display()),
            );
        }
    }
    // The old output stops counting as complete before it is replaced.
    sidecar::remove(&entry.output);
    let painted = pipeline::transcode(
        &entry.paint,
        &args.engine,
        &entry.input,
        &entry.output,
        args.quiet,
        OnInterrupt::Abandon,
        interrupted,
    );
    let painted = match painted {
        Ok(p) => p,
        Err(Failure::Interrupted) => return record(Status::Interrupted, 0, 0.0, None),
        Err(Failure::Busy) => {
            let msg = "another process is writing this output".to_string();
            return record(Status::Busy, 0, 0.0, Some((exit::TEMP_FAIL, msg)));
        }
        Err(Failure::Error(code, msg)) => return failed(code, msg),
    };
    let written = std::fs::metadata(&entry.output).map(|m| m.len());
    let sidecar = written.and_then(|bytes| {
        let sidecar = fingerprint.sidecar(&entry.input, painted.frames, bytes, painted.seconds);
        sidecar::write(&entry.output, &sidecar)
    });
    match sidecar {
        Ok(()) => record(Status::Done, painted.frames, painted.seconds, None),
        Err(e) => failed(
            exit::CANT_CREATE,
            format!(
                "cannot write the sidecar of {}: {e}",
                entry.output.display()
            ),
        ),
    }
}

fn finish(failures: &[Record], retry: bool, total: usize) -> u8 {
    if !failures.is_empty() {
        eprintln!("dinstyle: {} of {total} videos failed:", failures.len());
        for r in failures {
            let why = r.error.as_deref().unwrap_or("failed");
            eprintln!("  {} (line {}): {why}", r.input.display(), r.line);
        }
    }
    if retry {
        eprintln!("dinstyle: interrupted; run the same shard again to finish it");
        return exit::TEMP_FAIL;
    }
    // The worst code among the failures, as a single-file run would exit with.
    let code = |r: &Record| r.exit_code.unwrap_or(exit::SOFTWARE);
    failures.iter().map(code).max().unwrap_or(0)
}
