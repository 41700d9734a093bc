import Dispatch

/// A high-quality separable resampler (Lanczos-3 by default) over 8-bit planes.
///
/// Both axes run through one vectorisable kernel, a vertical pass (every tap multiplies a whole
/// contiguous row by one weight), with a cache-blocked transpose between them:
/// `resize = transpose ∘ vertical(width) ∘ transpose ∘ vertical(height)`. Tables are built once
/// per geometry. RGBA is premultiplied before filtering and unpremultiplied after, so transparent
/// pixels' colours do not bleed. Large images are split into row bands across `threads`.
public struct Resampler: Sendable {
    public let filter: ResampleFilter
    public let threads: Int

    public init(filter: ResampleFilter = .lanczos3, threads: Int = 1) {
        self.filter = filter
        self.threads = max(1, threads)
    }

    /// Resizes every plane of `image` so that its first plane becomes `width`×`height`; subsampled
    /// chroma planes keep their ratio to luma (rounded up, as JPEG does).
    public func resize(_ image: PixelImage, width: Int, height: Int, chroma: (width: Int, height: Int)? = nil) -> PixelImage {
        var planes: [Plane] = []
        for (i, plane) in image.planes.enumerated() {
            if i == 0 || chroma == nil {
                planes.append(resize(plane, width: width, height: height, premultiplied: image.layout == .rgba))
            } else if let chroma {
                planes.append(resize(plane, width: chroma.width, height: chroma.height, premultiplied: false))
            }
        }
        return PixelImage(layout: image.layout, planes: planes)
    }

    /// Resizes one plane. `premultiplied` applies to 4-channel planes whose last channel is alpha.
    public func resize(_ plane: Plane, width: Int, height: Int, premultiplied: Bool = false) -> Plane {
        if plane.width == width && plane.height == height { return plane }
        let alpha = premultiplied && plane.channels == 4
        var source = plane
        if alpha { source = Self.premultiply(plane) }
        let tall = vertical(source, to: height)
        let turned = Self.transpose(tall)
        let wide = vertical(turned, to: width)
        var result = Self.transpose(wide)
        if alpha { result = Self.unpremultiply(result) }
        return result
    }

    /// Resizes the height of `plane` to `height` (width unchanged).
    func vertical(_ plane: Plane, to height: Int) -> Plane {
        if plane.height == height { return plane }
        let table = FilterTable(inSize: plane.height, outSize: height, filter: filter)
        let output = Plane(width: plane.width, height: height, channels: plane.channels)
        let bands = plane.rowBytes * height >= 1 << 20 ? threads : 1
        if bands == 1 {
            Self.verticalRows(plane, output, table, 0..<height)
        } else {
            DispatchQueue.concurrentPerform(iterations: bands) { band in
                let lo = height * band / bands, hi = height * (band + 1) / bands
                Self.verticalRows(plane, output, table, lo..<hi)
            }
        }
        return output
    }

    /// Columns are filtered in chunks that keep the 32-bit accumulators in L1.
    private static let chunk = 2048

    static func verticalRows(_ input: Plane, _ output: Plane, _ table: FilterTable, _ rows: Range<Int>) {
        let rowBytes = input.rowBytes
        let accumulator = UnsafeMutablePointer<Int32>.allocate(capacity: chunk)
        defer { accumulator.deallocate() }
        let rounding: Int32 = 1 << (FilterTable.precision - 1)
        table.weights.withUnsafeBufferPointer { weights in
            for y in rows {
                let start = Int(table.starts[y]), count = Int(table.counts[y])
                let w = weights.baseAddress! + y * table.stride
                let destination = output.row(y)
                var x0 = 0
                while x0 < rowBytes {
                    let n = min(chunk, rowBytes - x0)
                    for i in 0..<n { accumulator[i] = rounding }
                    for k in 0..<count {
                        let weight = Int32(w[k])
                        let source = input.row(start + k) + x0
                        for i in 0..<n { accumulator[i] &+= weight &* Int32(source[i]) }
                    }
                    let out = destination + x0
                    for i in 0..<n {
                        let v = accumulator[i] >> FilterTable.precision
                        out[i] = UInt8(truncatingIfNeeded: v < 0 ? 0 : (v > 255 ? 255 : v))
                    }
                    x0 += n
                }
            }
        }
    }
}
