/// The weights that map `inSize` samples onto `outSize`, built once per geometry and reused for
/// every row, plane and frame. Weights are 14-bit fixed point summing to exactly 1 << 14, so the
/// inner loops are integer multiply-adds that vectorise.
package struct FilterTable: Sendable {
    public static let precision: Int32 = 14

    public let inSize: Int
    public let outSize: Int
    /// Taps stored per output sample (the widest window rounded up to 8), zero-padded.
    public let stride: Int
    /// First input index of each output sample's window.
    public let starts: [Int32]
    /// Taps actually used by each output sample.
    public let counts: [Int32]
    /// `outSize × stride` weights.
    public let weights: [Int16]

    private struct Key: Hashable {
        var inSize: Int, outSize: Int, filter: ResampleFilter
    }
    private static let made = Locked<[Key: FilterTable]>([:])

    /// The table for this geometry, made once per process and then shared: the chroma planes of an
    /// image share one, and a batch of same-sized photos or a video's frames reuse them (a 24 MP →
    /// 4K resize builds ~130,000 weights). Up to 32 geometries are kept.
    public static func shared(inSize: Int, outSize: Int, filter: ResampleFilter) -> FilterTable {
        let key = Key(inSize: inSize, outSize: outSize, filter: filter)
        if let table = made.withLock({ $0[key] }) { return table }
        let table = FilterTable(inSize: inSize, outSize: outSize, filter: filter)
        made.withLock { tables in
            if tables.count >= 32 { tables.removeAll() }
            tables[key] = table
        }
        return table
    }

    /// Windows are centred on each output sample's centre mapped into the input
    /// (`(o + 0.5) · in/out`); for downscaling the kernel is stretched by the ratio so it
    /// integrates over every input sample. At the edges the window is cut and renormalised.
    public init(inSize: Int, outSize: Int, filter: ResampleFilter) {
        precondition(inSize > 0 && outSize > 0)
        let scale = Double(inSize) / Double(outSize)
        let filterScale = max(1, scale)
        let support = filter.support * filterScale
        // Padded to a multiple of 8 so SIMD kernels take whole groups of taps (the padding is zero).
        let width = (Int((support * 2).rounded(.up)) + 1 + 7) / 8 * 8
        var starts = [Int32](repeating: 0, count: outSize)
        var counts = [Int32](repeating: 0, count: outSize)
        var weights = [Int16](repeating: 0, count: outSize * width)
        var real = [Double](repeating: 0, count: width)
        let one = Double(1 << Self.precision)
        for o in 0..<outSize {
            let center = (Double(o) + 0.5) * scale
            let lo = max(0, Int(center - support + 0.5))
            let hi = min(inSize, Int(center + support + 0.5))
            let n = min(width, max(1, hi - lo))
            filter.weights(from: (Double(lo) - center + 0.5) / filterScale, step: 1 / filterScale, count: n, into: &real)
            var sum = 0.0
            for k in 0..<n { sum += real[k] }
            // Quantise, then put the rounding residue on the largest weight so the sum is exact.
            var total = 0, largest = 0
            for k in 0..<n {
                let q = Int((real[k] / sum * one).rounded())
                weights[o * width + k] = Int16(clamping: q)
                total += q
                if abs(q) > abs(Int(weights[o * width + largest])) { largest = k }
            }
            weights[o * width + largest] = Int16(clamping: Int(weights[o * width + largest]) + (1 << Self.precision) - total)
            starts[o] = Int32(lo)
            counts[o] = Int32(n)
        }
        self.inSize = inSize
        self.outSize = outSize
        self.stride = width
        self.starts = starts
        self.counts = counts
        self.weights = weights
    }
}
