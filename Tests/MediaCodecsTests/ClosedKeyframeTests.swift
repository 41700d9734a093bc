import Testing

@testable import MediaCodecs

@Suite("Closed keyframes")
struct ClosedKeyframeTests {
    func closes(_ bytes: [UInt8], _ syntax: ClosedKeyframe.Syntax) -> Bool {
        bytes.withUnsafeBytes { ClosedKeyframe.closes($0, syntax) }
    }

    /// Length-prefixed NAL units (4 bytes each, as avcC says) or start codes.
    func lengthPrefixed(_ units: [[UInt8]], size: Int = 4) -> [UInt8] {
        units.flatMap { unit in (0..<size).reversed().map { UInt8((unit.count >> (8 * $0)) & 0xFF) } + unit }
    }

    /// H.264: the first slice decides, after a delimiter, SEI and parameter sets: IDR (5) closes,
    /// a non-IDR slice (1, an I picture with a recovery point) does not.
    @Test func h264() {
        let prefix: [[UInt8]] = [[0x09, 0xF0], [0x06, 0x05, 0x01], [0x67, 0x64, 0x00, 0x1F], [0x68, 0xEB]]
        #expect(closes(lengthPrefixed(prefix + [[0x65, 0x88, 0x84]]), .h264(lengthSize: 4)))
        #expect(!closes(lengthPrefixed(prefix + [[0x41, 0x9A, 0x02]]), .h264(lengthSize: 4)))
        #expect(closes(lengthPrefixed([[0x65, 0x88]], size: 2), .h264(lengthSize: 2)))
        // Annex B, with 4- and 3-byte start codes.
        #expect(closes([0, 0, 0, 1, 0x09, 0xF0, 0, 0, 1, 0x67, 0x64, 0, 0, 1, 0x65, 0x88], .h264(lengthSize: nil)))
        #expect(!closes([0, 0, 0, 1, 0x09, 0xF0, 0, 0, 1, 0x41, 0x9A], .h264(lengthSize: nil)))
        // Broken framing (a length past the end), no slice, nothing: not closed.
        #expect(!closes([0, 0, 0, 9, 0x65, 0x88], .h264(lengthSize: 4)))
        #expect(!closes(lengthPrefixed(prefix), .h264(lengthSize: 4)))
        #expect(!closes([], .h264(lengthSize: 4)))
    }

    /// HEVC: IDR (19, 20) and BLA (16–18) close; CRA (21: its RASL pictures refer to the group
    /// before), trailing (0, 1), RASL (8, 9) and reserved IRAP types (22, 23) do not. The type is
    /// bits 1–6 of the unit's first byte; VPS/SPS/PPS (32–34) come first.
    @Test func hevc() {
        let sets: [[UInt8]] = [[32 << 1, 1], [33 << 1, 1], [34 << 1, 1]]
        for type: UInt8 in [16, 17, 18, 19, 20] { #expect(closes(lengthPrefixed(sets + [[type << 1, 1, 0xAF]]), .hevc(lengthSize: 4)), "\(type)") }
        for type: UInt8 in [0, 1, 8, 9, 21, 22, 23] { #expect(!closes(lengthPrefixed(sets + [[type << 1, 1, 0xAF]]), .hevc(lengthSize: 4)), "\(type)") }
        #expect(closes([0, 0, 1, 32 << 1, 1, 0, 0, 1, 19 << 1, 1], .hevc(lengthSize: nil)))
    }

    /// VP9: a key frame's header (frame marker, profile 0, frame_type 0, sync code) closes; an
    /// inter frame's (frame_type 1) does not.
    @Test func vp9() {
        #expect(closes([0x82, 0x49, 0x83, 0x42, 0x40, 0, 0, 0], .vp9))
        #expect(!closes([0x86, 0x49, 0x83, 0x42, 0x40, 0, 0, 0], .vp9))
        #expect(!closes([0x82, 0x49, 0x83, 0x43, 0x40], .vp9))  // a broken sync code
    }

    /// The length size comes from avcC's / hvcC's configuration record; without one (or another
    /// record), start codes.
    @Test func syntaxFromConfiguration() {
        #expect(ClosedKeyframe.Syntax(h264: [1, 0x64, 0, 0x1F, 0xFF, 0xE1]) == .h264(lengthSize: 4))
        #expect(ClosedKeyframe.Syntax(h264: [1, 0x64, 0, 0x1F, 0xFD, 0xE1]) == .h264(lengthSize: 2))
        #expect(ClosedKeyframe.Syntax(h264: []) == .h264(lengthSize: nil))
        #expect(ClosedKeyframe.Syntax(h264: [0, 0, 0, 1, 0x67]) == .h264(lengthSize: nil))
        var hvcC = [UInt8](repeating: 0, count: 23)
        hvcC[0] = 1
        hvcC[21] = 0x0F
        #expect(ClosedKeyframe.Syntax(hevc: hvcC) == .hevc(lengthSize: 4))
        #expect(ClosedKeyframe.Syntax(hevc: [0, 0, 1]) == .hevc(lengthSize: nil))
    }
}
