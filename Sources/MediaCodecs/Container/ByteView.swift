/// Bounds-checked reads over borrowed bytes. Every read returns `nil` past the end, so parsers of
/// hostile input cannot read out of bounds; they turn `nil` into "truncated".
struct ByteView {
    let bytes: UnsafeRawBufferPointer

    init(_ bytes: UnsafeRawBufferPointer) { self.bytes = bytes }

    var count: Int { bytes.count }

    func u8(_ offset: Int) -> UInt8? {
        offset >= 0 && offset < bytes.count ? bytes[offset] : nil
    }

    func u16be(_ offset: Int) -> UInt16? { uint(offset, 2, bigEndian: true).map(UInt16.init) }
    func u16le(_ offset: Int) -> UInt16? { uint(offset, 2, bigEndian: false).map(UInt16.init) }
    func u24be(_ offset: Int) -> UInt32? { uint(offset, 3, bigEndian: true).map(UInt32.init) }
    func u32be(_ offset: Int) -> UInt32? { uint(offset, 4, bigEndian: true).map(UInt32.init) }
    func u32le(_ offset: Int) -> UInt32? { uint(offset, 4, bigEndian: false).map(UInt32.init) }
    func u64be(_ offset: Int) -> UInt64? { uint(offset, 8, bigEndian: true) }
    func u64le(_ offset: Int) -> UInt64? { uint(offset, 8, bigEndian: false) }

    /// `length` bytes at `offset` (clamped to the end) as a view.
    func slice(_ offset: Int, _ length: Int) -> ByteView {
        guard offset >= 0, offset < bytes.count, length > 0 else { return ByteView(UnsafeRawBufferPointer(start: nil, count: 0)) }
        let end = offset + min(length, bytes.count - offset)
        return ByteView(UnsafeRawBufferPointer(rebasing: bytes[offset..<end]))
    }

    /// Whether the bytes at `offset` equal `literal`'s ASCII characters.
    func matches(_ literal: StaticString, at offset: Int) -> Bool {
        literal.withUTF8Buffer { matches(bytes: $0, at: offset) }
    }

    /// Whether the bytes at `offset` equal `expected`.
    func matches(bytes expected: some Collection<UInt8>, at offset: Int) -> Bool {
        guard offset >= 0, offset + expected.count <= bytes.count else { return false }
        return zip(expected, bytes[offset...]).allSatisfy { $0 == $1 }
    }

    /// Four ASCII characters at `offset` (a chunk, box or brand code), if printable.
    func fourCC(_ offset: Int) -> String? {
        guard offset >= 0, offset + 4 <= bytes.count else { return nil }
        let scalars = (0..<4).map { bytes[offset + $0] }
        guard scalars.allSatisfy({ $0 >= 0x20 && $0 < 0x7F }) else { return nil }
        return String(decoding: scalars, as: UTF8.self)
    }

    /// Offset of the last occurrence of the two bytes `first, second` at or after `lowerBound`.
    func lastIndex(of first: UInt8, _ second: UInt8, notBefore lowerBound: Int) -> Int? {
        var i = bytes.count - 2
        while i >= max(lowerBound, 0) {
            if bytes[i] == first && bytes[i + 1] == second { return i }
            i -= 1
        }
        return nil
    }

    private func uint(_ offset: Int, _ width: Int, bigEndian: Bool) -> UInt64? {
        guard offset >= 0, width <= bytes.count, offset <= bytes.count - width else { return nil }
        var value: UInt64 = 0
        for i in 0..<width {
            let b = UInt64(bytes[offset + (bigEndian ? i : width - 1 - i)])
            value = value << 8 | b
        }
        return value
    }
}
