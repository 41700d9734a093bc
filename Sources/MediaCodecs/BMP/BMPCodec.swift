import MediaCore

/// Windows and OS/2 bitmaps, read by our own code: every header version (OS/2 core 12 bytes,
/// BITMAPINFOHEADER 40, the V2/V3 52/56, OS/2 v2 64, V4 108, V5 124), 1/2/4/8-bit palettes, 16- and
/// 32-bit bit fields with or without alpha, 24-bit, RLE8 and RLE4, bottom-up and top-down; also a
/// bare DIB (a clipboard `.dib`: the same without the 14-byte file header). FFmpeg's BMP decoder
/// refuses V2/V3 headers, alpha bit fields and odd plane counts that Windows, Pillow and browsers
/// read. Embedded JPEG/PNG (compression 4/5) goes to FFmpeg.
enum BMPCodec {
    struct Header {
        var width: Int
        var height: Int
        var topDown: Bool
        var bitsPerPixel: Int
        var compression: Int
        /// Red, green, blue and alpha masks for 16/32-bit pixels (alpha 0 when there is none).
        var masks: [UInt32]
        var paletteOffset: Int
        var paletteCount: Int
        var paletteEntryBytes: Int
        var pixelOffset: Int

        var hasAlpha: Bool { masks.count == 4 && masks[3] != 0 }
        var rowBytes: Int { (width * bitsPerPixel + 31) / 32 * 4 }
    }

    enum Failure: Error {
        case invalid(String)
        case truncated(String)
        case embedded  // a JPEG or PNG inside: FFmpeg's business
    }

    /// Reads the headers of a `.bmp` (file header at 0) or, with `dib`, a bare DIB.
    static func header(_ v: ByteView, dib: Bool = false) -> Result<Header, Failure> {
        let base = dib ? 0 : 14
        guard let size = v.u32le(base).map(Int.init) else { return .failure(.truncated("no DIB header")) }
        var header = Header(width: 0, height: 0, topDown: false, bitsPerPixel: 0, compression: 0, masks: [],
                            paletteOffset: 0, paletteCount: 0, paletteEntryBytes: 4, pixelOffset: 0)
        var colorsUsed = 0
        if size == 12 {
            guard let w = v.u16le(base + 4), let h = v.u16le(base + 6), let bpp = v.u16le(base + 10) else {
                return .failure(.truncated("the core header is cut off"))
            }
            (header.width, header.height, header.bitsPerPixel, header.paletteEntryBytes) = (Int(w), Int(h), Int(bpp), 3)
        } else if size >= 16 {
            guard let w = v.u32le(base + 4), let h = v.u32le(base + 8), let bpp = v.u16le(base + 14) else {
                return .failure(.truncated("the info header is cut off"))
            }
            let signedHeight = Int(Int32(bitPattern: h))
            header.width = Int(Int32(bitPattern: w))
            header.height = abs(signedHeight)
            header.topDown = signedHeight < 0
            header.bitsPerPixel = Int(bpp)
            header.compression = size >= 20 ? Int(v.u32le(base + 16) ?? 0) : 0
            colorsUsed = size >= 36 ? Int(v.u32le(base + 32) ?? 0) : 0
        } else {
            return .failure(.invalid("a DIB header of \(size) bytes"))
        }
        if header.compression == 4 || header.compression == 5 { return .failure(.embedded) }
        guard header.width > 0, header.height > 0 else { return .failure(.invalid("declares \(header.width)×\(header.height)")) }
        guard [1, 2, 4, 8, 16, 24, 32].contains(header.bitsPerPixel) else {
            return .failure(.invalid("\(header.bitsPerPixel) bits per pixel"))
        }
        var afterHeader = base + size
        switch (header.compression, header.bitsPerPixel) {
        case (0, 16): header.masks = [0x7C00, 0x03E0, 0x001F, 0]
        case (0, 32), (0, 24): header.masks = [0xFF_0000, 0xFF00, 0xFF, 0]
        case (3, 16), (3, 32), (6, 16), (6, 32):
            // Masks inside a V2+ header, or after a 40-byte one (three; four for ALPHABITFIELDS).
            let count = header.compression == 6 || size >= 56 ? 4 : 3
            let at = size >= 52 ? base + 40 : afterHeader
            header.masks = (0..<count).compactMap { v.u32le(at + 4 * $0) }
            guard header.masks.count == count else { return .failure(.truncated("the bit fields are cut off")) }
            if count == 3 { header.masks.append(0) }
            if size < 52 { afterHeader += 4 * count }
        case (1, 8), (2, 4), (0, _):
            break
        default:
            return .failure(.invalid("compression \(header.compression) with \(header.bitsPerPixel) bits per pixel"))
        }
        if header.bitsPerPixel <= 8 {
            let most = 1 << header.bitsPerPixel
            header.paletteCount = colorsUsed > 0 && colorsUsed < most ? colorsUsed : most
            header.paletteOffset = afterHeader
        }
        let paletteEnd = header.paletteOffset + header.paletteCount * header.paletteEntryBytes
        let declared = dib ? 0 : Int(v.u32le(10) ?? 0)
        // The file header's pixel offset, as every reader takes it; a bare DIB's pixels follow its palette.
        header.pixelOffset = declared >= afterHeader && declared < v.count ? declared : max(afterHeader, paletteEnd)
        return .success(header)
    }

