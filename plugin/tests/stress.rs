//! The element under stress: hostile style and mask files while playing, caps renegotiated
//! every few frames, state cycles, properties changed from another thread on every frame,
//! flushing seeks in a loop, EOS without frames, padded strides, and a style file deleted or
//! rewritten while it loads. No panic, no deadlock, and in file pipelines every frame in is a
//! frame out.

mod common;

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use gst::prelude::*;
use gst_video::prelude::*;
use gst_video::VideoFormat;

use common::hostile::{huge_header, png_bomb, truncated_jpeg};
use common::*;

/// The warnings `bus` holds now.
fn warnings(bus: &gst::Bus) -> Vec<String> {
    std::iter::from_fn(|| bus.pop_filtered(&[gst::MessageType::Warning]))
        .filter_map(|m| match m.view() {
            gst::MessageView::Warning(w) => Some(w.error().to_string()),
            _ => None,
        })
        .collect()
}

#[test]
fn hostile_styles_and_masks_while_playing_warn_and_keep_the_previous_ones() {
    let s = styles();
    let dir = s._dir.path();
    let bomb = dir.join("bomb.png");
    std::fs::write(&bomb, png_bomb(40000)).unwrap();
    let cut = dir.join("cut.jpg");
    std::fs::write(&cut, truncated_jpeg(5000)).unwrap();
    let huge = dir.join("huge.dinstyle");
    std::fs::write(&huge, huge_header()).unwrap();

    let mut h = harness(&s.blue, VideoFormat::Rgbx, 48, 32);
    let element = h.element().unwrap();
    let bus = gst::Bus::new();
    element.set_bus(Some(&bus));
    let input = frame(VideoFormat::Rgbx, 48, 32);
    let before = bytes(&h.push_and_pull(input.clone()).unwrap());
    let cases = [
        (bomb.to_str().unwrap(), "megapixels"),
        ("/dev/zero", "not one of"),
        (cut.to_str().unwrap(), "truncated"),
        (huge.to_str().unwrap(), "over the limit"),
    ];
    for (file, reason) in cases {
        for property in ["style", "mask-style", "mask"] {
            element.set_property(property, file);
            let mut said = Vec::new();
            for _ in 0..100 {
                let out = bytes(&h.push_and_pull(input.clone()).unwrap());
                assert_eq!(out, before, "{property}={file} changed the frames");
                said.extend(warnings(&bus));
                if !said.is_empty() {
                    break;
                }
                std::thread::sleep(Duration::from_millis(20));
            }
            // the mask is read as an image: a kernel file is no image to it
            let reason = if property == "mask" && file.ends_with(".dinstyle") {
                "not one of"
            } else {
                reason
            };
            assert!(
                said.iter().any(|w| w.contains(file) && w.contains(reason)),
                "{property}={file}: warnings {said:?} lack '{reason}'"
            );
            element.set_property(property, None::<String>.to_value());
            if property == "style" {
                // unsetting the style keeps it too (and says so)
                element.set_property("style", s.blue.to_str().unwrap());
            }
        }
    }
}

#[test]
fn caps_renegotiated_every_few_frames() {
    let s = styles();
    let mut h = harness(&s.blue, VideoFormat::Rgbx, 64, 48);
    let formats = [
        VideoFormat::Rgbx,
        VideoFormat::I420,
        VideoFormat::Rgb,
        VideoFormat::Nv12,
        VideoFormat::Bgra,
        VideoFormat::Yuy2,
    ];
    let sizes = [(64, 48), (97, 31), (1, 1), (33, 17), (2, 240), (160, 90)];
    for round in 0..24 {
        let format = formats[round % formats.len()];
        let (w, hgt) = sizes[(round * 5) % sizes.len()];
        h.set_src_caps(caps(format, w, hgt));
        for _ in 0..3 {
            let info = gst_video::VideoInfo::builder(format, w, hgt)
                .build()
                .unwrap();
            let pattern: Vec<u8> = (0..info.size()).map(|i| (i * 37 % 251) as u8).collect();
            let out = h
                .push_and_pull(gst::Buffer::from_mut_slice(pattern))
                .expect("a frame out");
            assert_eq!(out.size(), info.size(), "{format:?} {w}x{hgt}");
        }
    }
}

