import Foundation

/// One base64 data URL taken out of a request body as it arrived, decoded into a file of its own.
struct SpooledMedia: Sendable {
    /// The string that stands for it in the skeleton.
    var placeholder: String
    /// The URL's MIME type (`image/heic`, `video/x-matroska`…), as the client wrote it.
    var mimeType: String
    var path: String
    var bytes: Int64
    /// Why its base64 could not be decoded (the request is refused, naming the field).
    var problem: String?
}

/// Reads a JSON request body as it streams in: every string value that is a base64 data URL
/// (`"data:<type>;base64,…"`) is decoded into a file of its own while its bytes arrive, and the rest
/// — the skeleton, which holds the messages' text and a placeholder string for each data URL — is
/// kept in memory, up to `maxSkeletonBytes`. So a 100 MB body of photos and videos costs a few KB of
/// memory and its decoded bytes on disk, never the body whole.
///
/// JSON escapes inside a data URL are undone as they come (`\/`, a `\uXXXX` for a base64 character;
/// escaped whitespace is skipped, as base64 decoders do); anything else that is not base64 marks the
/// media as undecodable, and the request is refused naming its field.
struct DataURLSpooler {
    enum Failure: Error, Equatable {
        /// The text of the body outside its data URLs is larger than the limit.
        case skeletonTooLarge(Int)
        /// More data URLs than the request may carry.
        case tooManyDataURLs(Int)
        /// A decoded file cannot be written.
        case write(String)
    }

    let folder: String
    let maxSkeletonBytes: Int
    /// Data URLs one body may hold (each becomes a file).
    var maxDataURLs = 1024
    /// Unguessable per request: a client cannot name another part's file.
    let token = UUID().uuidString.prefix(8).lowercased()
    private(set) var skeleton: [UInt8] = []
    private(set) var media: [SpooledMedia] = []

    private enum State {
        case outside
        /// Inside a string whose first bytes may still start a data URL.
        case head
        case plain(escaped: Bool)
        case dataURL
    }

    private var state = State.outside
    private var head: [UInt8] = []
    // The data URL being decoded.
    private var escape: [UInt8]? = nil
    private var quad: UInt32 = 0
    private var quadCount = 0
    private var padding = 0
    private var out: [UInt8] = []
    private var descriptor: Int32 = -1
    private var written: Int64 = 0
    private var offset: Int64 = 0
    private var problem: String?

    init(folder: String, maxSkeletonBytes: Int) {
        self.folder = folder
        self.maxSkeletonBytes = maxSkeletonBytes
        out.reserveCapacity(1 << 20)
    }

    /// The placeholder of data URL `index` in the skeleton.
    func placeholder(_ index: Int) -> String { "kimi-media-spooled-\(token)-\(index)" }

    /// A header longer than this is not a data URL's (`data:video/x-matroska;base64,` is 30 bytes).
    static let maxHeader = 128

    private static let sextets: [UInt8] = {
        var table = [UInt8](repeating: 0xFF, count: 256)
        for (i, c) in "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8.enumerated() { table[Int(c)] = UInt8(i) }
        // The URL-safe alphabet decodes as well.
        table[Int(UInt8(ascii: "-"))] = 62
        table[Int(UInt8(ascii: "_"))] = 63
        for c in [UInt8(ascii: " "), 9, 10, 13] { table[Int(c)] = 0xFE }  // whitespace: skipped
        table[Int(UInt8(ascii: "="))] = 0xFD
        return table
    }()

    mutating func feed(_ bytes: UnsafeRawBufferPointer) throws(Failure) {
        var i = 0
        let n = bytes.count
        while i < n {
            switch state {
            case .outside:
                // Copy up to and including the next quote.
                let start = i
                while i < n && bytes[i] != UInt8(ascii: "\"") { i += 1 }
                if i < n {
                    i += 1
                    state = .head
                    head.removeAll(keepingCapacity: true)
                }
                try keep(bytes, start, i)
            case .head:
                let b = bytes[i]
                i += 1
                if b == UInt8(ascii: "\"") && !headEndsInEscape() {
                    try keep(head)
                    try keep([b])
                    state = .outside
                    continue
                }
                head.append(b)
                if !Self.couldBeDataURL(head) {
                    try keep(head)
                    state = .plain(escaped: headEndsInEscape())
                } else if b == UInt8(ascii: ",") {
                    try startDataURL()
                }
            case .plain(var escaped):
                let start = i
                while i < n {
                    let b = bytes[i]
                    i += 1
                    if escaped { escaped = false } else if b == UInt8(ascii: "\\") { escaped = true } else if b == UInt8(ascii: "\"") {
                        try keep(bytes, start, i)
                        state = .outside
                        break
                    }
                }
                if case .plain = state {
                    try keep(bytes, start, i)
                    state = .plain(escaped: escaped)
                }
            case .dataURL:
                i = try decode(bytes, from: i)
            }
        }
    }

