/// What an MP4's `avcC` record (ISO/IEC 14496-15) says about its H.264 pictures, read from the first
/// sequence parameter set (ITU-T H.264 §7.3.2.1.1): the chroma format, the bit depth and whether the
/// samples use the full range (VUI `video_full_range_flag`). Enough to name the pixel format as
/// FFmpeg's decoder would (`yuv420p`, or `yuvj420p` at full range) without decoding a frame — the
/// stream-info pass that would otherwise learn it decodes 4K frames (~55 ms of a 100 ms probe).
struct H264Configuration: Equatable {
    var chromaFormat: Int
    var bitDepth: Int
    var fullRange: Bool

    /// FFmpeg's name for the decoded frames' format, for the 8-bit 4:2:0 case only (the others
    /// are left to FFmpeg's own analysis).
    var pixelFormatName: String? {
        guard chromaFormat == 1, bitDepth == 8 else { return nil }
        return fullRange ? "yuvj420p" : "yuv420p"
    }

    init(chromaFormat: Int, bitDepth: Int, fullRange: Bool) {
        self.chromaFormat = chromaFormat
        self.bitDepth = bitDepth
        self.fullRange = fullRange
    }

    /// Reads `avcC` bytes; `nil` when they are not a well-formed record with an SPS.
    init?(avcC bytes: [UInt8]) {
        // version(1) profile(1) compatibility(1) level(1) lengthSizeMinusOne(1) numSPS(1) spsLength(2) sps…
        guard bytes.count > 8, bytes[0] == 1, bytes[5] & 0x1F >= 1 else { return nil }
        let length = Int(bytes[6]) << 8 | Int(bytes[7])
        guard length > 1, 8 + length <= bytes.count, bytes[8] & 0x1F == 7 else { return nil }
        self.init(sps: Array(bytes[9..<(8 + length)]))
    }

    /// Reads an SPS's payload (after its NAL header byte, emulation prevention bytes included).
    init?(sps escaped: [UInt8]) {
        var r = BitReader(unescaping: escaped)
        guard let profile = r.bits(8), r.bits(16) != nil, r.ue() != nil else { return nil }  // constraints+level, sps id
        var chroma = 1, depth = 8
        if [100, 110, 122, 244, 44, 83, 86, 118, 128, 138, 139, 134, 135].contains(profile) {
            guard let c = r.ue(), c <= 3 else { return nil }
            chroma = c
            if chroma == 3 { guard r.bits(1) != nil else { return nil } }
            guard let luma = r.ue(), r.ue() != nil, r.bits(1) != nil, let matrix = r.bits(1) else { return nil }
            depth = luma + 8
            if matrix == 1 {
                for i in 0..<(chroma == 3 ? 12 : 8) {
                    guard let present = r.bits(1) else { return nil }
                    if present == 1 { guard r.skipScalingList(i < 6 ? 16 : 64) else { return nil } }
                }
            }
        }
        guard r.ue() != nil, let order = r.ue() else { return nil }  // log2_max_frame_num, pic_order_cnt_type
        if order == 0 {
            guard r.ue() != nil else { return nil }
        } else if order == 1 {
            guard r.bits(1) != nil, r.se() != nil, r.se() != nil, let cycle = r.ue(), cycle <= 255 else { return nil }
            for _ in 0..<cycle { guard r.se() != nil else { return nil } }
        }
        // max_num_ref_frames, gaps, width and height in macroblocks, frame_mbs_only
        guard r.ue() != nil, r.bits(1) != nil, r.ue() != nil, r.ue() != nil, let frameOnly = r.bits(1) else { return nil }
        if frameOnly == 0 { guard r.bits(1) != nil else { return nil } }
        guard r.bits(1) != nil, let cropping = r.bits(1) else { return nil }
        if cropping == 1 { for _ in 0..<4 { guard r.ue() != nil else { return nil } } }
        var full = false
        if r.bits(1) == 1 {  // VUI
            guard let aspect = r.bits(1) else { return nil }
            if aspect == 1, r.bits(8) == 255 { guard r.bits(32) != nil else { return nil } }
            guard let overscan = r.bits(1) else { return nil }
            if overscan == 1 { guard r.bits(1) != nil else { return nil } }
            guard let signal = r.bits(1) else { return nil }
            if signal == 1 {
                guard r.bits(3) != nil, let flag = r.bits(1) else { return nil }
                full = flag == 1
            }
        }
        self.chromaFormat = chroma
        self.bitDepth = depth
        self.fullRange = full
    }

    /// Exp-Golomb and fixed-width reads over RBSP bits (emulation prevention bytes removed).
    struct BitReader {
        private let bytes: [UInt8]
        private var position = 0

        init(unescaping escaped: [UInt8]) {
            var out: [UInt8] = []
            out.reserveCapacity(escaped.count)
            var zeros = 0
            for byte in escaped {
                if zeros >= 2 && byte == 3 {
                    zeros = 0
                    continue
                }
                zeros = byte == 0 ? zeros + 1 : 0
                out.append(byte)
            }
            bytes = out
        }

        mutating func bits(_ count: Int) -> Int? {
            guard position + count <= bytes.count * 8 else { return nil }
            var value = 0
            for _ in 0..<count {
                value = value << 1 | Int(bytes[position >> 3] >> (7 - UInt8(position & 7)) & 1)
                position += 1
            }
            return value
        }

        mutating func ue() -> Int? {
            var zeros = 0
            while true {
                guard let bit = bits(1) else { return nil }
                if bit == 1 { break }
                zeros += 1
                if zeros > 31 { return nil }
            }
            guard let rest = bits(zeros) else { return nil }
            return (1 << zeros) - 1 + rest
        }

        mutating func se() -> Int? {
            guard let code = ue() else { return nil }
            return code & 1 == 1 ? (code + 1) / 2 : -(code / 2)
        }

        /// Skips one `scaling_list()` of `size` coefficients (§7.3.2.1.1.1).
        mutating func skipScalingList(_ size: Int) -> Bool {
            var last = 8, next = 8
            for _ in 0..<size {
                if next != 0 {
                    guard let delta = se() else { return false }
                    next = (last + delta + 256) % 256
                }
                last = next == 0 ? last : next
            }
            return true
        }
    }
}
