//! Run-time temporal stability: the instance-norm statistics of the DIN layers, smoothed over
//! the frames of a stream with an exponential moving average.
//!
//! A per-frame network normalises every frame by its own feature statistics, so a small change
//! anywhere in the picture (a hand entering, auto-exposure) shifts the colours and strokes of the
//! whole painting: global flicker. Averaging the statistics over time removes it; a scene cut
//! (the statistics jump) restarts the average so a new shot is not painted with the old one's.

/// Per-channel mean and variance of each DIN layer's input, for one frame.
pub type LayerStats = [(Vec<f64>, Vec<f64>); 3];

/// Cut score above which the average restarts: the mean, over channels, of how many standard
/// deviations a channel's mean moved since the previous frame. Measured on the clips in
/// ../shared/data/video (the element logs every score at `GST_DEBUG=dinstyle:6`): consecutive
/// frames 0.000-0.013 (static and slow cameras), up to 0.094 (a fast pan at 12.5 fps); a cut
/// from one clip to another 0.117-0.180. A false cut only restarts the average.
pub const CUT_THRESHOLD: f64 = 0.1;

/// The moving average of one stream (kept in [`super::Workspace`]).
#[derive(Debug, Default, Clone)]
pub struct Stability {
    /// Weight of the past, 0 (off) ..= 0.99.
    strength: f64,
    smoothed: Option<LayerStats>,
    /// The last frame's own statistics: the same frame seen again (a second style painted over
    /// it) does not move the average twice.
    last_raw: Option<LayerStats>,
    last_cut_score: f64,
}

impl Stability {
    /// Sets the weight of the past (clamped to 0..=0.99); 0 turns smoothing off.
    pub fn set_strength(&mut self, strength: f64) {
        self.strength = strength.clamp(0.0, 0.99);
        if self.strength == 0.0 {
            self.reset();
        }
    }

    /// Forgets the past (a seek, a new stream).
    pub fn reset(&mut self) {
        self.smoothed = None;
        self.last_raw = None;
    }

    /// How far the last new frame's statistics were from the average (0 for the first frame).
    pub fn last_cut_score(&self) -> f64 {
        self.last_cut_score
    }

    /// Replaces this frame's statistics by the moving average (a no-op when off).
    pub fn smooth(&mut self, stats: &mut LayerStats) {
        if self.strength == 0.0 {
            return;
        }
        if self.last_raw.as_ref() == Some(stats) {
            if let Some(s) = &self.smoothed {
                stats.clone_from(s);
            }
            return;
        }
        // A cut is a jump from one frame to the next (a pan or a fade drifts over many frames,
        // which the average follows).
        let previous = self.last_raw.replace(stats.clone());
        self.last_cut_score = match &previous {
            Some(p) if same_shape(p, stats) => cut_score(p, stats),
            _ => 0.0,
        };
        let Some(avg) = self.smoothed.as_mut().filter(|a| same_shape(a, stats)) else {
            self.smoothed = Some(stats.clone());
            return;
        };
        if self.last_cut_score > CUT_THRESHOLD {
            avg.clone_from(stats);
            return;
        }
        // Trust the past less as the picture moves faster, so a pan is followed without lag
        // while a still scene is held steady.
        let k = self.strength * (1.0 - self.last_cut_score / CUT_THRESHOLD).clamp(0.0, 1.0);
        for ((am, av), (m, v)) in avg.iter_mut().zip(stats.iter_mut()) {
            for (a, x) in am
                .iter_mut()
                .zip(m.iter_mut())
                .chain(av.iter_mut().zip(v.iter_mut()))
            {
                *a = k * *a + (1.0 - k) * *x;
                *x = *a;
            }
        }
    }
}

fn same_shape(a: &LayerStats, b: &LayerStats) -> bool {
    a.iter().zip(b).all(|(x, y)| x.0.len() == y.0.len())
}

/// Mean over every channel of every layer of `|mean - mean before| / sqrt(var before + var)`.
fn cut_score(avg: &LayerStats, stats: &LayerStats) -> f64 {
    let (mut sum, mut n) = (0.0, 0usize);
    for ((am, av), (m, v)) in avg.iter().zip(stats) {
        for i in 0..m.len() {
            sum += (m[i] - am[i]).abs() / (av[i] + v[i] + 1e-6).sqrt();
            n += 1;
        }
    }
    sum / n.max(1) as f64
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stats(mean: f64, var: f64) -> LayerStats {
        let layer = |c: usize| (vec![mean; c], vec![var; c]);
        [layer(2), layer(3), layer(4)]
    }

    #[test]
    fn off_changes_nothing() {
        let mut s = Stability::default();
        let mut x = stats(1.0, 1.0);
        s.smooth(&mut x);
        s.smooth(&mut stats(5.0, 1.0));
        assert_eq!(x, stats(1.0, 1.0));
    }

    #[test]
    fn the_average_follows_slowly_and_restarts_on_cuts() {
        let mut s = Stability::default();
        s.set_strength(0.75);
        let mut first = stats(1.0, 4.0);
        s.smooth(&mut first);
        assert_eq!(first, stats(1.0, 4.0));
        // A small move of 0.02 / sqrt(8) = 0.0071 deviations is averaged with the weight of the
        // past lowered by the move: 0.75 * (1 - 0.0071 / 0.1) = 0.697.
        let mut next = stats(1.02, 4.0);
        s.smooth(&mut next);
        let score = 0.02 / 8f64.sqrt();
        assert!((s.last_cut_score() - score).abs() < 1e-6);
        let k = 0.75 * (1.0 - score / CUT_THRESHOLD);
        assert!((next[2].0[3] - (k * 1.0 + (1.0 - k) * 1.02)).abs() < 1e-9);
        assert!(next[1].1[0] == 4.0);
        // The same frame again (a second pass) gives the same result without moving on.
        let mut again = stats(1.02, 4.0);
        s.smooth(&mut again);
        assert_eq!(again, next);
        // A jump of 3 deviations is a cut: the new frame's own statistics.
        let mut cut = stats(9.0, 4.0);
        s.smooth(&mut cut);
        assert_eq!(cut, stats(9.0, 4.0));
        assert!(s.last_cut_score() > CUT_THRESHOLD);
        // Reset and resizes start over.
        s.reset();
        let mut other = stats(3.0, 1.0);
        s.smooth(&mut other);
        assert_eq!(other, stats(3.0, 1.0));
        let mut small = [
            (vec![0.0], vec![1.0]),
            (vec![0.0], vec![1.0]),
            (vec![0.0], vec![1.0]),
        ];
        s.smooth(&mut small);
        assert_eq!(small[0], (vec![0.0], vec![1.0]));
    }
}
