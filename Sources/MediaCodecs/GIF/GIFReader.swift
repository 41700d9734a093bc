import CGIF
import MediaCore

/// Opens a GIF held in memory with giflib (`DGifOpen` with a read callback over the mapped bytes)
/// and closes it (`DGifCloseFile`). Shared by the probe and the decoder.
final class GIFReader {
    /// The read cursor giflib's input callback advances.
    private struct Cursor {
        var base: UnsafePointer<UInt8>?
        var count: Int
        var offset: Int
    }

    private static let read: InputFunc = { gif, buffer, wanted in
        guard let gif, let buffer, wanted > 0,
              let cursor = gif.pointee.UserData?.assumingMemoryBound(to: Cursor.self), let base = cursor.pointee.base
        else { return 0 }
        let n = min(Int(wanted), cursor.pointee.count - cursor.pointee.offset)
        guard n > 0 else { return 0 }
        buffer.update(from: base + cursor.pointee.offset, count: n)
        cursor.pointee.offset += n
        return Int32(n)
    }

    let gif: UnsafeMutablePointer<GifFileType>
    private let cursor: UnsafeMutablePointer<Cursor>

    /// `nil` with giflib's error code when the header cannot be read.
    init(_ v: ByteView) throws(GIFOpenError) {
        cursor = .allocate(capacity: 1)
        cursor.initialize(to: Cursor(base: v.bytes.baseAddress?.assumingMemoryBound(to: UInt8.self), count: v.count, offset: 0))
        var status: Int32 = 0
        guard let gif = DGifOpen(cursor, Self.read, &status) else {
            let atEnd = cursor.pointee.offset >= v.count
            cursor.deallocate()
            throw GIFOpenError(code: status, atEnd: atEnd)
        }
        self.gif = gif
    }

    deinit {
        var status: Int32 = 0
        DGifCloseFile(gif, &status)
        cursor.deallocate()
    }

    /// Bytes handed to giflib so far.
    var offset: Int { cursor.pointee.offset }

    /// Whether every byte has been handed to giflib.
    var atEnd: Bool { cursor.pointee.offset >= cursor.pointee.count }

    /// giflib's message for an error code (`GifErrorString`).
    static func errorText(_ code: Int32) -> String {
        GifErrorString(code).map { String(cString: $0) } ?? "giflib error \(code)"
    }

    var lastError: String { Self.errorText(gif.pointee.Error) }
}

struct GIFOpenError: Error {
    var code: Int32
    var atEnd: Bool
    var text: String { GIFReader.errorText(code) }
}
