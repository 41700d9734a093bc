import Foundation
import MediaCore
import Testing
import TestSupport

@testable import MediaCodecs

/// The pixel kernels in C (`CPixelKernels`): the exact half, the video colour pass and the one-byte plane turns.
@Suite("Pixel kernels")
struct PixelKernelTests {
    @Test func halfScaleAveragesAndExpandsTheRange() {
        // 4×2 source: two 2×2 blocks, means 16 and 235 (limited black and white), and a rounding case.
        let source: [UInt8] = [16, 16, 234, 236,
                               16, 16, 235, 235]
        let out = Plane(width: 2, height: 1, channels: 1)
        source.withUnsafeBufferPointer { HalfScale.halve($0.baseAddress!, stride: 4, into: out, range: .lumaLimited) }
        #expect(out[0, 0, 0] == 0 && out[1, 0, 0] == 255)
        let plain = Plane(width: 2, height: 1, channels: 1)
        let mixed: [UInt8] = [10, 11, 100, 101,
                              12, 13, 102, 104]
        mixed.withUnsafeBufferPointer { HalfScale.halve($0.baseAddress!, stride: 4, into: plain, range: .full) }
        #expect(plain[0, 0, 0] == 12 && plain[1, 0, 0] == 102)  // 11.5 → 12 (half up), 101.75 → 102
        // Limited chroma: 128 stays; 16 is 0.5 exactly (rounded up), 240 is 255.
        let chroma = Plane(width: 3, height: 1, channels: 1)
        let c: [UInt8] = [128, 128, 16, 16, 240, 240, 128, 128, 16, 16, 240, 240]
        c.withUnsafeBufferPointer { HalfScale.halve($0.baseAddress!, stride: 6, into: chroma, range: .chromaLimited) }
        #expect((0..<3).map { chroma[$0, 0, 0] } == [128, 1, 255])
    }

