extension Resampler {
    /// RGBA → premultiplied RGBA (rounded) in `output` (which may be `plane` itself), so filtering
    /// weighs colour by coverage.
    static func premultiply(_ plane: Plane, into output: Plane) -> Plane {
        let s = plane.base, d = output.base
        for i in 0..<(plane.width * plane.height) {
            let a = UInt32(s[i * 4 + 3])
            for c in 0..<3 { d[i * 4 + c] = UInt8((UInt32(s[i * 4 + c]) * a + 127) / 255) }
            d[i * 4 + 3] = UInt8(a)
        }
        return output
    }

    /// Premultiplied RGBA → RGBA, in place (the plane was made by this resize).
    static func unpremultiply(_ plane: Plane) -> Plane {
        let p = plane.base
        for i in 0..<(plane.width * plane.height) {
            let a = UInt32(p[i * 4 + 3])
            if a == 255 { continue }
            if a == 0 {
                p[i * 4] = 0; p[i * 4 + 1] = 0; p[i * 4 + 2] = 0
                continue
            }
            for c in 0..<3 { p[i * 4 + c] = UInt8(min(255, (UInt32(p[i * 4 + c]) * 255 + a / 2) / a)) }
        }
        return plane
    }

    /// The integer box pre-reduction for a ratio of `input`/`output`: half the ratio, rounded down,
    /// from 4× up, so the Lanczos kernel always has ≥ 2× left to do (as libvips does). Without it a
    /// 30× reduction runs a window of ~190 taps per output sample.
    static func boxFactor(_ input: Int, _ output: Int) -> Int {
        input >= 4 * output ? input / output / 2 : 1
    }

    /// Averages `fx`×`fy` blocks (rounded); edge blocks average the pixels they have.
    static func boxReduce(_ plane: Plane, _ fx: Int, _ fy: Int) -> Plane {
        let c = plane.channels
        let output = Plane(width: (plane.width + fx - 1) / fx, height: (plane.height + fy - 1) / fy, channels: c)
        var sums = [UInt32](repeating: 0, count: output.width * c)
        for oy in 0..<output.height {
            for i in sums.indices { sums[i] = 0 }
            let y0 = oy * fy, y1 = min(plane.height, y0 + fy)
            for y in y0..<y1 {
                let row = plane.row(y)
                for x in 0..<plane.width {
                    let o = x / fx * c
                    for k in 0..<c { sums[o + k] &+= UInt32(row[x * c + k]) }
                }
            }
            let out = output.row(oy)
            for ox in 0..<output.width {
                let n = UInt32((min(plane.width, (ox + 1) * fx) - ox * fx) * (y1 - y0))
                for k in 0..<c { out[ox * c + k] = UInt8((sums[ox * c + k] + n / 2) / n) }
            }
        }
        return output
    }
}