    /// The skeleton and the media, once the body has ended.
    mutating func finish() throws(Failure) -> (skeleton: [UInt8], media: [SpooledMedia]) {
        if case .dataURL = state { try endDataURL() }
        return (skeleton, media)
    }

    /// Closes a file left open by a body that never ended.
    mutating func abandon() {
        if descriptor >= 0 { close(descriptor); descriptor = -1 }
    }

    private func headEndsInEscape() -> Bool {
        var backslashes = 0
        for b in head.reversed() { if b == UInt8(ascii: "\\") { backslashes += 1 } else { break } }
        return backslashes % 2 == 1
    }

    /// `data:` then a MIME type and `;base64,` (`\/` inside the type is an escaped slash).
    private static func couldBeDataURL(_ head: [UInt8]) -> Bool {
        let prefix = Array("data:".utf8)
        if head.count <= prefix.count { return Array(prefix.prefix(head.count)) == head }
        guard Array(head.prefix(prefix.count)) == prefix, head.count <= maxHeader else { return false }
        return head.dropFirst(prefix.count).allSatisfy { b in
            (b >= 0x61 && b <= 0x7A) || (b >= 0x41 && b <= 0x5A) || (b >= 0x30 && b <= 0x39)
                || [UInt8(ascii: "/"), UInt8(ascii: "\\"), UInt8(ascii: "-"), UInt8(ascii: "+"), UInt8(ascii: "."), UInt8(ascii: ";"),
                    UInt8(ascii: "="), UInt8(ascii: ","), UInt8(ascii: "_")].contains(b)
        }
    }

    private mutating func startDataURL() throws(Failure) {
        let header = String(decoding: head.dropLast(), as: UTF8.self).replacingOccurrences(of: "\\/", with: "/")
        guard header.hasSuffix(";base64") else {
            // A data URL that is not base64 (or a string that only looked like one) stays as it is.
            try keep(head)
            state = .plain(escaped: false)
            return
        }
        guard media.count < maxDataURLs else { throw .tooManyDataURLs(maxDataURLs) }
        let mime = String(header.dropFirst("data:".count).dropLast(";base64".count).split(separator: ";").first ?? "")
        let index = media.count
        let path = folder + "/part-\(index)"
        descriptor = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
        guard descriptor >= 0 else { throw .write("cannot create \(path): \(String(cString: strerror(errno)))") }
        media.append(SpooledMedia(placeholder: placeholder(index), mimeType: mime.lowercased(), path: path, bytes: 0))
        try keep(Array(placeholder(index).utf8))
        (quad, quadCount, padding, written, offset, problem, escape) = (0, 0, 0, 0, 0, nil, nil)
        out.removeAll(keepingCapacity: true)
        state = .dataURL
    }