    /// A bare DIB (no "BM"): a 40-byte or later header whose fields and sizes are consistent with the
    /// file — the only signature such a file has.
    static func looksLikeDIB(_ v: ByteView) -> Bool {
        guard let size = v.u32le(0), [40, 52, 56, 108, 124].contains(size), v.u16le(12) == 1,
              case .success(let h) = header(v, dib: true), h.compression <= 3 || h.compression == 6,
              // Checked before any product: found by fuzzing, 1,867,915,299 × 1,532,231,679 overflowed.
              h.width <= 65_535, h.height <= 65_535
        else { return false }
        let needed = h.pixelOffset + (h.compression == 1 || h.compression == 2 ? 2 : h.rowBytes * h.height)
        return needed <= v.count
    }

    static func probe(_ file: MappedFile, _ context: inout ProbeContext) throws(MediaError) -> MediaInfo {
        let v = file.view
        let dib = !v.matches("BM", at: 0)
        switch header(v, dib: dib) {
        case .failure(.embedded):
            return try FFmpegImage.probe(file, .bmp, &context)
        case .failure(.truncated(let why)):
            throw context.error(.truncatedInput, "file is truncated: \(why)")
        case .failure(.invalid(let why)):
            throw context.error(.corruptInput, "invalid bitmap: \(why)")
        case .success(let h):
            try context.checkPixels(h.width, h.height)
            return MediaInfo(
                path: context.path, kind: .image, format: .bmp, storedWidth: h.width, storedHeight: h.height, orientation: 1,
                swapsDimensions: false, hasAlpha: h.hasAlpha, frameCount: 1, bitDepth: min(8, h.bitsPerPixel),
                colorModel: h.bitsPerPixel <= 8 ? "palette" : "rgb", bytes: Int64(file.size), accepted: false,
                diagnostics: context.diagnostics
            )
        }
    }

