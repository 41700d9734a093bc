import Foundation
import Testing
import TestSupport

@testable import MediaCore

/// A smooth, textured test picture (gradients and sinusoids of several frequencies), the kind of
/// content a photograph has, without the sharp synthetic edges that make every filter ring.
func texture(_ width: Int, _ height: Int, channels: Int) -> Plane {
    Reference.plane(width: width, height: height, channels: channels) { x, y, c in
        let fx = Double(x) / Double(width), fy = Double(y) / Double(height)
        let v = 128 + 60 * sin(fx * 9 + Double(c)) * cos(fy * 7) + 40 * sin(Double(x + 2 * y) * 0.05 + Double(c))
            + 20 * sin(Double(x * y) * 0.0007)
        return UInt8(max(0, min(255, v)))
    }
}

@Suite("Resampler")
struct ResamplerTests {
    /// The quality bar: ≥ 40 dB against a float Lanczos-3 reference (Reference.lanczos3), per channel.
    @Test(arguments: [(1, 640, 480, 317, 211), (3, 600, 400, 233, 150), (4, 500, 300, 170, 102), (1, 400, 300, 400, 117),
                      (1, 300, 200, 97, 200), (3, 200, 150, 333, 250), (1, 1000, 40, 100, 4),
                      // Large ratios, through the box pre-reduction (×4 and ×10 boxes, then Lanczos).
                      (1, 2400, 1600, 300, 200), (3, 2000, 1500, 100, 75), (1, 3000, 100, 100, 100)])
    func matchesTheFloatReference(_ c: (Int, Int, Int, Int, Int)) {
        let (channels, w, h, ow, oh) = c
        let source = texture(w, h, channels: channels)
        let ours = Resampler().resize(source, width: ow, height: oh)
        #expect(ours.width == ow && ours.height == oh && ours.channels == channels)
        for ch in 0..<channels {
            let reference = Reference.lanczos3(Reference.channel(source, ch), width: w, height: h, to: ow, oh)
            let psnr = Reference.psnr(Reference.channel(ours, ch), reference)
            #expect(psnr >= 40, "channel \(ch): \(psnr) dB")
        }
    }

    @Test func flatStaysFlatAndSameSizeIsIdentity() {
        let flat = Reference.plane(width: 97, height: 61, channels: 3) { _, _, c in UInt8(40 + 50 * c) }
        let small = Resampler().resize(flat, width: 13, height: 7)
        for y in 0..<7 { for x in 0..<13 { #expect([small[x, y, 0], small[x, y, 1], small[x, y, 2]] == [40, 90, 140]) } }
        let same = Resampler().resize(flat, width: 97, height: 61)
        #expect(same.storage === flat.storage)
    }

    /// Bands across threads compute exactly what one thread does.
    @Test func threadsDoNotChangeTheResult() {
        let source = texture(1200, 900, channels: 3)
        let one = Resampler(threads: 1).resize(source, width: 531, height: 401)
        let four = Resampler(threads: 4).resize(source, width: 531, height: 401)
        #expect(memcmp(one.base, four.base, one.rowBytes * one.height) == 0)
    }

    /// Transparent pixels' colour must not bleed: red at alpha 0 beside opaque blue stays blue.
    @Test func premultipliedAlphaDoesNotBleed() {
        let source = Reference.plane(width: 64, height: 8, channels: 4) { x, _, c in
            x < 32 ? [255, 0, 0, 0][c] : [0, 0, 255, 255][c]
        }
        let out = Resampler().resize(source, width: 16, height: 2, premultiplied: true)
        for x in 0..<16 where out[x, 0, 3] > 8 {
            #expect(out[x, 0, 0] < 8, "red bled into x=\(x): \(out[x, 0, 0])")
            #expect(out[x, 0, 2] > 240)
        }
    }

    @Test func boxPreReduction() {
        #expect(Resampler.boxFactor(6000, 3240) == 1)
        #expect(Resampler.boxFactor(8000, 2000) == 2)
        #expect(Resampler.boxFactor(8000, 256) == 15)
        let p = Reference.plane(width: 5, height: 3, channels: 1) { x, y, _ in UInt8(10 * (y * 5 + x)) }
        let r = Resampler.boxReduce(p, 2, 2)
        #expect(r.width == 3 && r.height == 2)
        #expect([r[0, 0, 0], r[2, 0, 0], r[0, 1, 0], r[2, 1, 0]] == [30, 65, 105, 140])  // edge blocks average what they have: (40+90)/2, (100+110)/2
    }

    @Test func filterTablesSumToOne() {
        for (i, o) in [(100, 7), (7, 100), (4000, 2160), (2160, 2159), (3, 1), (1, 5)] {
            let t = FilterTable(inSize: i, outSize: o, filter: .lanczos3)
            #expect(t.stride % 8 == 0)
            for y in 0..<o {
                let sum = (0..<Int(t.counts[y])).map { Int(t.weights[y * t.stride + $0]) }.reduce(0, +)
                #expect(sum == 1 << 14)
                #expect(Int(t.starts[y]) + Int(t.counts[y]) <= i)
            }
        }
    }

    /// The windows' weights by recurrence are the kernel's, tap by tap, across the lobes and at 0.
    @Test func windowWeightsAreTheKernel() {
        for (x0, step, count) in [(-5.7, 0.54, 24), (-3.0, 0.5, 13), (-2.25, 0.25, 19), (0.0, 1.0, 4), (-1.0, 1.0 / 3, 10)] {
            var out = [Double](repeating: .nan, count: count)
            ResampleFilter.lanczos3.weights(from: x0, step: step, count: count, into: &out)
            for k in 0..<count {
                let expected = ResampleFilter.lanczos3.weight(x0 + Double(k) * step)
                #expect(abs(out[k] - expected) < 1e-12, "x = \(x0 + Double(k) * step): \(out[k]) against \(expected)")
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
}

@Suite("BT.709 → BT.601 on planes")
struct ColorMatrixTests {
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
}
