/// Video's limited range (luma 16–235, chroma 16–240 around 128) expanded to the full range JPEG
/// stores: the one formula, used per sample (``ColorMatrix``) and per 2×2 mean (``HalfScale``).
package enum VideoRange {
    /// `mean` (a sample, or the mean of several) expanded, rounded and clamped.
    package static func expand(_ mean: Double, chroma: Bool) -> UInt8 {
        let v = chroma ? (mean - 128) * 255 / 224 + 128 : (mean - 16) * 255 / 219
        return UInt8(Swift.max(0, Swift.min(255, v.rounded())))
    }

    /// Sample → expanded sample, made once.
    package static let luma: [UInt8] = (0..<256).map { expand(Double($0), chroma: false) }
    package static let chroma: [UInt8] = (0..<256).map { expand(Double($0), chroma: true) }
    package static let identity: [UInt8] = (0..<256).map { UInt8($0) }
}
