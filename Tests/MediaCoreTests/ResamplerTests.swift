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
}
