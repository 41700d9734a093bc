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

    /// Resizes every plane of `image` in place so that its first plane becomes `width`×`height`;
    /// with `chroma`, the other planes (YCbCr chroma) go to that size instead. Each source plane is
    /// released as soon as it has been resized (when `image` held the last reference), so the peak
    /// holds the resized planes and one source plane, not the whole source picture.
    public func resize(_ image: inout PixelImage, width: Int, height: Int, chroma: (width: Int, height: Int)? = nil) {
        let premultiplied = image.layout == .rgba
        for i in image.planes.indices {
            let size: (width: Int, height: Int) = i > 0 ? chroma ?? (width, height) : (width, height)
            let source = image.planes[i]
            image.planes[i] = Self.placeholder  // the array lets go of the source while it is resized
            image.planes[i] = resize(source, width: size.width, height: size.height, premultiplied: premultiplied,
                                     ownsSource: true)
        }
    }

    private static let placeholder = Plane(width: 0, height: 0, channels: 1)

    /// Resizes one plane. `premultiplied` applies to 4-channel planes whose last channel is alpha;
    /// `ownsSource` says nobody else reads `plane`, so it may be premultiplied in place.
    public func resize(_ plane: Plane, width: Int, height: Int, premultiplied: Bool = false, ownsSource: Bool = false) -> Plane {
        if plane.width == width && plane.height == height { return plane }
        let alpha = premultiplied && plane.channels == 4
        var source = alpha ? Self.premultiply(plane, into: ownsSource ? plane : Plane(width: plane.width, height: plane.height, channels: 4)) : plane
        let (fx, fy) = (Self.boxFactor(source.width, width), Self.boxFactor(source.height, height))
        if fx > 1 || fy > 1 { source = Self.boxReduce(source, fx, fy) }
        let result = height < plane.height
            ? verticalThenHorizontal(source, width: width, height: height)
            : vertical(horizontal(source, to: width), to: height)
        return alpha ? Self.unpremultiply(result) : result
    }

    /// Shrinking the height: output rows are made in bands of 64; each band is filtered vertically
    /// into a small buffer, then horizontally into the result, so the full-width intermediate
    /// (input width × output height) never exists.
    func verticalThenHorizontal(_ plane: Plane, width: Int, height: Int) -> Plane {
        let vertical = FilterTable.shared(inSize: plane.height, outSize: height, filter: filter)
        let horizontal = plane.width == width ? nil : FilterTable.shared(inSize: plane.width, outSize: width, filter: filter)
        let output = Plane(width: width, height: height, channels: plane.channels)
        let band = 64
        let bands = (height + band - 1) / band
        let workers = plane.rowBytes * height >= 1 << 20 ? min(threads, bands) : 1
        let work: @Sendable (Int) -> Void = { worker in
            let strip = Plane(width: plane.width, height: band, channels: plane.channels)
            var b = worker
            while b < bands {
                Self.band(plane, into: output, rows: b * band..<min(height, (b + 1) * band), vertical: vertical, horizontal: horizontal,
                          strip: strip)
                b += workers
            }
        }
        if workers <= 1 { work(0) } else { DispatchQueue.concurrentPerform(iterations: workers, execute: work) }
        return output
    }

    /// Output rows `rows` of a resize that shrinks the height: filtered vertically into `strip` (a
    /// band of the input's width), then horizontally into `output`; straight into `output` when the
    /// width stays.
    static func band(_ plane: Plane, into output: Plane, rows: Range<Int>, vertical: FilterTable, horizontal: FilterTable?, strip: Plane) {
        if let horizontal {
            verticalRows(plane, strip, vertical, rows, outputOffset: rows.lowerBound)
            horizontalRows(strip, output, horizontal, 0..<rows.count, outputOffset: -rows.lowerBound)
        } else {
            verticalRows(plane, output, vertical, rows)
        }
    }

    /// Resizes the height of `plane` (width unchanged).
    func vertical(_ plane: Plane, to height: Int) -> Plane {
        if plane.height == height { return plane }
        let table = FilterTable.shared(inSize: plane.height, outSize: height, filter: filter)
        let output = Plane(width: plane.width, height: height, channels: plane.channels)
        inBands(rows: height, bytes: plane.rowBytes * height) { rows in Self.verticalRows(plane, output, table, rows) }
        return output
    }

    /// Resizes the width of `plane` (height unchanged).
    func horizontal(_ plane: Plane, to width: Int) -> Plane {
        if plane.width == width { return plane }
        let table = FilterTable.shared(inSize: plane.width, outSize: width, filter: filter)
        let output = Plane(width: width, height: plane.height, channels: plane.channels)
        inBands(rows: plane.height, bytes: plane.rowBytes * plane.height) { rows in
            Self.horizontalRows(plane, output, table, rows)
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
