import Dispatch
import Synchronization

extension Resampler {
    /// Whether ``resizeWhileDecoding(_:sizes:rowsReady:)`` can take these planes to these sizes:
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

    /// Resizes planes that a decoder is still filling, top to bottom: each band of 64 output rows
    /// (of every plane, in the order the decoder completes their input) starts once `rowsReady(plane,
    /// rows)` returns — it blocks until the first `rows` rows of that plane are decoded. `threads`
    /// workers take the bands in turn, so the resize runs beside the decode instead of after it; the
    /// samples are exactly those of ``resize(_:width:height:premultiplied:ownsSource:)``.
    package func resizeWhileDecoding(_ planes: [Plane], sizes: [(width: Int, height: Int)],
                                     rowsReady: @escaping @Sendable (_ plane: Int, _ rows: Int) -> Void) -> [Plane] {
        let band = 64
        struct Job {
            var plane: Int
            var rows: Range<Int>
            /// Input rows the band reads (the last row's window end: windows only move down).
            var needs: Int
            /// The fraction of its plane the band waits for: the order the decoder fills them in.
            var order: Double
        }
        let verticals = zip(planes, sizes).map { FilterTable(inSize: $0.height, outSize: $1.height, filter: filter) }
        let horizontals = zip(planes, sizes).map { $0.width == $1.width ? nil : FilterTable(inSize: $0.width, outSize: $1.width, filter: filter) }
        let outputs = zip(planes, sizes).map { Plane(width: $1.width, height: $1.height, channels: $0.channels) }
        var jobs: [Job] = []
        for (i, size) in sizes.enumerated() {
            for start in stride(from: 0, to: size.height, by: band) {
                let rows = start..<min(size.height, start + band)
                let last = rows.upperBound - 1
                let needs = min(planes[i].height, Int(verticals[i].starts[last]) + Int(verticals[i].counts[last]))
                jobs.append(Job(plane: i, rows: rows, needs: needs, order: Double(needs) / Double(planes[i].height)))
            }
        }
        jobs.sort { $0.order < $1.order }
        let ordered = jobs
        let next = Atomic<Int>(0)
        let work: @Sendable (Int) -> Void = { _ in
            var strips: [Int: Plane] = [:]
            while true {
                let index = next.add(1, ordering: .relaxed).oldValue
                guard index < ordered.count else { return }
                let job = ordered[index], plane = planes[job.plane]
                rowsReady(job.plane, job.needs)
                let strip = strips[job.plane] ?? Plane(width: plane.width, height: band, channels: plane.channels)
                strips[job.plane] = strip
                Self.band(plane, into: outputs[job.plane], rows: job.rows, vertical: verticals[job.plane], horizontal: horizontals[job.plane],
                          strip: strip)
            }
        }
        // The decoder has a core of its own: the workers take the others.
        let workers = max(1, threads - 1)
        if workers <= 1 { work(0) } else { DispatchQueue.concurrentPerform(iterations: workers, execute: work) }
        return outputs
    }
}
