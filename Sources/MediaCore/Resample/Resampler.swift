import Dispatch

/// A high-quality separable resampler (Lanczos-3 by default) over 8-bit planes.
///
/// Two passes, each with its own kernel: vertical (every tap multiplies whole rows by one weight)
/// and horizontal (a dot product per output pixel), in the order that shrinks the image first.
/// On x86-64 both run on SSE2 `pmaddwd` (eight 16-bit multiply-adds per instruction); elsewhere
/// a scalar path computes the same integers. Tables are built once per geometry. RGBA is
/// premultiplied before filtering and unpremultiplied after, so the colour of transparent pixels
/// does not bleed. Large planes are split into row bands across `threads`.
public struct Resampler: Sendable {
    public let filter: ResampleFilter
    public let threads: Int

    public init(filter: ResampleFilter = .lanczos3, threads: Int = 1) {
        self.filter = filter
        self.threads = max(1, threads)
    }

    /// Resizes every plane of `image` so that its first plane becomes `width`×`height`; with
    /// `chroma`, the other planes (YCbCr chroma) go to that size instead.
    public func resize(_ image: PixelImage, width: Int, height: Int, chroma: (width: Int, height: Int)? = nil) -> PixelImage {
        let planes = image.planes.enumerated().map { i, plane in
            if i > 0, let chroma { return resize(plane, width: chroma.width, height: chroma.height) }
            return resize(plane, width: width, height: height, premultiplied: image.layout == .rgba)
        }
        return PixelImage(layout: image.layout, planes: planes)
    }

    /// Resizes one plane. `premultiplied` applies to 4-channel planes whose last channel is alpha.
    public func resize(_ plane: Plane, width: Int, height: Int, premultiplied: Bool = false) -> Plane {
        if plane.width == width && plane.height == height { return plane }
        let alpha = premultiplied && plane.channels == 4
        var result = alpha ? Self.premultiply(plane) : plane
        if height < plane.height {
            result = horizontal(vertical(result, to: height), to: width)
        } else {
            result = vertical(horizontal(result, to: width), to: height)
        }
        return alpha ? Self.unpremultiply(result) : result
    }

    /// Resizes the height of `plane` (width unchanged).
    func vertical(_ plane: Plane, to height: Int) -> Plane {
        if plane.height == height { return plane }
        let table = FilterTable(inSize: plane.height, outSize: height, filter: filter)
        let output = Plane(width: plane.width, height: height, channels: plane.channels)
        inBands(rows: height, bytes: plane.rowBytes * height) { rows in Self.verticalRows(plane, output, table, rows) }
        return output
    }

    /// Resizes the width of `plane` (height unchanged).
    func horizontal(_ plane: Plane, to width: Int) -> Plane {
        if plane.width == width { return plane }
        let table = FilterTable(inSize: plane.width, outSize: width, filter: filter)
        let output = Plane(width: width, height: plane.height, channels: plane.channels)
        inBands(rows: plane.height, bytes: plane.rowBytes * plane.height) { rows in
            if plane.channels == 1 {
                Self.horizontalGray(plane, output, table, rows)
            } else {
                Self.horizontalPixels(plane, output, table, rows)
            }
        }
        return output
    }

    /// Runs `body` over row bands, in parallel when the plane is large (≥ 1 MiB) and threads allow.
    private func inBands(rows: Int, bytes: Int, _ body: @Sendable (Range<Int>) -> Void) {
        let bands = bytes >= 1 << 20 ? min(threads, rows) : 1
        if bands <= 1 {
            body(0..<rows)
        } else {
            DispatchQueue.concurrentPerform(iterations: bands) { band in
                body(rows * band / bands..<rows * (band + 1) / bands)
            }
        }
    }

    static let rounding: Int32 = 1 << (FilterTable.precision - 1)

    @inline(__always)
    static func clamp(_ accumulator: Int32) -> UInt8 {
        let v = accumulator >> FilterTable.precision
        return UInt8(truncatingIfNeeded: v < 0 ? 0 : (v > 255 ? 255 : v))
    }
}
