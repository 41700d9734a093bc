extension Resampler {
    /// Swaps rows and columns (pixel (x, y) → (y, x)), in 32×32 blocks so both sides stay in cache.
    public static func transpose(_ plane: Plane) -> Plane {
        let output = Plane(width: plane.height, height: plane.width, channels: plane.channels)
        let block = 32
        let w = plane.width, h = plane.height
        let src = plane.base, dst = output.base
        let srcRow = plane.rowBytes, dstRow = output.rowBytes
        switch plane.channels {
        case 1:
            for by in Swift.stride(from: 0, to: h, by: block) {
                for bx in Swift.stride(from: 0, to: w, by: block) {
                    for y in by..<min(by + block, h) {
                        let s = src + y * srcRow
                        for x in bx..<min(bx + block, w) { dst[x * dstRow + y] = s[x] }
                    }
                }
            }
        case 4:
            let s32 = UnsafeRawPointer(src), d32 = UnsafeMutableRawPointer(dst)
            for by in Swift.stride(from: 0, to: h, by: block) {
                for bx in Swift.stride(from: 0, to: w, by: block) {
                    for y in by..<min(by + block, h) {
                        for x in bx..<min(bx + block, w) {
                            let pixel = s32.loadUnaligned(fromByteOffset: y * srcRow + x * 4, as: UInt32.self)
                            d32.storeBytes(of: pixel, toByteOffset: x * dstRow + y * 4, as: UInt32.self)
                        }
                    }
                }
            }
        default:
            let c = plane.channels
            for by in Swift.stride(from: 0, to: h, by: block) {
                for bx in Swift.stride(from: 0, to: w, by: block) {
                    for y in by..<min(by + block, h) {
                        for x in bx..<min(bx + block, w) {
                            let s = src + y * srcRow + x * c, d = dst + x * dstRow + y * c
                            for k in 0..<c { d[k] = s[k] }
                        }
                    }
                }
            }
        }
        return output
    }

    /// RGBA → premultiplied RGBA (rounded), so filtering weighs colour by coverage.
    static func premultiply(_ plane: Plane) -> Plane {
        let output = Plane(width: plane.width, height: plane.height, channels: 4)
        let n = plane.width * plane.height
        let s = plane.base, d = output.base
        for i in 0..<n {
            let a = UInt32(s[i * 4 + 3])
            for c in 0..<3 { d[i * 4 + c] = UInt8((UInt32(s[i * 4 + c]) * a + 127) / 255) }
            d[i * 4 + 3] = UInt8(a)
        }
        return output
    }

    static func unpremultiply(_ plane: Plane) -> Plane {
        let n = plane.width * plane.height
        let p = plane.base
        for i in 0..<n {
            let a = UInt32(p[i * 4 + 3])
            guard a != 0 && a != 255 else {
                if a == 0 { p[i * 4] = 0; p[i * 4 + 1] = 0; p[i * 4 + 2] = 0 }
                continue
            }
            for c in 0..<3 { p[i * 4 + c] = UInt8(min(255, (UInt32(p[i * 4 + c]) * 255 + a / 2) / a)) }
        }
        return plane
    }
}
