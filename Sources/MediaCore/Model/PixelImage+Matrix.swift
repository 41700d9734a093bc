extension PixelImage {
    /// Re-expresses full-range 4:2:0 YCbCr made with BT.709 coefficients (HD video) in BT.601's,
    /// which JPEG (JFIF) decoders assume, in place: the composition M₆₀₁·M₇₀₉⁻¹, in 14-bit fixed point,
    ///   Y′ = Y + 0.101579·Cb + 0.196076·Cr,  Cb′ = 0.989854·Cb − 0.110653·Cr,  Cr′ = −0.072453·Cb + 0.983398·Cr
    /// (chroma centred on 0). Each luma sample takes the chroma sample it shares (4:2:0 siting), so
    /// HD frames stay planar instead of going through RGB. The planes must not be shared.
    public func convertBT709ToBT601() {
        guard layout == .ycbcr, planes.count == 3 else { return }
        let (y, cb, cr) = (planes[0], planes[1], planes[2])
        @inline(__always) func clamp(_ v: Int32) -> UInt8 { UInt8(truncatingIfNeeded: v < 0 ? 0 : (v > 255 ? 255 : v)) }
        for cy in 0..<cb.height {
            let cbRow = cb.row(cy), crRow = cr.row(cy)
            let rows = [2 * cy, 2 * cy + 1].filter { $0 < y.height }.map { y.row($0) }
            for cx in 0..<cb.width {
                let u = Int32(cbRow[cx]) - 128, v = Int32(crRow[cx]) - 128
                let dy = (1664 * u + 3213 * v + 8192) >> 14
                cbRow[cx] = clamp(((16218 * u - 1813 * v + 8192) >> 14) + 128)
                crRow[cx] = clamp(((-1187 * u + 16112 * v + 8192) >> 14) + 128)
                let x0 = 2 * cx, x1 = min(2 * cx + 1, y.width - 1)
                for row in rows {
                    row[x0] = clamp(Int32(row[x0]) + dy)
                    if x1 != x0 { row[x1] = clamp(Int32(row[x1]) + dy) }
                }
            }
        }
    }
}
