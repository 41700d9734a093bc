@testable import MediaCore
import Testing

/// The video frame passes of our own: the exact-half 2×2 box (``HalfScale``) and the one-pass range
/// expansion and matrix (``ColorMatrix/fromVideo``), against values worked by hand.
@Suite("Video plane passes")
struct VideoPlaneTests {
    @Test func halfScaleAveragesAndExpandsTheRange() {
        // 4×2 source: two 2×2 blocks, means 16 and 235 (limited black and white), and a rounding case.
        let source: [UInt8] = [16, 16, 234, 236,
                               16, 16, 235, 235]
        let out = Plane(width: 2, height: 1, channels: 1)
        source.withUnsafeBufferPointer { HalfScale.halve($0.baseAddress!, stride: 4, into: out, table: .lumaLimited) }
        #expect(out[0, 0, 0] == 0 && out[1, 0, 0] == 255)
        let plain = Plane(width: 2, height: 1, channels: 1)
        let mixed: [UInt8] = [10, 11, 100, 101,
                              12, 13, 102, 104]
        mixed.withUnsafeBufferPointer { HalfScale.halve($0.baseAddress!, stride: 4, into: plain, table: .full) }
        #expect(plain[0, 0, 0] == 12 && plain[1, 0, 0] == 102)  // 11.5 → 12 (half up), 101.75 → 102
        // Limited chroma: 128 stays; 16 is 0.5 exactly (rounded up), 240 is 255.
        let chroma = Plane(width: 3, height: 1, channels: 1)
        let c: [UInt8] = [128, 128, 16, 16, 240, 240, 128, 128, 16, 16, 240, 240]
        c.withUnsafeBufferPointer { HalfScale.halve($0.baseAddress!, stride: 6, into: chroma, table: .chromaLimited) }
        #expect((0..<3).map { chroma[$0, 0, 0] } == [128, 1, 255])
    }

    /// The integer range expansion the vectorised pass uses is the formula, sample for sample.
    @Test func integerExpansionIsTheFormula() {
        for sample in 0..<256 {
            let v = Int32(sample)
            #expect(VideoRange.Expansion.luma(v) == Int32(VideoRange.expand(Double(sample), chroma: false)), "luma \(sample)")
            #expect(VideoRange.Expansion.chroma(v) == Int32(VideoRange.expand(Double(sample), chroma: true)), "chroma \(sample)")
            #expect(VideoRange.Expansion.identity(v) == v)
        }
    }

    @Test func fromVideoExpandsAndConverts() {
        // A 3×3 frame (odd sides: chroma 2×2), limited range, gray (chroma 128): luma expands, chroma stays.
        let y: [UInt8] = [16, 126, 235, 16, 126, 235, 16, 126, 235]
        let u: [UInt8] = [128, 128, 128, 128], v: [UInt8] = [128, 128, 128, 128]
        let image = PixelImage(layout: .ycbcr, planes: [Plane(width: 3, height: 3, channels: 1), Plane(width: 2, height: 2, channels: 1),
                                                        Plane(width: 2, height: 2, channels: 1)])
        y.withUnsafeBufferPointer { yp in
            u.withUnsafeBufferPointer { up in
                v.withUnsafeBufferPointer { vp in
                    ColorMatrix.fromVideo(y: yp.baseAddress!, yStride: 3, cb: up.baseAddress!, cbStride: 2, cr: vp.baseAddress!, crStride: 2,
                                          limited: true, bt709: true, into: image)
                }
            }
        }
        #expect((0..<3).map { image.planes[0][$0, 2, 0] } == [0, 128, 255])
        #expect(image.planes[1][1, 1, 0] == 128 && image.planes[2][0, 0, 0] == 128)
        // Saturated BT.709 red (full range Y 54, Cb 99, Cr 255) becomes BT.601 red (76, 85, 255) within 1.
        let red = PixelImage(layout: .ycbcr, planes: [Plane(width: 2, height: 2, channels: 1), Plane(width: 1, height: 1, channels: 1),
                                                      Plane(width: 1, height: 1, channels: 1)])
        let ry: [UInt8] = [54, 54, 54, 54], rb: [UInt8] = [99], rr: [UInt8] = [255]
        ry.withUnsafeBufferPointer { yp in
            rb.withUnsafeBufferPointer { up in
                rr.withUnsafeBufferPointer { vp in
                    ColorMatrix.fromVideo(y: yp.baseAddress!, yStride: 2, cb: up.baseAddress!, cbStride: 1, cr: vp.baseAddress!, crStride: 1,
                                          limited: false, bt709: true, into: red)
                }
            }
        }
        #expect(abs(Int(red.planes[0][0, 0, 0]) - 76) <= 1)
        #expect(abs(Int(red.planes[1][0, 0, 0]) - 85) <= 1 && red.planes[2][0, 0, 0] >= 254)
    }
}
