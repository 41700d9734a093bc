/// Video's limited range (luma 16–235, chroma 16–240 around 128) expanded to the full range JPEG
/// stores: the one formula, used per 2×2 mean (``HalfScale``), and its exact integer form per
/// sample (``ColorMatrix``).
package enum VideoRange {
    /// `mean` (a sample, or the mean of several) expanded, rounded and clamped.
    package static func expand(_ mean: Double, chroma: Bool) -> UInt8 {
        let v = chroma ? (mean - 128) * 255 / 224 + 128 : (mean - 16) * 255 / 219
        return UInt8(Swift.max(0, Swift.min(255, v.rounded())))
    }

    /// The same expansion in integers, for passes the compiler vectorises: (v − offset) × scale / 2¹³,
    /// rounded, plus the offset for chroma, clamped; equal to ``expand(_:chroma:)`` for every sample
    /// (checked by a test). `scale` 8192 with offset 0 is the identity (full range).
    package static let lumaScale: Int32 = 9539, chromaScale: Int32 = 9325

    /// Every sample of a limited-range plane (luma, or one chroma plane) expanded in place.
    package static func expand(_ plane: Plane, chroma: Bool) {
        let (offset, scale) = chroma ? (Int32(128), chromaScale) : (Int32(16), lumaScale)
        for y in 0..<plane.height {
            let row = plane.row(y)
            for x in 0..<(plane.width * plane.channels) {
                row[x] = UInt8(truncatingIfNeeded: expand(Int32(row[x]), offset: offset, scale: scale))
            }
        }
    }

    @inline(__always) package static func expand(_ v: Int32, offset: Int32, scale: Int32) -> Int32 {
        let centre: Int32 = offset == 128 ? 128 : 0
        return Swift.min(Swift.max((((v &- offset) &* scale &+ 4096) >> 13) &+ centre, 0), 255)
    }
}
