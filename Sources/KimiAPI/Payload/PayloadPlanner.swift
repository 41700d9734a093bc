import Foundation
import MediaCore

/// One prepared file to send.
public struct PayloadItem: Sendable, Hashable, Codable {
    public var path: String
    public var format: MediaFormat
    public var bytes: Int64
    /// Offline prompt tokens of its part.
    public var tokens: Int?
    /// A text part sent right before the item (a tile's "(part 2 of 5 of IMG_0042.png, top to bottom)").
    public var caption: String?

    public init(path: String, format: MediaFormat, bytes: Int64, tokens: Int? = nil, caption: String? = nil) {
        self.path = path
        self.format = format
        self.bytes = bytes
        self.tokens = tokens
        self.caption = caption
    }

    public var kind: MediaKind { format.kind ?? .image }
}

/// How items travel: chosen by size (default), or forced.
public enum PayloadMode: String, Sendable, Hashable, Codable, CaseIterable {
    case auto
    case inlineOnly = "inline-only"
    case uploadAll = "upload-all"
}

/// The planner's decision for one request: per item inline (a base64 data URL in the body) or
/// upload (`ms://` id), and the exact size of the JSON body.
public struct PayloadPlan: Sendable, Hashable, Codable {
    /// How one item travels: inline (a base64 data URL in the body) or uploaded (`ms://` id).
    public enum Delivery: String, Sendable, Hashable, Codable { case inline, upload }

    /// One item's decision and the bytes it adds to the body.
    public struct Entry: Sendable, Hashable, Codable {
        public var item: PayloadItem
        public var delivery: Delivery
        /// Bytes this item adds to the body: its data URL, or its `ms://` reference.
        public var bodyBytes: Int64
    }

    public var entries: [Entry]
    /// The whole JSON body in bytes: exact for inline items; an upload's reference is counted
    /// with its real id once known, before that with ``PayloadPlanner/assumedFileIDLength``.
    public var bodyBytes: Int64
    public var limit: Int64
}

/// Builds the chat request for text plus prepared media and decides inline or upload per item by
/// the exact JSON body size (base64 is 4⌈n/3⌉ bytes, plus the data-URL prefix; the canonical JSON
/// escapes nothing in either), keeping the body under the limit (100,000,000 bytes by default):
/// images and MP4 videos inline first (other video always uploaded, ``mayInline(_:)``); when the body would be too large, videos are uploaded first (largest
/// first), then images (largest first).
public struct PayloadPlanner: Sendable {
    public var model: String
    public var thinking: Bool
    public var limit: Int64
    public var mode: PayloadMode
    /// `max_completion_tokens` of the request (`nil`: not sent, the server's default applies).
    public var maxCompletionTokens: Int?
    /// Ask for the answer as server-sent events (`"stream": true`).
    public var stream: Bool

    /// Moonshot file ids seen are about 20 characters; used for the reference until the id is known.
    public static let assumedFileIDLength = 20

    /// The output budget sent by default: K2.6's documented default (the quickstart's 32,768), sent
    /// explicitly because sources disagree on what the server assumes (another copy of the docs says
    /// "such as 1024"), and a thinking answer cut at a small budget comes back with no content.
    public static let defaultMaxCompletionTokens = 32_768

    public init(model: String = "kimi-k2.6", thinking: Bool = true, limit: Int64 = APILimits.default.maxRequestBodyBytes,
                mode: PayloadMode = .auto, maxCompletionTokens: Int? = PayloadPlanner.defaultMaxCompletionTokens, stream: Bool = false) {
        self.model = model
        self.thinking = thinking
        self.limit = limit
        self.mode = mode
        self.maxCompletionTokens = maxCompletionTokens
        self.stream = stream
    }

    /// The placeholder URL of item `index` in a skeleton body: plain ASCII, nothing JSON escapes.
    public static func placeholder(_ index: Int) -> String { "kimi-media-inline-\(index)" }

