//! Bundled presets: kernel files made by the shipped model from public-domain paintings
//! (`models/presets/`, sources in its README), usable as `preset:NAME` anywhere a style is.

use crate::{DinModel, Error, Result, StyleKernels};

/// A bundled style.
#[derive(Debug)]
pub struct Preset {
    pub name: &'static str,
    pub painting: &'static str,
    pub artist: &'static str,
    pub year: u16,
    /// The painting it was encoded from, in this repository.
    pub image: &'static str,
    kernels: &'static [u8],
}

macro_rules! preset {
    ($name:literal, $painting:literal, $artist:literal, $year:literal, $image:literal) => {
        Preset {
            name: $name,
            painting: $painting,
            artist: $artist,
            year: $year,
            image: concat!("assets/styles/", $image),
            kernels: include_bytes!(concat!("../../models/presets/", $name, ".dinstyle")),
        }
    };
}

/// Every preset, in the order `dinstyle presets` lists them.
pub static PRESETS: &[Preset] = &[
    preset!(
        "cafe-terrace",
        "Cafe Terrace at Night",
        "Vincent van Gogh",
        1888,
        "vangogh_cafe_terrace_at_night_1888.webp"
    ),
    preset!(
        "the-night-cafe",
        "The Night Café",
        "Vincent van Gogh",
        1888,
        "vangogh_the_night_cafe_1888.webp"
    ),
    preset!(
        "langlois-bridge",
        "The Bridge of Langlois at Arles",
        "Vincent van Gogh",
        1888,
        "vangogh_langlois_bridge_arles_1888.webp"
    ),
    preset!(
        "church-at-auvers",
        "The Church at Auvers-sur-Oise",
        "Vincent van Gogh",
        1890,
        "vangogh_church_at_auvers_1890.webp"
    ),
    preset!(
        "pere-tanguy",
        "Portrait of Père Tanguy",
        "Vincent van Gogh",
        1887,
        "vangogh_portrait_of_pere_tanguy_1887.webp"
    ),
    preset!(
        "the-harvest",
        "The Harvest",
        "Vincent van Gogh",
        1888,
        "vangogh_the_harvest_1888.webp"
    ),
];

/// The preset called `name`.
pub fn find(name: &str) -> Option<&'static Preset> {
    PRESETS.iter().find(|p| p.name == name)
}

/// The presets' names, comma-separated (for messages and property blurbs).
pub fn names() -> String {
    PRESETS
        .iter()
        .map(|p| p.name)
        .collect::<Vec<_>>()
        .join(", ")
}

/// A preset's kernels for `model` (the bundled model: presets were encoded with it).
pub fn load(name: &str, model: &DinModel) -> Result<StyleKernels> {
    let preset = find(name).ok_or_else(|| {
        Error::InvalidArgument(format!(
            "no preset '{name}'; the presets are: {} (dinstyle presets)",
            names()
        ))
    })?;
    let source = format!("of preset '{name}'");
    if super::read_info(preset.kernels, &source)?.model != model.identity() {
        return Err(Error::Kernels {
            source_name: source,
            reason: format!(
                "presets belong to the bundled model; with another model, use the painting \
                 itself ({})",
                preset.image
            ),
        });
    }
    Ok(super::kernels_from_bytes(preset.kernels, &source, model)?.0)
}
