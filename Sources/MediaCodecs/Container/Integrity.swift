import MediaCore

/// Whether a file holds all the bytes its own structure declares. Each check reads a bounded
/// number of headers (top-level boxes, the RIFF/EBML/ASF size fields, the final FLV tag, the last
/// MPEG pack, the JPEG tail), never the media data.
enum Integrity: Equatable {
    case complete
    /// The file ends before its structure says it should; the text says where.
    case truncated(String)
    /// The structure is invalid.
    case corrupt(String)

    static func check(_ format: MediaFormat, _ v: ByteView) -> Integrity {
        switch format {
        case .png: png(v)
        case .jpeg: jpeg(v)
        case .webp, .avi: riff(v)
        case .mp4, .mov, .threeGP: isoBMFF(v)
        case .webm, .mkv: ebml(v)
        case .flv: flv(v)
        case .wmv: asf(v)
        case .mpeg: mpegPS(v)
        case .gif, .unsupported: .complete  // GIF: the giflib record walk finds a missing trailer.
        // The converted formats: their decoders (FFmpeg, libheif) find damage and truncation.
        case .heif, .avif, .tiff, .bmp, .qoi, .jxl, .ico, .otherImage, .mpegts, .ogg, .mxf, .y4m, .otherVideo: .complete
        }
    }

    /// PNG: the file ends with an IEND chunk, or else every chunk fits and IEND is present.
    static func png(_ v: ByteView) -> Integrity {
        let iend: [UInt8] = [0, 0, 0, 0, 0x49, 0x45, 0x4E, 0x44, 0xAE, 0x42, 0x60, 0x82]
        if v.count >= 20, iend.indices.allSatisfy({ v.u8(v.count - 12 + $0) == iend[$0] }) { return .complete }
        var offset = 8
        while offset < v.count {
            guard let length = v.u32be(offset), let type = v.fourCC(offset + 4) else {
                return .truncated("chunk header at byte \(offset) is cut off")
            }
            let end = offset + 12 + Int(length)
            if end > v.count { return .truncated("chunk '\(type)' at byte \(offset) needs \(end) bytes, file has \(v.count)") }
            if type == "IEND" { return .complete }
            offset = end
        }
        return .truncated("no IEND chunk")
    }

    /// JPEG: an EOI marker (FFD9) follows the first start-of-scan.
    static func jpeg(_ v: ByteView) -> Integrity {
        guard let sos = JPEGMarkers.scan(v).startOfScan else { return .truncated("no start-of-scan marker") }
        if v.u8(v.count - 2) == 0xFF, v.u8(v.count - 1) == 0xD9 { return .complete }
        return v.lastIndex(of: 0xFF, 0xD9, notBefore: sos) == nil ? .truncated("no end-of-image marker after the scan data") : .complete
    }

    /// RIFF (WebP, AVI, and OpenDML AVI's chained `RIFF AVIX` chunks): each top-level chunk fits.
    static func riff(_ v: ByteView) -> Integrity {
        var offset = 0
        var chunks = 0
        while offset < v.count {
            guard v.matches("RIFF", at: offset), let size = v.u32le(offset + 4) else {
                return chunks == 0 ? .corrupt("no RIFF header") : .complete  // trailing bytes after the last RIFF chunk
            }
            let end = offset + 8 + Int(size) + Int(size & 1)
            if offset + 8 + Int(size) > v.count {
                return .truncated("RIFF chunk at byte \(offset) declares \(size) bytes, file has \(v.count - offset - 8)")
            }
            offset = end
            chunks += 1
        }
        return .complete
    }

    /// ISO base media (MP4, MOV, 3GP): every top-level box fits in the file.
    static func isoBMFF(_ v: ByteView) -> Integrity {
        var offset = 0
        var boxes = 0
        var sawMovie = false
        while offset < v.count {
            guard let size32 = v.u32be(offset), let type = v.fourCC(offset + 4) else {
                return .truncated("box header at byte \(offset) is cut off")
            }
            var size = UInt64(size32)
            if size32 == 1 {
                guard let large = v.u64be(offset + 8) else { return .truncated("box '\(type)' size is cut off") }
                size = large
            } else if size32 == 0 {
                size = UInt64(v.count - offset)  // extends to the end of the file
            }
            guard size >= 8 else { return .corrupt("box '\(type)' at byte \(offset) has an impossible size \(size)") }
            if size > UInt64(v.count - offset) {
                return .truncated("box '\(type)' at byte \(offset) declares \(size) bytes, file has \(v.count - offset)")
            }
            if type == "moov" { sawMovie = true }
            offset += Int(size)
            boxes += 1
            // Real files have a handful of top-level boxes (fragmented ones a few per second).
            if boxes > 1_000_000 { return .corrupt("more than a million top-level boxes") }
        }
        return sawMovie ? .complete : .corrupt("no 'moov' box")
    }

