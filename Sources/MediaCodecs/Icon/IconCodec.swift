import MediaCore

/// Icon containers: Windows ICO and CUR (a directory of PNGs or DIBs with a 1-bit transparency
/// mask) and Apple ICNS (typed elements; the PNG ones are read). The largest picture is the image:
/// that is the one a viewer shows when space allows. FFmpeg reads ICO but not CUR or ICNS.
enum IconCodec {
    /// Where the chosen picture is and what it is.
    struct Entry {
        var offset: Int
        var length: Int
        var width: Int
        var height: Int
        var png: Bool
    }

    static func isIcon(_ v: ByteView) -> Bool { windowsEntries(v) != nil || appleEntries(v) != nil }

    /// The largest picture of the file, or `nil` when it is no icon container we read.
    static func largest(_ v: ByteView) -> Entry? {
        (windowsEntries(v) ?? appleEntries(v))?.max { ($0.width * $0.height, $0.length) < ($1.width * $1.height, $1.length) }
    }

    /// ICO (type 1) and CUR (type 2): a 6-byte header, then 16-byte entries (width, height — 0 means
    /// 256 —, colours, reserved, planes/hotspot, bits/hotspot, size, offset).
    private static func windowsEntries(_ v: ByteView) -> [Entry]? {
        guard v.u16le(0) == 0, let type = v.u16le(2), type == 1 || type == 2, let count = v.u16le(4).map(Int.init),
              count > 0, count <= 256, 6 + 16 * count <= v.count else { return nil }
        var entries: [Entry] = []
        for i in 0..<count {
            let at = 6 + 16 * i
            guard v.u8(at + 3) == 0 || v.u8(at + 3) == 255, let size = v.u32le(at + 8).map(Int.init),
                  let offset = v.u32le(at + 12).map(Int.init), size > 0, offset >= 6 + 16 * count, offset + size <= v.count
            else { return nil }
            let png = v.matches(bytes: [0x89, 0x50, 0x4E, 0x47], at: offset)
            let width = Int(v.u8(at) ?? 0), height = Int(v.u8(at + 1) ?? 0)
            entries.append(Entry(offset: offset, length: size, width: width == 0 ? 256 : width, height: height == 0 ? 256 : height,
                                 png: png))
        }
        return entries
    }

    /// ICNS: "icns", the file length, then elements (a type and a length that counts its 8-byte
    /// header). PNG elements only; the size is read from the PNG's IHDR.
    private static func appleEntries(_ v: ByteView) -> [Entry]? {
        guard v.matches("icns", at: 0), let total = v.u32be(4).map(Int.init), total <= v.count, total > 8 else { return nil }
        var entries: [Entry] = []
        var at = 8
        while at + 8 <= total, let length = v.u32be(at + 4).map(Int.init), length >= 8, at + length <= total {
            let body = at + 8
            if v.matches(bytes: [0x89, 0x50, 0x4E, 0x47], at: body), let w = v.u32be(body + 16), let h = v.u32be(body + 20) {
                entries.append(Entry(offset: body, length: length - 8, width: Int(w), height: Int(h), png: true))
            }
            at += length
        }
        return entries.isEmpty ? nil : entries
    }

    static func probe(_ file: MappedFile, _ context: inout ProbeContext) throws(MediaError) -> MediaInfo {
        guard let entry = largest(file.view) else { throw context.error(.corruptInput, "the icon directory is unreadable") }
        try context.checkPixels(entry.width, entry.height)
        return MediaInfo(
            path: context.path, kind: .image, format: .ico, storedWidth: entry.width, storedHeight: entry.height, orientation: 1,
            swapsDimensions: false, hasAlpha: true, frameCount: 1, bitDepth: 8, colorModel: "rgb", bytes: Int64(file.size),
            accepted: false, diagnostics: context.diagnostics
        )
    }

    static func decode(_ v: ByteView, path: String, limits: MediaLimits) throws(MediaError) -> PixelImage {
        guard let entry = largest(v) else { throw MediaError(.corruptInput, path: path, stage: .decode, "the icon directory is unreadable") }
        let data = v.slice(entry.offset, entry.length)
        if entry.png {
            // The PNG's own IHDR, not the directory's size, is what libpng allocates for.
            let (width, height) = (Int(data.u32be(16) ?? 0), Int(data.u32be(20) ?? 0))
            let (pixels, overflow) = width.multipliedReportingOverflow(by: height)
            guard !overflow, pixels <= limits.maxPixels else {
                throw MediaError(.limitExceeded, path: path, stage: .decode,
                                 "the icon's PNG declares \(width)×\(height) pixels, more than the limit of \(limits.maxPixels)")
            }
            return try PNGCodec.decode(data, path: path)
        }
        return try BMPCodec.decodeIconDIB(data, path: path, maxPixels: limits.maxPixels)
    }
}