#[test]
fn hundred_state_cycles_keep_every_frame() {
    let s = styles();
    let p = launch(&format!(
        "videotestsrc num-buffers=3 ! video/x-raw,width=40,height=30 \
         ! dinstyle style={} ! fakesink name=sink sync=false",
        s.blue.display()
    ));
    for cycle in 0..100 {
        assert_eq!(count_frames(&p), 3, "cycle {cycle}");
    }
}

#[test]
fn properties_changed_from_another_thread_on_every_frame() {
    let s = styles();
    let p = launch(&format!(
        "videotestsrc num-buffers=120 pattern=ball ! video/x-raw,width=64,height=48,framerate=30/1 \
         ! dinstyle name=d style={} ! fakesink name=sink sync=false",
        s.blue.display()
    ));
    let element = p.downcast_ref::<gst::Bin>().unwrap().by_name("d").unwrap();
    let mask = s._dir.path().join("half.png");
    image::GrayImage::from_fn(8, 8, |x, _| image::Luma([if x < 4 { 0 } else { 255 }]))
        .save(&mask)
        .unwrap();
    let done = Arc::new(AtomicBool::new(false));
    let changer = {
        let (done, element) = (done.clone(), element.clone());
        let styles = [
            s.red.to_str().unwrap().to_owned(),
            s.blue.to_str().unwrap().to_owned(),
            "preset:night-cafe".to_owned(),
            s.corrupt.to_str().unwrap().to_owned(),
        ];
        let mask = mask.to_str().unwrap().to_owned();
        std::thread::spawn(move || {
            let mut i = 0usize;
            while !done.load(Ordering::SeqCst) {
                element.set_property("style", &styles[i % styles.len()]);
                element.set_property("alpha", (i % 11) as f64 / 10.0);
                element.set_property("mask", i.is_multiple_of(3).then_some(mask.as_str()));
                element.set_property("stability", (i % 5) as f64 / 5.0);
                element.set_property("processing-size", [0u32, 24, 40, 96][i % 4]);
                element.set_property("detail", (i % 3) as f64 / 2.0);
                element.set_property("texture", (i % 2) as f64);
                element.set_property("transition-frames", (i % 4) as u32);
                i += 1;
                std::thread::sleep(Duration::from_millis(2));
            }
            i
        })
    };
    let frames = count_frames(&p);
    done.store(true, Ordering::SeqCst);
    let changes = changer.join().unwrap();
    assert_eq!(frames, 120);
    assert!(changes > 20, "only {changes} rounds of changes");
}

#[test]
fn flushing_seeks_in_a_loop() {
    let s = styles();
    let p = launch(&format!(
        "videotestsrc num-buffers=300 ! video/x-raw,width=48,height=32,framerate=30/1 \
         ! dinstyle style={} ! fakesink sync=false",
        s.blue.display()
    ));
    p.set_state(gst::State::Playing).unwrap();
    p.state(gst::ClockTime::from_seconds(60)).0.unwrap();
    for i in 0..30u64 {
        p.seek_simple(
            gst::SeekFlags::FLUSH | gst::SeekFlags::ACCURATE,
            gst::ClockTime::from_mseconds(100 * (i % 7)),
        )
        .expect("the pipeline seeks");
        std::thread::sleep(Duration::from_millis(10));
    }
    // from here it plays to the end
    assert_eq!(run(&p), None);
}

#[test]
fn eos_without_frames() {
    let s = styles();
    let p = launch(&format!(
        "videotestsrc num-buffers=0 ! video/x-raw,width=48,height=32 ! dinstyle style={} \
         ! fakesink name=sink",
        s.blue.display()
    ));
    assert_eq!(count_frames(&p), 0);
}

