//! Which manifest lines a shard paints. Every shard probes every input's frame count and makes
//! the same split: no coordinator, no shared state, the same answer in every pod.

use std::path::Path;
use std::str::FromStr;

use dinstyle::{Error, Result};

/// The environment variable Kubernetes sets to a pod's index in an Indexed Job.
pub const INDEX_ENV: &str = "JOB_COMPLETION_INDEX";
/// The environment variable that gives the number of shards (the Job's `completions`).
pub const COUNT_ENV: &str = "DINSTYLE_SHARDS";

/// Shard `index` of `count`, counted from 0 as Kubernetes counts completion indexes.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Shard {
    pub index: usize,
    pub count: usize,
}

impl Shard {
    pub const WHOLE: Shard = Shard { index: 0, count: 1 };

    fn new(index: usize, count: usize) -> std::result::Result<Self, String> {
        match (count, index < count) {
            (0, _) => Err("there must be at least one shard".into()),
            (_, false) => Err(format!(
                "shard {index} of {count}: shards count from 0 to {}",
                count - 1
            )),
            _ => Ok(Shard { index, count }),
        }
    }

    /// The shard from `--shard`, else from `JOB_COMPLETION_INDEX` with the count from
    /// `--shards` or `DINSTYLE_SHARDS`; the whole manifest when none of them is set.
    pub fn resolve(shard: Option<Shard>, shards: Option<usize>) -> Result<Shard> {
        let env = |name| {
            std::env::var(name)
                .ok()
                .filter(|v: &String| !v.trim().is_empty())
        };
        let number = |name: &str, value: String| {
            value.trim().parse::<usize>().map_err(|_| {
                Error::InvalidArgument(format!("{name}={value:?} is not a whole number"))
            })
        };
        if let Some(shard) = shard {
            return Ok(shard);
        }
        let count = match (shards, env(COUNT_ENV)) {
            (Some(n), _) => Some(n),
            (None, Some(v)) => Some(number(COUNT_ENV, v)?),
            (None, None) => None,
        };
        let index = env(INDEX_ENV).map(|v| number(INDEX_ENV, v)).transpose()?;
        match (index, count) {
            (None, None) => Ok(Shard::WHOLE),
            (Some(index), Some(count)) => Shard::new(index, count).map_err(Error::InvalidArgument),
            (Some(_), None) => Err(Error::InvalidArgument(format!(
                "{INDEX_ENV} is set: give the number of shards with --shards or {COUNT_ENV}"
            ))),
            (None, Some(_)) => Err(Error::InvalidArgument(format!(
                "--shards/{COUNT_ENV} without {INDEX_ENV}: give --shard K/N"
            ))),
        }
    }

    /// Name for this shard's report file.
    pub fn file_stem(&self) -> String {
        format!("shard-{}-of-{}", self.index, self.count)
    }
}

impl std::fmt::Display for Shard {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}", self.index, self.count)
    }
}

impl FromStr for Shard {
    type Err = String;

    /// `K/N`.
    fn from_str(s: &str) -> std::result::Result<Self, String> {
        let (k, n) = s.split_once('/').ok_or("expected K/N, e.g. 0/4")?;
        let parse = |v: &str| {
            v.trim()
                .parse::<usize>()
                .map_err(|_| format!("{v:?} is not a whole number"))
        };
        Shard::new(parse(k)?, parse(n)?)
    }
}

/// The shard of each item: longest first, each to the shard with the fewest frames so far
/// (ties to the lower index). Deterministic for the same weights.
pub fn split(frames: &[u64], count: usize) -> Vec<usize> {
    let mut order: Vec<usize> = (0..frames.len()).collect();
    order.sort_by_key(|&i| (std::cmp::Reverse(frames[i]), i));
    let mut load = vec![0u64; count];
    let mut shard_of = vec![0; frames.len()];
    for i in order {
        let lightest = (0..count).min_by_key(|&s| (load[s], s)).unwrap_or(0);
        load[lightest] += frames[i].max(1);
        shard_of[i] = lightest;
    }
    shard_of
}

/// A video's frame count from its duration and frame rate, for balancing; 1 when it cannot be
/// probed (the file then fails where it is painted, with its own error).
pub fn probe_frames(path: &Path) -> u64 {
    probe(path).unwrap_or(1)
}

fn probe(path: &Path) -> Option<u64> {
    let absolute = std::path::absolute(path).ok()?;
    let uri = gst::glib::filename_to_uri(&absolute, None).ok()?;
    let discoverer = gst_pbutils::Discoverer::new(gst::ClockTime::from_seconds(10)).ok()?;
    let info = discoverer.discover_uri(&uri).ok()?;
    let seconds = info.duration()?.nseconds() as f64 / 1e9;
    let stream = info.video_streams().into_iter().next()?;
    let rate = stream.framerate();
    // Variable frame rate reports 0/1: count 25 frames a second.
    let fps = match (rate.numer(), rate.denom()) {
        (n, d) if n > 0 && d > 0 => n as f64 / d as f64,
        _ => 25.0,
    };
    Some((seconds * fps).round().max(1.0) as u64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shard_specs_parse() {
        assert_eq!("2/5".parse(), Ok(Shard { index: 2, count: 5 }));
        for bad in ["5/5", "0/0", "1", "a/2", "-1/2", ""] {
            assert!(bad.parse::<Shard>().is_err(), "{bad}");
        }
        assert_eq!(Shard { index: 1, count: 3 }.file_stem(), "shard-1-of-3");
    }

    #[test]
    fn split_is_balanced_complete_and_deterministic() {
        let frames: Vec<u64> = (0..40).map(|i| (i * 7919 % 600 + 20) as u64).collect();
        for count in [1, 2, 3, 7, 40, 50] {
            let shard_of = split(&frames, count);
            assert_eq!(shard_of, split(&frames, count), "not deterministic");
            assert!(shard_of.iter().all(|&s| s < count));
            let mut load = vec![0u64; count];
            for (i, &s) in shard_of.iter().enumerate() {
                load[s] += frames[i];
            }
            let (max, min) = (load.iter().max().unwrap(), load.iter().min().unwrap());
            // Longest-first greedy: no shard ends more than the longest item above another
            // (with more shards than items, some shards stay empty).
            assert!(
                max - min <= *frames.iter().max().unwrap(),
                "{count}: {load:?}"
            );
        }
        // A few long files and many short ones: not split by file count.
        let frames = [1000, 1000, 10, 10, 10, 10, 10, 10];
        let shard_of = split(&frames, 2);
        assert_ne!(shard_of[0], shard_of[1]);
        assert_eq!(shard_of.iter().filter(|&&s| s == 0).count(), 4);
    }
}