    /// WebM: the Segment's declared size fits (live streams declare "unknown" and pass).
    static func ebml(_ v: ByteView) -> Integrity {
        guard let header = EBML.element(v, at: 0), let headerBody = header.payload else { return .corrupt("unreadable EBML header") }
        guard let segment = EBML.element(v, at: headerBody.upperBound) else {
            return headerBody.upperBound >= v.count ? .truncated("no Segment after the EBML header") : .corrupt("unreadable Segment")
        }
        guard segment.id == 0x1853_8067 else { return .corrupt("the EBML header is not followed by a Segment") }
        if let body = segment.payload, body.upperBound > v.count {
            return .truncated("Segment declares \(body.count) bytes, file has \(v.count - body.lowerBound)")
        }
        return .complete
    }

    /// FLV: the last four bytes are the size of a whole final tag whose header agrees with it.
    static func flv(_ v: ByteView) -> Integrity {
        guard let dataOffset = v.u32be(5).map(Int.init), dataOffset >= 9 else { return .truncated("FLV header is cut off") }
        guard v.count >= dataOffset + 4, let last = v.u32be(v.count - 4).map(Int.init) else {
            return .truncated("FLV body is cut off")
        }
        if last == 0 { return v.count == dataOffset + 4 ? .complete : .truncated("the final tag size is missing") }
        let tag = v.count - 4 - last
        guard last >= 11, tag >= dataOffset + 4, let type = v.u8(tag), [8, 9, 18].contains(type & 0x1F),
              let dataSize = v.u24be(tag + 1), Int(dataSize) + 11 == last
        else { return .truncated("the file ends inside a tag") }
        return .complete
    }

    /// ASF (WMV): the Header Object and the Data Object fit in the file.
    static func asf(_ v: ByteView) -> Integrity {
        guard let headerSize = v.u64le(16) else { return .truncated("ASF header object is cut off") }
        guard headerSize >= 30 else { return .corrupt("ASF header object size \(headerSize) is impossible") }
        guard headerSize <= UInt64(v.count) else { return .truncated("ASF header object declares \(headerSize) bytes, file has \(v.count)") }
        let data = Int(headerSize)
        guard v.u32le(data) == 0x75B2_2636, let dataSize = v.u64le(data + 16) else {
            return data + 24 > v.count ? .truncated("ASF data object is cut off") : .complete
        }
        // Broadcast (live) files may leave the size at 0 or too small to mean anything.
        if dataSize >= 50, dataSize > UInt64(v.count - data) {
            return .truncated("ASF data object declares \(dataSize) bytes, file has \(v.count - data)")
        }
        return .complete
    }

    /// MPEG program stream: ends with the program end code, or else the packets after the last pack
    /// header in the final 1 MiB each fit in the file.
    static func mpegPS(_ v: ByteView) -> Integrity {
        if v.u32be(v.count - 4) == 0x0000_01B9 { return .complete }
        let window = 1 << 20
        var pack = v.count - 4
        while pack >= max(0, v.count - window), v.u32be(pack) != 0x0000_01BA { pack -= 1 }
        guard pack >= 0, v.u32be(pack) == 0x0000_01BA else { return .complete }  // nothing to judge by
        var offset = pack
        while offset < v.count {
            guard let code = v.u32be(offset) else { return .truncated("the file ends inside a start code") }
            switch code {
            case 0x0000_01BA:
                guard let marker = v.u8(offset + 4) else { return .truncated("the file ends inside a pack header") }
                if marker & 0xC0 == 0x40 {  // MPEG-2 pack header: 14 bytes + stuffing
                    guard let stuffing = v.u8(offset + 13) else { return .truncated("the file ends inside a pack header") }
                    offset += 14 + Int(stuffing & 7)
                } else {
                    offset += 12  // MPEG-1 pack header
                }
            case 0x0000_01B9:
                return .complete
            case 0x0000_01BB...0x0000_01FF:
                guard let length = v.u16be(offset + 4) else { return .truncated("the file ends inside a packet header") }
                offset += 6 + Int(length)
            default:
                return .complete  // not a packet boundary we can follow; do not guess
            }
            if offset > v.count { return .truncated("the last packet needs \(offset) bytes, file has \(v.count)") }
        }
        return .complete
    }
}
