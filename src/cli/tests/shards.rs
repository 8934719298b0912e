//! A cluster on one machine: three shard processes share a manifest (one finds its index as a
//! Kubernetes pod does, in JOB_COMPLETION_INDEX), one is killed mid-file, stopped with SIGTERM,
//! and restarted; every output must then exist once, play, and have its input's frame count,
//! and the merged summary must account for every line.

mod common;

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant, SystemTime};

use common::{clip_of, dinstyle, stderr, streams};

const STYLE: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../assets/styles/vangogh_the_night_cafe_1888.webp"
);

/// Frame counts of the twelve short clips; the long one is the first any split hands out.
fn short_frames(i: u32) -> u32 {
    8 + 3 * i
}
const LONG_FRAMES: u32 = 200;

/// Twelve short clips and a long one, and a manifest: relative paths, mixed containers, one
/// line with its own style and alpha.
fn catalogue(dir: &Path) -> Vec<(PathBuf, PathBuf, u32)> {
    std::fs::create_dir_all(dir.join("clips")).unwrap();
    let mut lines = vec!["# input\toutput\tstyle\toptions".to_string()];
    let mut files = Vec::new();
    for i in 0..13u32 {
        let (name, frames, size) = match i {
            12 => ("long".to_string(), LONG_FRAMES, (192, 108)),
            _ => (format!("c{i:02}"), short_frames(i), (96, 64)),
        };
        let input = format!("clips/{name}.mp4");
        clip_of(&dir.join(&input), false, frames, size.0, size.1);
        let ext = ["mp4", "mkv", "webm"][i as usize % 3];
        let output = format!("out/{}/{name}.{ext}", i % 2);
        let extra = if i == 4 {
            "\tpreset:the-harvest\t--alpha=0.6"
        } else {
            ""
        };
        lines.push(format!("{input}\t{output}{extra}"));
        files.push((dir.join(input), dir.join(output), frames));
    }
    std::fs::write(dir.join("catalogue.tsv"), lines.join("\n") + "\n").unwrap();
    files
}

/// `dinstyle video --manifest catalogue.tsv` in `dir` (the tests' style, painted at 32 px),
/// reporting to `report`, started and left running; `extra` arguments last.
fn start_batch(dir: &Path, report: &str, extra: &[&str]) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_dinstyle"));
    cmd.args([
        "video",
        "--manifest",
        "catalogue.tsv",
        "--style",
        STYLE,
        "--size",
        "32",
        "-q",
    ])
    .args(["--report-dir", report])
    .args(extra)
    .current_dir(dir)
    .env(
        "DINSTYLE_CACHE_DIR",
        std::env::temp_dir().join("dinstyle-cli-test-cache"),
    )
    .env_remove("JOB_COMPLETION_INDEX")
    .env_remove("DINSTYLE_SHARDS")
    .stdout(Stdio::null())
    .stderr(Stdio::piped());
    cmd
}

/// The catalogue as shard `index` of 3, started and left running; with `from_env` the shard
/// comes from the environment, as in a Kubernetes pod.
fn start_shard(dir: &Path, index: usize, from_env: bool) -> Child {
    let shard = format!("{index}/3");
    let mut cmd = match from_env {
        true => start_batch(dir, "reports", &[]),
        false => start_batch(dir, "reports", &["--shard", &shard]),
    };
    if from_env {
        cmd.env("JOB_COMPLETION_INDEX", index.to_string())
            .env("DINSTYLE_SHARDS", "3");
    }
    cmd.spawn().expect("start a shard")
}

