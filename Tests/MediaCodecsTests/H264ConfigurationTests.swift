import Foundation
@testable import MediaCodecs
import Testing

/// `avcC` records (the first SPS) as libx264 wrote them for each pixel format (made with
/// `ffmpeg -f lavfi -i testsrc2 -c:v libx264 -pix_fmt F`), read as FFmpeg's decoder names them;
/// what is not 8-bit 4:2:0 is left to FFmpeg's own analysis (`nil`).
@Suite("H.264 configuration record")
struct H264ConfigurationTests {
    func read(_ hex: String) -> H264Configuration? {
        var bytes: [UInt8] = []
        var index = hex.startIndex
        while index < hex.endIndex {
            let next = hex.index(index, offsetBy: 2)
            bytes.append(UInt8(hex[index..<next], radix: 16)!)
            index = next
        }
        return H264Configuration(avcC: bytes)
    }

    @Test func pixelFormats() throws {
        let limited = try #require(read("0164000cffe100196764000cacd94141fb011000000300100000030140f1429960"))
        #expect(limited == H264Configuration(chromaFormat: 1, bitDepth: 8, fullRange: false) && limited.pixelFormatName == "yuv420p")
        let full = try #require(read("0164000cffe100186764000cacd94141fb016c80000003008000000a078a14cb"))
        #expect(full.fullRange && full.pixelFormatName == "yuvj420p")
        let tenBit = try #require(read("016e000cffe10019676e000ca6cd94141fb011000003000100000300140f142996"))
        #expect(tenBit.bitDepth == 10 && tenBit.pixelFormatName == nil)
        #expect(read("017a000cffe10019677a000cbcd94141fb011000000300100000030140f1429960")?.chromaFormat == 2)
        #expect(read("01f4000cffe1001967f4000c919b28283f6022000003000200000300281e28532c")?.chromaFormat == 3)
        #expect(read("0164000cffe100196764000cf3650507ec05b2000003000200000300281e28532c")?.chromaFormat == 0)
    }

    @Test func malformedRecordsAreRefused() {
        #expect(read("") == nil)
        #expect(read("0164000cffe10019") == nil)  // the SPS is cut off
        #expect(read("0164000cffe100196864000cacd9") == nil)  // a PPS where the SPS belongs
        #expect(read("0164000cffe100046764000c") == nil)  // an SPS that ends inside its fields
    }
}

/// AV1's and VP9's pixel formats from their headers, as the probe reads them instead of decoding a
/// frame; the probe of the VP9 fixture (`yuv420p`) is in ``FixtureProbeTests``.
@Suite("Pixel format from codec headers")
struct CodecPixelFormatTests {
    @Test func av1ConfigurationRecords() {
        #expect(CodecPixelFormat.av1(configuration: [0x81, 0x00, 0x0C, 0x00]) == "yuv420p")
        #expect(CodecPixelFormat.av1(configuration: [0x81, 0x08, 0x4C, 0x00]) == "yuv420p10le")   // high bit depth
        #expect(CodecPixelFormat.av1(configuration: [0x81, 0x40, 0x6C, 0x00]) == "yuv420p12le")   // profile 2, twelve bit
        #expect(CodecPixelFormat.av1(configuration: [0x81, 0x20, 0x00, 0x00]) == "yuv444p")       // profile 1: no subsampling
        #expect(CodecPixelFormat.av1(configuration: [0x81, 0x00, 0x1C, 0x00]) == "gray")          // monochrome
        #expect(CodecPixelFormat.av1(configuration: [0x01, 0x00, 0x0C, 0x00]) == nil)             // no marker bit
        #expect(CodecPixelFormat.av1(configuration: [0x81, 0x00, 0x04, 0x00]) == nil)             // 4:4:0 is not AV1's
        #expect(CodecPixelFormat.av1(configuration: [0x81, 0x00]) == nil)
    }

    @Test func vp9KeyframeHeaders() {
        func format(_ bytes: [UInt8]) -> String? { bytes.withUnsafeBytes { CodecPixelFormat.vp9(frame: $0) } }
        let sync: [UInt8] = [0x49, 0x83, 0x42]
        #expect(format([0x82] + sync + [0x20]) == "yuv420p")       // profile 0, BT.601
        #expect(format([0x92] + sync + [0x10]) == "yuv420p10le")   // profile 2, 10 bit
        #expect(format([0x92] + sync + [0x90]) == "yuv420p12le")   // profile 2, 12 bit
        #expect(format([0xA2] + sync + [0x20]) == "yuv444p")       // profile 1, no subsampling
        #expect(format([0xA2] + sync + [0x28]) == "yuv422p")       // profile 1, horizontal subsampling
        #expect(format([0xA2] + sync + [0xE0]) == "gbrp")          // profile 1, RGB
        #expect(format([0x82] + sync + [0xE0]) == nil)             // RGB needs profile 1 or 3
        #expect(format([0x86] + sync + [0x20]) == nil)             // not a keyframe
        #expect(format([0x82, 0x49, 0x83, 0x43, 0x20]) == nil)      // a wrong sync code
        #expect(format([0xA2] + sync) == nil)                      // cut short
    }
}
