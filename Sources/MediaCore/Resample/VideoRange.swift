/// Video's limited range (luma 16–235, chroma 16–240 around 128) expanded to the full range JPEG
/// stores: the one formula, which the C kernels of `MediaCodecs` reproduce in integers and are
/// tested against (`HalfScale` per 2×2 mean, `ColorMatrix` per sample, as ``Expansion``).
package enum VideoRange {
    /// `mean` (a sample, or the mean of several) expanded, rounded and clamped.
    package static func expand(_ mean: Double, chroma: Bool) -> UInt8 {
        let v = chroma ? (mean - 128) * 255 / 224 + 128 : (mean - 16) * 255 / 219
        return UInt8(Swift.max(0, Swift.min(255, v.rounded())))
    }

    /// The same expansion in integers, for passes the compiler vectorises: ((v − offset) × scale /
    /// 2¹³, rounded) + centre, clamped; equal to ``expand(_:chroma:)`` for every sample (checked by a
    /// test). ``identity`` leaves samples as they are (full-range video).
    package struct Expansion: Sendable {
        let offset: Int32, scale: Int32, centre: Int32

        package static let luma = Expansion(offset: 16, scale: 9539, centre: 0)
        package static let chroma = Expansion(offset: 128, scale: 9325, centre: 128)
        package static let identity = Expansion(offset: 0, scale: 8192, centre: 0)

        @inline(__always) package func callAsFunction(_ v: Int32) -> Int32 {
            Swift.min(Swift.max((((v &- offset) &* scale &+ 4096) >> 13) &+ centre, 0), 255)
        }
    }

    /// Every sample of a limited-range plane (luma, or one chroma plane) expanded in place.
    package static func expand(_ plane: Plane, _ expansion: Expansion) {
        for y in 0..<plane.height {
            let row = plane.row(y)
            for x in 0..<(plane.width * plane.channels) { row[x] = UInt8(truncatingIfNeeded: expansion(Int32(row[x]))) }
        }
    }
}
