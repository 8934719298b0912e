//! Renders a picture grid with the bundled model: photos across the top, styles down the side,
//! every photo painted in every style by the painter with default settings, as `dinstyle image`
//! paints. Used for the model card and the README.
//!
//!     cargo run --release --example grid -- assets/grid.jpg assets/photos/{chelsea,coffee}.png \
//!         --styles assets/styles/vangogh_the_night_cafe_1888.webp ...

use std::path::PathBuf;

use candle_core::Device;
use dinstyle::frame::Packed;
use dinstyle::painter::texture::matched_texture_level;
use dinstyle::{image_io, DinModel, PaintSettings, Painter};
use image::{imageops, Rgb, RgbImage};

const CELL: u32 = 256;

fn main() -> dinstyle::Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let split = args
        .iter()
        .position(|a| a == "--styles")
        .expect("usage: grid OUT PHOTO... --styles STYLE...");
    let out = PathBuf::from(&args[0]);
    let photos: Vec<PathBuf> = args[1..split].iter().map(PathBuf::from).collect();
    let styles: Vec<PathBuf> = args[split + 1..].iter().map(PathBuf::from).collect();

    let device = Device::Cpu;
    let model = std::sync::Arc::new(DinModel::bundled(&device)?);
    let cell = |img: &RgbImage| {
        let small = image_io::resize_short_side(img, CELL);
        let (w, h) = small.dimensions();
        imageops::crop_imm(&small, (w - CELL) / 2, (h - CELL) / 2, CELL, CELL).to_image()
    };
    let mut grid = RgbImage::from_pixel(
        CELL * (photos.len() as u32 + 1),
        CELL * (styles.len() as u32 + 1),
        Rgb([255; 3]),
    );
    let photo_imgs = photos
        .iter()
        .map(|p| image_io::load_image(p, "photo").map(|i| image_io::limit_long_side(&i.rgb, 512)))
        .collect::<dinstyle::Result<Vec<_>>>()?;
    for (i, p) in photo_imgs.iter().enumerate() {
        imageops::replace(&mut grid, &cell(p), (CELL * (i as u32 + 1)).into(), 0);
    }
    for (j, s) in styles.iter().enumerate() {
        let style = image_io::load_image(s, "style")?.rgb;
        let y = (CELL * (j as u32 + 1)).into();
        imageops::replace(&mut grid, &cell(&style), 0, y);
        let kernels = model.encode_style(&image_io::to_tensor(
            &image_io::fit_style(&style, dinstyle::DEFAULT_STYLE_SIZE),
            &device,
        )?)?;
        let mut painter = Painter::new(model.clone(), kernels, dinstyle::DEFAULT_STYLE_SIZE)?;
        for (i, p) in photo_imgs.iter().enumerate() {
            // as `dinstyle image --texture auto` (its default): the fine band brought past the
            // style image's own at the photo's size (`texture::LEVEL_OVER_STYLE` times)
            let settings = PaintSettings {
                texture: 0.0,
                texture_level: matched_texture_level(
                    &style,
                    p.dimensions(),
                    dinstyle::DEFAULT_PROCESSING_SIZE,
                ),
                ..PaintSettings::default()
            };
            let mut painted = p.clone();
            painter.begin_frame(&settings, (p.width() as usize, p.height() as usize));
            painter.paint(&settings, Packed::rgb(p), Packed::rgb_mut(&mut painted))?;
            imageops::replace(
                &mut grid,
                &cell(&painted),
                (CELL * (i as u32 + 1)).into(),
                y,
            );
        }
    }
    image_io::save_image(&grid, None, &out)?;
    println!("{}", out.display());
    Ok(())
}