fn finish(child: Child) -> (Option<i32>, String) {
    let out = child.wait_with_output().unwrap();
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// Waits until `path` exists and was written after `since` (the shard has started painting
/// that file).
fn wait_for(path: &Path, since: SystemTime, child: &mut Child) {
    let started = Instant::now();
    let written = |p: &Path| {
        std::fs::metadata(p)
            .and_then(|m| m.modified())
            .is_ok_and(|t| t > since)
    };
    while !written(path) {
        assert!(
            child.try_wait().unwrap().is_none(),
            "the shard ended before {path:?}"
        );
        assert!(
            started.elapsed() < Duration::from_secs(300),
            "{path:?} never appeared"
        );
        std::thread::sleep(Duration::from_millis(5));
    }
    std::thread::sleep(Duration::from_millis(150));
}

/// Every file under `dir`, relative to it.
fn tree(dir: &Path) -> Vec<String> {
    let mut found = Vec::new();
    let mut stack = vec![dir.to_owned()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            match p.is_dir() {
                true => stack.push(p),
                false => found.push(p.strip_prefix(dir).unwrap().display().to_string()),
            }
        }
    }
    found.sort();
    found
}

fn summary(dir: &Path) -> (Option<i32>, serde_json::Value) {
    let r = dinstyle(
        &[
            "video",
            "--summarize",
            "reports",
            "--manifest",
            "catalogue.tsv",
            "--json",
        ],
        dir,
    );
    let json = serde_json::from_slice(&r.stdout).unwrap_or_else(|e| panic!("{e}: {}", stderr(&r)));
    (r.status.code(), json)
}

#[test]
fn three_shards_one_killed_paint_every_file_exactly_once() {
    let dir = tempfile::tempdir().unwrap();
    let dir = dir.path();
    let files = catalogue(dir);
    let long_part = dir.join("out/0/.long.mp4.part.mp4");

    let mut shards: Vec<Child> = (0..3).map(|k| start_shard(dir, k, k == 1)).collect();
    // The longest file goes to shard 0 first: kill it there, mid-file, with no warning.
    wait_for(&long_part, SystemTime::UNIX_EPOCH, &mut shards[0]);
    shards[0].kill().unwrap();
    let (code, _) = finish(shards.remove(0));
    assert_eq!(code, None, "killed by a signal");
    assert!(long_part.exists(), "a killed shard leaves its part file");
    assert!(
        !dir.join("out/0/long.mp4").exists(),
        "no output from a killed file"
    );

    // Restarted, then stopped as Kubernetes stops a pod: SIGTERM ends it cleanly with 75.
    let killed_at = std::fs::metadata(&long_part).unwrap().modified().unwrap();
    let mut again = start_shard(dir, 0, false);
    wait_for(&long_part, killed_at, &mut again);
    unsafe { libc::kill(again.id() as i32, libc::SIGTERM) };
    let (code, err) = finish(again);
    assert_eq!(code, Some(75), "{err}");
    assert!(!long_part.exists(), "SIGTERM removes the part file");

    for (k, shard) in shards.into_iter().enumerate() {
        let (code, err) = finish(shard);
        assert_eq!(code, Some(0), "shard {}: {err}", k + 1);
    }
    let (code, json) = summary(dir);
    assert_eq!(code, Some(75), "shard 0 is not finished: {json}");
    assert!(
        json["unfinished"].to_string().contains("long.mp4"),
        "{json}"
    );

    let (code, err) = finish(start_shard(dir, 0, false));
    assert_eq!(code, Some(0), "{err}");

    // Exactly the outputs, each once, no part files; the hidden files are the sidecars.
    let mut expected: Vec<String> = Vec::new();
    for (_, output, _) in &files {
        let rel = output.strip_prefix(dir.join("out")).unwrap();
        let name = rel.file_name().unwrap().to_string_lossy();
        expected.push(rel.display().to_string());
        expected.push(
            rel.with_file_name(format!(".{name}.dinstyle.json"))
                .display()
                .to_string(),
        );
    }
    expected.sort();
    assert_eq!(tree(&dir.join("out")), expected);
    for (_, output, frames) in &files {
        assert_eq!(streams(output).0, *frames as usize, "{output:?}");
    }
    let (code, json) = summary(dir);
    assert_eq!(code, Some(0), "{json}");
    assert_eq!(json["inputs"], 13, "{json}");
    let finished = json["done"].as_u64().unwrap() + json["skipped"].as_u64().unwrap();
    assert_eq!(finished, 13, "{json}");
    let total: u32 = files.iter().map(|f| f.2).sum();
    assert_eq!(json["frames"], total, "{json}");
    assert_eq!(tree(&dir.join("reports")).len(), 3);

    // A rerun of every shard paints nothing; an output whose sidecar is gone is painted again.
    std::fs::remove_file(dir.join("out/1/.c01.mkv.dinstyle.json")).unwrap();
    let before = std::fs::metadata(dir.join("out/0/c00.mp4"))
        .unwrap()
        .modified()
        .unwrap();
    let reruns: Vec<Child> = (0..3).map(|k| start_shard(dir, k, false)).collect();
    for shard in reruns {
        let (code, err) = finish(shard);
        assert_eq!(code, Some(0), "{err}");
    }
    let after = std::fs::metadata(dir.join("out/0/c00.mp4"))
        .unwrap()
        .modified()
        .unwrap();
    assert_eq!(before, after, "a complete output was painted again");
    let (_, json) = summary(dir);
    assert_eq!(
        (json["done"].as_u64(), json["skipped"].as_u64()),
        (Some(1), Some(12)),
        "{json}"
    );
}

