import CZlib
import MediaCore

/// Proves that a PNG's default image decodes, without keeping its pixels: every chunk's CRC up to
/// IEND is checked (zlib's `crc32`), and the IDAT stream is inflated (`inflate`, into a small
/// scratch buffer that is overwritten) to its end, which must give exactly the bytes IHDR implies.
/// About a tenth of a full decode's time; what a pass-through costs instead of a decode.
enum PNGVerifier {
    static func verify(_ v: ByteView, path: String) throws(MediaError) {
        func fail(_ message: String) -> MediaError { MediaError(.corruptInput, path: path, stage: .decode, message) }
        guard let width = v.u32be(16).map(Int.init), let height = v.u32be(20).map(Int.init),
              let depth = v.u8(24).map(Int.init), let color = v.u8(25), let interlace = v.u8(28) else {
            throw fail("no IHDR chunk")
        }
        let channels: Int
        switch color {
        case 0, 3: channels = 1
        case 2: channels = 3
        case 4: channels = 2
        case 6: channels = 4
        default: throw fail("IHDR declares colour type \(color)")
        }
        let expected = Self.inflatedSize(width: width, height: height, bitsPerPixel: channels * depth, interlaced: interlace == 1)

        var stream = z_stream()
        guard kimi_inflate_init(&stream) == KIMI_Z_OK else { throw fail("zlib could not start") }
        defer { inflateEnd(&stream) }
        var scratch = [UInt8](repeating: 0, count: 64 * 1024)
        var inflated = 0
        var ended = false
        var offset = 8
        let base = v.bytes.baseAddress!.assumingMemoryBound(to: UInt8.self)
        while true {
            guard let length = v.u32be(offset).map(Int.init), let type = v.fourCC(offset + 4),
                  offset + 12 + length <= v.count, let stored = v.u32be(offset + 8 + length) else {
                throw fail("the chunk at byte \(offset) runs past the end of the file")
            }
            let crc = crc32(0, base + offset + 4, UInt32(length + 4))
            guard UInt32(crc) == stored else { throw fail("chunk '\(type)' at byte \(offset) has a bad CRC") }
            if type == "IEND" { break }
            if type == "IDAT" {
                guard !ended else { offset += 12 + length; continue }  // trailing IDATs after the stream end: libpng warns only
                stream.next_in = UnsafeMutablePointer(mutating: base + offset + 8)
                stream.avail_in = UInt32(length)
                while stream.avail_in > 0 {
                    let status = scratch.withUnsafeMutableBufferPointer { out -> Int32 in
                        stream.next_out = out.baseAddress
                        stream.avail_out = UInt32(out.count)
                        let status = inflate(&stream, KIMI_Z_NO_FLUSH)
                        inflated += out.count - Int(stream.avail_out)
                        return status
                    }
                    if status == KIMI_Z_STREAM_END {
                        ended = true
                        break
                    }
                    guard status == KIMI_Z_OK || status == KIMI_Z_BUF_ERROR else {
                        let text = stream.msg.map { String(cString: $0) } ?? "error \(status)"
                        throw fail("the image data does not inflate: \(text)")
                    }
                    if inflated > expected { throw fail("the image data inflates to more than the \(expected) bytes IHDR implies") }
                }
            }
            offset += 12 + length
        }
        guard ended else { throw fail("the image data ends early (\(inflated) of \(expected) bytes)") }
        guard inflated >= expected else { throw fail("the image data holds \(inflated) of the \(expected) bytes IHDR implies") }
    }

    /// Filtered bytes of the image: a filter byte and the packed samples per row, per Adam7 pass
    /// when interlaced.
    static func inflatedSize(width: Int, height: Int, bitsPerPixel: Int, interlaced: Bool) -> Int {
        func rows(_ w: Int, _ h: Int) -> Int { w == 0 || h == 0 ? 0 : h * (1 + (w * bitsPerPixel + 7) / 8) }
        guard interlaced else { return rows(width, height) }
        let passes = [(0, 0, 8, 8), (4, 0, 8, 8), (0, 4, 4, 8), (2, 0, 4, 4), (0, 2, 2, 4), (1, 0, 2, 2), (0, 1, 1, 2)]
        return passes.reduce(0) { total, p in
            total + rows((width - p.0 + p.2 - 1) / p.2, (height - p.1 + p.3 - 1) / p.3)
        }
    }
}
