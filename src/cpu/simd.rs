//! Run-time choice of the instruction set for the row kernels.
//!
//! The crate is built for baseline x86-64 (SSE2) so that one binary runs anywhere; the kernels
//! are compiled a second and third time with AVX2+FMA and AVX-512 enabled and picked per call.
//! `DINSTYLE_SIMD=generic|avx2|avx512` forces a level (benchmarks and tests compare them).

use std::sync::OnceLock;

/// An instruction set this CPU has. Only detection makes one (the kernels trust it to run the
/// AVX code paths), so it cannot name an instruction set the CPU lacks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Level(pub(crate) Isa);

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd)]
pub(crate) enum Isa {
    Generic,
    Avx2,
    Avx512,
}

impl Level {
    /// The best level this CPU supports, or the one `DINSTYLE_SIMD` asks for (never one the
    /// CPU lacks).
    pub fn get() -> Level {
        static LEVEL: OnceLock<Level> = OnceLock::new();
        *LEVEL.get_or_init(|| {
            let wanted = std::env::var("DINSTYLE_SIMD").unwrap_or_default();
            let supported = Self::supported();
            supported
                .iter()
                .copied()
                .find(|l| l.name() == wanted)
                .unwrap_or(supported[supported.len() - 1])
        })
    }

    /// Every level this CPU can run, slowest first.
    pub fn supported() -> Vec<Level> {
        let best = Self::best_supported();
        [Isa::Generic, Isa::Avx2, Isa::Avx512]
            .into_iter()
            .filter(|isa| *isa <= best)
            .map(Level)
            .collect()
    }

    fn best_supported() -> Isa {
        #[cfg(target_arch = "x86_64")]
        {
            let avx2 = is_x86_feature_detected!("avx2") && is_x86_feature_detected!("fma");
            if avx2 && is_x86_feature_detected!("avx512f") {
                return Isa::Avx512;
            }
            if avx2 {
                return Isa::Avx2;
            }
        }
        Isa::Generic
    }

    pub fn name(self) -> &'static str {
        match self.0 {
            Isa::Generic => "generic",
            Isa::Avx2 => "avx2",
            Isa::Avx512 => "avx512",
        }
    }
}

/// Whether `f32::mul_add` is a single instruction on the baseline target (it is a slow library
/// call on baseline x86-64).
pub const FMA_NATIVE: bool = cfg!(any(target_arch = "aarch64", target_feature = "fma"));

/// `a * b + c`, fused where the instantiation has FMA.
#[inline(always)]
pub fn madd<const FMA: bool>(a: f32, b: f32, c: f32) -> f32 {
    if FMA {
        a.mul_add(b, c)
    } else {
        a * b + c
    }
}

/// Defines `$vis fn $name(level: Level, args..)` that runs `$body::<LANES, FMA>(args..)` compiled
/// for the requested instruction set. `LANES` is the width of the kernels' register blocks.
macro_rules! dispatch {
    ($(#[$doc:meta])* $vis:vis $name:ident => $body:ident ($($arg:ident : $ty:ty),* $(,)?)) => {
        $(#[$doc])*
        #[allow(clippy::too_many_arguments)]
        $vis fn $name(level: $crate::cpu::simd::Level, $($arg: $ty),*) {
            #[cfg(target_arch = "x86_64")]
            {
                #[target_feature(enable = "avx512f,avx2,fma")]
                #[allow(clippy::too_many_arguments)]
                unsafe fn avx512($($arg: $ty),*) {
                    $body::<16, true>($($arg),*)
                }
                #[target_feature(enable = "avx2,fma")]
                #[allow(clippy::too_many_arguments)]
                unsafe fn avx2($($arg: $ty),*) {
                    $body::<8, true>($($arg),*)
                }
                // SAFETY: a `Level` is only made by detection, so the CPU has these features.
                match level.0 {
                    $crate::cpu::simd::Isa::Avx512 => return unsafe { avx512($($arg),*) },
                    $crate::cpu::simd::Isa::Avx2 => return unsafe { avx2($($arg),*) },
                    $crate::cpu::simd::Isa::Generic => {}
                }
            }
            let _ = level;
            $body::<8, { $crate::cpu::simd::FMA_NATIVE }>($($arg),*)
        }
    };
}
pub(crate) use dispatch;