    /// Decodes base64 until the closing quote; returns where it stopped.
    private mutating func decode(_ bytes: UnsafeRawBufferPointer, from start: Int) throws(Failure) -> Int {
        var i = start
        let n = bytes.count
        let table = Self.sextets
        while i < n {
            var c = bytes[i]
            i += 1
            offset += 1
            if var pending = escape {
                pending.append(c)
                switch Self.unescape(pending) {
                case .incomplete:
                    escape = pending
                    continue
                case .invalid:
                    escape = nil
                    if problem == nil { problem = "has a JSON escape \\\(String(decoding: pending, as: UTF8.self)) where base64 was expected" }
                    continue
                case .value(let value):
                    escape = nil
                    c = value
                }
            } else if c == UInt8(ascii: "\"") {
                try endDataURL()
                try keep([c])
                state = .outside
                return i
            } else if c == UInt8(ascii: "\\") {
                escape = []
                continue
            }
            if problem != nil { continue }
            let v = table[Int(c)]
            if v < 64 {
                if padding > 0 { problem = "has base64 after its padding (at byte \(offset))"; continue }
                quad = quad << 6 | UInt32(v)
                quadCount += 1
                if quadCount == 4 {
                    out.append(UInt8(truncatingIfNeeded: quad >> 16))
                    out.append(UInt8(truncatingIfNeeded: quad >> 8))
                    out.append(UInt8(truncatingIfNeeded: quad))
                    (quad, quadCount) = (0, 0)
                    if out.count >= 1 << 20 { try flush() }
                }
            } else if v == 0xFD {
                padding += 1
                if quadCount < 2 || padding > 2 { problem = "is not valid base64 (padding at byte \(offset))" }
            } else if v != 0xFE {
                problem = "is not valid base64 (a \(Self.describe(c)) at byte \(offset))"
            }
        }
        return i
    }

    /// What a JSON escape inside base64 stands for, once its bytes are in.
    private enum Escape {
        /// More bytes are needed (a `\uXXXX` not yet whole).
        case incomplete
        /// A base64 character or whitespace.
        case value(UInt8)
        /// Anything else: not base64.
        case invalid
    }

    private static func unescape(_ pending: [UInt8]) -> Escape {
        guard let first = pending.first else { return .incomplete }
        switch first {
        case UInt8(ascii: "/"): return .value(UInt8(ascii: "/"))
        case UInt8(ascii: "n"), UInt8(ascii: "r"), UInt8(ascii: "t"): return .value(UInt8(ascii: " "))
        case UInt8(ascii: "u"):
            guard pending.count == 5 else { return .incomplete }
            guard let code = UInt32(String(decoding: pending.dropFirst(), as: UTF8.self), radix: 16), code < 128,
                  sextets[Int(code)] != 0xFF else { return .invalid }
            return .value(UInt8(code))
        default: return .invalid
        }
    }

    private static func describe(_ c: UInt8) -> String {
        (0x21...0x7E).contains(c) ? "'\(Character(Unicode.Scalar(c)))'" : String(format: "byte 0x%02x", c)
    }

    private mutating func endDataURL() throws(Failure) {
        if problem == nil {
            switch quadCount {
            case 0: break
            case 2: out.append(UInt8(truncatingIfNeeded: quad >> 4))
            case 3:
                out.append(UInt8(truncatingIfNeeded: quad >> 10))
                out.append(UInt8(truncatingIfNeeded: quad >> 2))
            default: problem = "is not valid base64 (its length leaves a single character over)"
            }
            if escape != nil { problem = "ends inside a JSON escape" }
        }
        if problem == nil { try flush() }
        close(descriptor)
        descriptor = -1
        media[media.count - 1].bytes = written
        media[media.count - 1].problem = problem ?? (written == 0 ? "is empty" : nil)
        out.removeAll(keepingCapacity: true)
    }

    private mutating func flush() throws(Failure) {
        var done = 0
        while done < out.count {
            let result = out.withUnsafeBytes { write(descriptor, $0.baseAddress! + done, out.count - done) }
            if result < 0 {
                if errno == EINTR { continue }
                throw .write("cannot write \(media.last?.path ?? folder): \(String(cString: strerror(errno)))")
            }
            done += result
        }
        written += Int64(out.count)
        out.removeAll(keepingCapacity: true)
    }

    private mutating func keep(_ bytes: UnsafeRawBufferPointer, _ from: Int, _ to: Int) throws(Failure) {
        guard to > from else { return }
        guard skeleton.count + (to - from) <= maxSkeletonBytes else { throw .skeletonTooLarge(maxSkeletonBytes) }
        skeleton.append(contentsOf: UnsafeRawBufferPointer(rebasing: bytes[from..<to]))
    }

    private mutating func keep(_ bytes: [UInt8]) throws(Failure) {
        guard skeleton.count + bytes.count <= maxSkeletonBytes else { throw .skeletonTooLarge(maxSkeletonBytes) }
        skeleton.append(contentsOf: bytes)
    }
}