    /// An icon's DIB (ICO/CUR): its header gives twice the height (the colour rows, then a 1-bit
    /// AND mask in which 1 is transparent); 32-bit icons carry their own alpha instead.
    static func decodeIconDIB(_ v: ByteView, path: String, maxPixels: Int) throws(MediaError) -> PixelImage {
        guard case .success(var h) = header(v, dib: true), h.height >= 2 else {
            throw MediaError(.corruptInput, path: path, stage: .decode, "the icon's bitmap header is unreadable")
        }
        h.height /= 2
        let image = try decode(v, header: h, path: path, maxPixels: maxPixels)
        guard h.bitsPerPixel < 32 else { return image }
        let maskOffset = h.pixelOffset + h.rowBytes * h.height, maskRow = (h.width + 31) / 32 * 4
        let rgba = Plane(width: h.width, height: h.height, channels: 4)
        let source = image.planes[0]
        for y in 0..<h.height {
            let maskAt = maskOffset + (h.height - 1 - y) * maskRow
            let s = source.row(y), d = rgba.row(y)
            for x in 0..<h.width {
                for c in 0..<3 { d[x * 4 + c] = s[x * source.channels + c] }
                let transparent = (v.u8(maskAt + x / 8) ?? 0) >> (7 - x % 8) & 1 == 1
                d[x * 4 + 3] = transparent ? 0 : (source.channels == 4 ? s[x * 4 + 3] : 255)
            }
        }
        return PixelImage(rgbaDroppingOpaqueAlpha: rgba)
    }

    static func decode(_ v: ByteView, path: String, limits: MediaLimits) throws(MediaError) -> PixelImage {
        let h: Header
        switch header(v, dib: !v.matches("BM", at: 0)) {
        case .success(let header): h = header
        case .failure(.embedded): return try FFmpegImage.decode(path: path, format: .bmp, limits: limits)
        case .failure(.truncated(let why)): throw MediaError(.truncatedInput, path: path, stage: .decode, "file is truncated: \(why)")
        case .failure(.invalid(let why)): throw MediaError(.corruptInput, path: path, stage: .decode, "invalid bitmap: \(why)")
        }
        return try decode(v, header: h, path: path, maxPixels: limits.maxPixels)
    }

    /// Decodes with `h`, refusing (before allocating) a size over `maxPixels`: the probe checked the
    /// file's header, but an icon's bitmap carries a header of its own.
    private static func decode(_ v: ByteView, header h: Header, path: String, maxPixels: Int) throws(MediaError) -> PixelImage {
        let (pixels, overflow) = h.width.multipliedReportingOverflow(by: h.height)
        guard !overflow, pixels <= maxPixels else {
            throw MediaError(.limitExceeded, path: path, stage: .decode,
                             "the bitmap declares \(h.width)×\(h.height) pixels, more than the limit of \(maxPixels)")
        }
        let palette: [(UInt8, UInt8, UInt8)] = (0..<h.paletteCount).map { i in
            let at = h.paletteOffset + i * h.paletteEntryBytes
            return (v.u8(at + 2) ?? 0, v.u8(at + 1) ?? 0, v.u8(at) ?? 0)
        }
        let channels = h.hasAlpha ? 4 : 3
        let plane = Plane(width: h.width, height: h.height, channels: channels)
        // Row y of the file is row `h.height - 1 - y` of the picture, unless stored top-down.
        func target(_ fileRow: Int) -> Int { h.topDown ? fileRow : h.height - 1 - fileRow }
        if h.compression == 1 || h.compression == 2 {
            decodeRLE(v, h, palette: palette, into: plane, target: target)
        } else {
            guard h.pixelOffset + h.rowBytes * h.height <= v.count else {
                throw MediaError(.truncatedInput, path: path, stage: .decode,
                                 "file is truncated: \(h.height) rows of \(h.rowBytes) bytes need \(h.pixelOffset + h.rowBytes * h.height), file has \(v.count)")
            }
            let fields = h.masks.map(BitField.init)
            for y in 0..<h.height {
                let source = h.pixelOffset + y * h.rowBytes
                let row = plane.row(target(y))
                for x in 0..<h.width {
                    var (r, g, b, a): (UInt8, UInt8, UInt8, UInt8) = (0, 0, 0, 255)
                    switch h.bitsPerPixel {
                    case 1, 2, 4, 8:
                        let bit = x * h.bitsPerPixel
                        let byte = v.u8(source + bit / 8) ?? 0
                        let index = Int(byte >> (8 - h.bitsPerPixel - bit % 8)) & ((1 << h.bitsPerPixel) - 1)
                        (r, g, b) = index < palette.count ? palette[index] : (0, 0, 0)
                    case 24:
                        (b, g, r) = (v.u8(source + x * 3) ?? 0, v.u8(source + x * 3 + 1) ?? 0, v.u8(source + x * 3 + 2) ?? 0)
                    default:
                        let value = h.bitsPerPixel == 16 ? UInt32(v.u16le(source + x * 2) ?? 0) : v.u32le(source + x * 4) ?? 0
                        (r, g, b) = (fields[0].value(value), fields[1].value(value), fields[2].value(value))
                        if channels == 4 { a = fields[3].value(value) }
                    }
                    row[x * channels] = r
                    row[x * channels + 1] = g
                    row[x * channels + 2] = b
                    if channels == 4 { row[x * channels + 3] = a }
                }
            }
        }
        guard channels == 4 else { return PixelImage(layout: .rgb, planes: [plane]) }
        // Writers that declare an alpha mask but leave it all zero mean an opaque picture.
        var anyOpaque = false
        for y in 0..<h.height where !anyOpaque {
            let row = plane.row(y)
            for x in 0..<h.width where row[x * 4 + 3] != 0 { anyOpaque = true; break }
        }
        if !anyOpaque { for y in 0..<h.height { let row = plane.row(y); for x in 0..<h.width { row[x * 4 + 3] = 255 } } }
        return PixelImage(rgbaDroppingOpaqueAlpha: plane)
    }

