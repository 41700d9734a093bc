/// Whether a keyframe packet closes its group of pictures for what follows it: no picture after it
/// in both decoding and output order refers to a picture decoded before it, nor does the keyframe
/// keep one for its leading pictures (decoded after it, shown before it, which may refer only to
/// it and each other). Then the packets between the last wanted frame of a group and the next
/// such keyframe need not be decoded at all (`--frames model` and `every:`), nor its leading
/// pictures when no target is among them.
///
/// - H.264: an IDR picture (`nal_unit_type` 5; ITU-T H.264 §7.4.1.2.4). A non-IDR I picture (an
///   open GOP's recovery point) is not known to close: H.264 does not forbid later pictures to
///   refer past it.
/// - HEVC: IDR (19, 20) and BLA (16–18) pictures (ITU-T H.265 §7.4.2.2). Not a CRA (21): its
///   RASL pictures refer to the group before, and its reference picture set keeps those pictures,
///   so FFmpeg makes a grey stand-in for each one dropped (five 4K frames, +65 MB, measured).
/// - VP9: a key frame (§6.2 `frame_type` 0) resets every reference slot.
/// Any other codec, or bytes that do not settle it: not closed (everything is decoded, as before).
enum ClosedKeyframe {
    enum Syntax: Equatable {
        /// NAL units with a big-endian length of `lengthSize` bytes before each (avcC/hvcC), or
        /// start codes when `nil` (Annex B: MPEG-TS, raw streams).
        case h264(lengthSize: Int?)
        case hevc(lengthSize: Int?)
        case vp9

        /// From the stream's codec and its configuration record (`extradata`).
        init(h264 extradata: [UInt8]) {
            self = .h264(lengthSize: extradata.count >= 5 && extradata[0] == 1 ? Int(extradata[4] & 3) + 1 : nil)
        }

        init(hevc extradata: [UInt8]) {
            self = .hevc(lengthSize: extradata.count >= 23 && extradata[0] == 1 ? Int(extradata[21] & 3) + 1 : nil)
        }
    }

    static func closes(_ bytes: UnsafeRawBufferPointer, _ syntax: Syntax) -> Bool {
        switch syntax {
        case .vp9:
            return CodecPixelFormat.vp9(frame: bytes) != nil  // a key frame's header, read to its colour config
        case .h264(let lengthSize):
            guard let type = firstPictureType(bytes, lengthSize: lengthSize, type: { $0 & 0x1F }, isPicture: { (1...5).contains($0) }) else { return false }
            return type == 5
        case .hevc(let lengthSize):
            guard let type = firstPictureType(bytes, lengthSize: lengthSize, type: { ($0 >> 1) & 0x3F }, isPicture: { $0 <= 31 }) else { return false }
            return (16...20).contains(type)
        }
    }

    /// The type of the first NAL unit that carries a picture (a coded slice), skipping parameter
    /// sets, SEI and delimiters; `nil` when there is none or the framing is broken.
    private static func firstPictureType(_ bytes: UnsafeRawBufferPointer, lengthSize: Int?, type: (UInt8) -> UInt8,
                                         isPicture: (UInt8) -> Bool) -> UInt8? {
        var offset = 0
        if let lengthSize {
            while offset + lengthSize < bytes.count {
                var length = 0
                for i in 0..<lengthSize { length = length << 8 | Int(bytes[offset + i]) }
                offset += lengthSize
                guard length > 0, length <= bytes.count - offset else { return nil }
                let t = type(bytes[offset])
                if isPicture(t) { return t }
                offset += length
            }
            return nil
        }
        // Annex B: each unit follows a 00 00 01 start code (a fourth leading zero changes nothing).
        while offset + 3 < bytes.count {
            if bytes[offset] == 0, bytes[offset + 1] == 0, bytes[offset + 2] == 1 {
                let t = type(bytes[offset + 3])
                if isPicture(t) { return t }
                offset += 3
            } else {
                offset += 1
            }
        }
        return nil
    }
}
