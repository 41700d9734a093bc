import MediaCore
import Testing

@testable import MediaCodecs

/// Runs `body` over a view of `bytes`.
func withView<T>(_ bytes: [UInt8], _ body: (ByteView) -> T) -> T {
    bytes.withUnsafeBytes { body(ByteView($0)) }
}

func ascii(_ s: String) -> [UInt8] { Array(s.utf8) }
func be32(_ v: UInt32) -> [UInt8] { [UInt8(v >> 24), UInt8(v >> 16 & 0xFF), UInt8(v >> 8 & 0xFF), UInt8(v & 0xFF)] }
func le32(_ v: UInt32) -> [UInt8] { be32(v).reversed() }
func box(_ type: String, _ payload: [UInt8]) -> [UInt8] { be32(UInt32(8 + payload.count)) + ascii(type) + payload }

@Suite("Sniffer")
struct SnifferTests {
    @Test func recognisesEveryAcceptedFormat() {
        let cases: [([UInt8], MediaFormat)] = [
            ([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 0, 0], .png),
            ([0xFF, 0xD8, 0xFF, 0xE0], .jpeg),
            (ascii("GIF87a") + [0, 0], .gif),
            (ascii("GIF89a") + [0, 0], .gif),
            (ascii("RIFF") + le32(4) + ascii("WEBP"), .webp),
            (ascii("RIFF") + le32(4) + ascii("AVI "), .avi),
            (box("ftyp", ascii("isom") + be32(0)), .mp4),
            (box("ftyp", ascii("mp42") + be32(0)), .mp4),
            (box("ftyp", ascii("qt  ") + be32(0)), .mov),
            (box("ftyp", ascii("3gp5") + be32(0)), .threeGP),
            (box("ftyp", ascii("3g2a") + be32(0)), .threeGP),
            (box("moov", []), .mov),
            (ascii("FLV") + [1, 5, 0, 0, 0, 9], .flv),
            ([0, 0, 1, 0xBA, 0x44], .mpeg),
            ([0x30, 0x26, 0xB2, 0x75, 0x8E, 0x66, 0xCF, 0x11, 0xA6, 0xD9, 0x00, 0xAA, 0x00, 0x62, 0xCE, 0x6C], .wmv),
            ([0x1A, 0x45, 0xDF, 0xA3, 0x87, 0x42, 0x82, 0x84] + ascii("webm"), .webm),
        ]
        for (bytes, format) in cases {
            #expect(withView(bytes, Sniffer.sniff).format == format, "\(bytes.prefix(12))")
        }
    }

    @Test func namesWhatItConverts() {
        let cases: [([UInt8], MediaFormat)] = [
            ([0x1A, 0x45, 0xDF, 0xA3, 0x8B, 0x42, 0x82, 0x88] + ascii("matroska"), .mkv),
            ([0x1A, 0x45, 0xDF, 0xA3, 0x87, 0x42, 0x82, 0x84] + ascii("webm"), .webm),
            (box("ftyp", ascii("heic") + be32(0)), .heif),
            (box("ftyp", ascii("avif") + be32(0)), .avif),
            (box("ftyp", ascii("mif1") + be32(0) + ascii("mif1") + ascii("avif")), .avif),
            (box("ftyp", ascii("mif1") + be32(0) + ascii("mif1") + ascii("heic")), .heif),
            (ascii("BM") + [0, 0, 0, 0] + [0, 0, 0, 0] + [54, 0, 0, 0] + [40, 0, 0, 0], .bmp),
            (ascii("II*\0") + [8, 0, 0, 0], .tiff),
            (ascii("MM\0*") + [0, 0, 0, 8], .tiff),
            (ascii("qoif") + be32(1) + be32(1) + [3, 0], .qoi),
            ([0xFF, 0x0A, 0, 0], .jxl),
            (ascii("YUV4MPEG2 W2 H2"), .y4m),
            (ascii("OggS") + [0, 2], .ogg),
            ([0x06, 0x0E, 0x2B, 0x34, 0x02, 0x05, 0x01, 0x01, 0x0D, 0x01], .mxf),
            ([0, 0, 1, 0xB3, 0x10], .otherVideo),
            ((0..<3).flatMap { _ in [0x47] + [UInt8](repeating: 0xFF, count: 187) } + [0x47], .mpegts),
            ((0..<3).flatMap { _ in [0, 0, 0, 0, 0x47] + [UInt8](repeating: 0xFF, count: 187) } + [0, 0, 0, 0, 0x47], .mpegts),
        ]
        for (bytes, format) in cases {
            #expect(withView(bytes, Sniffer.sniff).format == format, "\(bytes.prefix(12)) is not \(format)")
        }
    }

