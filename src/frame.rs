//! Packed 8-bit frames: the one type in which every frame step (the engines, the mask, colour
//! preservation, the element's buffers, the CLI's images) reads and writes pixels.

use image::RgbImage;

use crate::{Error, Result};

/// Where R, G and B sit in one packed pixel, and how many bytes a pixel takes
/// (RGBx: `[0, 1, 2]`, 4; BGRA: `[2, 1, 0]`, 4; RGB: `[0, 1, 2]`, 3).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PixelLayout {
    pub rgb: [usize; 3],
    pub bytes_per_pixel: usize,
}

impl PixelLayout {
    /// Three bytes per pixel, R G B (as `image::RgbImage`).
    pub const RGB: PixelLayout = PixelLayout {
        rgb: [0, 1, 2],
        bytes_per_pixel: 3,
    };
    /// Four bytes per pixel, R G B and an unused or alpha byte.
    pub const RGBX: PixelLayout = PixelLayout {
        rgb: [0, 1, 2],
        bytes_per_pixel: 4,
    };
}

/// A `width` x `height` frame of packed pixels whose rows start every `stride` bytes. Only the
/// colour bytes are ever written: alpha and padding bytes stay as they are.
#[derive(Debug, Clone, Copy)]
pub struct Packed<D> {
    pub data: D,
    pub stride: usize,
    pub width: usize,
    pub height: usize,
    pub layout: PixelLayout,
}

impl<'a> Packed<&'a [u8]> {
    /// An RGB image as a frame.
    pub fn rgb(img: &'a RgbImage) -> Self {
        Packed {
            data: img.as_raw(),
            stride: 3 * img.width() as usize,
            width: img.width() as usize,
            height: img.height() as usize,
            layout: PixelLayout::RGB,
        }
    }
}

impl<'a> Packed<&'a mut [u8]> {
    /// An RGB image as a frame to write.
    pub fn rgb_mut(img: &'a mut RgbImage) -> Self {
        let (width, height) = (img.width() as usize, img.height() as usize);
        Packed {
            data: &mut **img,
            stride: 3 * width,
            width,
            height,
            layout: PixelLayout::RGB,
        }
    }
}

impl<D: AsRef<[u8]>> Packed<D> {
    /// Whether the buffer holds the frame: layout, stride and length agree with the size.
    pub fn fits(&self) -> bool {
        let (w, h, l) = (self.width, self.height, self.layout);
        let row = w * l.bytes_per_pixel;
        l.rgb.iter().all(|&i| i < l.bytes_per_pixel)
            && self.stride >= row
            && (h == 0 || self.data.as_ref().len() >= (h - 1) * self.stride + row)
    }

    /// [`Self::fits`] as an error naming `what`.
    pub fn check(&self, what: &str) -> Result<()> {
        match self.fits() {
            true => Ok(()),
            false => Err(Error::InvalidArgument(format!(
                "{what}: a buffer of {} bytes, stride {}, does not hold {}x{} pixels of {} bytes",
                self.data.as_ref().len(),
                self.stride,
                self.width,
                self.height,
                self.layout.bytes_per_pixel
            ))),
        }
    }

    pub fn size(&self) -> (usize, usize) {
        (self.width, self.height)
    }

    /// A read-only view of the same pixels.
    pub fn view(&self) -> Packed<&[u8]> {
        Packed {
            data: self.data.as_ref(),
            stride: self.stride,
            width: self.width,
            height: self.height,
            layout: self.layout,
        }
    }

    /// The colour bytes of one row.
    pub fn row(&self, y: usize) -> &[u8] {
        &self.data.as_ref()[y * self.stride..][..self.width * self.layout.bytes_per_pixel]
    }

    /// The pixels as an RGB image.
    pub fn to_rgb(&self) -> RgbImage {
        let l = self.layout;
        let mut out = Vec::with_capacity(self.width * self.height * 3);
        for y in 0..self.height {
            for px in self.row(y).chunks_exact(l.bytes_per_pixel) {
                out.extend(l.rgb.map(|i| px[i]));
            }
        }
        RgbImage::from_raw(self.width as u32, self.height as u32, out)
            .expect("the buffer holds width x height RGB pixels")
    }
}

impl<D: AsMut<[u8]> + AsRef<[u8]>> Packed<D> {
    /// A writable view of the same pixels.
    pub fn view_mut(&mut self) -> Packed<&mut [u8]> {
        Packed {
            data: self.data.as_mut(),
            stride: self.stride,
            width: self.width,
            height: self.height,
            layout: self.layout,
        }
    }

    /// Writes the colour bytes of an RGB image of the frame's size.
    pub fn write_rgb(&mut self, rgb: &RgbImage) {
        let l = self.layout;
        let (w, stride) = (self.width, self.stride);
        let data = self.data.as_mut();
        for (y, src) in rgb.rows().enumerate().take(self.height) {
            let row = &mut data[y * stride..][..w * l.bytes_per_pixel];
            for (px, p) in row.chunks_exact_mut(l.bytes_per_pixel).zip(src) {
                for (c, &i) in l.rgb.iter().enumerate() {
                    px[i] = p[c];
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const BGRX: PixelLayout = PixelLayout {
        rgb: [2, 1, 0],
        bytes_per_pixel: 4,
    };

    #[test]
    fn rgb_round_trip_keeps_other_bytes() {
        // 2x2 BGRx, rows 10 bytes apart (2 bytes of padding).
        let mut data = [7u8; 20];
        let img = RgbImage::from_fn(2, 2, |x, y| image::Rgb([x as u8, y as u8, 9]));
        let mut frame = Packed {
            data: &mut data[..],
            stride: 10,
            width: 2,
            height: 2,
            layout: BGRX,
        };
        frame.write_rgb(&img);
        assert_eq!(frame.view().to_rgb(), img);
        assert_eq!(&data[..10], &[9, 0, 0, 7, 9, 0, 1, 7, 7, 7]);
    }

    #[test]
    fn short_buffers_do_not_fit() {
        let data = [0u8; 19];
        let frame = |stride| Packed {
            data: &data[..],
            stride,
            width: 2,
            height: 2,
            layout: BGRX,
        };
        assert!(frame(8).fits());
        assert!(frame(10).fits());
        assert!(!frame(7).fits());
        assert!(frame(12).check("test").is_err());
    }
}
