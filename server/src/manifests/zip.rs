//! A minimal ZIP writer (deflate, no extras): enough for an Office app package and a Chrome
//! extension archive, without another dependency.

use std::io::Write;

/// Builds a ZIP archive from `(path, bytes)` entries, in order. Paths use `/`.
pub fn zip(entries: &[(String, Vec<u8>)]) -> std::io::Result<Vec<u8>> {
    let mut out = Vec::new();
    let mut central = Vec::new();
    for (name, data) in entries {
        let mut enc = flate2::write::DeflateEncoder::new(Vec::new(), flate2::Compression::best());
        enc.write_all(data)?;
        let packed = enc.finish()?;
        let crc = crc32fast::hash(data);
        let offset = u32::try_from(out.len()).map_err(too_big)?;
        let (csize, usize_) = (
            u32::try_from(packed.len()).map_err(too_big)?,
            u32::try_from(data.len()).map_err(too_big)?,
        );
        let name_len = u16::try_from(name.len()).map_err(too_big)?;
        // Local file header: version 2.0, no flags, deflate, 1980-01-01 00:00.
        out.extend_from_slice(&0x0403_4b50u32.to_le_bytes());
        header_fields(&mut out, crc, csize, usize_, name_len);
        out.extend_from_slice(name.as_bytes());
        out.extend_from_slice(&packed);
        // Central directory entry.
        central.extend_from_slice(&0x0201_4b50u32.to_le_bytes());
        central.extend_from_slice(&20u16.to_le_bytes());
        header_fields(&mut central, crc, csize, usize_, name_len);
        // Comment length, disk number, internal attributes (2 bytes each), external attributes (4).
        central.extend_from_slice(&[0; 10]);
        central.extend_from_slice(&offset.to_le_bytes());
        central.extend_from_slice(name.as_bytes());
    }
    let count = u16::try_from(entries.len()).map_err(too_big)?;
    let cd_offset = u32::try_from(out.len()).map_err(too_big)?;
    let cd_size = u32::try_from(central.len()).map_err(too_big)?;
    out.extend_from_slice(&central);
    out.extend_from_slice(&0x0605_4b50u32.to_le_bytes());
    out.extend_from_slice(&[0; 4]); // this disk, disk with the directory
    out.extend_from_slice(&count.to_le_bytes());
    out.extend_from_slice(&count.to_le_bytes());
    out.extend_from_slice(&cd_size.to_le_bytes());
    out.extend_from_slice(&cd_offset.to_le_bytes());
    out.extend_from_slice(&0u16.to_le_bytes());
    Ok(out)
}

/// Version needed, flags, method, time, date, CRC, sizes, name length, extra length.
fn header_fields(buf: &mut Vec<u8>, crc: u32, csize: u32, usize_: u32, name_len: u16) {
    for v in [20u16, 0, 8, 0, 0x21] {
        buf.extend_from_slice(&v.to_le_bytes());
    }
    for v in [crc, csize, usize_] {
        buf.extend_from_slice(&v.to_le_bytes());
    }
    buf.extend_from_slice(&name_len.to_le_bytes());
    buf.extend_from_slice(&0u16.to_le_bytes());
}

fn too_big<E>(_: E) -> std::io::Error {
    std::io::Error::other("archive too large for ZIP without ZIP64")
}