    @Test func namesWhatItRefuses() {
        let cases: [([UInt8], String)] = [
            (ascii("RIFF") + le32(4) + ascii("WAVE"), "RIFF WAVE"),
            (ascii("hello, world\n"), "text"),
            (ascii("%PDF-1.4\n"), "PDF"),
            ([0x00, 0xFE, 0x13, 0x80, 0x02], "unrecognised"),
            ([0xFF, 0xD8], "unrecognised"),  // too short for a JPEG signature
            (ascii("BM") + [0, 0, 0, 0], "unrecognised"),  // "BM" without a DIB header is not a bitmap
        ]
        for (bytes, detail) in cases {
            let result = withView(bytes, Sniffer.sniff)
            #expect(result.format == .unsupported)
            #expect(result.detail?.contains(detail) == true, "\(result.detail ?? "nil") lacks \(detail)")
        }
    }
}

@Suite("EXIF orientation")
struct ExifReaderTests {
    /// A minimal TIFF with one IFD0 entry: tag 0x0112 SHORT count 1 = `value`.
    func tiff(bigEndian: Bool, value: UInt16, type: UInt16 = 3) -> [UInt8] {
        func u16(_ v: UInt16) -> [UInt8] { bigEndian ? [UInt8(v >> 8), UInt8(v & 0xFF)] : [UInt8(v & 0xFF), UInt8(v >> 8)] }
        func u32(_ v: UInt32) -> [UInt8] { bigEndian ? be32(v) : le32(v) }
        let header = bigEndian ? ascii("MM") + [0, 42] : ascii("II") + [42, 0]
        return header + u32(8) + u16(1) + u16(0x0112) + u16(type) + u32(1) + u16(value) + [0, 0] + u32(0)
    }

    @Test(arguments: 1...8)
    func readsBothByteOrders(_ value: Int) {
        for bigEndian in [true, false] {
            #expect(withView(tiff(bigEndian: bigEndian, value: UInt16(value)), ExifReader.orientation)?.rawValue == value)
            #expect(withView(ascii("Exif\0\0") + tiff(bigEndian: bigEndian, value: UInt16(value)), ExifReader.orientation)?.rawValue == value)
        }
    }

    @Test func ignoresInvalidValuesAndTypes() {
        #expect(withView(tiff(bigEndian: true, value: 9), ExifReader.orientation) == nil)
        #expect(withView(tiff(bigEndian: true, value: 0), ExifReader.orientation) == nil)
        #expect(withView(tiff(bigEndian: false, value: 6, type: 4), ExifReader.orientation) == nil)
        #expect(withView(ascii("XX") + [0, 42, 0, 0, 0, 8], ExifReader.orientation) == nil)
        // An IFD offset pointing past the end.
        #expect(withView(ascii("MM") + [0, 42] + be32(0xFFFF_FF00), ExifReader.orientation) == nil)
    }
}

