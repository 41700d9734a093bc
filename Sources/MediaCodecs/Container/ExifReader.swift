import MediaCore

/// Reads the orientation tag (0x0112) from IFD0 of an EXIF/TIFF block, as found in a JPEG APP1
/// segment ("Exif\0\0" + TIFF), a WebP `EXIF` chunk or a PNG `eXIf` chunk.
enum ExifReader {
    static func orientation(_ block: ByteView) -> ExifOrientation? {
        let tiff = block.matches("Exif\0\0", at: 0) ? block.slice(6, block.count - 6) : block
        let bigEndian: Bool
        if tiff.matches("MM\0*", at: 0) {
            bigEndian = true
        } else if tiff.matches("II*\0", at: 0) {
            bigEndian = false
        } else {
            return nil
        }
        let u16 = { (o: Int) in bigEndian ? tiff.u16be(o) : tiff.u16le(o) }
        let u32 = { (o: Int) in bigEndian ? tiff.u32be(o) : tiff.u32le(o) }
        guard let ifd = u32(4).map(Int.init), let entries = u16(ifd) else { return nil }
        // A real IFD0 has a few dozen entries; 512 bounds the walk on hostile data.
        for i in 0..<min(Int(entries), 512) {
            let entry = ifd + 2 + 12 * i
            guard let tag = u16(entry) else { return nil }
            guard tag == 0x0112 else { continue }
            guard u16(entry + 2) == 3, let value = u16(entry + 8) else { return nil }
            return ExifOrientation(rawValue: Int(value))
        }
        return nil
    }
}
