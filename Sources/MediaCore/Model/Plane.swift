#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

#if canImport(Glibc)
/// glibc's `mallopt(3)`, which the Glibc module does not export (it lives in <malloc.h>).
@_silgen_name("mallopt")
private func glibcMallopt(_ parameter: Int32, _ value: Int32) -> Int32
#endif

/// Owned, 64-byte-aligned pixel memory. Written once by the stage that makes it, then only read:
/// that is what makes it safe to hand across tasks without a lock. Every allocation has
/// ``slack`` readable bytes past its end, so SIMD kernels may load a whole vector at a row's end.
package final class PixelStorage: @unchecked Sendable {
    package let bytes: UnsafeMutableRawPointer
    package let count: Int
    /// Bytes readable (zeroed) past `count`: one 16-byte vector plus a 16-tap filter window.
    package static let slack = 64

    package init(count: Int) {
        _ = Self.allocatorConfigured
        self.count = count
        var pointer: UnsafeMutableRawPointer?
        guard posix_memalign(&pointer, 64, count + Self.slack) == 0, let pointer else {
            fatalError("out of memory allocating \(count) bytes of pixels")
        }
        (pointer + count).initializeMemory(as: UInt8.self, repeating: 0, count: Self.slack)
        bytes = pointer
    }

    deinit { free(bytes) }

    /// glibc raises its mmap threshold (up to 32 MiB) after a large block is freed, so a batch's
    /// next 24 MiB planes come from the heap and stay resident after use: a 24 MP JPEG batch peaked
    /// at 163 MiB against 108 MiB for one file. A fixed 1 MiB threshold keeps every pixel buffer in
    /// its own mapping, returned to the system on free. Set once, process-wide.
    private static let allocatorConfigured: Void = {
        #if canImport(Glibc)
        _ = glibcMallopt(-3 /* M_MMAP_THRESHOLD */, 1 << 20)
        #endif
    }()
}

/// `isKnownUniquelyReferenced` for a `let` class reference: whether `object` is held only by the
/// caller's value (plus this call's own borrow).
package func isKnownUniquelyReferenced(_ object: PixelStorage) -> Bool {
    var reference = object
    return Swift.isKnownUniquelyReferenced(&reference)
}

/// One plane of 8-bit samples: `channels` interleaved samples per pixel (1 gray or one YCbCr
/// component, 3 RGB, 4 RGBA), rows `rowBytes` apart.
public struct Plane: Sendable {
    public let width: Int
    public let height: Int
    public let channels: Int
    public let rowBytes: Int
    /// The memory (package-internal: raw pixels are not part of the public API).
    package let storage: PixelStorage
    /// 0 for a whole plane; otherwise the plane is a ring of this many rows, row y stored at
    /// y mod `ringRows` (a decoder's window of recent rows that a streaming resize reads: see
    /// ``init(width:height:channels:rowBytes:ringRows:)``).
    package let ringRows: Int

    /// A new plane with tightly packed rows.
    public init(width: Int, height: Int, channels: Int) {
        self.width = width
        self.height = height
        self.channels = channels
        rowBytes = width * channels
        storage = PixelStorage(count: rowBytes * height)
        ringRows = 0
    }

    /// A new plane whose rows are `rowBytes` apart (at least `width × channels`), with room for
    /// `capacityRows` rows (at least `height`): for decoders that write whole blocks past the right
    /// and bottom edges.
    package init(width: Int, height: Int, channels: Int, rowBytes: Int, capacityRows: Int = 0) {
        self.width = width
        self.height = height
        self.channels = channels
        self.rowBytes = max(rowBytes, width * channels)
        storage = PixelStorage(count: self.rowBytes * max(height, capacityRows))
        ringRows = 0
    }

    /// A plane of `height` rows that holds only `ringRows` of them at a time (row y in slot
    /// y mod `ringRows`): what a streaming decode writes and a resize reads behind it. Only
    /// ``row(_:)`` addresses it; a ring as tall as the plane is a whole plane.
    package init(width: Int, height: Int, channels: Int, rowBytes: Int, ringRows: Int) {
        self.width = width
        self.height = height
        self.channels = channels
        self.rowBytes = max(rowBytes, width * channels)
        let held = Swift.min(Swift.max(ringRows, 1), height)
        storage = PixelStorage(count: self.rowBytes * held)
        self.ringRows = held == height ? 0 : held
    }

    /// A plane over memory already filled (tightly packed rows from the start of `storage`).
    package init(width: Int, height: Int, channels: Int, storage: PixelStorage) {
        precondition(storage.count >= width * channels * height)
        self.width = width
        self.height = height
        self.channels = channels
        rowBytes = width * channels
        self.storage = storage
        ringRows = 0
    }

