//! The `dinstyle` element: paints every video frame in the style of an image, with the DIN
//! network of the `dinstyle` crate. The style is encoded once into style kernels; each frame
//! then runs only the light content path.
//!
//! ```text
//! gst-launch-1.0 v4l2src ! videoconvert ! dinstyle style=starry.jpg ! videoconvert ! autovideosink
//! gst-launch-1.0 videotestsrc ! dinstyle style=painting.jpg processing-size=360 alpha=0.8 \
//!     ! videoconvert ! autovideosink
//! ```
//!
//! `style` takes images, kernel files (`dinstyle encode-style`), `preset:NAME` and weighted
//! mixes (`a.jpg:0.7,b.jpg:0.3`). `style`, `alpha`, `preserve-colour`, `mask` and `mask-style`
//! can change while PLAYING: a new style is loaded off the streaming thread and swapped in
//! between two frames, cross-faded over `transition-frames`.
//!
//! ```text
//! gst-launch-1.0 v4l2src ! videoconvert ! dinstyle style=preset:the-night-cafe \
//!     preserve-colour=true mask=left-half.png transition-frames=30 ! videoconvert ! autovideosink
//! ```

use gst::glib;
use gst::prelude::*;

mod frame;
mod imp;

glib::wrapper! {
    pub struct DinStyle(ObjectSubclass<imp::DinStyle>)
        @extends gst_video::VideoFilter, gst_base::BaseTransform, gst::Element, gst::Object;
}

pub fn register(plugin: &gst::Plugin) -> Result<(), glib::BoolError> {
    gst::Element::register(
        Some(plugin),
        "dinstyle",
        gst::Rank::NONE,
        DinStyle::static_type(),
    )
}