    /// Every 4-sample sum (0…1020), in each range: the integer constants give what the formula does.
    @Test func halfScaleIsTheFormulaForEverySum() {
        let sums = Array(0...1020)
        // Two rows of 2·1021 samples: output x's four samples sum to x (spread as evenly as bytes allow).
        var source = [UInt8](repeating: 0, count: 2 * 2042)
        for s in sums {
            for k in 0..<4 { source[(k / 2) * 2042 + 2 * s + k % 2] = UInt8((s + k) / 4) }
        }
        for (range, expected) in [(HalfScale.Range.lumaLimited, { (s: Int) in VideoRange.expand(Double(s) / 4, chroma: false) }),
                                  (.chromaLimited, { (s: Int) in VideoRange.expand(Double(s) / 4, chroma: true) }),
                                  (.full, { (s: Int) in UInt8(min(255, (Double(s) / 4).rounded())) })] {
            let out = Plane(width: 1021, height: 1, channels: 1)
            source.withUnsafeBufferPointer { HalfScale.halve($0.baseAddress!, stride: 2042, into: out, range: range) }
            let wrong = sums.filter { out[$0, 0, 0] != expected($0) }
            #expect(wrong.isEmpty, "\(range): sums \(wrong.prefix(8))")
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

    /// Gray frames (chroma 128) of every luma level: the C pass expands the range exactly as
    /// ``VideoRange/Expansion`` (the formula, checked in `VideoPlaneTests`), limited and full.
    @Test func rangeExpansionIsVideoRanges() {
        let y = (0..<256).map(UInt8.init), gray = [UInt8](repeating: 128, count: 128)
        for limited in [true, false] {
            let image = PixelImage(layout: .ycbcr, planes: [Plane(width: 256, height: 1, channels: 1), Plane(width: 128, height: 1, channels: 1),
                                                            Plane(width: 128, height: 1, channels: 1)])
            y.withUnsafeBufferPointer { yp in
                gray.withUnsafeBufferPointer { cp in
                    ColorMatrix.fromVideo(y: yp.baseAddress!, yStride: 256, cb: cp.baseAddress!, cbStride: 128, cr: cp.baseAddress!, crStride: 128,
                                          limited: limited, bt709: true, into: image)
                }
            }
            let expansion: VideoRange.Expansion = limited ? .luma : .identity
            #expect((0..<256).map { Int32(image.planes[0][$0, 0, 0]) } == (0..<256).map { expansion(Int32($0)) }, "limited \(limited)")
        }
    }

    /// The pass in place (the planes are their own source) gives what it gives into other planes,
    /// on a frame wide enough for the vector loops and their tails (AVX2: 32 bytes a step).
    @Test func inPlaceEqualsOutOfPlace() {
        var generator = SystemRandomNumberGenerator()
        let (w, h) = (101, 37), (cw, ch) = (51, 19)
        func planes() -> PixelImage {
            PixelImage(layout: .ycbcr, planes: [Plane(width: w, height: h, channels: 1), Plane(width: cw, height: ch, channels: 1),
                                                Plane(width: cw, height: ch, channels: 1)])
        }
        let source = planes()
        for plane in source.planes {
            for y in 0..<plane.height { for x in 0..<plane.width { plane.row(y)[x] = UInt8.random(in: 0...255, using: &generator) } }
        }
        for limited in [true, false] {
            for bt709 in [true, false] {
                let copy = planes(), out = planes()
                for (s, c) in zip(source.planes, copy.planes) { for y in 0..<s.height { c.row(y).update(from: s.row(y), count: s.width) } }
                ColorMatrix.fromVideo(y: copy.planes[0].base, yStride: copy.planes[0].rowBytes, cb: copy.planes[1].base,
                                      cbStride: copy.planes[1].rowBytes, cr: copy.planes[2].base, crStride: copy.planes[2].rowBytes,
                                      limited: limited, bt709: bt709, into: out)
                ColorMatrix.fromVideo(y: copy.planes[0].base, yStride: copy.planes[0].rowBytes, cb: copy.planes[1].base,
                                      cbStride: copy.planes[1].rowBytes, cr: copy.planes[2].base, crStride: copy.planes[2].rowBytes,
                                      limited: limited, bt709: bt709, into: copy)
                for (a, b) in zip(out.planes, copy.planes) {
                    #expect((0..<a.height).allSatisfy { y in (0..<a.width).allSatisfy { a[$0, y, 0] == b[$0, y, 0] } },
                            "limited \(limited), bt709 \(bt709)")
                }
            }
        }
    }

    /// Each 2×2 block of one colour converts as the float matrices say (within 1 level).
    @Test func matchesTheFloatMatrices() {
        var generator = SystemRandomNumberGenerator()
        let (w, h) = (33, 17)  // odd sizes: the last column and row have no pair
        let image = PixelImage(layout: .ycbcr, planes: [Plane(width: w, height: h, channels: 1),
                                                       Plane(width: (w + 1) / 2, height: (h + 1) / 2, channels: 1),
                                                       Plane(width: (w + 1) / 2, height: (h + 1) / 2, channels: 1)])
        var expected: [(Double, Double, Double)] = []
        for cy in 0..<image.planes[1].height {
            for cx in 0..<image.planes[1].width {
                let y = Double(UInt8.random(in: 16...235, using: &generator))
                let cb = Double(UInt8.random(in: 40...216, using: &generator)), cr = Double(UInt8.random(in: 40...216, using: &generator))
                image.planes[1].row(cy)[cx] = UInt8(cb)
                image.planes[2].row(cy)[cx] = UInt8(cr)
                for (dx, dy) in [(0, 0), (1, 0), (0, 1), (1, 1)] where 2 * cx + dx < w && 2 * cy + dy < h {
                    image.planes[0].row(2 * cy + dy)[2 * cx + dx] = UInt8(y)
                }
                // 709 full range → RGB → 601 full range, in floating point.
                let (u, v) = (cb - 128, cr - 128)
                let r = y + 1.5748 * v, b = y + 1.8556 * u
                let g = (y - 0.2126 * r - 0.0722 * b) / 0.7152
                let y601 = 0.299 * r + 0.587 * g + 0.114 * b
                expected.append((y601, 128 + (b - y601) / 1.772, 128 + (r - y601) / 1.402))
            }
        }
        // Each block's luma value before the conversion, and the correction its chroma gives.
        var base: [Double] = [], correction: [Double] = []
        let cw = image.planes[1].width, ch = image.planes[1].height
        for cy in 0..<ch {
            for cx in 0..<cw {
                base.append(Double(image.planes[0].row(2 * cy)[2 * cx]))
                correction.append(expected[cy * cw + cx].0 - Double(image.planes[0].row(2 * cy)[2 * cx]))
            }
        }
        ColorMatrix.bt709ToBT601(image)
        var i = 0
        for cy in 0..<ch {
            for cx in 0..<cw {
                let (_, ecb, ecr) = expected[i]
                i += 1
                #expect(abs(Double(image.planes[1].row(cy)[cx]) - ecb) <= 1)
                #expect(abs(Double(image.planes[2].row(cy)[cx]) - ecr) <= 1)
            }
        }
        // Luma: the correction spread by bilinear interpolation at MPEG-2 4:2:0 siting (co-sited with
        // even columns, centred between row pairs), as a decoder upsamples chroma.
        for y in 0..<h {
            let near = min(y / 2, ch - 1), far = y % 2 == 0 ? max(near - 1, 0) : min(near + 1, ch - 1)
            for x in 0..<w {
                let cx = x / 2, next = min(cx + 1, cw - 1)
                func vertical(_ c: Int) -> Double { 0.75 * correction[near * cw + c] + 0.25 * correction[far * cw + c] }
                let d = x % 2 == 0 || cx + 1 >= cw ? vertical(cx) : (vertical(cx) + vertical(next)) / 2
                let want = min(255, max(0, base[(y / 2) * cw + cx] + d))
                #expect(abs(Double(image.planes[0].row(y)[x]) - want) <= 1, "(\(x), \(y))")
            }
        }
    }

    /// All eight EXIF orientations, on a 3×2 picture whose pixels are numbered.
    @Test func orientations() {
        let p = Reference.plane(width: 3, height: 2, channels: 1) { x, y, _ in UInt8(y * 3 + x) }
        func pixels(_ o: ExifOrientation) -> [[UInt8]] {
            let r = p.oriented(o)
            return (0..<r.height).map { y in (0..<r.width).map { r[$0, y, 0] } }
        }
        #expect(pixels(.up) == [[0, 1, 2], [3, 4, 5]])
        #expect(pixels(.upMirrored) == [[2, 1, 0], [5, 4, 3]])
        #expect(pixels(.down) == [[5, 4, 3], [2, 1, 0]])
        #expect(pixels(.downMirrored) == [[3, 4, 5], [0, 1, 2]])
        #expect(pixels(.leftMirrored) == [[0, 3], [1, 4], [2, 5]])
        #expect(pixels(.right) == [[3, 0], [4, 1], [5, 2]])
        #expect(pixels(.rightMirrored) == [[5, 2], [4, 1], [3, 0]])
        #expect(pixels(.left) == [[2, 5], [1, 4], [0, 3]])
    }

    /// Every orientation on planes larger than the 16×16 tiles, with sides that leave partial tiles
    /// (and one byte and three bytes a pixel), against the tag's definition pixel by pixel.
    @Test(arguments: [(37, 21, 1), (50, 33, 1), (16, 16, 1), (1, 20, 1), (20, 1, 1), (40, 19, 3)])
    func orientationsOfLargerPlanes(_ width: Int, _ height: Int, _ channels: Int) {
        let p = Reference.plane(width: width, height: height, channels: channels) { x, y, c in UInt8(truncatingIfNeeded: x * 7 + y * 13 + c * 101) }
        let (w, h) = (width, height)
        for o in ExifOrientation.allCases {
            let r = p.oriented(o)
            #expect((r.width, r.height) == (o.swapsDimensions ? (h, w) : (w, h)))
            var wrong = 0
            for y in 0..<r.height {
                for x in 0..<r.width {
                    let (sx, sy): (Int, Int) = switch o {
                    case .up: (x, y)
                    case .upMirrored: (w - 1 - x, y)
                    case .down: (w - 1 - x, h - 1 - y)
                    case .downMirrored: (x, h - 1 - y)
                    case .leftMirrored: (y, x)
                    case .right: (y, h - 1 - x)
                    case .rightMirrored: (w - 1 - y, h - 1 - x)
                    case .left: (w - 1 - y, x)
                    }
                    for c in 0..<channels where r[x, y, c] != p[sx, sy, c] { wrong += 1 }
                }
            }
            #expect(wrong == 0, "\(o), \(width)×\(height)×\(channels)")
        }
    }
}
