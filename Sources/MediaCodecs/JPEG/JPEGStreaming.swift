import CJPEGDecoder
import Foundation
import MediaCore

/// A JPEG decoded and resized at once: a thread of its own decodes the stored planes one iMCU row
/// (16 rows) at a time (libjpeg's raw data: no colour conversion, no upsampling, the accurate
/// integer IDCT — the samples TurboJPEG's `tjDecompressToYUVPlanes` gives), while the resampler's
/// workers resize each band as soon as the rows it reads are in
/// (``Resampler/resizeWhileDecoding(_:into:plan:rowsReady:bandDone:)``). On two cores the resize then
/// costs almost no time after the decode: a 24 MP JPEG to 3240×2160 went from 157 to 136 ms
/// (`hyperfine -N`, default options), decode and resize together taking what the decode alone took.
/// The decoded planes are rings of a few hundred rows, not whole planes: the decoder waits when
/// it would overwrite rows a band still reads (``RowGate``): a 24 MP JPEG's peak memory
/// went from 81 to ~50 MiB.
enum JPEGStreaming {
    /// What ``decodeAndResize(_:size:resampler:encodeQuality:path:)`` gives.
    struct Result {
        var image: PixelImage
        var diagnostics: [Diagnostic]
        /// The resized planes as a JPEG, written band by band beside the decode, when asked for.
        var jpeg: [UInt8]?
    }

    /// Decodes `v`'s planes and resizes plane 0 to `size` (the chroma planes to its 4:2:0 size),
    /// written as a JPEG at `encodeQuality` too when given, or `nil` when this JPEG or these sizes
    /// are not for this path (CMYK, YCCK, RGB-coded; a resize that is not a shrink of less than
    /// half) or the decode failed: the caller then takes the usual path, which reports the file's
    /// errors and warnings as always.
    static func decodeAndResize(_ v: ByteView, size: (width: Int, height: Int), resampler: Resampler,
                                encodeQuality: Int? = nil, path: String = "") -> Result? {
        guard resampler.threads > 1, let data = v.bytes.baseAddress?.assumingMemoryBound(to: UInt8.self) else { return nil }
        var components: Int32 = 0
        var widths = [Int32](repeating: 0, count: 4), heights = widths, strides = widths, perRow = widths
        guard kimi_jpeg_plane_layout(data, v.count, &components, &widths, &heights, &strides, &perRow, nil, 0) == 0,
              components == 1 || components == 3 else { return nil }
        let count = Int(components)
        let chroma = ((size.width + 1) / 2, (size.height + 1) / 2)
        let sizes = (0..<count).map { $0 == 0 ? size : chroma }
        let planeWidths = (0..<count).map { Int(widths[$0]) }, planeHeights = (0..<count).map { Int(heights[$0]) }
        let rowsPerIMCU = (0..<count).map { Int(perRow[$0]) }
        guard resampler.canResizeWhileDecoding(widths: planeWidths, heights: planeHeights, channels: 1, sizes: sizes) else { return nil }
        let plan = resampler.streamingResize(widths: planeWidths, heights: planeHeights, sizes: sizes, rowsPerIMCU: rowsPerIMCU)
        let planes = (0..<count).map {
            Plane(width: planeWidths[$0], height: planeHeights[$0], channels: 1, rowBytes: Int(strides[$0]), ringRows: plan.ringRows[$0])
        }

        let gate = RowGate(rowsPerIMCU: rowsPerIMCU, heights: planeHeights, ringRows: planes.map(\.ringRows), firstRows: plan.firstRows)
        let done = DispatchSemaphore(value: 0)
        let outcome = DecodeOutcome()
        // The file's bytes outlive the thread: this function waits for it before returning.
        let source = Source(data: data, count: v.count)
        let threads = resampler.threads
        let decoder = Thread {
            var pointers: [UnsafeMutablePointer<UInt8>?] = planes.map { $0.base }
            var rowStrides = planes.map { Int32($0.rowBytes) }
            var rowCounts = planes.map { Int32($0.height) }
            var rings = planes.map { Int32($0.ringRows) }
            var message = [CChar](repeating: 0, count: 256)
            let context = Unmanaged.passUnretained(gate).toOpaque()
            let status = kimi_jpeg_decode_planes(source.data, source.count, Int32(threads), &pointers, &rowStrides, &rowCounts, &rings, context, { context, rows in
                Unmanaged<RowGate>.fromOpaque(context!).takeUnretainedValue().advance(to: Int(rows))
            }, &message, message.count)
            outcome.set(status: status, message: String(cString: message))
            gate.finish()
            done.signal()
        }
        decoder.stackSize = 1 << 20
        decoder.start()
        // The output planes exist before the bands that fill them: the writer reads them as bands finish.
        let outputs = zip(planes, sizes).map { Plane(width: $1.0, height: $1.1, channels: $0.channels) }
        let writer = encodeQuality.flatMap { quality in
            try? BandWriter(JPEGPlaneWriter(width: size.width, height: size.height, gray: count == 1, quality: quality, path: path),
                            planes: outputs, gate: gate)
        }
        resampler.resizeWhileDecoding(planes, into: outputs, plan: plan, rowsReady: { plane, rows in gate.wait(plane: plane, rows: rows) },
                                      bandDone: { plane, index in
                                          gate.done(plane: plane, band: index)
                                          writer?.pump()
                                      })
        done.wait()
        let (status, message) = outcome.get()
        guard status == 0 || status == 1 else { return nil }
        let diagnostics = status == 1 ? [Diagnostic(code: "decode-warning", stage: .decode, message: message)] : []
        return Result(image: PixelImage(layout: count == 1 ? .gray : .ycbcr, planes: outputs), diagnostics: diagnostics,
                      jpeg: writer?.finish())
    }
}

