import CDeflate
import MediaCore

/// The PNGs most files are — 8-bit, not interlaced, gray, RGB or RGBA, no transparency chunk, sRGB
/// or no gamma — decoded without libpng: the IDAT data checked (CRC-32) and inflated in one call by
/// libdeflate (about three times zlib's speed: zlib was half of a 12 MP PNG's preparation), then
/// unfiltered in place, row by row, into the plane itself (the filtered rows are one byte longer,
/// so each row moves down as it is unfiltered; no second buffer). The samples are exactly libpng's.
/// Anything else, and any damage, is `nil`: libpng's path takes it and reports what is wrong.
enum PNGFastDecoder {
    static func decode(_ v: ByteView) -> PixelImage? {
        guard let chunks = PNGChunks.scan(v, maxFrames: 1), chunks.bitDepth == 8, !chunks.interlaced,
              chunks.animationFrames == nil, chunks.width > 0, chunks.height > 0 else { return nil }
        let channels: Int, layout: PixelImage.Layout
        switch chunks.colorType {
        case 0: (channels, layout) = (1, .gray)
        case 2: (channels, layout) = (3, .rgb)
        case 6: (channels, layout) = (4, .rgba)
        default: return nil  // palette, gray + alpha: libpng expands them
        }
        let width = chunks.width, height = chunks.height
        let (rowBytes, overflow) = width.multipliedReportingOverflow(by: channels)
        guard !overflow, rowBytes < Int(Int32.max) / 2 else { return nil }
        let filtered = (rowBytes + 1) * height
        guard let base = v.bytes.baseAddress?.assumingMemoryBound(to: UInt8.self) else { return nil }

        // The IDAT chunks, CRC-checked; what libpng's simplified read would change (a transparency
        // chunk, a gamma other than sRGB's) sends the file to libpng.
        var idat: [(Int, Int)] = []
        var offset = 8
        while let length = v.u32be(offset).map(Int.init), let type = v.fourCC(offset + 4) {
            let body = offset + 8
            guard length <= v.count, body + length + 4 <= v.count, let crc = v.u32be(body + length) else { return nil }
            switch type {
            case "IDAT":
                guard libdeflate_crc32(0, base + offset + 4, length + 4) == crc else { return nil }
                idat.append((body, length))
            case "tRNS", "PLTE":
                return nil
            case "gAMA":
                guard let gamma = v.u32be(body), (45_000...46_000).contains(gamma) else { return nil }
            default:
                break
            }
            if type == "IEND" { break }
            offset = body + length + 4
        }
        guard !idat.isEmpty else { return nil }
        // One contiguous zlib stream (the IDAT bodies joined when there are several).
        var joined: [UInt8] = []
        if idat.count > 1 {
            joined.reserveCapacity(idat.reduce(0) { $0 + $1.1 })
            for (start, length) in idat { joined.append(contentsOf: UnsafeBufferPointer(start: base + start, count: length)) }
        }
        guard let decompressor = libdeflate_alloc_decompressor() else { return nil }
        defer { libdeflate_free_decompressor(decompressor) }
        let storage = PixelStorage(count: filtered)
        var produced = 0
        let status = idat.count == 1
            ? libdeflate_zlib_decompress(decompressor, base + idat[0].0, idat[0].1, storage.bytes, filtered, &produced)
            : joined.withUnsafeBytes { libdeflate_zlib_decompress(decompressor, $0.baseAddress, $0.count, storage.bytes, filtered, &produced) }
        guard status == LIBDEFLATE_SUCCESS, produced == filtered else { return nil }
        guard unfilter(storage.bytes.assumingMemoryBound(to: UInt8.self), rowBytes: rowBytes, height: height, bpp: channels) else { return nil }
        return PixelImage(layout: layout, planes: [Plane(width: width, height: height, channels: channels, storage: storage)])
    }

    /// Undoes the per-row filters (PNG §9: None, Sub, Up, Average, Paeth) in place: row r is read
    /// from `r × (rowBytes + 1) + 1` (after its filter byte) and written to `r × rowBytes`, below
    /// it, each byte after the bytes it was read from. `false` for an unknown filter type.
    static func unfilter(_ buffer: UnsafeMutablePointer<UInt8>, rowBytes n: Int, height: Int, bpp: Int) -> Bool {
        for r in 0..<height {
            let type = buffer[r * (n + 1)]
            let src = buffer + r * (n + 1) + 1, dst = buffer + r * n
            let up: UnsafeMutablePointer<UInt8>? = r > 0 ? buffer + (r - 1) * n : nil
            switch type {
            case 0:
                UnsafeMutableRawPointer(dst).copyMemory(from: src, byteCount: n)  // overlapping: a memmove
            case 1:
                for i in 0..<min(bpp, n) { dst[i] = src[i] }
                var i = bpp
                while i < n {
                    dst[i] = src[i] &+ dst[i - bpp]
                    i += 1
                }
            case 2:
                if let up {
                    for i in 0..<n { dst[i] = src[i] &+ up[i] }
                } else {
                    UnsafeMutableRawPointer(dst).copyMemory(from: src, byteCount: n)
                }
            case 3:
                for i in 0..<min(bpp, n) { dst[i] = src[i] &+ (up.map { $0[i] >> 1 } ?? 0) }
                var i = bpp
                if let up {
                    while i < n {
                        dst[i] = src[i] &+ UInt8((UInt16(dst[i - bpp]) + UInt16(up[i])) >> 1)
                        i += 1
                    }
                } else {
                    while i < n {
                        dst[i] = src[i] &+ (dst[i - bpp] >> 1)
                        i += 1
                    }
                }
            case 4:
                guard let up else {
                    // Paeth on the first row is Sub.
                    for i in 0..<min(bpp, n) { dst[i] = src[i] }
                    var i = bpp
                    while i < n {
                        dst[i] = src[i] &+ dst[i - bpp]
                        i += 1
                    }
                    continue
                }
                for i in 0..<min(bpp, n) { dst[i] = src[i] &+ up[i] }
                var i = bpp
                while i < n {
                    let a = Int16(dst[i - bpp]), b = Int16(up[i]), c = Int16(up[i - bpp])
                    let pa = abs(b - c), pb = abs(a - c), pc = abs(a + b - 2 * c)
                    let predictor = pa <= pb && pa <= pc ? a : (pb <= pc ? b : c)
                    dst[i] = src[i] &+ UInt8(truncatingIfNeeded: predictor)
                    i += 1
                }
            default:
                return false
            }
        }
        return true
    }
}