#[test]
fn failures_are_listed_and_the_rest_finish() {
    let dir = tempfile::tempdir().unwrap();
    let dir = dir.path();
    clip_of(&dir.join("good.mp4"), false, 10, 96, 64);
    std::fs::write(dir.join("notes.mp4"), "not a video").unwrap();
    std::fs::write(
        dir.join("catalogue.tsv"),
        "notes.mp4\tout/notes.mp4\nmissing.mp4\tout/missing.mp4\ngood.mp4\tout/good.mp4\n",
    )
    .unwrap();
    let args = [
        "video",
        "--manifest",
        "catalogue.tsv",
        "--style",
        STYLE,
        "--report-dir",
        "reports",
    ];
    let r = dinstyle(&args, dir);
    let err = stderr(&r);
    assert_eq!(r.status.code(), Some(66), "the worst failure's code: {err}");
    assert!(
        err.contains("2 of 3 videos failed") && err.contains("missing.mp4 (line 2)"),
        "{err}"
    );
    assert_eq!(
        tree(&dir.join("out")),
        [".good.mp4.dinstyle.json", "good.mp4"]
    );
    let (code, json) = summary(dir);
    assert_eq!(code, Some(65), "{json}");
    assert_eq!(
        (json["failed"].as_u64(), json["done"].as_u64()),
        (Some(2), Some(1)),
        "{json}"
    );
    assert_eq!(json["failures"][1]["exit_code"], 66, "{json}");
}

#[test]
fn a_file_locked_by_another_process_is_left_alone() {
    let dir = tempfile::tempdir().unwrap();
    let dir = dir.path();
    clip_of(&dir.join("in.mp4"), false, 10, 96, 64);
    std::fs::write(dir.join("catalogue.tsv"), "in.mp4\tout.mp4\n").unwrap();
    let part = dir.join(".out.mp4.part.mp4");
    std::fs::write(&part, "another process's work").unwrap();
    let held = std::fs::OpenOptions::new().write(true).open(&part).unwrap();
    held.try_lock().unwrap();
    let args = [
        "video",
        "--manifest",
        "catalogue.tsv",
        "--style",
        STYLE,
        "--report-dir",
        ".",
    ];
    let r = dinstyle(&args, dir);
    assert_eq!(r.status.code(), Some(75), "{}", stderr(&r));
    assert_eq!(
        std::fs::read_to_string(&part).unwrap(),
        "another process's work"
    );
    assert!(!dir.join("out.mp4").exists());
    drop(held);
    let r = dinstyle(&args, dir);
    assert_eq!(r.status.code(), Some(0), "{}", stderr(&r));
    assert_eq!(streams(&dir.join("out.mp4")).0, 10);
    assert!(!part.exists());
}

