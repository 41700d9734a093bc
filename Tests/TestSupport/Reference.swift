import Foundation
import MediaCore

/// Independent reference implementations the tests measure the production code against.
public enum Reference {
    /// Float Lanczos-3 resize of one channel (row-major `values`, `width`×`height`), computed
    /// directly in Double: for each output sample, the window of input samples within 3·max(1, ratio)
    /// of its centre, weights lanczos3((x − centre)/max(1, ratio)), normalised over the samples
    /// inside the image. No quantisation anywhere.
    public static func lanczos3(_ values: [Double], width: Int, height: Int, to outWidth: Int, _ outHeight: Int) -> [Double] {
        let rows = resize1D(values, count: width, lines: height, stride: 1, lineStride: width, to: outWidth)
        // Columns of the horizontally resized image.
        return resize1D(rows, count: height, lines: outWidth, stride: outWidth, lineStride: 1, to: outHeight, outStride: outWidth)
    }

    private static func kernel(_ x: Double) -> Double {
        let x = abs(x)
        if x < 1e-12 { return 1 }
        if x >= 3 { return 0 }
        return 3 * sin(Double.pi * x) * sin(Double.pi * x / 3) / (Double.pi * Double.pi * x * x)
    }

    private static func resize1D(_ v: [Double], count: Int, lines: Int, stride: Int, lineStride: Int, to outCount: Int,
                                 outStride: Int? = nil) -> [Double] {
        let scale = Double(count) / Double(outCount)
        let stretch = max(1, scale)
        let support = 3 * stretch
        let outIsColumns = outStride != nil
        var out = [Double](repeating: 0, count: outCount * lines)
        for o in 0..<outCount {
            let centre = (Double(o) + 0.5) * scale
            let lo = max(0, Int(floor(centre - support))), hi = min(count - 1, Int(ceil(centre + support)))
            var weights: [(Int, Double)] = []
            var sum = 0.0
            for i in lo...hi {
                let w = kernel((Double(i) + 0.5 - centre) / stretch)
                if w != 0 { weights.append((i, w)); sum += w }
            }
            for line in 0..<lines {
                var acc = 0.0
                for (i, w) in weights { acc += w * v[line * lineStride + i * stride] }
                let index = outIsColumns ? o * outStride! + line : line * outCount + o
                out[index] = acc / sum
            }
        }
        return out
    }

    /// Peak signal-to-noise ratio of two 8-bit signals, in dB (∞ when identical).
    public static func psnr(_ a: [Double], _ b: [Double]) -> Double {
        precondition(a.count == b.count && !a.isEmpty)
        var se = 0.0
        for i in a.indices {
            let d = min(255, max(0, a[i].rounded())) - min(255, max(0, b[i].rounded()))
            se += d * d
        }
        let mse = se / Double(a.count)
        return mse == 0 ? .infinity : 10 * log10(255 * 255 / mse)
    }

    /// Channel `c` of a plane as Doubles.
    public static func channel(_ plane: Plane, _ c: Int) -> [Double] {
        var out = [Double](repeating: 0, count: plane.width * plane.height)
        for y in 0..<plane.height { for x in 0..<plane.width { out[y * plane.width + x] = Double(plane[x, y, c]) } }
        return out
    }

    /// BT.601 luma of an RGB(A) plane, the Y that JPEG stores.
    public static func luma(_ plane: Plane) -> [Double] {
        if plane.channels == 1 { return channel(plane, 0) }
        var out = [Double](repeating: 0, count: plane.width * plane.height)
        for y in 0..<plane.height {
            for x in 0..<plane.width {
                out[y * plane.width + x] = 0.299 * Double(plane[x, y, 0]) + 0.587 * Double(plane[x, y, 1]) + 0.114 * Double(plane[x, y, 2])
            }
        }
        return out
    }

    /// A plane filled from `value(x, y, channel)`.
    public static func plane(width: Int, height: Int, channels: Int, _ value: (Int, Int, Int) -> UInt8) -> Plane {
        let plane = Plane(width: width, height: height, channels: channels)
        for y in 0..<height { for x in 0..<width { for c in 0..<channels { plane.row(y)[x * channels + c] = value(x, y, c) } } }
        return plane
    }
}
