/// Full-range BT.709 YCbCr 4:2:0 → full-range BT.601 (JFIF) YCbCr 4:2:0, in place: what HD video
/// needs before it is stored as JPEG. The 3×3 matrix is RGB→YCbCr(601) · YCbCr(709)→RGB in 14-bit
/// fixed point; Y does not change the chroma, so chroma converts at its own resolution and each
/// luma sample gets the correction of the chroma interpolated at its position (MPEG-2 4:2:0
/// siting), as a decoder's upsampling gives it. A few ms for a 1080p frame, against ~10 ms for the
/// round trip through RGB it replaces.
public enum ColorMatrix {
    /// Y' = Y + (1664·(Cb−128) + 3213·(Cr−128)) / 2¹⁴
    static let yFromCb: Int32 = 1664, yFromCr: Int32 = 3213
    /// Cb' = 128 + (16218·(Cb−128) − 1813·(Cr−128)) / 2¹⁴
    static let cbFromCb: Int32 = 16218, cbFromCr: Int32 = -1813
    /// Cr' = 128 + (−1187·(Cb−128) + 16112·(Cr−128)) / 2¹⁴
    static let crFromCb: Int32 = -1187, crFromCr: Int32 = 16112

    /// Converts `image` (layout `.ycbcr`, planes Y, Cb, Cr with 4:2:0 chroma) in place.
    public static func bt709ToBT601(_ image: PixelImage) {
        precondition(image.layout == .ycbcr && image.planes.count == 3, "expects Y, Cb, Cr planes")
        let y = image.planes[0]
        convert(image, yStride: y.rowBytes, y: UnsafePointer(y.base), cb: UnsafePointer(image.planes[1].base),
                cbStride: image.planes[1].rowBytes, cr: UnsafePointer(image.planes[2].base), crStride: image.planes[2].rowBytes,
                limited: false, bt709: true)
    }

    /// Video 4:2:0 planes at their own size → full-range BT.601 planes (what JPEG stores), in one
    /// pass: the range expansion (limited 16–235/240 → 0–255, by table) and, for BT.709, the
    /// matrix above. Replaces swscale's range conversion followed by ``bt709ToBT601(_:)``.
    /// `image`: Y, Cb, Cr planes of the frame's size.
    package static func fromVideo(y: UnsafePointer<UInt8>, yStride: Int, cb: UnsafePointer<UInt8>, cbStride: Int,
                                  cr: UnsafePointer<UInt8>, crStride: Int, limited: Bool, bt709: Bool, into image: PixelImage) {
        convert(image, yStride: yStride, y: y, cb: cb, cbStride: cbStride, cr: cr, crStride: crStride, limited: limited, bt709: bt709)
    }

    /// The one implementation: chroma converted at its own resolution; the luma correction the
    /// matrix gives each chroma sample (Y' = Y + dY(Cb, Cr)) spread to the luma samples by bilinear
    /// interpolation at MPEG-2 4:2:0 siting (co-sited horizontally with even columns, centred
    /// vertically), as a decoder's upsampling would — adding it per 2×2 block instead left blocky
    /// luma on strong chroma detail (33 dB against 45 dB for the RGB route on a noisy test clip).
    /// The source may be the image itself (in place: each chroma sample and luma row is read
    /// before it is written).
    static func convert(_ image: PixelImage, yStride: Int, y: UnsafePointer<UInt8>, cb: UnsafePointer<UInt8>, cbStride: Int,
                        cr: UnsafePointer<UInt8>, crStride: Int, limited: Bool, bt709: Bool) {
        let yPlane = image.planes[0], cbPlane = image.planes[1], crPlane = image.planes[2]
        let width = yPlane.width, height = yPlane.height, cw = cbPlane.width, ch = cbPlane.height
        let (mYCb, mYCr, mCbCb, mCbCr, mCrCb, mCrCr): (Int32, Int32, Int32, Int32, Int32, Int32) = bt709
            ? (yFromCb, yFromCr, cbFromCb, cbFromCr, crFromCb, crFromCr) : (0, 0, 16384, 0, 0, 16384)
        // dY of three chroma rows at a time (row cy in slot cy % 3), in 1/16 levels (the matrix's
        // 2^14 scale cut to 2^4 for the interpolation): a luma row needs the chroma rows around it.
        var dyRows = [Int32](repeating: 0, count: 3 * cw)
        (limited ? VideoRange.luma : VideoRange.identity).withUnsafeBufferPointer { luma in
            (limited ? VideoRange.chroma : VideoRange.identity).withUnsafeBufferPointer { chroma in
                dyRows.withUnsafeMutableBufferPointer { dyRows in
                    let dy = dyRows.baseAddress!
                    // Converts chroma row `cy` (read before it is written: in place is safe) and keeps its dY.
                    var converted = 0
                    func chromaRows(through last: Int) {
                        while converted <= last {
                            let cy = converted
                            let su = cb + cy * cbStride, sv = cr + cy * crStride
                            let du = cbPlane.row(cy), dv = crPlane.row(cy), d = dy + (cy % 3) * cw
                            for cx in 0..<cw {
                                let u = Int32(chroma[Int(su[cx])]) - 128, v = Int32(chroma[Int(sv[cx])]) - 128
                                d[cx] = (mYCb &* u &+ mYCr &* v &+ 512) >> 10
                                du[cx] = clamp(128 &+ ((mCbCb &* u &+ mCbCr &* v &+ 8192) >> 14))
                                dv[cx] = clamp(128 &+ ((mCrCb &* u &+ mCrCr &* v &+ 8192) >> 14))
                            }
                            converted += 1
                        }
                    }
                    for row in 0..<height {
                        // The two chroma rows around this luma row, weighted 3:1.
                        let near = Swift.min(row / 2, ch - 1)
                        let far = row % 2 == 0 ? Swift.max(near - 1, 0) : Swift.min(near + 1, ch - 1)
                        chromaRows(through: Swift.max(near, far))
                        let source = y + row * yStride, target = yPlane.row(row)
                        guard bt709 else {
                            for x in 0..<width { target[x] = luma[Int(source[x])] }
                            continue
                        }
                        let a = dy + (near % 3) * cw, b = dy + (far % 3) * cw
                        for x in 0..<width {
                            let cx = x / 2
                            let here = 3 &* a[cx] &+ b[cx]  // 1/64 levels
                            let d: Int32
                            if x % 2 == 0 || cx + 1 >= cw {
                                d = (here &+ 32) >> 6
                            } else {
                                d = (here &+ 3 &* a[cx + 1] &+ b[cx + 1] &+ 64) >> 7
                            }
                            target[x] = clamp(Int32(luma[Int(source[x])]) &+ d)
                        }
                    }
                    chromaRows(through: ch - 1)
                }
            }
        }
    }

    @inline(__always) static func clamp(_ value: Int32) -> UInt8 { UInt8(truncatingIfNeeded: min(max(value, 0), 255)) }
}
