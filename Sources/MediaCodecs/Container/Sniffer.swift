import MediaCore

/// Identifies a file's format from its first bytes (magic numbers), never from its name.
enum Sniffer {
    /// The outcome of a sniff: the format, and for ``MediaFormat/unsupported`` what the content
    /// looks like instead (e.g. "Matroska video", "TIFF image").
    struct Result: Equatable {
        var format: MediaFormat
        var detail: String?
    }

    static func sniff(_ v: ByteView) -> Result {
        if v.matches(bytes: [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A], at: 0) { return Result(format: .png) }
        if v.u8(0) == 0xFF, v.u8(1) == 0xD8, v.u8(2) == 0xFF { return Result(format: .jpeg) }
        if v.matches("GIF87a", at: 0) || v.matches("GIF89a", at: 0) { return Result(format: .gif) }
        if v.matches("RIFF", at: 0) {
            switch v.fourCC(8) {
            case "WEBP": return Result(format: .webp)
            case "AVI ": return Result(format: .avi)
            case let type?: return unsupported("RIFF \(type.trimmingTrailingSpaces) data")
            case nil: return unsupported("RIFF data")
            }
        }
        if v.matches("ftyp", at: 4), let brand = v.fourCC(8) { return isoBMFF(v, brand: brand) }
        if let box = v.fourCC(4), ["moov", "mdat", "wide", "free", "skip", "pnot"].contains(box), v.u32be(0) != nil {
            return Result(format: .mov)  // QuickTime files written before `ftyp` existed.
        }
        if v.u32be(0) == 0x1A45_DFA3 { return ebml(v) }
        if v.u32be(0) == 0x3026_B275, v.u32be(4) == 0x8E66_CF11, v.u32be(8) == 0xA6D9_00AA, v.u32be(12) == 0x0062_CE6C {
            return Result(format: .wmv)
        }
        if v.matches("FLV", at: 0), v.u8(3) == 1 { return Result(format: .flv) }
        if v.u32be(0) == 0x0000_01BA { return Result(format: .mpeg) }
        // Formats the API does not take but that `prepare` converts.
        if isTransportStream(v) { return Result(format: .mpegts) }
        if v.matches("OggS", at: 0) { return Result(format: .ogg) }
        if v.matches(bytes: [0x06, 0x0E, 0x2B, 0x34, 0x02, 0x05, 0x01, 0x01], at: 0) { return Result(format: .mxf) }
        if v.matches("YUV4MPEG2", at: 0) { return Result(format: .y4m) }
        if v.matches("II*\0", at: 0) || v.matches("MM\0*", at: 0) || v.matches("II+\0", at: 0) || v.matches("MM\0+", at: 0) {
            return Result(format: .tiff)  // TIFF and BigTIFF
        }
        if isBMP(v) { return Result(format: .bmp) }
        if v.matches("qoif", at: 0) { return Result(format: .qoi) }
        if v.matches(bytes: [0xFF, 0x0A], at: 0)
            || v.matches(bytes: [0, 0, 0, 0x0C, 0x4A, 0x58, 0x4C, 0x20, 0x0D, 0x0A, 0x87, 0x0A], at: 0) {
            return Result(format: .jxl)
        }
        if v.u32be(0) == 0x0000_01B3 { return Result(format: .otherVideo, detail: "mpegvideo") }  // an MPEG-1/2 elementary stream
        if BMPCodec.looksLikeDIB(v) { return Result(format: .bmp, detail: "DIB") }  // a clipboard bitmap without "BM"
        if IconCodec.isIcon(v) { return Result(format: .ico) }
        return unsupported(otherContent(v))
    }

    /// MPEG transport streams: a 0x47 sync byte every 188 bytes (TS), or every 192 with a 4-byte
    /// time code before each packet (M2TS/MTS of camcorders and Blu-ray).
    private static func isTransportStream(_ v: ByteView) -> Bool {
        for (offset, size) in [(0, 188), (4, 192)] where v.count >= offset + 2 * size + 1 {
            if (0..<3).allSatisfy({ v.u8(offset + $0 * size) == 0x47 }) { return true }
        }
        return v.count < 3 * 188 && v.u8(0) == 0x47 && v.u8(188) == 0x47
    }

    /// BMP: "BM", then a DIB header whose size is one of the versions Windows and OS/2 wrote.
    private static func isBMP(_ v: ByteView) -> Bool {
        guard v.matches("BM", at: 0), let header = v.u32le(14) else { return false }
        return [12, 16, 40, 52, 56, 64, 108, 124].contains(header)
    }

