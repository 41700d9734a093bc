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
}