@Suite("Container integrity")
struct IntegrityTests {
    @Test func isoBMFF() {
        let ftyp = box("ftyp", ascii("isom") + be32(0))
        let moov = box("moov", [1, 2, 3])
        let mdat = box("mdat", [UInt8](repeating: 7, count: 16))
        #expect(withView(ftyp + moov + mdat) { Integrity.isoBMFF($0) } == .complete)
        let cut = Array((ftyp + moov + mdat).dropLast(5))
        if case .truncated(let why) = withView(cut, { Integrity.isoBMFF($0) }) {
            #expect(why.contains("mdat"))
        } else {
            Issue.record("a cut mdat must read as truncated")
        }
        // A box whose size field is 0 extends to the end of the file.
        #expect(withView(ftyp + moov + be32(0) + ascii("mdat") + [1, 2]) { Integrity.isoBMFF($0) } == .complete)
        if case .corrupt = withView(ftyp + mdat, { Integrity.isoBMFF($0) }) {} else { Issue.record("no moov is corrupt") }
        if case .corrupt = withView(ftyp + be32(3) + ascii("moov"), { Integrity.isoBMFF($0) }) {} else {
            Issue.record("a box smaller than its header is corrupt")
        }
    }

    @Test func riff() {
        let whole = ascii("RIFF") + le32(8) + ascii("WEBP") + [1, 2, 3, 4]
        #expect(withView(whole) { Integrity.riff($0) } == .complete)
        if case .truncated = withView(Array(whole.dropLast()), { Integrity.riff($0) }) {} else { Issue.record("cut RIFF") }
        // OpenDML: a second RIFF (AVIX) chunk after the first; cut inside the second.
        let avix = ascii("RIFF") + le32(8) + ascii("AVIX") + [0, 0, 0, 0]
        #expect(withView(whole + avix) { Integrity.riff($0) } == .complete)
        if case .truncated = withView(whole + avix.dropLast(2), { Integrity.riff($0) }) {} else { Issue.record("cut AVIX") }
    }

    @Test func png() {
        let signature: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]
        let ihdr = be32(13) + ascii("IHDR") + [UInt8](repeating: 0, count: 13) + be32(0)
        let idat = be32(4) + ascii("IDAT") + [1, 2, 3, 4] + be32(0)
        let iend: [UInt8] = be32(0) + ascii("IEND") + [0xAE, 0x42, 0x60, 0x82]
        #expect(withView(signature + ihdr + idat + iend) { Integrity.png($0) } == .complete)
        #expect(withView(signature + ihdr + idat + iend + [9, 9]) { Integrity.png($0) } == .complete)  // trailing bytes
        if case .truncated = withView(signature + ihdr + idat, { Integrity.png($0) }) {} else { Issue.record("no IEND") }
        if case .truncated = withView(signature + ihdr + idat.dropLast(3), { Integrity.png($0) }) {} else { Issue.record("cut IDAT") }
    }

    @Test func flv() {
        let header = ascii("FLV") + [1, 1] + be32(9) + be32(0)
        let tag: [UInt8] = [9, 0, 0, 3, 0, 0, 0, 0, 0, 0, 0, 0xAA, 0xBB, 0xCC] + be32(14)
        #expect(withView(header + tag) { Integrity.flv($0) } == .complete)
        #expect(withView(header) { Integrity.flv($0) } == .complete)
        if case .truncated = withView(header + tag.dropLast(6), { Integrity.flv($0) }) {} else { Issue.record("cut tag") }
    }

    @Test func asf() {
        var header = [UInt8](repeating: 0, count: 30)
        header.replaceSubrange(16..<24, with: le32(30) + le32(0))
        let dataGUID: [UInt8] = le32(0x75B2_2636) + [UInt8](repeating: 0, count: 12)
        let data = dataGUID + le32(60) + le32(0) + [UInt8](repeating: 0, count: 36)
        #expect(withView(header + data) { Integrity.asf($0) } == .complete)
        if case .truncated = withView(header + data.dropLast(10), { Integrity.asf($0) }) {} else { Issue.record("cut data") }
        if case .truncated = withView(Array(header.prefix(20)), { Integrity.asf($0) }) {} else { Issue.record("cut header") }
    }

    @Test func mpegProgramStream() {
        // MPEG-2 pack header (14 bytes, no stuffing) + one PES packet of 4 payload bytes.
        let pack: [UInt8] = [0, 0, 1, 0xBA, 0x44, 0, 4, 0, 4, 1, 1, 0x89, 0xC3, 0xF8]
        let pes: [UInt8] = [0, 0, 1, 0xE0, 0, 4, 1, 2, 3, 4]
        let end: [UInt8] = [0, 0, 1, 0xB9]
        #expect(withView(pack + pes + end) { Integrity.mpegPS($0) } == .complete)
        #expect(withView(pack + pes) { Integrity.mpegPS($0) } == .complete)
        if case .truncated = withView(pack + pes + pack + pes.dropLast(2), { Integrity.mpegPS($0) }) {} else {
            Issue.record("cut PES")
        }
    }

    @Test func ebmlSegmentSize() {
        let header: [UInt8] = [0x1A, 0x45, 0xDF, 0xA3, 0x84, 0x42, 0x82, 0x81, 0x77]
        let segment: [UInt8] = [0x18, 0x53, 0x80, 0x67, 0x84, 1, 2, 3, 4]
        #expect(withView(header + segment) { Integrity.ebml($0) } == .complete)
        if case .truncated = withView(header + segment.dropLast(1), { Integrity.ebml($0) }) {} else { Issue.record("cut") }
        // Unknown size (live streams): 0x01FFFFFFFFFFFFFF.
        let live: [UInt8] = [0x18, 0x53, 0x80, 0x67, 0x01, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 9]
        #expect(withView(header + live) { Integrity.ebml($0) } == .complete)
    }

    @Test func jpegTail() {
        let soi: [UInt8] = [0xFF, 0xD8]
        // APP1 holding an embedded thumbnail's EOI must not count as the image's end.
        let app1: [UInt8] = [0xFF, 0xE1, 0, 6, 0xFF, 0xD9, 0, 0]
        let sos: [UInt8] = [0xFF, 0xDA, 0, 2]
        let scan: [UInt8] = [0x12, 0x34, 0xFF, 0x00, 0x56]
        #expect(withView(soi + app1 + sos + scan + [0xFF, 0xD9]) { Integrity.jpeg($0) } == .complete)
        #expect(withView(soi + app1 + sos + scan + [0xFF, 0xD9, 1, 2, 3]) { Integrity.jpeg($0) } == .complete)
        if case .truncated = withView(soi + app1 + sos + scan, { Integrity.jpeg($0) }) {} else {
            Issue.record("a JPEG without EOI after its scan is truncated")
        }
    }
}