    /// The request with each inline item's URL as a placeholder and each upload's as `uploads[i]`
    /// (or an assumed-length reference).
    public func request(prompt: String?, system: String? = nil, items: [PayloadItem], deliveries: [PayloadPlan.Delivery],
                        uploads: [Int: String] = [:]) -> ChatRequest {
        var parts: [ContentPart] = []
        for (i, item) in items.enumerated() {
            let url = deliveries[i] == .inline ? Self.placeholder(i) : Self.reference(uploads[i])
            if let caption = item.caption { parts.append(.text(caption)) }
            parts.append(item.kind == .video ? .videoURL(url) : .imageURL(url))
        }
        if let prompt, !prompt.isEmpty { parts.append(.text(prompt)) }
        var messages: [ChatMessage] = []
        if let system { messages.append(.system(system)) }
        messages.append(.user(parts))
        return ChatRequest(model: model, messages: messages, thinking: thinking ? nil : .disabled, maxCompletionTokens: maxCompletionTokens,
                           stream: stream ? true : nil)
    }

    /// `request` with each inline item's placeholder replaced by its data URL (`inline[i]`), in memory.
    public func filling(_ request: ChatRequest, inline: [Int: String]) -> ChatRequest {
        var urls: [String: String] = [:]
        for (i, url) in inline { urls[Self.placeholder(i)] = url }
        var filled = request
        for m in filled.messages.indices {
            guard case .parts(let parts)? = filled.messages[m].content else { continue }
            filled.messages[m].content = .parts(parts.map { part in
                switch part {
                case .imageURL(let url): .imageURL(urls[url] ?? url)
                case .videoURL(let url): .videoURL(urls[url] ?? url)
                case .text: part
                }
            })
        }
        return filled
    }

    /// Exact body bytes of `request` once its placeholders are replaced by the items' data URLs.
    public func bodyBytes(of request: ChatRequest, items: [PayloadItem], deliveries: [PayloadPlan.Delivery]) throws -> Int64 {
        Self.bodyBytes(of: try request.body(), items: items, deliveries: deliveries)
    }

    /// Exact body bytes of a JSON `skeleton` (inline items as their ``placeholder(_:)``) once each
    /// placeholder is replaced by its item's data URL.
    public static func bodyBytes(of skeleton: Data, items: [PayloadItem], deliveries: [PayloadPlan.Delivery]) -> Int64 {
        var total = Int64(skeleton.count)
        for (i, item) in items.enumerated() where deliveries[i] == .inline {
            total += APILimits.dataURLBytes(contentBytes: item.bytes, mimeType: item.format.mimeType) - Int64(placeholder(i).utf8.count)
        }
        return total
    }

    /// Whether `item` may travel inline: every image; a video only as MP4 — the model's reader
    /// takes inline video only as `data:video/mp4` (docs/kimi-api.md §3.1; a K3-era report says the same), so
    /// other containers go up through the Files API whatever their size.
    public static func mayInline(_ item: PayloadItem) -> Bool { item.kind == .image || item.format == .mp4 }

    /// The plan for a request of text plus `items`, as ``request(prompt:system:items:deliveries:uploads:)`` builds it.
    public func plan(prompt: String?, system: String? = nil, items: [PayloadItem], uploads: [Int: String] = [:]) throws -> PayloadPlan {
        try plan(items: items, uploads: uploads) { deliveries, uploads in
            try request(prompt: prompt, system: system, items: items, deliveries: deliveries, uploads: uploads).body()
        }
    }

    /// The plan for any body: `skeleton(deliveries, uploads)` is the JSON body with each inline item's
    /// URL as its ``placeholder(_:)`` and each upload's as `ms://` plus its id (or an assumed-length id
    /// until it is known) — a request the planner builds itself, or one a client sent (the gateway).
    public func plan(items: [PayloadItem], uploads: [Int: String] = [:],
                     skeleton: ([PayloadPlan.Delivery], [Int: String]) throws -> Data) throws -> PayloadPlan {
        var deliveries: [PayloadPlan.Delivery] = items.map { mode == .uploadAll || !Self.mayInline($0) ? .upload : .inline }
        func size() throws -> Int64 { Self.bodyBytes(of: try skeleton(deliveries, uploads), items: items, deliveries: deliveries) }
        var total = try size()
        if mode == .auto && total > limit {
            let order = items.indices.sorted { a, b in
                let (ka, kb) = (items[a].kind == .video ? 0 : 1, items[b].kind == .video ? 0 : 1)
                return ka != kb ? ka < kb : items[a].bytes > items[b].bytes
            }
            for i in order where total > limit {
                deliveries[i] = .upload
                total = try size()
            }
        }
        let entries = items.enumerated().map { i, item in
            let bytes = deliveries[i] == .inline
                ? APILimits.dataURLBytes(contentBytes: item.bytes, mimeType: item.format.mimeType)
                : Int64(5 + (uploads[i]?.utf8.count ?? Self.assumedFileIDLength))
            return PayloadPlan.Entry(item: item, delivery: deliveries[i], bodyBytes: bytes)
        }
        return PayloadPlan(entries: entries, bodyBytes: total, limit: limit)
    }

