import Dispatch
import Synchronization

extension Resampler {
    /// Whether ``resizeWhileDecoding(_:into:plan:rowsReady:bandDone:)`` can take these planes to these sizes:
    /// every plane shrinks in height (the vertical pass comes first and reads input rows in order)
    /// by less than half (no box pre-reduction, which needs whole rows of blocks), and none is RGBA.
    /// Decided from the planes' sizes alone, before they are allocated.
    package func canResizeWhileDecoding(widths: [Int], heights: [Int], channels: Int, sizes: [(width: Int, height: Int)]) -> Bool {
        channels != 4 && widths.count == sizes.count && heights.count == sizes.count
            && zip(zip(widths, heights), sizes).allSatisfy { plane, size in
                size.height < plane.1 && size.width <= plane.0
                    && Self.boxFactor(plane.0, size.width) == 1 && Self.boxFactor(plane.1, size.height) == 1
            }
    }

    /// A resize of planes that a decoder is still filling, planned before they exist: the bands (64
    /// output rows of one plane each, in the order the decoder completes their input) and how many
    /// input rows each plane must hold at once, so that the decoder can write into a ring of rows
    /// (``Plane/init(width:height:channels:rowBytes:ringRows:)``) instead of whole planes: a 24 MP
    /// JPEG's 36 MB of decoded planes become ~5 MB.
    package struct StreamingResize: Sendable {
        struct Band {
            var plane: Int
            /// Its place among its plane's bands.
            var index: Int
            var rows: Range<Int>
            /// Input rows the band reads: from `first` (windows only move down) up to `needs`.
            var first: Int
            var needs: Int
            /// The fraction of its plane the band waits for: the order the decoder fills them in.
            var order: Double
        }
        let bands: [Band]
        let sizes: [(width: Int, height: Int)]
        let verticals: [FilterTable]
        let horizontals: [FilterTable?]
        /// Per plane, the first input row each of its bands reads, in band order: the decoder may
        /// overwrite a ring's rows only below the first row of the plane's earliest band not done.
        package let firstRows: [[Int]]
        /// Per plane, the rows its ring holds: the decoder runs ahead of the earliest band not done
        /// by about one band per worker plus two iMCU rows — enough for every band to be filled
        /// while the bands before it hold their rows (a smaller ring could deadlock).
        package let ringRows: [Int]
        /// Output rows per band.
        package static let band = 64
    }

    /// Plans ``resizeWhileDecoding(_:into:plan:rowsReady:bandDone:)`` for planes of these sizes, filled
    /// `rowsPerIMCU` rows at a time.
    package func streamingResize(widths: [Int], heights: [Int], sizes: [(width: Int, height: Int)], rowsPerIMCU: [Int]) -> StreamingResize {
        let band = StreamingResize.band
        let verticals = zip(heights, sizes).map { FilterTable.shared(inSize: $0, outSize: $1.height, filter: filter) }
        let horizontals = zip(widths, sizes).map { $0 == $1.width ? nil : FilterTable.shared(inSize: $0, outSize: $1.width, filter: filter) }
        var bands: [StreamingResize.Band] = []
        var firstRows = [[Int]](repeating: [], count: sizes.count)
        var ringRows = [Int](repeating: 0, count: sizes.count)
        for (i, size) in sizes.enumerated() {
            var span = 0
            for (index, start) in stride(from: 0, to: size.height, by: band).enumerated() {
                let rows = start..<min(size.height, start + band)
                let first = Int(verticals[i].starts[rows.lowerBound])
                let last = rows.upperBound - 1
                let needs = min(heights[i], Int(verticals[i].starts[last]) + Int(verticals[i].counts[last]))
                bands.append(.init(plane: i, index: index, rows: rows, first: first, needs: needs, order: Double(needs) / Double(heights[i])))
                firstRows[i].append(first)
                span = max(span, needs - first)
            }
            ringRows[i] = min(heights[i], (workers + 1) * span + 2 * rowsPerIMCU[i])
        }
        bands.sort { $0.order < $1.order }
        return StreamingResize(bands: bands, sizes: sizes, verticals: verticals, horizontals: horizontals, firstRows: firstRows,
                               ringRows: ringRows)
    }

    /// The decoder has a core of its own: the workers take the others.
    private var workers: Int { max(1, threads - 1) }

    /// Resizes planes that a decoder is still filling into `outputs` (of `plan`'s sizes), top to
    /// bottom, as `plan` says: each band
    /// starts once `rowsReady(plane, rows)` returns — it blocks until the first `rows` rows of that
    /// plane are decoded — and `bandDone(plane, index)` says when it no longer reads its rows.
    /// ``workers`` threads take the bands in turn, so the resize runs beside the decode instead of
    /// after it; the samples are exactly those of ``resize(_:width:height:premultiplied:ownsSource:)``.
    package func resizeWhileDecoding(_ planes: [Plane], into outputs: [Plane], plan: StreamingResize,
                                     rowsReady: @escaping @Sendable (_ plane: Int, _ rows: Int) -> Void,
                                     bandDone: @escaping @Sendable (_ plane: Int, _ index: Int) -> Void) {
        let band = StreamingResize.band
        precondition(zip(outputs, plan.sizes).allSatisfy { $0.width == $1.width && $0.height == $1.height })
        let next = Atomic<Int>(0)
        let work: @Sendable (Int) -> Void = { _ in
            var strips: [Int: Plane] = [:]
            while true {
                let index = next.add(1, ordering: .relaxed).oldValue
                guard index < plan.bands.count else { return }
                let job = plan.bands[index], plane = planes[job.plane]
                rowsReady(job.plane, job.needs)
                let strip = strips[job.plane] ?? Plane(width: plane.width, height: band, channels: plane.channels)
                strips[job.plane] = strip
                Self.band(plane, into: outputs[job.plane], rows: job.rows, vertical: plan.verticals[job.plane],
                          horizontal: plan.horizontals[job.plane], strip: strip)
                bandDone(job.plane, job.index)
            }
        }
        if workers <= 1 { work(0) } else { DispatchQueue.concurrentPerform(iterations: workers, execute: work) }
    }
}