/// `buffer` copied into rows of `stride` bytes, behind `offset` bytes of padding, with the
/// video meta that says so.
fn padded(buffer: &gst::Buffer, w: u32, h: u32, stride: usize, offset: usize) -> gst::Buffer {
    let tight = bytes(buffer);
    let row = 4 * w as usize;
    let mut data = vec![0xEEu8; offset + stride * h as usize];
    for y in 0..h as usize {
        data[offset + y * stride..][..row].copy_from_slice(&tight[y * row..][..row]);
    }
    let mut out = gst::Buffer::from_mut_slice(data);
    gst_video::VideoMeta::add_full(
        out.get_mut().unwrap(),
        gst_video::VideoFrameFlags::empty(),
        VideoFormat::Rgbx,
        w,
        h,
        &[offset],
        &[stride as i32],
    )
    .unwrap();
    out
}

#[test]
fn padded_strides_paint_the_same_pixels() {
    let s = styles();
    let (w, h) = (37, 21);
    let mut harness = harness(&s.blue, VideoFormat::Rgbx, w, h);
    let tight = frame(VideoFormat::Rgbx, w, h);
    let want = bytes(&harness.push_and_pull(tight.clone()).unwrap());
    for (stride, offset) in [
        (4 * w as usize + 4, 0),
        (4 * w as usize + 60, 128),
        (256, 7),
    ] {
        let out = harness
            .push_and_pull(padded(&tight, w, h, stride, offset))
            .unwrap();
        let frame = gst_video::VideoFrameRef::from_buffer_ref_readable(
            out.as_ref(),
            &gst_video::VideoInfo::builder(VideoFormat::Rgbx, w, h)
                .build()
                .unwrap(),
        )
        .unwrap();
        let out_stride = frame.plane_stride()[0] as usize;
        let data = frame.plane_data(0).unwrap();
        for y in 0..h as usize {
            let row = 4 * w as usize;
            assert_eq!(
                data[y * out_stride..][..row],
                want[y * row..][..row],
                "stride {stride}, offset {offset}, row {y}"
            );
        }
    }
}

#[test]
fn style_file_deleted_or_rewritten_while_it_loads() {
    let s = styles();
    let path = s._dir.path().join("changing.png");
    let good = std::fs::read(&s.red).unwrap();
    std::fs::write(&path, &good).unwrap();
    let mut h = harness(&s.blue, VideoFormat::Rgbx, 48, 32);
    let element = h.element().unwrap();
    let input = frame(VideoFormat::Rgbx, 48, 32);
    let done = Arc::new(AtomicBool::new(false));
    let writer = {
        let (done, path, good) = (done.clone(), path.clone(), good.clone());
        std::thread::spawn(move || {
            let mut i = 0usize;
            while !done.load(Ordering::SeqCst) {
                match i % 3 {
                    0 => drop(std::fs::remove_file(&path)),
                    1 => drop(std::fs::write(&path, &good[..good.len() / 2])),
                    _ => drop(std::fs::write(&path, &good)),
                }
                i += 1;
                std::thread::sleep(Duration::from_millis(1));
            }
        })
    };
    for _ in 0..60 {
        element.set_property("style", path.to_str().unwrap());
        let out = h.push_and_pull(input.clone()).expect("frames keep flowing");
        assert_eq!(out.size(), input.size());
    }
    done.store(true, Ordering::SeqCst);
    writer.join().unwrap();
    // the file is whole again: it becomes the style
    std::fs::write(&path, &good).unwrap();
    element.set_property("style", path.to_str().unwrap());
    let red_only = {
        let mut r = harness(&s.red, VideoFormat::Rgbx, 48, 32);
        bytes(&r.push_and_pull(input.clone()).unwrap())
    };
    let mut last = Vec::new();
    for _ in 0..200 {
        last = bytes(&h.push_and_pull(input.clone()).unwrap());
        if last == red_only {
            break;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    assert_eq!(last, red_only, "the rewritten style never arrived");
}
