//! GStreamer plugin `dinstyle`: real-time arbitrary style transfer for video.
//!
//! One element, [`dinstyle`](dinstyle::DinStyle). Build with `cargo build --release -p
//! gst-plugin-dinstyle` and point `GST_PLUGIN_PATH` at `target/release`, or install it with
//! `scripts/install-plugin.sh`.

use gst::glib;

pub mod dinstyle;

fn plugin_init(plugin: &gst::Plugin) -> Result<(), glib::BoolError> {
    dinstyle::register(plugin)
}

gst::plugin_define!(
    dinstyle,
    env!("CARGO_PKG_DESCRIPTION"),
    plugin_init,
    concat!(env!("CARGO_PKG_VERSION"), "-", env!("COMMIT_ID")),
    "MIT/X11",
    env!("CARGO_PKG_NAME"),
    env!("CARGO_PKG_NAME"),
    "https://github.com/dinstyle/dinstyle",
    env!("BUILD_REL_DATE")
);