    /// RLE8/RLE4: runs and absolute runs of palette indices, with end-of-line, end-of-bitmap and
    /// delta escapes; pixels never written stay black (as Windows leaves them).
    private static func decodeRLE(_ v: ByteView, _ h: Header, palette: [(UInt8, UInt8, UInt8)], into plane: Plane,
                                  target: (Int) -> Int) {
        let four = h.compression == 2
        var at = h.pixelOffset, x = 0, y = 0
        func put(_ index: Int) {
            guard x < h.width, y < h.height else { return }
            let (r, g, b) = index < palette.count ? palette[index] : (0, 0, 0)
            let row = plane.row(target(y))
            row[x * plane.channels] = r
            row[x * plane.channels + 1] = g
            row[x * plane.channels + 2] = b
            if plane.channels == 4 { row[x * plane.channels + 3] = 255 }
            x += 1
        }
        while let count = v.u8(at), let value = v.u8(at + 1), y < h.height {
            at += 2
            if count > 0 {
                for i in 0..<Int(count) { put(four ? Int(i % 2 == 0 ? value >> 4 : value & 15) : Int(value)) }
                continue
            }
            switch value {
            case 0: (x, y) = (0, y + 1)
            case 1: return
            case 2:
                x += Int(v.u8(at) ?? 0)
                y += Int(v.u8(at + 1) ?? 0)
                at += 2
            default:
                let n = Int(value)
                let bytes = four ? (n + 1) / 2 : n
                for i in 0..<n {
                    let byte = v.u8(at + (four ? i / 2 : i)) ?? 0
                    put(four ? Int(i % 2 == 0 ? byte >> 4 : byte & 15) : Int(byte))
                }
                at += (bytes + 1) & ~1  // absolute runs are padded to 16 bits
            }
        }
    }

    /// One colour channel's mask: its shift and width, scaled to 8 bits.
    private struct BitField {
        let mask: UInt32
        let shift: UInt32
        let top: UInt64  // the largest value the field holds

        init(_ mask: UInt32) {
            self.mask = mask
            shift = mask == 0 ? 0 : UInt32(mask.trailingZeroBitCount)
            let bits = mask == 0 ? 0 : (~(mask >> shift)).trailingZeroBitCount
            top = (UInt64(1) << UInt64(bits)) - 1
        }

        func value(_ pixel: UInt32) -> UInt8 {
            guard top > 0 else { return 0 }
            let raw = UInt64((pixel & mask) >> shift)
            return UInt8(min(255, (raw * 255 + top / 2) / top))
        }
    }
}