#[test]
fn shard_options_are_checked() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("m.tsv"), "a.mp4\tb.mp4\n").unwrap();
    let cases: [(&[&str], &str); 4] = [
        (&["--shard", "3/3"], "count from 0 to 2"),
        (&["--shard", "1"], "K/N"),
        (&["--shards", "3"], "JOB_COMPLETION_INDEX"),
        (&["--shard", "0/2", "--shards", "2"], "cannot be used with"),
    ];
    for (extra, expected) in cases {
        let mut args = vec!["video", "--manifest", "m.tsv", "--style", STYLE];
        args.extend_from_slice(extra);
        let r = dinstyle(&args, dir.path());
        assert_eq!(r.status.code(), Some(2), "{extra:?}: {}", stderr(&r));
        assert!(stderr(&r).contains(expected), "{extra:?}: {}", stderr(&r));
    }
}

#[test]
fn overlapping_runs_of_one_manifest_never_corrupt_an_output() {
    // A misconfigured cluster: three processes all take the whole manifest at once. Each file is
    // painted by whoever locks it first; the others call it busy, or paint it again after it is
    // finished (never into it). One more run then finds everything complete.
    let dir = tempfile::tempdir().unwrap();
    let dir = dir.path();
    let mut lines = String::new();
    for i in 0..6u32 {
        clip_of(&dir.join(format!("c{i}.mp4")), false, 10 + 4 * i, 96, 64);
        lines += &format!("c{i}.mp4\tout/c{i}.mp4\n");
    }
    std::fs::write(dir.join("catalogue.tsv"), lines).unwrap();
    let run = |report: &str| start_batch(dir, report, &[]).spawn().unwrap();
    let runs: Vec<Child> = ["r0", "r1", "r2"].iter().map(|r| run(r)).collect();
    for child in runs {
        let (code, err) = finish(child);
        assert!(matches!(code, Some(0) | Some(75)), "{code:?}: {err}");
    }
    let (code, err) = finish(run("last"));
    assert_eq!(code, Some(0), "{err}");
    let last = std::fs::read_to_string(dir.join("last/shard-0-of-1.jsonl")).unwrap();
    assert_eq!(last.matches("\"skipped\"").count(), 6, "{last}");
    for i in 0..6u32 {
        assert_eq!(
            streams(&dir.join(format!("out/c{i}.mp4"))).0,
            (10 + 4 * i) as usize
        );
    }
    assert!(tree(&dir.join("out")).iter().all(|f| !f.contains(".part.")));
}

#[test]
fn the_kubernetes_files_agree_with_the_command_line() {
    let k8s = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../pipelines/kubernetes");
    // The example manifest parses: an empty report folder leaves its four videos to do.
    let empty = tempfile::tempdir().unwrap();
    let manifest = k8s.join("manifest.tsv").display().to_string();
    let args = [
        "video",
        "--summarize",
        ".",
        "--manifest",
        &manifest,
        "--json",
    ];
    let r = dinstyle(&args, empty.path());
    assert_eq!(r.status.code(), Some(75), "{}", stderr(&r));
    let json: serde_json::Value = serde_json::from_slice(&r.stdout).unwrap();
    assert_eq!(json["pending"], 4, "{json}");
    // The Job's shard count is stated twice (Kubernetes does not pass `completions` to pods).
    let job = std::fs::read_to_string(k8s.join("job.yaml")).unwrap();
    let after = |key: &str| {
        let rest = &job[job.find(key).unwrap_or_else(|| panic!("{key}")) + key.len()..];
        let digits: String = rest
            .chars()
            .skip_while(|c| !c.is_ascii_digit())
            .take_while(char::is_ascii_digit)
            .collect();
        digits.parse::<u32>().unwrap()
    };
    assert_eq!(
        after("completions:"),
        after("name: DINSTYLE_SHARDS"),
        "job.yaml"
    );
    for arg in [
        "--manifest=/etc/dinstyle/manifest.tsv",
        "--report-dir=/out/reports",
        "--style=",
    ] {
        assert!(job.contains(arg), "job.yaml lost {arg}");
    }
}
