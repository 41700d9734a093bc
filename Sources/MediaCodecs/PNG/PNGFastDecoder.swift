import CDeflate
import MediaCore

/// The PNGs most files are — 8- or 16-bit, not interlaced, gray, RGB or RGBA, no transparency
/// chunk, sRGB or no gamma — decoded without libpng: the IDAT data checked (CRC-32) and inflated in
/// one call by libdeflate (about three times zlib's speed: zlib was half of a 12 MP PNG's
/// preparation), then unfiltered in place, row by row, into the plane itself (the filtered rows are
/// one byte longer, so each row moves down as it is unfiltered; no second buffer). 16-bit samples
/// are then narrowed to 8 bits in the same buffer (round(v / 257), libpng's `png_set_scale_16`):
/// libpng's simplified read spent 0.2 s of a 12 MP 16-bit PNG's 0.4 s in zlib and its transforms.
/// The samples are exactly libpng's. Anything else, and any damage, is `nil`: libpng's path takes
/// it and reports what is wrong.
enum PNGFastDecoder {
    static func decode(_ v: ByteView) -> PixelImage? {
        guard let chunks = PNGChunks.scan(v, maxFrames: 1), chunks.bitDepth == 8 || chunks.bitDepth == 16, !chunks.interlaced,
              chunks.animationFrames == nil, chunks.width > 0, chunks.height > 0 else { return nil }
        let bytesPerSample = chunks.bitDepth / 8
        let channels: Int, layout: PixelImage.Layout
        switch chunks.colorType {
        case 0: (channels, layout) = (1, .gray)
        case 2: (channels, layout) = (3, .rgb)
        case 6: (channels, layout) = (4, .rgba)
        default: return nil  // palette, gray + alpha: libpng expands them
        }
        let width = chunks.width, height = chunks.height
        let (rowBytes, overflow) = width.multipliedReportingOverflow(by: channels * bytesPerSample)
        guard !overflow, rowBytes < Int(Int32.max) / 2 else { return nil }
        let filtered = (rowBytes + 1) * height
        guard let base = v.bytes.baseAddress?.assumingMemoryBound(to: UInt8.self) else { return nil }

        // The IDAT chunks, CRC-checked; what libpng's simplified read would change (a transparency
        // chunk, a gamma other than sRGB's) sends the file to libpng.
        // 16-bit samples are sRGB-encoded for libpng only with a gAMA of sRGB's value, an sRGB chunk,
        // or no colour chunk at all (``PNGCodec`` reads those raw); otherwise libpng takes them as
        // linear light and gamma-encodes them: its path.
        var idat: [(Int, Int)] = []
        var sRGBGamma = false, otherColorChunk = false
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
                sRGBGamma = true
            case "sRGB":
                sRGBGamma = true
            case "iCCP", "cHRM":
                otherColorChunk = true
            default:
                break
            }
            if type == "IEND" { break }
            offset = body + length + 4
        }
        guard !idat.isEmpty, bytesPerSample == 1 || sRGBGamma || !otherColorChunk else { return nil }
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
        let samples = storage.bytes.assumingMemoryBound(to: UInt8.self)
        guard unfilter(samples, rowBytes: rowBytes, height: height, bpp: channels * bytesPerSample) else { return nil }
        if bytesPerSample == 2 { narrow(samples, count: width * height * channels) }
        return PixelImage(layout: layout, planes: [Plane(width: width, height: height, channels: channels, storage: storage)])
    }

    /// Big-endian 16-bit samples to 8 bits, rounded (round(v / 257), as libpng's `png_set_scale_16`),
    /// in place: sample i is read from bytes 2i, 2i + 1 and written to byte i.
    static func narrow(_ buffer: UnsafeMutablePointer<UInt8>, count: Int) {
        for i in 0..<count {
            let v = UInt32(buffer[2 * i]) << 8 | UInt32(buffer[2 * i + 1])
            buffer[i] = UInt8(truncatingIfNeeded: (v * 255 + 32767) / 65535)
        }
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
