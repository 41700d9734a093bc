/// Minimal EBML (Matroska/WebM) element reader: variable-length IDs and sizes.
enum EBML {
    struct Element {
        var id: UInt32
        /// Payload range; `nil` when the size is "unknown" (all ones, e.g. live streams).
        var payload: Range<Int>?
        /// Where the payload starts, known even when its size is not.
        var payloadStart: Int
        /// The declared payload size, `nil` when unknown.
        var declaredSize: UInt64?
    }

    /// Reads the element header at `offset`. The payload range is not clamped to the file:
    /// callers compare it with the file size to detect truncation.
    static func element(_ v: ByteView, at offset: Int) -> Element? {
        guard let (id, idLength) = vint(v, at: offset, keepMarker: true), idLength <= 4,
              let (size, sizeLength) = vint(v, at: offset + idLength, keepMarker: false)
        else { return nil }
        let start = offset + idLength + sizeLength
        let unknown = size == (UInt64(1) << (7 * UInt64(sizeLength))) - 1
        if unknown { return Element(id: UInt32(id), payload: nil, payloadStart: start, declaredSize: nil) }
        guard size < UInt64(Int.max / 2) else { return nil }
        return Element(id: UInt32(id), payload: start..<(start + Int(size)), payloadStart: start, declaredSize: size)
    }

    private static func vint(_ v: ByteView, at offset: Int, keepMarker: Bool) -> (UInt64, Int)? {
        guard let first = v.u8(offset), first != 0 else { return nil }
        let length = first.leadingZeroBitCount + 1
        var value = UInt64(keepMarker ? first : first & (0xFF >> length))
        for i in 1..<length {
            guard let b = v.u8(offset + i) else { return nil }
            value = value << 8 | UInt64(b)
        }
        return (value, length)
    }
}
