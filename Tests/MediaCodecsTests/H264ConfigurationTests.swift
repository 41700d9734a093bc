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
