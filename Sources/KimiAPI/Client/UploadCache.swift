import Foundation
import MediaCore

/// Remembers which file id holds which bytes, so the same content is never uploaded twice: keyed by
/// SHA-256 of the content, the base URL and the key's fingerprint (ids are per account and host).
/// Before reuse the id is checked with `GET /v1/files/{id}`; a missing one is forgotten and the file
/// uploaded again. Stored as JSON (no key in it), rewritten atomically.
public struct UploadCache: Sendable {
    /// One uploaded file: its id, the content's SHA-256 and size, where and with which key it went up.
    public struct Entry: Sendable, Hashable, Codable {
        public var id: String
        public var sha256: String
        public var bytes: Int64
        public var baseURL: String
        public var keyFingerprint: String
        public var purpose: String
        public var uploadedAt: Double
    }

    public let path: String

    /// `$XDG_CACHE_HOME/kimi-media/uploads.json`, else `~/.cache/kimi-media/uploads.json`.
    public static func defaultPath(environment: [String: String] = ProcessInfo.processInfo.environment) -> String {
        let base = environment["XDG_CACHE_HOME"].flatMap { $0.isEmpty ? nil : $0 }
            ?? (environment["HOME"] ?? NSTemporaryDirectory()) + "/.cache"
        return base + "/kimi-media/uploads.json"
    }

    /// A relative `path` is taken from the current folder (and kept absolute, so a later change of
    /// folder does not move the cache).
    public init(path: String = UploadCache.defaultPath()) { self.path = URL(fileURLWithPath: path).standardizedFileURL.path }

    public func entries() -> [Entry] {
        guard let data = FileManager.default.contents(atPath: path) else { return [] }
        return (try? JSONDecoder().decode([Entry].self, from: data)) ?? []
    }

    public func lookup(sha256: String, configuration: APIConfiguration) -> Entry? {
        guard let key = configuration.apiKey else { return nil }
        return entries().last { $0.sha256 == sha256 && $0.baseURL == configuration.baseURL.absoluteString && $0.keyFingerprint == key.fingerprint }
    }

    public func record(_ entry: Entry) throws {
        try save(entries().filter { !($0.sha256 == entry.sha256 && $0.baseURL == entry.baseURL && $0.keyFingerprint == entry.keyFingerprint) }
            + [entry])
    }

    public func forget(id: String) throws { try save(entries().filter { $0.id != id }) }

    func save(_ entries: [Entry]) throws {
        let folder = (path as NSString).deletingLastPathComponent
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .prettyPrinted, .withoutEscapingSlashes]
        try encoder.encode(entries).write(to: URL(fileURLWithPath: path), options: .atomic)
    }
}

extension MoonshotClient {
    /// Uploads `path` unless the cache knows a live file with the same content; returns the file
    /// and whether it was reused. A cached id the server refuses to show (any 4xx but a rate limit
    /// or an exhausted balance) is forgotten and the file uploaded again.
    public func uploadOnce(path: String, purpose: FilePurpose, mimeType: String, cache: UploadCache) async throws(APIError) -> (FileObject, reused: Bool) {
        let endpoint = "POST /v1/files"
        let digest: String
        do { digest = try SHA256.hex(ofFile: path) } catch {
            throw APIError(.io, message: "cannot read \(path)", endpoint: endpoint)
        }
        if let known = cache.lookup(sha256: digest, configuration: configuration) {
            do {
                let file = try await file(id: known.id)
                return (file, true)
            } catch where error.status.map({ (400..<500).contains($0) && $0 != 429 }) ?? false && !error.isQuotaExhausted {
                // Gone, or not this key's to read (404, 400, …): upload
                // it again. A rate limit, a 5xx or an empty balance would fail the upload the same way.
                try? cache.forget(id: known.id)
            }
        }
        let file = try await upload(path: path, purpose: purpose, mimeType: mimeType)
        let size = FileSize.of(path) ?? file.bytes ?? 0
        if let key = configuration.apiKey {
            do {
                try cache.record(UploadCache.Entry(id: file.id, sha256: digest, bytes: size, baseURL: configuration.baseURL.absoluteString,
                                                   keyFingerprint: key.fingerprint, purpose: purpose.rawValue,
                                                   uploadedAt: Date().timeIntervalSince1970))
            } catch {
                // The upload stands; only its reuse is lost. Said, not swallowed: every later run
                // would upload the same bytes again.
                onWait?("warning: cannot save the upload cache \(cache.path): \(error.localizedDescription); "
                    + "\(file.id) was uploaded but will not be reused")
            }
        }
        return (file, false)
    }
}

extension ContentPart {
    /// The `image_url` / `video_url` part carrying `bytes` inline as `data:<mime>;base64,…`.
    public static func inline(_ bytes: Data, kind: MediaKind, format: MediaFormat) -> ContentPart {
        let url = "data:\(format.mimeType);base64," + bytes.base64EncodedString()
        return kind == .video ? .videoURL(url) : .imageURL(url)
    }
}