/// The JPEG's bytes, handed to the decoder thread (read only; alive until the thread is joined).
private struct Source: @unchecked Sendable {
    let data: UnsafePointer<UInt8>
    let count: Int
}

/// How far the decoder is (the iMCU rows in place, and the rows that makes in each plane), and
/// which bands are done with their rows: the decoder waits before an iMCU row that would overwrite
/// ring slots whose rows a band not yet done still reads.
private final class RowGate: @unchecked Sendable {
    private let condition = NSCondition()
    private var imcuRows = 0
    private var finished = false
    private let rowsPerIMCU: [Int]
    private let heights: [Int]
    private let ringRows: [Int]
    private let firstRows: [[Int]]
    /// Per plane, which bands are done, and the earliest one not done.
    private var bandsDone: [[Bool]]
    private var earliest: [Int]

    init(rowsPerIMCU: [Int], heights: [Int], ringRows: [Int], firstRows: [[Int]]) {
        self.rowsPerIMCU = rowsPerIMCU
        self.heights = heights
        self.ringRows = ringRows
        self.firstRows = firstRows
        bandsDone = firstRows.map { [Bool](repeating: false, count: $0.count) }
        earliest = firstRows.map { _ in 0 }
    }

    /// `rows` iMCU rows are in place; returns once the next one may be written.
    func advance(to rows: Int) {
        condition.lock()
        imcuRows = rows
        condition.broadcast()
        while !finished && !nextRowFits(after: rows) { condition.wait() }
        condition.unlock()
    }

    /// Whether iMCU row `rows` (0-based) lands in ring slots no band still needs (under the lock).
    private func nextRowFits(after rows: Int) -> Bool {
        for i in heights.indices where ringRows[i] > 0 {
            let lastRow = min(heights[i], (rows + 1) * rowsPerIMCU[i])
            let keep = earliest[i] < firstRows[i].count ? firstRows[i][earliest[i]] : Int.max
            if lastRow > keep &+ ringRows[i] { return false }
        }
        return true
    }

    /// How many of `plane`'s bands are done, counted from the first.
    func finishedBands(plane: Int) -> Int {
        condition.lock()
        defer { condition.unlock() }
        return earliest[plane]
    }

    /// Band `band` of `plane` no longer reads its rows.
    func done(plane: Int, band: Int) {
        condition.lock()
        bandsDone[plane][band] = true
        while earliest[plane] < bandsDone[plane].count && bandsDone[plane][earliest[plane]] { earliest[plane] += 1 }
        condition.broadcast()
        condition.unlock()
    }

    /// The decode ended (done or failed): nobody waits any longer.
    func finish() {
        condition.lock()
        finished = true
        condition.broadcast()
        condition.unlock()
    }

    /// Blocks until the first `rows` rows of `plane` are decoded (or the decode has ended).
    func wait(plane: Int, rows: Int) {
        condition.lock()
        while !finished && min(heights[plane], imcuRows * rowsPerIMCU[plane]) < rows { condition.wait() }
        condition.unlock()
    }
}

/// Writes the JPEG as the bands come in: whichever worker finishes a band writes the iMCU rows
/// that every plane's finished bands now complete; one writes at a time, and a band finished
/// meanwhile is written by the same call before it returns.
private final class BandWriter: @unchecked Sendable {
    private let writer: JPEGPlaneWriter
    private let planes: [Plane]
    private let gate: RowGate
    private let lock = NSLock()
    private var writing = false, requested = false
    private var failed = false

    init(_ writer: JPEGPlaneWriter, planes: [Plane], gate: RowGate) {
        self.writer = writer
        self.planes = planes
        self.gate = gate
    }

    func pump() {
        lock.lock()
        requested = true
        if writing {
            lock.unlock()
            return
        }
        writing = true
        while requested && !failed {
            requested = false
            lock.unlock()
            let available = planes.indices.map { min(planes[$0].height, gate.finishedBands(plane: $0) * Resampler.StreamingResize.band) }
            let ok = (try? writer.write(planes, available: available)) != nil
            lock.lock()
            if !ok { failed = true }
        }
        writing = false
        lock.unlock()
    }

    /// The JPEG (every band done), or `nil` when writing failed: the caller encodes the usual way.
    func finish() -> [UInt8]? {
        pump()
        return lock.withLock { failed } ? nil : try? writer.finish()
    }
}

/// The decoder thread's status and message, read once it has ended.
private final class DecodeOutcome: @unchecked Sendable {
    private let lock = NSLock()
    private var status: Int32 = -1
    private var message = ""

    func set(status: Int32, message: String) { lock.withLock { (self.status, self.message) = (status, message) } }
    func get() -> (Int32, String) { lock.withLock { (status, message) } }
}
