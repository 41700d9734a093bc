import MediaCore

/// A walk over a JPEG's marker segments up to the first start-of-scan: where the scan starts,
/// the frame type (baseline/progressive) and the EXIF orientation. TurboJPEG reads the same
/// headers but exposes neither the orientation nor the coding process.
struct JPEGMarkers {
    var startOfScan: Int?
    var progressive = false
    var orientation: ExifOrientation?
    /// Set when a segment runs past the end of the file.
    var cutOff = false
    /// Bytes skipped before markers (libjpeg warns "Corrupt JPEG data: N extraneous bytes before
    /// marker" and decodes on; Photoshop writes such files).
    var extraneousBytes = 0
    /// The frame header (SOFn): coded size and component count.
    var frameWidth: Int?
    var frameHeight: Int?
    var components: Int?

    static func scan(_ v: ByteView) -> JPEGMarkers {
        var result = JPEGMarkers()
        var offset = 2
        while true {
            guard let ff = v.u8(offset) else { result.cutOff = true; return result }
            guard ff == 0xFF else {
                // Not a marker: skip to the next 0xFF, as libjpeg does.
                var next = offset + 1
                while let byte = v.u8(next), byte != 0xFF { next += 1 }
                result.extraneousBytes += next - offset
                offset = next
                continue
            }
            var marker = v.u8(offset + 1)
            while marker == 0xFF {  // fill bytes
                offset += 1
                marker = v.u8(offset + 1)
            }
            guard let m = marker else { result.cutOff = true; return result }
            if m == 0x00 {  // a stuffed 0xFF00 outside entropy data: garbage, skipped like the rest
                result.extraneousBytes += 2
                offset += 2
                continue
            }
            if m == 0xD8 || m == 0x01 || (0xD0...0xD7).contains(m) {
                offset += 2
                continue
            }
            if m == 0xD9 { return result }
            guard let length = v.u16be(offset + 2).map(Int.init), length >= 2 else {
                result.cutOff = v.u8(offset + 3) == nil
                return result
            }
            if offset + 2 + length > v.count { result.cutOff = true }
            switch m {
            case 0xDA:
                result.startOfScan = offset
                return result
            case 0xC0...0xCF where m != 0xC4 && m != 0xC8 && m != 0xCC:
                result.progressive = [0xC2, 0xC6, 0xCA, 0xCE].contains(m)
                result.frameHeight = v.u16be(offset + 5).map(Int.init)
                result.frameWidth = v.u16be(offset + 7).map(Int.init)
                result.components = v.u8(offset + 9).map(Int.init)
            case 0xE1 where result.orientation == nil:
                result.orientation = ExifReader.orientation(v.slice(offset + 4, length - 2))
            default:
                break
            }
            if result.cutOff { return result }
            offset += 2 + length
        }
    }
}