@Suite("HEIF boxes")
struct HEIFBoxTests {
    /// A `meta` box whose primary item (1) has properties 2 (ispe) and 3 (irot, essential).
    func meta(angle: UInt8, primary: UInt16 = 1) -> [UInt8] {
        let ipco = box("ipco", box("hvcC", [0, 0]) + box("ispe", [0, 0, 0, 0] + be32(64) + be32(32)) + box("irot", [angle]))
        let ipma = box("ipma", [0, 0, 0, 0] + be32(1) + [0, 1] + [2, 0x02, 0x83])
        return box("ftyp", ascii("heic") + be32(0)) + box("meta", [0, 0, 0, 0] + box("pitm", [0, 0, 0, 0, 0, UInt8(primary)])
            + box("iprp", ipco + ipma))
    }

    @Test func quarterTurnsSwapTheSides() {
        #expect(withView(meta(angle: 1), HEIFBoxes.primaryRotationSwapsSides))
        #expect(withView(meta(angle: 3), HEIFBoxes.primaryRotationSwapsSides))
        #expect(!withView(meta(angle: 2), HEIFBoxes.primaryRotationSwapsSides))
        #expect(!withView(meta(angle: 0), HEIFBoxes.primaryRotationSwapsSides))
        // The rotation belongs to another item than the primary one.
        #expect(!withView(meta(angle: 1, primary: 2), HEIFBoxes.primaryRotationSwapsSides))
        // Not HEIF at all, or cut short.
        #expect(!withView(Array(meta(angle: 1).prefix(40)), HEIFBoxes.primaryRotationSwapsSides))
    }
}
