/// A stream's pixel format (FFmpeg's name for it) read from its headers instead of by decoding a
/// frame: AV1's `av1C` record and a VP9 keyframe's uncompressed header carry the bit depth and the
/// chroma sampling. The probe's stream-info pass decoded a first frame for this alone (a 1080p
/// VP9 keyframe: ~50 ms of a 100 ms probe). `nil` whenever the bytes do not settle it.
enum CodecPixelFormat {
    /// From an `av1C` configuration record (AV1 ISOBMFF/Matroska binding §2.3).
    static func av1(configuration c: [UInt8]) -> String? {
        guard c.count >= 4, c[0] == 0x81 else { return nil }  // marker 1, version 1
        let profile = c[1] >> 5
        let highBitDepth = c[2] & 0x40 != 0, twelveBit = c[2] & 0x20 != 0, monochrome = c[2] & 0x10 != 0
        let subX = c[2] & 0x08 != 0, subY = c[2] & 0x04 != 0
        let depth = profile == 2 && highBitDepth ? (twelveBit ? 12 : 10) : (highBitDepth ? 10 : 8)
        if monochrome { return depth == 8 ? "gray" : "gray\(depth)le" }
        let sampling: String
        switch (subX, subY) {
        case (true, true): sampling = "yuv420p"
        case (true, false): sampling = "yuv422p"
        case (false, false): sampling = "yuv444p"
        default: return nil
        }
        return depth == 8 ? sampling : "\(sampling)\(depth)le"
    }

    /// From the first bytes of a VP9 keyframe (VP9 bitstream §6.2 `uncompressed_header`, §6.2.2
    /// `color_config`); `nil` for other frames.
    static func vp9(frame bytes: UnsafeRawBufferPointer) -> String? {
        var reader = BitReader(bytes)
        guard reader.bits(2) == 2 else { return nil }  // frame_marker
        let profile = reader.bits(1) | reader.bits(1) << 1
        if profile == 3 { _ = reader.bits(1) }  // reserved_zero
        guard reader.bits(1) == 0,  // show_existing_frame
              reader.bits(1) == 0 else { return nil }  // frame_type: KEY_FRAME
        _ = reader.bits(2)  // show_frame, error_resilient_mode
        guard reader.bits(8) == 0x49, reader.bits(8) == 0x83, reader.bits(8) == 0x42 else { return nil }  // frame_sync_code
        let depth = profile >= 2 ? (reader.bits(1) == 1 ? 12 : 10) : 8
        let colorSpace = reader.bits(3)
        let sampling: String
        if colorSpace != 7 {  // not CS_RGB
            _ = reader.bits(1)  // color_range
            if profile == 1 || profile == 3 {
                switch (reader.bits(1), reader.bits(1)) {
                case (1, 0): sampling = "yuv422p"
                case (0, 1): sampling = "yuv440p"
                case (0, 0): sampling = "yuv444p"
                default: return nil
                }
            } else {
                sampling = "yuv420p"
            }
        } else {
            guard profile == 1 || profile == 3 else { return nil }
            sampling = "gbrp"
        }
        guard !reader.overrun else { return nil }
        return depth == 8 ? sampling : "\(sampling)\(depth)le"
    }

    /// Big-endian bit reading over a byte buffer; reads past the end give zeros and set `overrun`.
    private struct BitReader {
        let bytes: UnsafeRawBufferPointer
        var position = 0
        var overrun = false

        init(_ bytes: UnsafeRawBufferPointer) { self.bytes = bytes }

        mutating func bits(_ count: Int) -> Int {
            var value = 0
            for _ in 0..<count {
                let byte = position / 8
                if byte >= bytes.count {
                    overrun = true
                    value <<= 1
                } else {
                    value = value << 1 | Int(bytes[byte] >> (7 - UInt8(position % 8)) & 1)
                }
                position += 1
            }
            return value
        }
    }
}
