import CPixelKernels
import MediaCore

/// An exact 2×2 box reduction of one 8-bit plane, for fits that are exactly half (a 3840×2160
/// frame into the 2048×1080 box is 1920×1080): each output sample is the mean of its four source
/// samples, with the range expansion in the same pass (limited 16–235/240 video range to the full
/// range JPEG stores, as ``VideoRange/expand(_:chroma:)`` rounds it). A 2× reduction by area
/// averaging is what a box filter is exact for; it reads each source sample once, against swscale
/// Lanczos's 6×6 taps. In C (`kimi_halve_plane`, integer constants checked against the formula
/// for every sum): a 4K luma plane ~0.6 ms, against ~2.7 ms for the Swift table loop it replaced.
enum HalfScale {
    /// What the mean of four samples becomes.
    enum Range {
        /// Limited-range luma (16–235) expanded to full range.
        case lumaLimited
        /// Limited-range chroma (16–240 around 128) expanded to full range.
        case chromaLimited
        /// The rounded mean, for a full-range source.
        case full

        var kernel: kimi_range {
            switch self {
            case .lumaLimited: kimi_range_luma
            case .chromaLimited: kimi_range_chroma
            case .full: kimi_range_full
            }
        }
    }

    /// Halves the `2·plane.width` × `2·plane.height` samples at `source` (rows `stride` bytes apart)
    /// into `plane`.
    static func halve(_ source: UnsafePointer<UInt8>, stride: Int, into plane: Plane, range: Range) {
        kimi_halve_plane(source, stride, plane.base, plane.rowBytes, Int32(plane.width), Int32(plane.height), range.kernel)
    }
}