    /// A new plane whose samples are `sample(x, y, channel)`: how code outside the package makes
    /// pixels (synthetic test images, benchmarks) without touching memory.
    public init(width: Int, height: Int, channels: Int, sample: (_ x: Int, _ y: Int, _ channel: Int) -> UInt8) {
        self.init(width: width, height: height, channels: channels)
        for y in 0..<height {
            let row = row(y)
            for x in 0..<width {
                for c in 0..<channels { row[x * channels + c] = sample(x, y, c) }
            }
        }
    }

    package var base: UnsafeMutablePointer<UInt8> { storage.bytes.assumingMemoryBound(to: UInt8.self) }

    package func row(_ y: Int) -> UnsafeMutablePointer<UInt8> { base + (ringRows == 0 ? y : y % ringRows) * rowBytes }

    /// The sample at (x, y, channel c).
    public subscript(x: Int, y: Int, c: Int) -> UInt8 { row(y)[x * channels + c] }
}

/// A decoded picture: one interleaved plane (gray, RGB, RGBA), or three YCbCr planes whose chroma
/// planes may be subsampled (straight from a JPEG's DCT, never colour-converted).
public struct PixelImage: Sendable {
    /// How the planes are laid out: one interleaved gray/RGB/RGBA plane, or three YCbCr planes.
    public enum Layout: Sendable, Hashable {
        case gray, rgb, rgba, ycbcr
    }

    public var layout: Layout
    public var planes: [Plane]

    public init(layout: Layout, planes: [Plane]) {
        self.layout = layout
        self.planes = planes
    }

    /// An RGBA plane as an image: RGB when every alpha is 255 (a JPEG output then needs no
    /// flattening, and the plan's alpha decision holds), otherwise the RGBA plane as it is. What
    /// decoders that always produce RGBA (FFmpeg's, libtiff's, our BMP reader) hand back.
    public init(rgbaDroppingOpaqueAlpha rgba: Plane) {
        for y in 0..<rgba.height {
            let row = rgba.row(y)
            for x in 0..<rgba.width where row[x * 4 + 3] != 255 {
                self.init(layout: .rgba, planes: [rgba])
                return
            }
        }
        let rgb = Plane(width: rgba.width, height: rgba.height, channels: 3)
        for y in 0..<rgba.height {
            let s = rgba.row(y), d = rgb.row(y)
            for x in 0..<rgba.width {
                d[x * 3] = s[x * 4]
                d[x * 3 + 1] = s[x * 4 + 1]
                d[x * 3 + 2] = s[x * 4 + 2]
            }
        }
        self.init(layout: .rgb, planes: [rgb])
    }

    /// Size of the picture (the first plane: luma or the interleaved plane).
    public var width: Int { planes[0].width }
    public var height: Int { planes[0].height }
    public var hasAlpha: Bool { layout == .rgba }
}

extension Plane {
    /// A copy of the box at (`x`, `y`), `width`×`height` samples (clamped to the plane).
    public func cropped(x: Int, y: Int, width w: Int, height h: Int) -> Plane {
        let x0 = Swift.max(0, Swift.min(x, width - 1)), y0 = Swift.max(0, Swift.min(y, height - 1))
        let cw = Swift.max(1, Swift.min(w, width - x0)), ch = Swift.max(1, Swift.min(h, height - y0))
        let out = Plane(width: cw, height: ch, channels: channels)
        for r in 0..<ch { (out.row(r)).update(from: row(y0 + r) + x0 * channels, count: cw * channels) }
        return out
    }
}

extension PixelImage {
    /// The box at (`x`, `y`), `width`×`height` pixels of the picture (a tile): every plane cropped
    /// alike, subsampled chroma at its own scale (a box starting on an odd row takes the chroma row
    /// it shares with the row above, as 4:2:0 does).
    public func cropped(x: Int, y: Int, width w: Int, height h: Int) -> PixelImage {
        let full = planes[0]
        return PixelImage(layout: layout, planes: planes.map { plane in
            guard plane.width != full.width || plane.height != full.height else { return plane.cropped(x: x, y: y, width: w, height: h) }
            let sx = Double(plane.width) / Double(full.width), sy = Double(plane.height) / Double(full.height)
            let px = Int(Double(x) * sx), py = Int(Double(y) * sy)
            return plane.cropped(x: px, y: py, width: Int((Double(x + w) * sx).rounded(.up)) - px, height: Int((Double(y + h) * sy).rounded(.up)) - py)
        })
    }
}
