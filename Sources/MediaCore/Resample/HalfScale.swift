/// An exact 2×2 box reduction of one 8-bit plane, for fits that are exactly half (a 3840×2160
/// frame into the 2048×1080 box is 1920×1080): each output sample is the mean of its four source
/// samples, passed through a table that also does the range expansion (limited 16–235/240 video
/// range to the full range JPEG stores). A 2× reduction by area averaging is what a box filter is
/// exact for; it reads each source sample once, against swscale Lanczos's 6×6 taps.
package enum HalfScale {
    /// The table of a plane: the 4-sample sum (0…1020) → the output sample.
    package struct Table: Sendable {
        let values: [UInt8]

        /// `limited` luma (16–235) or chroma (16–240 around 128) expanded to full range; or the
        /// plain rounded mean for a full-range source.
        package init(limited: Bool, chroma: Bool) {
            values = (0...1020).map { sum in
                let mean = Double(sum) / 4
                return limited ? VideoRange.expand(mean, chroma: chroma) : UInt8(Swift.min(255, mean.rounded()))
            }
        }

        package static let lumaLimited = Table(limited: true, chroma: false)
        package static let chromaLimited = Table(limited: true, chroma: true)
        package static let full = Table(limited: false, chroma: false)
    }

    /// Halves the `2·plane.width` × `2·plane.height` samples at `source` (rows `stride` bytes apart)
    /// into `plane`.
    package static func halve(_ source: UnsafePointer<UInt8>, stride: Int, into plane: Plane, table: Table) {
        table.values.withUnsafeBufferPointer { lut in
            for y in 0..<plane.height {
                let top = source + 2 * y * stride, bottom = top + stride
                let out = plane.row(y)
                for x in 0..<plane.width {
                    let sum = Int(top[2 * x]) + Int(top[2 * x + 1]) + Int(bottom[2 * x]) + Int(bottom[2 * x + 1])
                    out[x] = lut[sum]
                }
            }
        }
    }
}
