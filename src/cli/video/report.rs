//! Per-shard reports (JSON lines, one record per file, appended as each file ends so that a
//! killed shard's report still says what it finished) and `--summarize`, which merges them.

use std::collections::BTreeMap;
use std::fs::File;
use std::io::Write;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::manifest;
use crate::{exit, report};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    /// Painted by this run.
    Done,
    /// Complete from an earlier run (its sidecar matched).
    Skipped,
    Failed,
    /// Stopped by a signal; painted whole by the next run.
    Interrupted,
    /// Another process was writing the same output.
    Busy,
}

impl Status {
    fn finished(self) -> bool {
        matches!(self, Status::Done | Status::Skipped)
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Record {
    pub shard: String,
    pub line: usize,
    pub input: PathBuf,
    pub output: PathBuf,
    pub status: Status,
    pub frames: u64,
    pub seconds: f64,
    pub fps: f64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// The exit code a run of this file alone would end with (failed and busy files).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub exit_code: Option<u8>,
}

/// Frames per second, 0 for no time.
pub fn fps(frames: u64, seconds: f64) -> f64 {
    if seconds > 0.0 {
        frames as f64 / seconds
    } else {
        0.0
    }
}

/// One shard's report file, rewritten by every run of the shard.
pub struct ReportWriter {
    file: File,
    path: PathBuf,
}

impl ReportWriter {
    pub fn create(dir: &Path, stem: &str) -> std::io::Result<Self> {
        std::fs::create_dir_all(dir)?;
        let path = dir.join(format!("{stem}.jsonl"));
        Ok(Self {
            file: File::create(&path)?,
            path,
        })
    }

    pub fn append(&mut self, record: &Record) -> std::io::Result<()> {
        let mut line = serde_json::to_vec(record).map_err(std::io::Error::other)?;
        line.push(b'\n');
        self.file.write_all(&line)?;
        self.file.sync_data()
    }

    pub fn path(&self) -> &Path {
        &self.path
    }
}

/// The merged view of every report in a folder.
#[derive(Debug, Serialize)]
struct Summary {
    reports: usize,
    inputs: usize,
    done: usize,
    skipped: usize,
    failed: usize,
    interrupted: usize,
    busy: usize,
    /// Manifest lines no report mentions (only with --manifest).
    pending: usize,
    frames: u64,
    seconds: f64,
    fps: f64,
    failures: Vec<Record>,
    unfinished: Vec<PathBuf>,
}

/// `--summarize DIR [--manifest FILE] [--json]`: exit code 0 when every file is finished,
/// 65 when some failed, 75 when some are still to do.
pub fn summarize(dir: &Path, manifest_path: Option<&Path>, json: bool) -> u8 {
    let merged = match read_reports(dir) {
        Ok(m) => m,
        Err(e) => return report(&e),
    };
    let (reports, records) = merged;
    // One record per manifest line (paths may read differently from shard to shard: the
    // line is the key); a finished record wins over a failure from another report.
    let mut by_line: BTreeMap<usize, Record> = BTreeMap::new();
    for r in records {
        let keep_old = by_line
            .get(&r.line)
            .is_some_and(|old| old.status.finished());
        if !keep_old {
            by_line.insert(r.line, r);
        }
    }
    let mut unfinished: Vec<PathBuf> = Vec::new();
    if let Some(path) = manifest_path {
        let files = match manifest::files(path) {
            Ok(f) => f,
            Err(e) => return report(&e),
        };
        for (line, input) in files {
            if !by_line.contains_key(&line) {
                unfinished.push(input);
            }
        }
    }
    let count = |s: Status| by_line.values().filter(|r| r.status == s).count();
    let finished: Vec<&Record> = by_line.values().filter(|r| r.status.finished()).collect();
    let frames: u64 = finished.iter().map(|r| r.frames).sum();
    let seconds: f64 = finished.iter().map(|r| r.seconds).sum();
    let pending = unfinished.len();
    unfinished.extend(
        by_line
            .values()
            .filter(|r| matches!(r.status, Status::Interrupted | Status::Busy))
            .map(|r| r.input.clone()),
    );
    let summary = Summary {
        reports,
        inputs: by_line.len() + pending,
        done: count(Status::Done),
        skipped: count(Status::Skipped),
        failed: count(Status::Failed),
        interrupted: count(Status::Interrupted),
        busy: count(Status::Busy),
        pending,
        frames,
        seconds,
        fps: fps(frames, seconds),
        failures: by_line
            .values()
            .filter(|r| r.status == Status::Failed)
            .cloned()
            .collect(),
        unfinished,
    };
    if json {
        println!(
            "{}",
            serde_json::to_string_pretty(&summary).unwrap_or_default()
        );
    } else {
        print_summary(&summary);
    }
    match (summary.failed, summary.unfinished.len()) {
        (0, 0) => 0,
        (0, _) => exit::TEMP_FAIL,
        _ => exit::DATA_ERR,
    }
}

/// Every record of every `*.jsonl` report in `dir` (file name order), and how many reports.
fn read_reports(dir: &Path) -> dinstyle::Result<(usize, Vec<Record>)> {
    let io = |e: std::io::Error| dinstyle::Error::Io {
        what: "report folder",
        path: dir.to_owned(),
        source: e,
    };
    let mut paths: Vec<PathBuf> = std::fs::read_dir(dir)
        .map_err(io)?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|e| e == "jsonl"))
        .collect();
    paths.sort();
    let mut records = Vec::new();
    for path in &paths {
        let text = std::fs::read_to_string(path).map_err(io)?;
        for (i, line) in text
            .lines()
            .enumerate()
            .filter(|(_, l)| !l.trim().is_empty())
        {
            // A shard killed mid-write leaves at most its last line torn: skip it, say so.
            match serde_json::from_str::<Record>(line) {
                Ok(r) => records.push(r),
                Err(e) => eprintln!("dinstyle: {} line {}: skipped ({e})", path.display(), i + 1),
            }
        }
    }
    Ok((paths.len(), records))
}

fn print_summary(s: &Summary) {
    println!(
        "{} inputs in {} reports: {} painted, {} already complete, {} failed, {} interrupted, \
         {} busy, {} not started",
        s.inputs, s.reports, s.done, s.skipped, s.failed, s.interrupted, s.busy, s.pending
    );
    println!(
        "{} frames in {:.1} s of painting ({:.1} fps per process)",
        s.frames, s.seconds, s.fps
    );
    for r in &s.failures {
        let why = r.error.as_deref().unwrap_or("failed");
        println!("failed: {} (line {}): {why}", r.input.display(), r.line);
    }
    for input in &s.unfinished {
        println!("to do: {}", input.display());
    }
}