    /// Content our sniff already names as something that is neither image nor video (PDF, audio
    /// with a signature, an empty file): FFmpeg's guess is not asked for it. Text is asked: PNM,
    /// XBM, XPM and FITS images are text.
    static func isKnownOther(_ result: Result) -> Bool {
        result.format == .unsupported && ["empty file", "PDF document", "FLAC audio", "MP3 audio"].contains(result.detail)
    }

    private static func unsupported(_ detail: String) -> Result { Result(format: .unsupported, detail: detail) }

    /// ISO base media files: the major brand tells MP4, QuickTime, 3GPP and HEIF/AVIF apart (a
    /// HEIF with a generic `mif1`/`msf1` major brand is AVIF when `avif` is among its compatible brands).
    private static func isoBMFF(_ v: ByteView, brand: String) -> Result {
        switch brand {
        case "qt  ": return Result(format: .mov)
        case _ where brand.hasPrefix("3gp") || brand.hasPrefix("3g2"): return Result(format: .threeGP)
        case "avif", "avis": return Result(format: .avif)
        case "mif1", "msf1", "miaf":
            let size = Int(v.u32be(0) ?? 0)
            var offset = 16
            while offset + 4 <= min(size, 256) {
                if v.fourCC(offset) == "avif" || v.fourCC(offset) == "avis" { return Result(format: .avif) }
                offset += 4
            }
            return Result(format: .heif)
        case "heic", "heix", "heim", "heis", "hevc", "hevx": return Result(format: .heif)
        case "crx ": return unsupported("Canon raw image")
        default: return Result(format: .mp4)
        }
    }

    /// EBML files: WebM is accepted, other Matroska is converted. Reads the DocType element (0x4282)
    /// inside the EBML header.
    private static func ebml(_ v: ByteView) -> Result {
        guard let header = EBML.element(v, at: 0), let payload = header.payload else {
            return unsupported("EBML data without a readable header")
        }
        var offset = payload.lowerBound
        while offset < payload.upperBound, let child = EBML.element(v, at: offset), let body = child.payload {
            if child.id == 0x4282 {
                let docType = String(decoding: v.slice(body.lowerBound, body.count).bytes, as: UTF8.self)
                return Result(format: docType == "webm" ? .webm : .mkv)
            }
            offset = body.upperBound
        }
        return unsupported("EBML data without a DocType")
    }

    private static func otherContent(_ v: ByteView) -> String {
        if v.count == 0 { return "empty file" }
        if v.matches("%PDF", at: 0) { return "PDF document" }
        if v.matches("fLaC", at: 0) { return "FLAC audio" }
        if v.matches("ID3", at: 0) { return "MP3 audio" }
        if v.u32be(0) == 0x0000_000C, v.matches("jP  ", at: 4) { return "JPEG 2000 image" }
        // Raster formats only Pillow reads (refused by design, docs/cli.md "Formats"): named, so the
        // refusal says what the file is.
        if v.matches("BLP1", at: 0) || v.matches("BLP2", at: 0) { return "a Blizzard BLP texture (read by Pillow only)" }
        if v.matches("FTEX", at: 0) { return "an FTEX texture (read by Pillow only)" }
        if v.u32le(0) == 0x3ADE_68B1 { return "a DCX multi-page PCX (read by Pillow only)" }
        if v.matches("GIMP", at: 20) { return "a GIMP brush (read by Pillow only)" }
        if v.matches("Image type:", at: 0) || v.matches("Image Type:", at: 0) { return "an IFUNC Image Memory file (read by Pillow only)" }
        if v.matches("P7 332", at: 0) { return "an XV thumbnail (read by Pillow only)" }
        if v.matches(bytes: [0x80, 0xE8, 0x00, 0x00], at: 0) { return "a Pixar PXR image (read by Pillow only)" }
        if v.matches("icns", at: 0) { return "an Apple icon without PNG pictures (JPEG 2000 or RLE elements are not read)" }
        // Text: valid UTF-8 (allowing a character cut at the 512-byte edge) without control characters.
        let head = Array(v.slice(0, 512).bytes)
        let noControls = head.allSatisfy { $0 == 9 || $0 == 10 || $0 == 13 || ($0 >= 0x20 && $0 != 0x7F) }
        let utf8 = (0...min(3, head.count - 1)).contains { String(validating: head.dropLast($0), as: UTF8.self) != nil }
        return noControls && utf8 ? "text" : "unrecognised content"
    }
}

extension String {
    fileprivate var trimmingTrailingSpaces: String {
        var s = self
        while s.last == " " { s.removeLast() }
        return s
    }
}
