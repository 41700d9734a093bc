import CPixelKernels
import MediaCore

/// Video YCbCr 4:2:0 → full-range BT.601 (JFIF) YCbCr 4:2:0: what video frames need before they are
/// stored as JPEG. The range expansion (limited 16–235/240 → 0–255, ``VideoRange/Expansion``'s
/// integers) and, for BT.709, the 3×3 matrix RGB→YCbCr(601) · YCbCr(709)→RGB in 14-bit fixed
/// point. Y does not change the chroma, so chroma converts at its own resolution and each luma
/// sample gets the correction of the chroma interpolated at its position (MPEG-2 4:2:0 siting:
/// co-sited horizontally with even columns, centred vertically), as a decoder's upsampling gives
/// it — adding it per 2×2 block instead left blocky luma on strong chroma detail (33 dB against
/// 45 dB for the RGB route on a noisy test clip).
///
/// The pass is C (`kimi_video_to_jfif`): its row loops vectorise for AVX2 where the CPU has it
/// (chosen at load time) and for SSE2 otherwise, which Swift cannot target per function; a 1080p
/// frame ~0.8 ms, against ~3 ms for the same arithmetic in Swift (SSE2, 32-bit lanes).
public enum ColorMatrix {
    /// Converts full-range BT.709 `image` (layout `.ycbcr`, planes Y, Cb, Cr with 4:2:0 chroma) in place.
    public static func bt709ToBT601(_ image: PixelImage) {
        precondition(image.layout == .ycbcr && image.planes.count == 3, "expects Y, Cb, Cr planes")
        let y = image.planes[0]
        fromVideo(y: y.base, yStride: y.rowBytes, cb: image.planes[1].base, cbStride: image.planes[1].rowBytes,
                  cr: image.planes[2].base, crStride: image.planes[2].rowBytes, limited: false, bt709: true, into: image)
    }

    /// Video 4:2:0 planes at their own size → full-range BT.601 planes (what JPEG stores), in one
    /// pass: the range expansion when `limited`, and the matrix above for BT.709. `image`: Y, Cb,
    /// Cr planes of the frame's size; the source may be those planes themselves (in place).
    static func fromVideo(y: UnsafePointer<UInt8>, yStride: Int, cb: UnsafePointer<UInt8>, cbStride: Int,
                          cr: UnsafePointer<UInt8>, crStride: Int, limited: Bool, bt709: Bool, into image: PixelImage) {
        let (yPlane, cbPlane, crPlane) = (image.planes[0], image.planes[1], image.planes[2])
        let status = kimi_video_to_jfif(y, yStride, cb, cbStride, cr, crStride, yPlane.base, yPlane.rowBytes,
                                        cbPlane.base, cbPlane.rowBytes, crPlane.base, crPlane.rowBytes,
                                        Int32(yPlane.width), Int32(yPlane.height), Int32(cbPlane.width), Int32(cbPlane.height),
                                        limited ? 1 : 0, bt709 ? 1 : 0)
        // Its scratch is three rows: a machine that cannot give it cannot hold the frame either.
        precondition(status == 0, "out of memory for a colour conversion's rows")
    }
}