    /// An upload's URL in a skeleton: `ms://` and its id, or an assumed-length id until it is known.
    public static func reference(_ id: String?) -> String { "ms://" + (id ?? String(repeating: "x", count: assumedFileIDLength)) }
}

/// Writes a request body to a file, streaming each inline item's base64 from disk (3 MiB reads), so
/// a body near 100 MB never sits in memory; the file appears complete or not at all.
public enum RequestBodyWriter {
    /// Writes `request` (whose inline URLs are ``PayloadPlanner`` placeholders) with the items' data
    /// URLs in place; returns the bytes written.
    @discardableResult
    public static func write(_ request: ChatRequest, items: [PayloadItem], deliveries: [PayloadPlan.Delivery], to path: String) throws -> Int64 {
        try write(skeleton: try request.body(), items: items, deliveries: deliveries, to: path)
    }

    /// Writes a JSON `skeleton` whose inline items are their quoted ``PayloadPlanner/placeholder(_:)``
    /// strings, each replaced by its item's data URL; returns the bytes written.
    @discardableResult
    public static func write(skeleton: Data, items: [PayloadItem], deliveries: [PayloadPlan.Delivery], to path: String) throws -> Int64 {
        let temporary = path + ".partial-\(UUID().uuidString)"
        guard FileManager.default.createFile(atPath: temporary, contents: nil), let out = FileHandle(forWritingAtPath: temporary) else {
            throw CocoaError(.fileWriteUnknown, userInfo: [NSFilePathErrorKey: path])
        }
        var written: Int64 = 0
        do {
            defer { try? out.close() }
            var rest = skeleton[...]
            for (i, item) in items.enumerated() where deliveries[i] == .inline {
                // Quoted: a placeholder is a whole string value, never a piece of one.
                let marker = Data("\"\(PayloadPlanner.placeholder(i))\"".utf8)
                guard let range = rest.firstRange(of: marker) else { continue }
                try out.write(contentsOf: rest[..<(range.lowerBound + 1)])
                written += Int64(range.lowerBound + 1 - rest.startIndex)
                let prefix = Data("data:\(item.format.mimeType);base64,".utf8)
                try out.write(contentsOf: prefix)
                written += Int64(prefix.count)
                guard let input = FileHandle(forReadingAtPath: item.path) else {
                    throw CocoaError(.fileReadNoSuchFile, userInfo: [NSFilePathErrorKey: item.path])
                }
                defer { try? input.close() }
                // Whole groups of 3 bytes per write (a short read's remainder waits for the next), so
                // padding only ever ends the last.
                var carry = Data()
                while true {
                    let chunk = try input.read(upToCount: 3 << 20) ?? Data()
                    let bytes = carry + chunk
                    let whole = chunk.isEmpty ? bytes.count : bytes.count / 3 * 3
                    let encoded = bytes.prefix(whole).base64EncodedData()
                    try out.write(contentsOf: encoded)
                    written += Int64(encoded.count)
                    carry = Data(bytes.dropFirst(whole))
                    if chunk.isEmpty { break }
                }
                rest = rest[(range.upperBound - 1)...]
            }
            try out.write(contentsOf: rest)
            written += Int64(rest.count)
            try out.synchronize()
        } catch {
            try? FileManager.default.removeItem(atPath: temporary)
            throw error
        }
        if rename(temporary, path) != 0 {
            try? FileManager.default.removeItem(atPath: temporary)
            throw CocoaError(.fileWriteUnknown, userInfo: [NSFilePathErrorKey: path])
        }
        return written
    }
}
