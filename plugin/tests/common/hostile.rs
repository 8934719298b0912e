//! Hostile files for the tests of the element and of the CLI (`src/cli/tests/hostile.rs`
//! includes this file): a decompression bomb, a truncated JPEG, a kernel file whose header
//! declares a terabyte.
#![allow(dead_code)]

fn crc32(bytes: &[u8]) -> u32 {
    let mut crc = !0u32;
    for &b in bytes {
        crc ^= b as u32;
        for _ in 0..8 {
            crc = (crc >> 1) ^ (0xEDB8_8320 & (crc & 1).wrapping_neg());
        }
    }
    !crc
}

fn chunk(out: &mut Vec<u8>, kind: &[u8; 4], data: &[u8]) {
    out.extend_from_slice(&(data.len() as u32).to_be_bytes());
    let start = out.len();
    out.extend_from_slice(kind);
    out.extend_from_slice(data);
    let crc = crc32(&out[start..]);
    out.extend_from_slice(&crc.to_be_bytes());
}

/// A PNG declaring `side` x `side` RGB pixels whose data starts like a real image's (rows of
/// zeros in stored deflate blocks): a decoder that believes the header allocates `3 * side^2`
/// bytes before it finds out anything else.
pub fn png_bomb(side: u32) -> Vec<u8> {
    let mut png = b"\x89PNG\r\n\x1a\n".to_vec();
    let mut ihdr = side.to_be_bytes().to_vec();
    ihdr.extend_from_slice(&side.to_be_bytes());
    ihdr.extend_from_slice(&[8, 2, 0, 0, 0]);
    chunk(&mut png, b"IHDR", &ihdr);
    let row = 1 + 3 * side as usize;
    let mut zlib = vec![0x78, 0x01];
    for _ in 0..64 {
        let block = row.min(65535) as u16;
        zlib.push(0); // a stored block, not the last
        zlib.extend_from_slice(&block.to_le_bytes());
        zlib.extend_from_slice(&(!block).to_le_bytes());
        zlib.extend(std::iter::repeat_n(0u8, block as usize));
    }
    chunk(&mut png, b"IDAT", &zlib);
    chunk(&mut png, b"IEND", &[]);
    png
}

/// A JPEG of noise (every kilobyte is scan data), cut to its first `keep` bytes.
pub fn truncated_jpeg(keep: usize) -> Vec<u8> {
    let mut seed = 7u32;
    let img = image::RgbImage::from_fn(256, 256, |_, _| {
        seed = seed.wrapping_mul(1664525).wrapping_add(1013904223);
        let b = seed.to_le_bytes();
        image::Rgb([b[1], b[2], b[3]])
    });
    let mut bytes = std::io::Cursor::new(Vec::new());
    img.write_to(&mut bytes, image::ImageFormat::Jpeg).unwrap();
    let mut bytes = bytes.into_inner();
    assert!(bytes.len() > 2 * keep);
    bytes.truncate(keep);
    bytes
}

/// A safetensors file whose header claims 1 TiB.
pub fn huge_header() -> Vec<u8> {
    let mut bytes = (1u64 << 40).to_le_bytes().to_vec();
    bytes.extend_from_slice(b"{\"__metadata__\":{}}");
    bytes
}
